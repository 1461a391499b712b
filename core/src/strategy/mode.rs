//! MoDE, Modality-Decoupled Experts (Wei et al. 2025): continual learning
//! that keeps each modality's updates out of the others' way.
//!
//! * From task 2 on, the shared parts — the fusion stage's trunk (if any)
//!   and block, and the shared keys — stay frozen; task 1 trains the whole
//!   model, the "pre-trained" backbone the paper starts from.
//! * Beside the block's two linear maps each modality gets low-rank experts
//!   of its own (B at zero, so they start as no change): text routes softly
//!   between several (the paper's T-MoE), every other modality has one (its
//!   V-Adapter). A modality's experts see only its own samples.
//! * The logits of the old classes are distilled from the model as the task
//!   began with its experts off, on the samples whose every modality an
//!   earlier task trained (a modality met for the first time has nothing to
//!   distil from).
//!
//! The encoders, connectors and classifier train as under fine-tuning: the
//! class-incremental streams need new outputs, and a new modality its
//! encoder. It needs the fusion stage (`model.fusion`).

use burn::module::Module;
use burn::tensor::Tensor;

use super::config::ModeConfig;
use super::lwf::distil_from;
use super::{Env, LrFactors, StepInput, Strategy, StrategyConfig};
use crate::data::scenario::rng_for;
use crate::data::{Modality, Sample, Task};
use crate::model::Model;

/// The shared groups MoDE freezes from task 2 on (the trunk where the
/// model has one).
pub const FROZEN: [&str; 3] = ["trunk", "fusion", "interaction"];

pub struct Mode {
    config: ModeConfig,
    /// The model as the task began, its experts off (from task 2 on).
    teacher: Option<Model>,
    /// The modalities of the tasks before the current one.
    seen: Vec<Modality>,
    /// The model's parameter groups (a model without a trunk has no
    /// `trunk` to freeze).
    groups: Vec<String>,
}

impl Mode {
    pub fn new(config: ModeConfig) -> Self {
        Mode {
            config,
            teacher: None,
            seen: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// `model` with its experts, once the backbone has trained (after task 1).
    fn with_experts(&self, tasks_done: usize, model: Model, env: &Env) -> Model {
        if !self.config.experts || tasks_done < 1 {
            return model;
        }
        let text = if self.config.routing {
            self.config.text_experts.max(1)
        } else {
            1
        };
        let count = |m: Modality| if m == Modality::Text { text } else { 1 };
        model.with_experts(
            self.config.rank,
            count,
            &mut rng_for(env.seed, "mode/experts"),
            &env.autodiff,
        )
    }
}

impl Strategy for Mode {
    fn config(&self) -> StrategyConfig {
        StrategyConfig::Mode(self.config.clone())
    }

    fn training_set(&mut self, task: usize, tasks: &[Task]) -> Vec<Sample> {
        self.seen = tasks[..task - 1]
            .iter()
            .flat_map(|t| t.modalities.iter().copied())
            .collect();
        tasks[task - 1].train.clone()
    }

    fn before_task(&mut self, task: usize, model: &Model, _env: &Env) {
        self.groups = model.group_names();
        self.teacher = (task > 1 && self.config.distill).then(|| model.valid().without_experts());
    }

    fn adapt(&mut self, task: usize, model: Model, env: &Env) -> Model {
        self.with_experts(task - 1, model, env)
    }

    fn shape(&self, tasks_done: usize, model: Model, env: &Env) -> Model {
        self.with_experts(tasks_done, model, env)
    }

    fn lr_factors(&mut self, task: usize, _gamma: f64) -> LrFactors {
        if task == 1 {
            return LrFactors::default();
        }
        LrFactors(
            FROZEN
                .iter()
                .filter(|g| self.groups.iter().any(|h| h == *g))
                .map(|g| (g.to_string(), 0.0))
                .collect(),
        )
    }

    fn extra_loss(&mut self, step: &StepInput) -> Option<Tensor<1>> {
        let teacher = self.teacher.as_ref()?;
        let known = |s: &Sample| {
            step.model
                .modalities()
                .iter()
                .all(|m| !s.has(*m) || self.seen.contains(m))
        };
        let rows: Vec<usize> = (0..step.samples.len())
            .filter(|&r| known(step.samples[r]))
            .collect();
        if rows.is_empty() {
            return None;
        }
        // the mean over the kept rows, weighed by their share of the batch
        let share = rows.len() as f64 / step.samples.len() as f64;
        Some(
            distil_from(teacher, step, Some(&rows), self.config.temperature)
                * (self.config.lambda * share),
        )
    }
}
