//! Runs of the modality scenarios: the model gains a sketch encoder, started
//! from the pretrained image encoder with parameters of its own.

use super::*;
use crate::data::Modality;
use crate::data::modality::ModalityOptions;
use crate::model::{Batch, EncoderInit, ModelConfig};
use crate::strategy::StrategyConfig;

/// The modality scenario over 3 classes, one copy of everything, 1 epoch.
fn small_modality(strategy: &str, scenario: &str) -> RunConfig {
    let mut c = RunConfig {
        scenario: scenario.into(),
        strategy: StrategyConfig::by_name(strategy).unwrap(),
        epochs: 1,
        seed: 5,
        ..RunConfig::default()
    };
    c.entity.train_copies = 1;
    c.entity.test_copies = 1;
    c.modality.classes = 3;
    c.modality.sketch_copies = 1;
    c
}

/// The record of a whole run of `config`.
pub(super) fn run(config: RunConfig) -> RunRecord {
    let mut r = Runner::native(config, None).unwrap();
    let mut last = None;
    while let Some(ev) = pollster::block_on(r.next()) {
        last = ev.into_iter().last().or(last);
    }
    match last {
        Some(Event::Finished(rec)) => *rec,
        other => panic!("last event {other:?}"),
    }
}

#[test]
fn a_modality_run_gains_an_encoder_a_modality_and_measures_every_task() {
    let forward = [vec!["image", "text"], vec!["sketch"], vec!["speech"]];
    for (strategy, scenario) in [("finetune", "modality"), ("replay", "modality-reverse")] {
        let rec = run(small_modality(strategy, scenario));
        assert_eq!(
            rec.config.model.modalities(),
            Modality::ALL,
            "{strategy} {scenario}"
        );
        let mut order: Vec<Vec<&str>> = rec
            .tasks
            .iter()
            .map(|t| t.modalities.iter().map(String::as_str).collect())
            .collect();
        if scenario == "modality-reverse" {
            order.reverse();
        }
        assert_eq!(order, forward, "{scenario}");
        for t in &rec.tasks {
            assert_eq!(t.classes.len(), 3);
        }
        let m = &rec.measured.acc_matrix;
        assert_eq!((m.len(), m[2].len()), (3, 3));
        assert!(m.iter().flatten().all(|a| (0.0..=1.0).contains(a)));
        assert!(rec.measured.loss.iter().all(|l| l.loss.is_finite()));
    }
}

#[test]
fn the_modality_settings_round_trip_and_older_configs_read_with_the_defaults() {
    let c = small_modality("finetune", "modality-sketch");
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["modality"]["classes"], 3);
    let back: RunConfig = serde_json::from_value(json).unwrap();
    assert_eq!(back, c);
    // A record from before the field existed reads with the defaults.
    let mut json = serde_json::to_value(RunConfig::default()).unwrap();
    json.as_object_mut().unwrap().remove("modality").unwrap();
    let old: RunConfig = serde_json::from_value(json).unwrap();
    assert_eq!(old.modality, ModalityOptions::default());
    let mut bad = c;
    bad.modality.classes = 40;
    assert!(bad.validate().unwrap_err().contains("modality.classes"));
}

#[test]
fn a_pretrained_sketch_encoder_copies_the_image_encoder_with_its_own_parameters() {
    let config = ModelConfig::default().covering(&[Modality::Sketch]);
    assert_eq!(
        config.modalities(),
        [Modality::Image, Modality::Text, Modality::Sketch]
    );
    config.validate().unwrap();
    let device = Device::flex();
    let fresh = || Model::new(&config, true, &mut rng_for(1, "m"), &device);
    let model = pretrained::apply(fresh(), &config, pretrained::bundled_weights()).unwrap();
    let values = |m: &Model, i: usize| {
        m.encoders[i]
            .pos
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    };
    assert_eq!(model.encoders[2].modality, Modality::Sketch);
    assert_eq!(values(&model, 2), values(&model, 0));
    assert_ne!(model.encoders[2].pos.id, model.encoders[0].pos.id);
    let groups = model.param_groups();
    let ids = |name: &str| groups.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    assert!(ids("sketch").iter().all(|id| !ids("image").contains(id)));
    // From scratch, the sketch encoder is drawn like any other.
    let mut scratch = config.clone();
    scratch.encoders[2].init = EncoderInit::Scratch;
    let model = pretrained::apply(fresh(), &scratch, pretrained::bundled_weights()).unwrap();
    assert_ne!(values(&model, 2), values(&model, 0));
}

#[test]
fn encoders_out_of_order_or_without_image_and_text_are_refused() {
    let mut c = ModelConfig::default().covering(&[Modality::Sketch]);
    c.encoders.swap(1, 2);
    assert!(c.validate().unwrap_err().contains("image, text, then"));
    let mut c = ModelConfig::default();
    c.encoders.remove(1);
    assert!(c.validate().is_err());
}

#[test]
fn a_modality_run_with_the_fusion_stage_starts_from_the_pretrained_encoders() {
    let mut c = small_modality("finetune", "modality-sketch");
    c.model.fusion = true;
    let rec = run(c);
    assert!(rec.config.model.fusion);
    assert_eq!(
        rec.config.model.modalities(),
        [Modality::Image, Modality::Text, Modality::Sketch]
    );
    let m = &rec.measured.acc_matrix;
    assert_eq!((m.len(), m[1].len()), (2, 2));
    assert!(rec.measured.loss.iter().all(|l| l.loss.is_finite()));
}

