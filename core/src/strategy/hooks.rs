//! The one trait every strategy implements, and what its hooks are handed.

use burn::tensor::{Device, Tensor};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StrategyConfig;
use super::{ewc, finetune, joint, lwf, mera, mode, mspt, replay};
use crate::data::{Sample, Task};
use crate::model::{Batch, ForwardOutput, Model, ModelConfig};

/// What every hook may need to know about where training runs.
pub struct Env {
    /// The device without autodiff (evaluation, frozen old models).
    pub device: Device,
    /// The same device with autodiff (training).
    pub autodiff: Device,
    pub model: ModelConfig,
    pub batch_size: usize,
    /// The run's seed, for what a hook draws (MoDE's experts).
    pub seed: u64,
}

impl Env {
    /// A batch of `samples` on the plain device (for frozen models).
    pub fn plain_batch(&self, samples: &[&Sample]) -> Batch {
        Batch::new(samples, &self.model, &self.device)
    }
    pub fn train_batch(&self, samples: &[&Sample]) -> Batch {
        Batch::new(samples, &self.model, &self.autodiff)
    }
}

/// One training step as a strategy sees it.
pub struct StepInput<'a> {
    pub task: usize,
    pub model: &'a Model,
    pub samples: &'a [&'a Sample],
    pub batch: &'a Batch,
    pub out: &'a ForwardOutput,
    pub env: &'a Env,
}

/// Learning-rate factors of named parameter groups for one step (the
/// groups are [`Model::param_groups`]): a group not listed trains at the full
/// rate; a factor of 0 freezes it (its parameters are not updated).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LrFactors(pub Vec<(String, f64)>);

impl LrFactors {
    /// The factor of `group` (1 when not listed).
    pub fn of(&self, group: &str) -> f64 {
        self.0
            .iter()
            .find(|(g, _)| g == group)
            .map_or(1.0, |(_, f)| *f)
    }

    /// The smallest factor, 1 when none is below it: the γ trace's `g`
    /// (how much the most damped group was damped).
    pub fn smallest(&self) -> f64 {
        self.0.iter().map(|(_, f)| *f).fold(1.0, f64::min)
    }

    /// These factors times `more` (group by group; a group in neither
    /// stays at 1).
    pub fn times(mut self, more: &[(String, f64)]) -> LrFactors {
        for (group, f) in more {
            match self.0.iter_mut().find(|(g, _)| g == group) {
                Some((_, mine)) => *mine *= f,
                None => self.0.push((group.clone(), *f)),
            }
        }
        self
    }

    /// Whether every group trains at the full rate.
    pub fn is_neutral(&self) -> bool {
        self.0.iter().all(|(_, f)| *f == 1.0)
    }
}

/// What a strategy carries from one task to the next, taken at a task
/// boundary for a checkpoint: its own serialisable value and named flat
/// tensors, which the checkpoint stores without knowing what they mean.
/// Anything a strategy derives from the model as it enters a task (LwF's
/// and AD's frozen old model, EWC's anchor θ*) is not stored: the
/// checkpoint's model gives it back.
#[derive(Debug, Clone, Default)]
pub struct StrategyState {
    /// The strategy's own values (a memory's indices, carried coefficients),
    /// `null` when it carries none.
    pub value: serde_json::Value,
    /// Named tensors (EWC's Fisher information, one per parameter).
    pub tensors: Vec<(String, Tensor<1>)>,
}

impl StrategyState {
    /// A state holding `value` and no tensors.
    pub fn of<T: Serialize>(value: &T) -> StrategyState {
        StrategyState {
            value: serde_json::to_value(value).expect("a strategy's state serialises"),
            tensors: Vec::new(),
        }
    }

    /// The value as the strategy's own type.
    pub fn value_as<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_value(self.value.clone())
            .map_err(|e| format!("the strategy's carried state does not fit: {e}"))
    }
}

pub trait Strategy {
    fn config(&self) -> StrategyConfig;

    /// Whether the model's interaction layers attend through shared keys (MI).
    fn shared_keys(&self) -> bool {
        false
    }

    /// The samples task `task` (1-based) trains on; `tasks` is the whole stream.
    fn training_set(&mut self, task: usize, tasks: &[Task]) -> Vec<Sample> {
        tasks[task - 1].train.clone()
    }

    /// Before the first step of `task`, with the model as the last task left it.
    fn before_task(&mut self, _task: usize, _model: &Model, _env: &Env) {}

