use burn::tensor::{Device, Tensor};

use super::*;
use crate::data::scenario::rng_for;
use crate::data::{IMAGE_BYTES, Modality, Sample};

fn device() -> Device {
    Device::flex()
}

fn samples() -> Vec<Sample> {
    vec![
        Sample::image_text(Some(vec![10; IMAGE_BYTES]), Some("a red fox".into()), 0),
        Sample::image_text(Some(vec![200; IMAGE_BYTES]), None, 1),
        Sample::image_text(None, Some("apple".into()), 1),
    ]
}

fn model(mi: bool) -> (Model, ModelConfig) {
    let cfg = ModelConfig::default();
    cfg.validate().unwrap();
    let m = Model::new(&cfg, mi, &mut rng_for(1, "model"), &device()).expand_to(
        2,
        &mut rng_for(1, "cls"),
        &device(),
    );
    (m, cfg)
}

fn values(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

#[test]
fn default_model_is_below_one_million_parameters() {
    let (m, _) = model(true);
    let n = m.num_params();
    assert!(n > 50_000 && n <= 1_000_000, "{n} parameters");
}

#[test]
fn expanding_the_classifier_keeps_old_logits() {
    let (m, cfg) = model(true);
    let s = samples();
    let refs: Vec<&Sample> = s.iter().collect();
    let batch = Batch::new(&refs, &cfg, &device());
    let before = values(m.forward(&batch).logits.fused);
    let m = m.expand_to(5, &mut rng_for(2, "cls"), &device());
    assert_eq!(m.classes(), 5);
    let after = m.forward(&batch).logits.fused;
    assert_eq!(after.dims(), [3, 5]);
    let after_old = values(after.narrow(1, 0, 2));
    for (a, b) in before.iter().zip(&after_old) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}

#[test]
fn attention_maps_from_every_layer_are_distributions() {
    for mi in [true, false] {
        let (m, cfg) = model(mi);
        let s = samples();
        let refs: Vec<&Sample> = s.iter().collect();
        let out = m.forward(&Batch::new(&refs, &cfg, &device()));
        assert_eq!(out.maps_of(Modality::Image).len(), cfg.layers);
        assert_eq!(out.maps_of(Modality::Text).len(), cfg.layers);
        let w = out.maps_of(Modality::Text)[cfg.layers - 1].clone();
        assert_eq!(w.dims(), [3, cfg.heads, cfg.seq_len(), cfg.seq_len()]);
        let sums = w
            .clone()
            .sum_dim(3)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-4));
        // padding gets no attention: sample 2's text "apple" has 2 real positions
        let pad_mass: f32 = w
            .narrow(0, 2, 1)
            .narrow(3, 2, cfg.seq_len() - 2)
            .sum()
            .into_scalar();
        assert!(pad_mass < 1e-3, "pad mass {pad_mass}");
    }
}

#[test]
fn a_missing_modality_does_not_reach_the_fused_logits() {
    let (m, cfg) = model(true);
    let mut s = samples();
    let refs: Vec<&Sample> = s.iter().collect();
    let a = values(m.forward(&Batch::new(&refs, &cfg, &device())).logits.fused);
    // sample 1 has no text; changing what would be its text changes nothing
    s[1] = s[1].without(Modality::Text);
    s[2] = s[2].without(Modality::Image);
    let refs: Vec<&Sample> = s.iter().collect();
    let b = values(m.forward(&Batch::new(&refs, &cfg, &device())).logits.fused);
    assert_eq!(a, b);
}

#[test]
fn attention_scores_are_the_maps_before_the_softmax() {
    use burn::tensor::activation::softmax;
    for mi in [true, false] {
        let (m, cfg) = model(mi);
        let s = samples();
        let refs: Vec<&Sample> = s.iter().collect();
        let out = m.forward(&Batch::new(&refs, &cfg, &device()));
        for (modality, maps) in &out.maps {
            assert_eq!(maps.scores.len(), cfg.layers, "{modality:?}");
            for (s, w) in maps.scores.iter().zip(&maps.weights) {
                let a = softmax(s.clone(), 3)
                    .into_data()
                    .try_to_vec::<f32>()
                    .unwrap();
                let b = w.clone().into_data().try_to_vec::<f32>().unwrap();
                assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-6));
                // scores are not a distribution: rows do not sum to 1
                let row: f32 = s.clone().narrow(3, 0, 1).sum().into_scalar();
                assert!(row.is_finite());
            }
        }
    }
}

fn with_fusion() -> ModelConfig {
    ModelConfig {
        fusion: true,
        ..ModelConfig::default()
    }
}

