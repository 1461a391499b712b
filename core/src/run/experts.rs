//! Experts for MERA's relative gains (METRICS.md): for each task of a
//! stream whose tasks bring different modalities, the run's own model,
//! seed, epochs and data trained on that task alone (plain fine-tuning) and
//! tested on its test set. A run's RG of a task is its accuracy there over
//! the expert's. Experts depend on the config and not on the strategy, so
//! the CLI trains each once and keeps it ([`ExpertKey`]).

use burn::tensor::Device;

use super::{RunConfig, RunError, RunRecord, Runner};
use crate::data::Scenario;
use crate::metrics::{Expert, ModalityGains, modality_gains};
use crate::strategy::StrategyConfig;

/// The config of the experts of a run of `config`: the same with plain
/// fine-tuning (the strategy of one task alone makes no difference but in
/// what it adds, such as MERA's realignment).
pub fn expert_config(config: &RunConfig) -> RunConfig {
    RunConfig {
        strategy: StrategyConfig::Finetune,
        ..config.clone()
    }
}

/// The version of what training computes, in the experts' keys: bump it
/// when a change moves what a run of the same config measures, so that
/// experts kept by an earlier build are trained anew. 2: a unimodal head
/// learns only from the samples that have its modality. 3: a stream's top
/// layer computes [CLS] alone (the same values, rounded otherwise).
pub const EXPERTS_VERSION: u32 = 3;

/// What an expert's score depends on, as text: the training code's
/// version, its config and the task's place in the stream (and the weights
/// its encoders start from, given by the caller). Equal keys, equal experts.
pub fn expert_key(config: &RunConfig, task: usize) -> String {
    let json = serde_json::to_string(&expert_config(config)).expect("configs serialise");
    format!("v{EXPERTS_VERSION} task {task} of {json}")
}

/// The runner that trains the expert of `task` (1-based) of `scenario`.
pub fn expert_runner(
    config: &RunConfig,
    scenario: &Scenario,
    task: usize,
    device: Device,
    device_name: &str,
    weights: &[u8],
) -> Result<Runner, RunError> {
    Runner::with_weights(
        expert_config(config),
        scenario.only(task),
        device,
        device_name,
        weights,
    )
}

/// The expert's score from its finished run's record.
pub fn expert_of(scenario: &Scenario, task: usize, record: &RunRecord) -> Result<Expert, String> {
    let accuracy = record
        .measured
        .acc_matrix
        .first()
        .and_then(|row| row.first())
        .copied()
        .ok_or("the expert's run stopped before it was evaluated")?;
    Ok(Expert {
        modalities: scenario.tasks[task - 1]
            .modalities
            .iter()
            .map(|m| m.name().to_string())
            .collect(),
        accuracy,
    })
}

/// `record` with its gains against `experts` (one per task).
pub fn with_gains(mut record: RunRecord, experts: Vec<Expert>) -> Result<RunRecord, String> {
    let gains: ModalityGains = modality_gains(&record.measured.acc_matrix, experts)
        .ok_or("the experts do not fit the run's tasks")?;
    record.modality_gains = Some(gains);
    Ok(record)
}
