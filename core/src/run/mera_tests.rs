//! MERA through the runner on the modality scenario: the merge moves only
//! the modality-agnostic parameters, to the cumulative moving average of
//! their values before and after the task; realigning moves only the
//! connectors.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use burn::module::ParamId;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::data::{Sample, Task};
use crate::model::Model;
use crate::strategy::config::MeraConfig;
use crate::strategy::mera::{AGNOSTIC, REALIGNED};
use crate::strategy::params::flat_params;
use crate::strategy::{Env, LrFactors, StepInput, StrategyConfig, StrategyState};

pub(super) type Values = HashMap<ParamId, Vec<f32>>;

/// Every parameter's values, by id.
pub(super) fn values(model: &Model) -> Values {
    flat_params(model)
        .into_iter()
        .map(|(id, t)| (id, t.into_data().try_to_vec::<f32>().unwrap()))
        .collect()
}

/// What [`Watch`] saw of task 2.
#[derive(Default)]
struct Seen {
    /// As the task began (θ_{k−1}, the classifier not yet grown).
    before: Values,
    /// After its own epochs, before and after the strategy's `after_epochs`.
    vanilla: Values,
    merged: Values,
    /// As it is evaluated (after the realignment).
    last: Values,
    groups: Vec<(String, Vec<ParamId>)>,
}

/// MERA with the models it is handed at each hook of task 2 written down.
struct Watch {
    inner: Box<dyn Strategy>,
    seen: Rc<RefCell<Seen>>,
}

impl Strategy for Watch {
    fn config(&self) -> StrategyConfig {
        self.inner.config()
    }
    fn training_set(&mut self, task: usize, tasks: &[Task]) -> Vec<Sample> {
        self.inner.training_set(task, tasks)
    }
    fn before_task(&mut self, task: usize, model: &Model, env: &Env) {
        if task == 2 {
            self.seen.borrow_mut().before = values(model);
        }
        self.inner.before_task(task, model, env)
    }
    fn extra_loss(&mut self, step: &StepInput) -> Option<burn::tensor::Tensor<1>> {
        self.inner.extra_loss(step)
    }
    fn lr_factors(&mut self, task: usize, gamma: f64) -> LrFactors {
        self.inner.lr_factors(task, gamma)
    }
    fn after_epochs(&mut self, task: usize, model: Model, env: &Env) -> Model {
        let vanilla = values(&model);
        let merged = self.inner.after_epochs(task, model, env);
        if task == 2 {
            let mut seen = self.seen.borrow_mut();
            seen.vanilla = vanilla;
            seen.merged = values(&merged);
        }
        merged
    }
    fn rehearsal(
        &mut self,
        task: usize,
        train: &[Sample],
        features: Option<&[Vec<f32>]>,
        rng: &mut ChaCha8Rng,
    ) -> Option<(Vec<Sample>, usize)> {
        self.inner.rehearsal(task, train, features, rng)
    }
    fn after_task(
        &mut self,
        task: usize,
        model: &Model,
        train: &[Sample],
        features: Option<&[Vec<f32>]>,
        env: &Env,
        rng: &mut ChaCha8Rng,
    ) {
        if task == 2 {
            let mut seen = self.seen.borrow_mut();
            seen.last = values(model);
            seen.groups = model
                .param_groups()
                .into_iter()
                .map(|(g, ids)| (g.to_string(), ids))
                .collect();
        }
        self.inner
            .after_task(task, model, train, features, env, rng)
    }
    fn state(&self) -> StrategyState {
        self.inner.state()
    }
}

/// A MERA run of the sketch modality stream (3 classes, small; a shared
/// trunk of `trunk` layers) and what it saw.
fn watched(mera: MeraConfig, trunk: usize) -> (RunRecord, Seen) {
    let mut config = fusion_config("modality-sketch", StrategyConfig::Mera(mera), 9);
    config.model.trunk = trunk;
    let scenario = build_scenario(&config, None).unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    let watch = Watch {
        inner: crate::strategy::build(&config.strategy),
        seen: seen.clone(),
    };
    let mut runner = Runner::build(
        config,
        scenario,
        Device::flex(),
        "cpu",
        Box::new(watch),
        crate::model::pretrained::bundled_weights(),
    )
    .unwrap();
    let mut last = None;
    while let Some(events) = pollster::block_on(runner.next()) {
        last = events.into_iter().last().or(last);
    }
    let record = match last {
        Some(Event::Finished(rec)) => *rec,
        other => panic!("the run ended with {other:?}"),
    };
    drop(runner);
    let seen = Rc::try_unwrap(seen).ok().unwrap().into_inner();
    (record, seen)
}