#[test]
fn experts_train_each_task_alone_and_give_the_runs_gains() {
    use crate::run::experts::{expert_key, expert_of, expert_runner, with_gains};
    let mut c = small_modality("finetune", "modality-sketch");
    c.model.fusion = true;
    let scenario = build_scenario(&c, None).unwrap();
    assert!(scenario.brings_modalities());
    let rec = run(c.clone());
    // the config as the run completed it (an encoder for every modality)
    let config = rec.config.clone();
    let experts: Vec<_> = (1..=2)
        .map(|task| {
            let weights = crate::model::pretrained::bundled_weights();
            let mut r =
                expert_runner(&config, &scenario, task, Device::flex(), "cpu", weights).unwrap();
            let mut last = None;
            while let Some(ev) = pollster::block_on(r.next()) {
                last = ev.into_iter().last().or(last);
            }
            let Some(Event::Finished(expert)) = last else {
                panic!("the expert's run did not finish")
            };
            assert_eq!(expert.tasks.len(), 1);
            expert_of(&scenario, task, &expert).unwrap()
        })
        .collect();
    assert_eq!(experts[1].modalities, ["sketch"]);
    // fine-tuning's first task is its expert: the same model, seed and data
    assert_eq!(experts[0].accuracy, rec.measured.acc_matrix[0][0]);
    let rec = with_gains(rec, experts).unwrap();
    let g = rec.modality_gains.as_ref().unwrap();
    assert!((g.fwrg[0].unwrap() - 100.0).abs() < 1e-9);
    assert_eq!((g.rg.len(), g.bwrg.len()), (2, 2));
    assert!(g.bwrg[1].is_some());
    // the record, gains and all, reads back
    let back = RunRecord::parse(&serde_json::to_string(&rec).unwrap()).unwrap();
    assert_eq!(back.modality_gains, rec.modality_gains);
    // experts do not depend on the strategy, but on everything else
    let mut mera = config.clone();
    mera.strategy = StrategyConfig::by_name("mera").unwrap();
    assert_eq!(expert_key(&mera, 2), expert_key(&config, 2));
    assert_ne!(expert_key(&config, 1), expert_key(&config, 2));
    mera.seed += 1;
    assert_ne!(expert_key(&mera, 2), expert_key(&config, 2));
}

#[test]
fn a_batch_of_sketches_sends_no_gradient_into_the_image_and_text_encoders() {
    use crate::data::{IMAGE_BYTES, Input};
    use crate::strategy::params::flat_grads;
    let config = ModelConfig {
        fusion: true,
        ..ModelConfig::default()
    }
    .covering(&[Modality::Sketch]);
    let device = Device::flex().autodiff();
    let model = Model::new(&config, false, &mut rng_for(2, "m"), &device).expand_to(
        3,
        &mut rng_for(2, "c"),
        &device,
    );
    let sketches: Vec<Sample> = (0..4)
        .map(|i| {
            Sample::new(i % 3).with(
                Modality::Sketch,
                Input::Pixels(vec![(40 * i) as u8; IMAGE_BYTES]),
            )
        })
        .collect();
    let refs: Vec<&Sample> = sketches.iter().collect();
    let batch = Batch::new(&refs, &config, &device);
    let out = model.forward(&batch);
    let grads = task_loss(&out, &batch, None, 0.5).backward();
    let groups = model.param_groups();
    let ids = |name: &str| groups.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    let (image, text, sketch) = (ids("image"), ids("text"), ids("sketch"));
    let mut sketch_moved = false;
    for (id, g) in flat_grads(&model, &grads) {
        let largest: f32 = g.abs().max().into_scalar();
        if image.contains(&id) || text.contains(&id) {
            assert_eq!(largest, 0.0, "an absent modality's encoder has a gradient");
        }
        sketch_moved |= sketch.contains(&id) && largest > 0.0;
    }
    assert!(sketch_moved, "the sketch encoder learnt nothing");
}

#[test]
fn where_the_model_looks_is_shown_on_a_drawing_and_a_spoken_word_too() {
    use crate::run::infer::look;
    let mut r = Runner::native(small_modality("finetune", "modality"), None).unwrap();
    // to the end of task 1: the model has every encoder of the stream
    while r.task() < 1 {
        pollster::block_on(r.next()).unwrap();
    }
    let model = r.model();
    for (k, m) in [(2, Modality::Sketch), (3, Modality::Speech)] {
        let sample = &r.scenario().tasks[k - 1].test[0];
        assert_eq!(sample.inputs.keys().copied().collect::<Vec<_>>(), [m]);
        let (snap, best) = pollster::block_on(look(&model, sample, r.env(), k, 0, 3));
        // the [CLS] row over the picture's patches, nothing over words
        assert_eq!(snap.image.len(), snap.side * snap.side, "{m:?}");
        assert!(snap.image.iter().all(|v| v.is_finite()) && snap.image.iter().any(|&v| v > 0.0));
        assert!(snap.words.is_empty() && snap.text.is_empty());
        assert_eq!(best.len(), 3);
    }
}
