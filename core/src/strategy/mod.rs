//! Continual-learning strategies behind one trait, one file each. The hooks
//! come in the order training meets them: which samples to train a task on,
//! before the task, the model to train it with, extra loss per batch, the
//! learning-rate factor of each parameter group per step, after the task's
//! epochs (the model to go on with), its rehearsal, after the task. Shared pieces — the rehearsal memory, the loss
//! terms, flattened parameters — live once here.

pub mod config;
#[cfg(feature = "train")]
pub mod ewc;
#[cfg(feature = "train")]
pub mod fault;
#[cfg(feature = "train")]
pub mod finetune;
#[cfg(feature = "train")]
mod hooks;
#[cfg(feature = "train")]
pub mod joint;
#[cfg(feature = "train")]
pub mod losses;
#[cfg(feature = "train")]
pub mod lwf;
#[cfg(feature = "train")]
pub mod memory;
#[cfg(feature = "train")]
pub mod mera;
#[cfg(feature = "train")]
pub mod mode;
#[cfg(feature = "train")]
pub mod mspt;
#[cfg(feature = "train")]
pub mod params;
#[cfg(feature = "train")]
pub mod replay;

pub use config::StrategyConfig;
#[cfg(feature = "train")]
pub use hooks::{Env, LrFactors, StepInput, Strategy, StrategyState, build};