/// A short run of `scenario` (3 classes, one copy of everything, one
/// epoch) with the fusion stage.
pub(super) fn fusion_config(scenario: &str, strategy: StrategyConfig, seed: u64) -> RunConfig {
    let mut config = RunConfig {
        scenario: scenario.into(),
        strategy,
        epochs: 1,
        seed,
        ..RunConfig::default()
    };
    config.model.fusion = true;
    config.entity.train_copies = 1;
    config.entity.test_copies = 1;
    config.modality.classes = 3;
    config.modality.sketch_copies = 1;
    config
}

fn group<'a>(seen: &'a Seen, name: &str) -> &'a [ParamId] {
    &seen
        .groups
        .iter()
        .find(|(g, _)| g == name)
        .unwrap_or_else(|| panic!("no group {name}"))
        .1
}

/// With and without a shared trunk (which is then merged too).
#[test]
fn the_merge_averages_the_shared_parameters_and_keeps_the_rest() {
    for trunk in [0, 1] {
        merge_averages(trunk);
    }
}

fn merge_averages(trunk: usize) {
    let (record, seen) = watched(
        MeraConfig {
            realign: false,
            ..MeraConfig::default()
        },
        trunk,
    );
    assert_eq!(record.config.strategy.label(), "mera -realign");
    let has_trunk = seen.groups.iter().any(|(g, _)| g == "trunk");
    assert_eq!(has_trunk, trunk > 0);
    let agnostic: Vec<ParamId> = AGNOSTIC
        .iter()
        .filter(|g| **g != "trunk" || has_trunk)
        .flat_map(|g| group(&seen, g).to_vec())
        .collect();
    if has_trunk {
        let moved = group(&seen, "trunk")
            .iter()
            .filter(|id| seen.vanilla[*id] != seen.before[*id])
            .count();
        assert!(moved > 0, "task 2 trained none of the trunk's parameters");
    }
    let mut merged_some = false;
    for (id, vanilla) in &seen.vanilla {
        let merged = &seen.merged[id];
        match seen.before.get(id).filter(|_| agnostic.contains(id)) {
            Some(before) => {
                for ((m, v), b) in merged.iter().zip(vanilla).zip(before) {
                    assert!((m - (0.5 * v + 0.5 * b)).abs() < 1e-6, "{m} vs {v}, {b}");
                }
                merged_some |= vanilla != before;
            }
            None => assert_eq!(merged, vanilla, "a modality-specific parameter moved"),
        }
    }
    assert!(merged_some, "task 2 trained none of the shared parameters");
    // without realigning, the merged model is the one evaluated
    assert_eq!(seen.last, seen.merged);
}

#[test]
fn realigning_trains_only_the_connectors() {
    let (record, seen) = watched(MeraConfig::default(), 1);
    assert_eq!(record.config.strategy.label(), "mera 10%");
    let connectors = group(&seen, REALIGNED);
    let mut moved = 0;
    for (id, merged) in &seen.merged {
        let last = &seen.last[id];
        if connectors.contains(id) {
            moved += usize::from(last != merged);
        } else {
            assert_eq!(
                last, merged,
                "realigning moved a parameter of another group"
            );
        }
    }
    assert!(moved > 0, "realigning left every connector as it was");
    let m = &record.measured.acc_matrix;
    assert_eq!((m.len(), m[1].len()), (2, 2));
}

#[test]
fn mera_without_the_fusion_stage_is_refused_with_the_setting_to_change() {
    let config = RunConfig {
        strategy: StrategyConfig::by_name("mera").unwrap(),
        ..RunConfig::default()
    };
    let e = config.validate().unwrap_err();
    assert!(e.contains("model.fusion=true"), "{e}");
}

#[test]
fn the_stages_a_strategy_needs_are_turned_on_and_said() {
    for name in StrategyConfig::NAMES {
        let mut config = RunConfig {
            strategy: StrategyConfig::by_name(name).unwrap(),
            ..RunConfig::default()
        };
        let said = config.turn_on_needed_stages();
        let needs = config.strategy.needs_fusion();
        assert_eq!(config.model.fusion, needs, "{name}");
        assert_eq!(said.is_some(), needs, "{name}: {said:?}");
        if needs {
            assert!(said.unwrap().contains("model.fusion"), "{name}");
            config.validate().unwrap();
            // already on: nothing more to say
            assert_eq!(config.turn_on_needed_stages(), None);
        }
    }
}