#[test]
fn the_fusion_stage_is_drawn_after_everything_else() {
    let build = |cfg: &ModelConfig| Model::new(cfg, true, &mut rng_for(1, "model"), &device());
    let (plain, fused) = (build(&ModelConfig::default()), build(&with_fusion()));
    assert!(plain.fusion.is_none());
    let f = fused.fusion.as_ref().unwrap();
    assert_eq!(f.connectors.len(), 2);
    for (a, b) in plain.encoders.iter().zip(&fused.encoders) {
        assert_eq!(
            values(a.pos.val().reshape([1, -1])),
            values(b.pos.val().reshape([1, -1]))
        );
    }
    let names = |m: &Model| -> Vec<&str> { m.param_groups().iter().map(|(n, _)| *n).collect() };
    assert_eq!(
        names(&plain),
        ["image", "text", "interaction", "classifier"]
    );
    assert_eq!(
        names(&fused),
        [
            "image",
            "text",
            "interaction",
            "connectors",
            "fusion",
            "classifier"
        ]
    );
    assert_eq!(fused.classifier.modalities, 1);
}

#[test]
fn with_fusion_every_modality_is_read_by_one_weight_and_the_fused_logits_by_the_mean() {
    let cfg = with_fusion();
    let m = Model::new(&cfg, true, &mut rng_for(2, "model"), &device()).expand_to(
        3,
        &mut rng_for(2, "cls"),
        &device(),
    );
    let s = samples();
    let refs: Vec<&Sample> = s.iter().collect();
    let out = m.forward(&Batch::new(&refs, &cfg, &device()));
    let f = m.fusion.as_ref().unwrap();
    // Recompute from the encoders' [CLS] by hand.
    let batch = Batch::new(&refs, &cfg, &device());
    let keys: Vec<Option<Tensor<2>>> = m.shared_keys.iter().map(|k| Some(k.val())).collect();
    let g: Vec<Tensor<2>> = m
        .encoders
        .iter()
        .zip(&batch.inputs)
        .enumerate()
        .map(|(i, (e, input))| f.forward(i, e.forward(&input.encoded, &keys).0))
        .collect();
    let w = m.classifier.chunks[0].parts[0].val();
    let b = m.classifier.chunks[0].bias.val().unsqueeze_dim::<2>(0);
    let close = |a: Vec<f32>, b: Vec<f32>| {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
    };
    for (i, modality) in [Modality::Image, Modality::Text].into_iter().enumerate() {
        close(
            values(out.logits.of(modality).unwrap().clone()),
            values(g[i].clone().matmul(w.clone()) + b.clone()),
        );
    }
    // Sample 0 has both (the mean), 1 the image only, 2 the text only.
    let row = |t: Tensor<2>, r: usize| values(t.narrow(0, r, 1));
    let both = (g[0].clone() + g[1].clone()) / 2.0;
    close(
        row(out.logits.fused.clone(), 0),
        row(both.matmul(w.clone()) + b.clone(), 0),
    );
    close(
        row(out.logits.fused.clone(), 1),
        row(g[0].clone().matmul(w.clone()) + b.clone(), 1),
    );
    close(
        row(out.logits.fused.clone(), 2),
        row(g[1].clone().matmul(w.clone()) + b.clone(), 2),
    );
}

/// A stream's top layer computes [CLS] alone: the same output and, through
/// it, the same gradients as the whole layer's [CLS] row (up to rounding),
/// with the attention maps whole and unchanged — with and without padding
/// and shared keys.
#[test]
fn the_top_layer_computed_for_cls_alone_gives_the_whole_layers_cls() {
    use crate::model::encoder::EncoderLayer;
    use burn::tensor::{Bool, Distribution};
    let device = Device::flex().autodiff();
    let (b, s, d) = (3, 17, 64);
    let layer = EncoderLayer::new(&mut rng_for(5, "layer"), d, 4, 128, s, &device);
    let x: Tensor<3> = Tensor::random([b, s, d], Distribution::Normal(0.0, 1.0), &device);
    let keys: Tensor<2> = Tensor::random([s, d], Distribution::Normal(0.0, 0.1), &device);
    let pad = Tensor::<2, Bool>::from_data(
        burn::tensor::TensorData::new(
            (0..b * s)
                .map(|i| i % s > 12 - i / s)
                .collect::<Vec<bool>>(),
            [b, s],
        ),
        &device,
    );
    for (keys, pad) in [
        (None, None),
        (Some(keys.clone()), None),
        (None, Some(pad.clone())),
        (Some(keys), Some(pad)),
    ] {
        let (whole, a_whole) = layer.forward(x.clone(), keys.clone(), pad.clone(), false);
        let (cls, a_cls) = layer.forward(x.clone(), keys, pad, true);
        assert_eq!(whole.dims(), [b, s, d]);
        assert_eq!(cls.dims(), [b, 1, d]);
        assert_eq!(a_cls.weights.dims(), [b, 4, s, s]);
        assert_eq!(
            a_whole.weights.into_data().try_to_vec::<f32>().unwrap(),
            a_cls.weights.into_data().try_to_vec::<f32>().unwrap(),
            "the maps stay whole and the same"
        );
        let whole_cls = whole.narrow(1, 0, 1);
        let close = |u: Vec<f32>, v: Vec<f32>, what: &str| {
            assert_eq!(u.len(), v.len());
            for (p, q) in u.iter().zip(&v) {
                assert!(
                    (p - q).abs() <= 1e-5 * (1.0 + p.abs()),
                    "{what}: {p} vs {q}"
                );
            }
        };
        close(
            whole_cls.clone().into_data().try_to_vec().unwrap(),
            cls.clone().into_data().try_to_vec().unwrap(),
            "[CLS]",
        );
        // The same loss on [CLS] gives every parameter the same gradient.
        let g_whole = (whole_cls * 0.5).sum().backward();
        let g_cls = (cls * 0.5).sum().backward();
        for weight in [
            &layer.ff1.weight,
            &layer.ff2.weight,
            &layer.attention.query.weight,
            &layer.attention.out.weight,
        ] {
            let grad = |g| {
                weight
                    .val()
                    .grad(g)
                    .unwrap()
                    .into_data()
                    .try_to_vec::<f32>()
                    .unwrap()
            };
            close(grad(&g_whole), grad(&g_cls), "a gradient");
        }
    }
}