    /// Loss terms added to the cross-entropy of this step.
    fn extra_loss(&mut self, _step: &StepInput) -> Option<Tensor<1>> {
        None
    }

    /// Just before the first step of `task` (after [`Strategy::before_task`]
    /// and after the classifier grew to the task's classes): the model to
    /// train it with. A strategy may reshape it here (grow, merge, replace a
    /// part), as Avalanche's `model_adaptation` does; by default it is kept.
    /// A strategy that changes the model's shape also gives it in
    /// [`Strategy::shape`], for a checkpoint to load into.
    fn adapt(&mut self, _task: usize, model: Model, _env: &Env) -> Model {
        model
    }

    /// The model's shape after `tasks_done` tasks, beyond the classifier's
    /// growth: a resumed run builds a fresh model, grows its classifier, and
    /// hands it here before loading the checkpoint's values into it (so the
    /// values drawn here do not matter, only the shape). By default kept.
    fn shape(&self, _tasks_done: usize, model: Model, _env: &Env) -> Model {
        model
    }

    /// Learning-rate factors of the model's parameter groups for this step
    /// (0 freezes a group), given its contribution ratio γ = Σ s_text /
    /// Σ s_image (MSPT Eq. 6, measured by [`mspt::contribution`]).
    fn lr_factors(&mut self, _task: usize, _gamma: f64) -> LrFactors {
        LrFactors::default()
    }

    /// After the task's own epochs, before its rehearsal phase (and before
    /// the features [`Strategy::needs_features`] asks for are taken): the
    /// model to go on with. MERA merges its shared parameters here; by
    /// default the model is kept.
    fn after_epochs(&mut self, _task: usize, model: Model, _env: &Env) -> Model {
        model
    }

    /// After [`Strategy::after_epochs`]: the samples and epochs of a rehearsal
    /// phase trained before the task is evaluated (MSPT's memory replay,
    /// after RP-CRE), or `None`.
    /// `features` as in [`Strategy::after_task`].
    fn rehearsal(
        &mut self,
        _task: usize,
        _train: &[Sample],
        _features: Option<&[Vec<f32>]>,
        _rng: &mut ChaCha8Rng,
    ) -> Option<(Vec<Sample>, usize)> {
        None
    }

    /// Whether [`Strategy::rehearsal`] and [`Strategy::after_task`] need the
    /// features of the task's training samples (herding memory).
    fn needs_features(&self) -> bool {
        false
    }

    /// After the last step of `task`, with the trained model and the task's
    /// training samples; `features` holds their features (one row each,
    /// [`crate::model::ForwardOutput::features`] of the model after the
    /// task's own epochs) when [`Strategy::needs_features`].
    fn after_task(
        &mut self,
        _task: usize,
        _model: &Model,
        _train: &[Sample],
        _features: Option<&[Vec<f32>]>,
        _env: &Env,
        _rng: &mut ChaCha8Rng,
    ) {
    }

    /// The rehearsal memory the strategy keeps, if any (to show what it
    /// holds).
    fn memory(&self) -> Option<&super::memory::Memory> {
        None
    }

    /// What must survive a restart at the boundary after `after_task`.
    fn state(&self) -> StrategyState {
        StrategyState::default()
    }

    /// Takes back a [`Strategy::state`]; `model` is the restored model and
    /// `tasks` the tasks trained so far.
    fn restore(
        &mut self,
        _state: StrategyState,
        _model: &Model,
        _tasks: &[Task],
    ) -> Result<(), String> {
        Ok(())
    }
}

/// The strategy a configuration describes.
pub fn build(config: &StrategyConfig) -> Box<dyn Strategy> {
    match config {
        StrategyConfig::Finetune => Box::new(finetune::Finetune),
        StrategyConfig::Joint => Box::new(joint::Joint),
        StrategyConfig::Replay(c) => Box::new(replay::Replay::new(c.clone())),
        StrategyConfig::Ewc(c) => Box::new(ewc::Ewc::new(c.clone())),
        StrategyConfig::Lwf(c) => Box::new(lwf::Lwf::new(c.clone())),
        StrategyConfig::Mspt(c) => Box::new(mspt::Mspt::new(c.clone())),
        StrategyConfig::Mera(c) => Box::new(mera::Mera::new(c.clone())),
        StrategyConfig::Mode(c) => Box::new(mode::Mode::new(c.clone())),
    }
}
