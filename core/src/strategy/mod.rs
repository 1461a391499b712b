//! Continual-learning strategies behind one trait, one file each. The hooks
//! come in the order training meets them: which samples to train a task on,
//! before the task, extra loss per batch, the per-stream update scale per
//! step, after the task. Shared pieces — the rehearsal memory, the loss
//! terms, flattened parameters — live once here.

pub mod config;
pub mod ewc;
pub mod finetune;
pub mod joint;
pub mod losses;
pub mod lwf;
pub mod memory;
pub mod mspt;
pub mod params;
pub mod replay;

use std::collections::HashMap;

use burn::module::ParamId;
use burn::tensor::{Device, Tensor};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use config::StrategyConfig;

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
}

impl Env {
    /// A batch of `samples` on the plain device (for frozen models).
    pub fn plain_batch(&self, samples: &[&Sample]) -> Batch {
        Batch::new(
            samples,
            self.model.patch,
            &self.model.tokenizer,
            &self.device,
        )
    }
    pub fn train_batch(&self, samples: &[&Sample]) -> Batch {
        Batch::new(
            samples,
            self.model.patch,
            &self.model.tokenizer,
            &self.autodiff,
        )
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

/// Multipliers of the image and text streams' learning rate for one step
/// (gradient modulation); 1 leaves the update as it is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scales {
    pub image: f64,
    pub text: f64,
}

impl Default for Scales {
    fn default() -> Self {
        Scales {
            image: 1.0,
            text: 1.0,
        }
    }
}

/// What a strategy carries from one task to the next, taken at a task
/// boundary for a checkpoint. Anything a strategy derives from the model as
/// it enters a task (LwF's and AD's frozen old model, EWC's anchor θ*) is not
/// stored: the checkpoint's model gives it back.
#[derive(Debug, Clone, Default)]
pub struct StrategyState {
    /// Rehearsal memory: the kept indices of each task's training set.
    pub memory: Option<Vec<Vec<usize>>>,
    /// Carried update scales (MSPT's G(k−1)).
    pub scales: Option<Scales>,
    /// One tensor per model parameter, flattened (EWC's Fisher information).
    pub per_param: Option<HashMap<ParamId, Tensor<1>>>,
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

    /// Learning-rate scales of the two streams, given this step's contribution
    /// ratio γ = Σ s_text / Σ s_image (MSPT Eq. 6).
    fn update_scales(&mut self, _task: usize, _gamma: f64) -> Scales {
        Scales::default()
    }

    /// After the task's own epochs: the samples and epochs of a rehearsal
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
    }
}