/// With a trunk every token of every modality goes through its connector
/// and the trunk, and the trunk's [CLS] through the block: the logits are
/// those computed by hand from the encoders' whole sequences. The trunk is
/// drawn last (the rest of the model as without it), is a parameter group
/// of its own, and its layers' maps follow the encoder's.
#[test]
fn a_trunk_reads_every_token_of_every_modality_and_is_drawn_last() {
    use crate::model::check::{trunk_config, trunk_samples};
    let cfg = trunk_config();
    cfg.validate().unwrap();
    let build = |cfg: &ModelConfig| {
        Model::new(cfg, true, &mut rng_for(4, "model"), &device()).expand_to(
            4,
            &mut rng_for(4, "cls"),
            &device(),
        )
    };
    let m = build(&cfg);
    let without = build(&ModelConfig {
        trunk: 0,
        ..cfg.clone()
    });
    let f = m.fusion.as_ref().unwrap();
    assert_eq!(f.trunk.as_ref().unwrap().layers.len(), 2);
    assert!(without.fusion.as_ref().unwrap().trunk.is_none());
    assert_eq!(
        values(f.connectors[3].weight.val()),
        values(without.fusion.as_ref().unwrap().connectors[3].weight.val()),
        "the rest of the model is drawn as without a trunk"
    );
    let names: Vec<&str> = m.param_groups().iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "image",
            "text",
            "sketch",
            "speech",
            "interaction",
            "connectors",
            "trunk",
            "fusion",
            "classifier"
        ]
    );
    let s = trunk_samples();
    let refs: Vec<&Sample> = s.iter().collect();
    let batch = Batch::new(&refs, &cfg, &device());
    let out = m.forward(&batch);
    for modality in Modality::ALL {
        assert_eq!(
            out.maps_of(modality).len(),
            cfg.layers + cfg.trunk,
            "{modality:?}"
        );
    }
    // by hand: every modality's tokens through its connector and the trunk
    let keys: Vec<Option<Tensor<2>>> = m.shared_keys.iter().map(|k| Some(k.val())).collect();
    let trunk = f.trunk.as_ref().unwrap();
    let w = m.classifier.chunks[0].parts[0].val();
    let b = m.classifier.chunks[0].bias.val().unsqueeze_dim::<2>(0);
    for (i, (e, input)) in m.encoders.iter().zip(&batch.inputs).enumerate() {
        let (tokens, pad, _) = e.forward_seq(&input.encoded, &keys);
        let (cls, _) = trunk.forward(f.connectors[i].forward(tokens), &[], pad);
        let h = cls.clone()
            + f.shared.down.forward(burn::tensor::activation::gelu(
                f.shared.up.forward(f.shared.norm.forward(cls)),
            ));
        let want = values(h.matmul(w.clone()) + b.clone());
        let got = values(out.logits.of(e.modality).unwrap().clone());
        for (x, y) in got.iter().zip(&want) {
            assert!((x - y).abs() < 1e-5, "{:?}: {x} vs {y}", e.modality);
        }
    }
    // and the trunk changes what the classifier reads
    let plain = values(without.forward(&batch).logits.fused);
    assert_ne!(values(out.logits.fused), plain);
}
