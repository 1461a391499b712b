//! An experiment config becomes a stream of events and, at the end, a run
//! record. The [`Runner`] does one unit of work per call — a training step,
//! or an evaluation — so the CLI can draw progress bars and the web worker
//! can pause, resume or stop between any two steps. Every read of a value
//! from the device is `async`, as WebGPU requires; natively the CLI blocks
//! on it.

pub mod bench;
#[cfg(feature = "train")]
pub mod checkpoint;
pub mod config;
#[cfg(feature = "train")]
mod device;
#[cfg(feature = "train")]
pub mod distill;
#[cfg(feature = "train")]
pub mod experts;
#[cfg(feature = "train")]
mod infer;
pub mod limits;
#[cfg(feature = "train")]
pub mod pretrain;
pub mod record;
#[cfg(feature = "train")]
mod runner;
pub mod settings;
#[cfg(feature = "train")]
mod step;

#[cfg(feature = "train")]
pub use checkpoint::Checkpoint;
pub use config::{Backend, RunConfig};
#[cfg(feature = "webgpu")]
pub use device::init_webgpu;
#[cfg(feature = "train")]
pub use device::{device_for, read_floats};
#[cfg(feature = "train")]
pub use infer::{attention, look, predict, top_k};
pub use record::{
    AttentionSnapshot, Divergence, DivergenceCause, Event, GammaPoint, LossPoint, Measured,
    RunRecord, Timing,
};
#[cfg(feature = "train")]
pub use runner::Runner;

use crate::data::Scenario;
use crate::data::entity::{entity_scenario, teaching_scenario};
use crate::data::folder::{Import, folder_scenario};
use crate::data::modality::{MODALITY_SCENARIOS, modality_scenario, sketches};
use crate::data::pack::bundled;
use crate::data::relation::relation_scenario;

/// Errors that stop a run before it starts.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("scenario: {0}")]
    Scenario(String),
    #[error("device: {0}")]
    Device(String),
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    #[error("pretrained weights: {0}")]
    Weights(String),
}

/// The scenarios built from the bundled packs (anything else names an
/// imagefolder).
pub const BUNDLED_SCENARIOS: [&str; 7] = [
    "teaching",
    "entity",
    "relation",
    "modality",
    "modality-reverse",
    "modality-sketch",
    "modality-halves",
];

/// The task stream a config names. An imagefolder scenario needs its files
/// already imported (the CLI reads a directory, the browser takes uploads).
pub fn build_scenario(config: &RunConfig, import: Option<&Import>) -> Result<Scenario, RunError> {
    let s = match (config.scenario.as_str(), import) {
        ("entity", _) => entity_scenario(bundled(), config.seed, &config.entity),
        ("teaching", _) => teaching_scenario(bundled(), config.seed, &config.entity),
        ("relation", _) => relation_scenario(bundled(), config.seed, &config.relation),
        (name, _)
            if let Some(&(_, order)) = MODALITY_SCENARIOS.iter().find(|(n, _)| *n == name) =>
        {
            modality_scenario(
                bundled(),
                sketches().map_err(RunError::Scenario)?,
                name,
                order,
                config.seed,
                &config.entity,
                &config.modality,
            )
            .map_err(RunError::Scenario)?
        }
        (name, Some(imp)) => folder_scenario(imp, name, config.seed, config.classes_per_task)
            .map_err(RunError::Scenario)?,
        (name, None) => {
            return Err(RunError::Scenario(format!(
                "'{name}' is neither a bundled scenario ({}) nor an imported folder",
                BUNDLED_SCENARIOS.join(", ")
            )));
        }
    };
    s.validate().map_err(RunError::Scenario)?;
    Ok(s)
}
