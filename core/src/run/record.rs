//! The run record (METRICS.md, `version: 1`) and the events a run emits.

use serde::{Deserialize, Serialize};

use super::config::RunConfig;
use crate::data::TaskInfo;
use crate::metrics::GemMetrics;

pub const RECORD_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaPoint {
    pub task: usize,
    pub step: usize,
    pub gamma: f64,
    /// The coefficient applied to the dominant stream (1 when none is damped).
    pub g: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossPoint {
    pub task: usize,
    pub step: usize,
    pub loss: f64,
}

/// What a run measures as it goes, declared once: the runner fills it, a
/// checkpoint carries it across a restart, the record holds it (METRICS.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// R[i][j]: accuracy after task i on task j's test set (every j).
    pub acc_matrix: Vec<Vec<f64>>,
    /// The same with macro-F1.
    pub f1_matrix: Vec<Vec<f64>>,
    /// b[j]: the untrained model on task j's test set.
    pub random_init: Vec<f64>,
    /// A_k after each task k.
    #[serde(rename = "A")]
    pub a: Vec<f64>,
    /// U_k after each task k.
    #[serde(rename = "U")]
    pub u: Vec<f64>,
    /// γ and g of every training step.
    pub gamma: Vec<GammaPoint>,
    /// The loss of every training step.
    pub loss: Vec<LossPoint>,
}

impl Measured {
    /// Tasks measured so far (rows of the matrices).
    pub fn tasks(&self) -> usize {
        self.acc_matrix.len()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Timing {
    pub total_s: f64,
    pub train_samples_per_s: f64,
    pub device: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub version: u32,
    pub config: RunConfig,
    pub tasks: Vec<TaskInfo>,
    pub class_names: Vec<String>,
    /// The matrices and traces (their fields sit at the record's top level).
    #[serde(flatten)]
    pub measured: Measured,
    pub metrics: GemMetrics,
    pub modality_gains: Option<serde_json::Value>,
    pub timing: Timing,
}

impl RunRecord {
    /// The record without its timings: what must be identical between two
    /// runs of the same config and seed on the CPU.
    pub fn without_timing(&self) -> RunRecord {
        RunRecord {
            timing: Timing::default(),
            ..self.clone()
        }
    }
}

/// Where the model looked, for one test sample: mean over heads of the
/// [CLS] query's attention in the top interaction layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttentionSnapshot {
    pub task: usize,
    /// Index of the sample in the test set of task 1.
    pub sample: usize,
    /// One weight per image patch, row-major (`side × side`).
    pub image: Vec<f32>,
    pub side: usize,
    /// The caption's words and one weight each.
    pub words: Vec<String>,
    pub text: Vec<f32>,
}

/// Progress of a run, in order. The CLI's bars and the web worker consume
/// the same stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    TaskStarted {
        task: usize,
        tasks: usize,
        classes: Vec<String>,
        train_size: usize,
        steps: usize,
    },
    Step {
        task: usize,
        step: usize,
        steps: usize,
        loss: f64,
        gamma: f64,
        g: f64,
        samples_per_s: f64,
    },
    TaskEvaluated {
        task: usize,
        acc_row: Vec<f64>,
        f1_row: Vec<f64>,
        a: f64,
        u: f64,
    },
    Attention(AttentionSnapshot),
    Finished(Box<RunRecord>),
}
