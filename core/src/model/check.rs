//! A fixed forward pass that every build of the core must compute alike:
//! natively (`core/tests/trunk.rs`, against the committed
//! `core/tests/records/trunk-logits.json`) and in wasm (the worker's
//! browser test, against the same file).

use burn::tensor::Device;

use super::{Batch, Model, ModelConfig};
use crate::data::scenario::rng_for;
use crate::data::{IMAGE_BYTES, Input, Modality, Sample};

/// The model of the check: a fusion stage with a two-layer trunk and an
/// encoder of every modality, drawn from seed 3 with four classes.
pub fn trunk_config() -> ModelConfig {
    ModelConfig {
        fusion: true,
        trunk: 2,
        ..ModelConfig::default()
    }
    .with_init(super::EncoderInit::Scratch)
    .covering(&Modality::ALL)
}

/// Four samples: one of every modality at once, and three with one or two
/// missing (each pixel modality a different made-up picture).
pub fn trunk_samples() -> Vec<Sample> {
    let picture = |seed: usize| -> Vec<u8> {
        (0..IMAGE_BYTES)
            .map(|i| ((i * 37 + seed * 101) % 251) as u8)
            .collect()
    };
    let all = Sample::new(0)
        .with(Modality::Image, Input::Pixels(picture(1)))
        .with(Modality::Text, Input::Words("a red fox in the snow".into()))
        .with(Modality::Sketch, Input::Pixels(picture(2)))
        .with(Modality::Speech, Input::Pixels(picture(3)));
    vec![
        all,
        Sample::new(1).with(Modality::Sketch, Input::Pixels(picture(4))),
        Sample::new(2).with(Modality::Speech, Input::Pixels(picture(5))),
        Sample::image_text(Some(picture(6)), Some("apple".into()), 3),
    ]
}

/// The fused logits `[4 samples × 4 classes]`, row by row, of
/// [`trunk_samples`] through the model of [`trunk_config`].
pub fn trunk_logits(device: &Device) -> Vec<f32> {
    let config = trunk_config();
    let model = Model::new(&config, true, &mut rng_for(3, "check"), device).expand_to(
        4,
        &mut rng_for(3, "check/classes"),
        device,
    );
    let samples = trunk_samples();
    let refs: Vec<&Sample> = samples.iter().collect();
    model
        .forward(&Batch::new(&refs, &config, device))
        .logits
        .fused
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32 logits")
}
