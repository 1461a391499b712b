//! MoDE through the runner: from task 2 on the shared block and keys stay
//! bit-identical, the experts start as no change, and a modality's experts
//! learn from its own samples only.

use burn::module::ParamId;

use super::mera_tests::{fusion_config, values};
use super::modality_tests::run;
use super::*;
use crate::data::Modality;
use crate::model::Model;
use crate::strategy::StrategyConfig;
use crate::strategy::config::ModeConfig;
use crate::strategy::mode::FROZEN;

fn ids(model: &Model, group: &str) -> Vec<ParamId> {
    model
        .param_groups()
        .into_iter()
        .find(|(g, _)| *g == group)
        .map(|(_, ids)| ids)
        .unwrap_or_else(|| panic!("no group {group}"))
}

/// The ids of modality `i`'s experts (encoder order).
fn expert_ids(model: &Model, i: usize) -> Vec<ParamId> {
    let experts = &model.fusion.as_ref().unwrap().experts[i];
    burn::module::list_param_ids(experts)
}

fn config(scenario: &str, mode: ModeConfig) -> RunConfig {
    fusion_config(scenario, StrategyConfig::Mode(mode), 5)
}

/// The model as task 2 begins (after MoDE adapted it) and as it is
/// evaluated, with the run's record.
fn task_two(config: RunConfig) -> (Model, Model, RunRecord) {
    let mut r = Runner::native(config, None).unwrap();
    let (mut begun, mut ended, mut record) = (None, None, None);
    while let Some(events) = pollster::block_on(r.next()) {
        for e in events {
            match e {
                Event::TaskStarted { task: 2, .. } => begun = Some(r.model()),
                Event::TaskEvaluated { task: 2, .. } => ended = Some(r.model()),
                Event::Finished(rec) => record = Some(*rec),
                _ => {}
            }
        }
    }
    (begun.unwrap(), ended.unwrap(), record.unwrap())
}

/// With a shared trunk, which is frozen too.
#[test]
fn mode_freezes_the_shared_block_and_trains_its_experts() {
    let mut c = config("entity", ModeConfig::default());
    c.model.trunk = 1;
    let (begun, ended, record) = task_two(c);
    assert_eq!(record.config.strategy.label(), "mode");
    assert!(begun.has_experts() && ended.has_experts());
    let (before, after) = (values(&begun), values(&ended));
    for group in FROZEN {
        for id in ids(&begun, group) {
            assert_eq!(before[&id], after[&id], "{group} moved");
        }
    }
    let experts = ids(&begun, "experts");
    assert!(
        experts.iter().any(|id| before[id] != after[id]),
        "no expert learnt"
    );
    // text routes between two experts, image has one
    let f = begun.fusion.as_ref().unwrap();
    let text = begun.modalities().iter().position(|m| *m == Modality::Text);
    let image = begun
        .modalities()
        .iter()
        .position(|m| *m == Modality::Image);
    assert_eq!(f.experts[text.unwrap()].up.len(), 2);
    assert!(f.experts[text.unwrap()].router.is_some());
    assert_eq!(f.experts[image.unwrap()].up.len(), 1);
    assert!(f.experts[image.unwrap()].router.is_none());
}

#[test]
fn new_experts_leave_the_model_as_it_was() {
    let (begun, _, _) = task_two(config("entity", ModeConfig::default()));
    let r = Runner::native(config("entity", ModeConfig::default()), None).unwrap();
    let test = &r.scenario().tasks[0].test;
    let refs: Vec<&crate::data::Sample> = test.iter().collect();
    let batch = r.env().plain_batch(&refs);
    let with = begun.valid();
    let without = with.clone().without_experts();
    assert!(with.has_experts() && !without.has_experts());
    let logits =
        |m: &Model| -> Vec<f32> { m.forward(&batch).logits.fused.into_data().iter().collect() };
    assert_eq!(
        logits(&with),
        logits(&without),
        "experts with B = 0 changed the logits"
    );
}

/// Task 2 of the modality stream brings sketches alone: only the sketch
/// experts learn; image's and text's stay as they began, bit for bit.
#[test]
fn a_modality_s_experts_learn_from_its_own_samples_only() {
    let (begun, ended, record) = task_two(config("modality-sketch", ModeConfig::default()));
    let (before, after) = (values(&begun), values(&ended));
    for (i, m) in begun.modalities().into_iter().enumerate() {
        let moved = expert_ids(&begun, i)
            .iter()
            .any(|id| before[id] != after[id]);
        assert_eq!(moved, m == Modality::Sketch, "{m:?}'s experts");
    }
    let m = &record.measured.acc_matrix;
    assert_eq!((m.len(), m[1].len()), (2, 2));
}

#[test]
fn without_experts_mode_adds_nothing_and_still_freezes_the_block() {
    let mode = ModeConfig::default().ablate(&["experts"]).unwrap();
    let (begun, ended, record) = task_two(config("entity", mode));
    assert_eq!(record.config.strategy.label(), "mode -experts -routing");
    assert!(!begun.has_experts());
    let (before, after) = (values(&begun), values(&ended));
    for id in ids(&begun, "fusion") {
        assert_eq!(before[&id], after[&id]);
    }
}

#[test]
fn mode_without_the_fusion_stage_is_refused_with_the_setting_to_change() {
    let config = RunConfig {
        strategy: StrategyConfig::by_name("mode").unwrap(),
        ..RunConfig::default()
    };
    let e = config.validate().unwrap_err();
    assert!(e.contains("MoDE") && e.contains("model.fusion=true"), "{e}");
}

/// The distillation reads only samples whose every modality an earlier task
/// trained: on the sketch modality stream (the second task brings a
/// modality no earlier task had) it never fires, and the runs with and
/// without it are the same to the bit; on the halves stream (each modality
/// comes back) it does.
#[test]
fn distillation_fires_only_where_the_modality_was_trained_before() {
    let distilled = |scenario: &str, on: bool| {
        let mode = if on {
            ModeConfig::default()
        } else {
            ModeConfig::default().ablate(&["distill"]).unwrap()
        };
        run(config(scenario, mode)).measured.acc_matrix
    };
    assert_eq!(
        distilled("modality-sketch", true),
        distilled("modality-sketch", false)
    );
    let (on, off) = (
        distilled("modality-halves", true),
        distilled("modality-halves", false),
    );
    assert_eq!((on.len(), on[0].len()), (4, 4));
    assert_ne!(on, off, "the distillation changed nothing on the halves");
}
