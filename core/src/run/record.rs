//! The run record (METRICS.md, `version: 1`) and the events a run emits.

use serde::{Deserialize, Serialize};

use super::config::RunConfig;
use crate::data::TaskInfo;
use crate::metrics::{GemMetrics, ModalityGains, modality_gains};

pub const RECORD_VERSION: u32 = 1;
/// The largest run-record file `compare`, `metrics` and the app's import
/// read (a default run's record is well under 1 MB; its loss and γ traces
/// grow with steps).
pub const MAX_RECORD_BYTES: u64 = 64 << 20;
/// The most tasks a record may hold.
pub const MAX_TASKS: usize = 1000;

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

/// Why a step counts as diverged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DivergenceCause {
    /// The loss, γ or a parameter was not a finite number (what records
    /// written before causes were kept always mean).
    #[default]
    NotFinite,
    /// The loss blew up: `to` is more than [`BLOWUP_FACTOR`] times `from`,
    /// the run's first loss (or the loss at chance, when that is larger).
    /// Finite, but the model collapses, so it is treated as a divergence.
    BlewUp { from: f64, to: f64 },
}

/// How many times the run's first loss (or the loss at chance) a step's
/// loss may reach before the run counts as blown up. Runs that learn stay
/// far below it (docs/findings.md, "A loss that blows up", gives the
/// largest ratio measured over the bundled streams and strategies).
pub const BLOWUP_FACTOR: f64 = 20.0;

impl DivergenceCause {
    /// Whether a step's `loss` blew up against the `reference` loss
    /// (the run's first; `chance` = ln(classes) when that is larger).
    pub fn blew_up(loss: f64, reference: f64, chance: f64) -> Option<DivergenceCause> {
        let from = reference.max(chance);
        (loss > BLOWUP_FACTOR * from).then_some(DivergenceCause::BlewUp { from, to: loss })
    }
}

/// A training step whose loss or parameters were not finite numbers, or
/// whose loss blew up ([`DivergenceCause`]). The step's values are never
/// recorded; the run went back to the start of the task (the last task
/// boundary) with the learning rate halved, or, at a second divergence,
/// stopped there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Divergence {
    pub task: usize,
    /// The step within the task, counted from 1 as [`Event::Step`] counts.
    pub step: usize,
    /// The learning rate the diverged steps trained with.
    pub lr: f64,
    /// `true`: the task was trained again from its start at `lr / 2` (and
    /// every later task at that rate too); `false`: the run stopped, and the
    /// record holds the tasks finished before `task`.
    pub retried: bool,
    /// What went wrong (absent from records written before it was kept:
    /// not finite).
    #[serde(default)]
    pub cause: DivergenceCause,
}

impl Divergence {
    /// The one line the CLI and the app show: "diverged at task k, step s", and
    /// what the run did about it; when it stopped, what to try.
    pub fn message(&self) -> String {
        self.describe(None)
    }

    /// [`Divergence::message`], naming what was not finite (`what`: "its
    /// loss", "the parameters after it") when that was the cause.
    pub fn describe(&self, what: Option<&str>) -> String {
        let at = format!(
            "diverged at task {}, step {} (learning rate {})",
            self.task, self.step, self.lr
        );
        let (blew, not_finite) = match (self.cause, what) {
            (DivergenceCause::BlewUp { from, to }, _) => (
                format!(
                    ": its loss blew up from {} to {}",
                    significant(from),
                    significant(to)
                ),
                String::new(),
            ),
            (DivergenceCause::NotFinite, Some(what)) => {
                (String::new(), format!(" ({what} not finite)"))
            }
            (DivergenceCause::NotFinite, None) => (String::new(), String::new()),
        };
        if self.retried {
            format!(
                "{at}{blew}: training goes back to the start of task {} with the learning rate halved to {}{not_finite}",
                self.task,
                self.lr / 2.0
            )
        } else {
            let done = self.task - 1;
            let kept = match done {
                0 => "no task was finished".to_string(),
                1 => "the record holds task 1".to_string(),
                d => format!("the record holds tasks 1–{d}"),
            };
            let default = RunConfig::default().lr;
            format!(
                "{at}{blew}, after the learning rate was halved once: the run stopped; \
                 {kept}{not_finite}. Try a smaller learning rate (the default is {default})"
            )
        }
    }
}

/// A loss as a person reads it: three significant digits below 1000,
/// whole numbers above.
fn significant(v: f64) -> String {
    if v.abs() >= 1000.0 || !v.is_finite() {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
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
    /// Every divergence, in order (absent when there was none, so that a
    /// run that never diverged has the record it always had).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub divergences: Vec<Divergence>,
    /// A what-if: the run this one forked from, and the boundary (absent
    /// for a run trained from its start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked: Option<Fork>,
}

/// Where a what-if run came from: it is the run with strategy `from` up to
/// the boundary after task `after_task` (its rows up to there are that
/// run's), then its own strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fork {
    pub from: String,
    pub after_task: usize,
}

impl Measured {
    /// Tasks measured so far (rows of the matrices).
    pub fn tasks(&self) -> usize {
        self.acc_matrix.len()
    }

    /// The learning rate training goes on with: `lr` halved once for every
    /// divergence that was retried.
    pub fn lr_after_divergences(&self, lr: f64) -> f64 {
        self.divergences
            .iter()
            .filter(|d| d.retried)
            .fold(lr, |lr, _| lr / 2.0)
    }

    /// The divergence that stopped the run, if one did.
    pub fn stopped_by(&self) -> Option<&Divergence> {
        self.divergences.iter().find(|d| !d.retried)
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
    /// MERA's gains against experts trained on each task alone, for a
    /// stream whose tasks bring different modalities (`null` otherwise, or
    /// when the experts were not trained).
    pub modality_gains: Option<ModalityGains>,
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

    /// Reads a record from JSON `text` and [`RunRecord::check`]s it: the
    /// one reader for `compare`, `metrics` and the app's import.
    pub fn parse(text: &str) -> Result<RunRecord, String> {
        if text.len() as u64 > MAX_RECORD_BYTES {
            return Err(format!(
                "{} bytes is over the {} MiB a run record may have",
                text.len(),
                MAX_RECORD_BYTES >> 20
            ));
        }
        let mut r: RunRecord =
            serde_json::from_str(text).map_err(|e| format!("not a run record ({e})"))?;
        // gains written before the forgetting was split (2026-12-05) get
        // it here; check compares everything else as written
        if let Some(g) = r.modality_gains.as_mut()
            && g.intra_forgetting.is_none()
            && g.inter_forgetting.is_none()
            && let Some(want) = modality_gains(&r.measured.acc_matrix, g.experts.clone())
        {
            g.intra_forgetting = want.intra_forgetting;
            g.inter_forgetting = want.inter_forgetting;
        }
        r.check()?;
        Ok(r)
    }

    /// Whether the record is one this build can show and compare: its
    /// version, its sizes (a row of each matrix per evaluated task, a value
    /// per task in each row; A, U and ACC one per row; at most
    /// [`MAX_TASKS`]), every score in [0, 1] and every number finite. A run
    /// stopped early (diverged) has fewer rows than tasks, and passes.
    pub fn check(&self) -> Result<(), String> {
        if self.version != RECORD_VERSION {
            return Err(format!(
                "record version {} is not supported (expected {RECORD_VERSION})",
                self.version
            ));
        }
        let t = self.tasks.len();
        if t == 0 || t > MAX_TASKS {
            return Err(format!("{t} tasks (a record holds 1 to {MAX_TASKS})"));
        }
        let m = &self.measured;
        let rows = m.acc_matrix.len();
        if rows > t {
            return Err(format!("{rows} rows in acc_matrix for {t} tasks"));
        }
        if m.f1_matrix.len() != rows {
            return Err(format!(
                "f1_matrix has {} rows, acc_matrix {rows}",
                m.f1_matrix.len()
            ));
        }
        for (name, matrix) in [("acc_matrix", &m.acc_matrix), ("f1_matrix", &m.f1_matrix)] {
            for (i, row) in matrix.iter().enumerate() {
                if row.len() != t {
                    return Err(format!(
                        "{name} row {i} has {} values, expected {t} (one per task)",
                        row.len()
                    ));
                }
            }
        }
        for (name, values, want) in [
            ("A", &m.a, rows),
            ("U", &m.u, rows),
            ("metrics.acc", &self.metrics.acc, rows),
        ] {
            if values.len() != want {
                return Err(format!(
                    "{name} has {} values, expected {want} (one per evaluated task)",
                    values.len()
                ));
            }
        }
        if !(m.random_init.is_empty() || m.random_init.len() == t) {
            return Err(format!(
                "random_init has {} values, expected {t}",
                m.random_init.len()
            ));
        }
        if let Some(bad) = self.non_finite() {
            return Err(bad);
        }
        let scores = m
            .acc_matrix
            .iter()
            .chain(&m.f1_matrix)
            .flatten()
            .chain(&m.a)
            .chain(&m.u)
            .chain(&m.random_init)
            .chain(&self.metrics.acc);
        if let Some(v) = scores.into_iter().find(|v| !(0.0..=1.0).contains(*v)) {
            return Err(format!("a score of {v} is outside [0, 1]"));
        }
        if let Some(g) = &self.modality_gains {
            if let Some(e) = g
                .experts
                .iter()
                .find(|e| !(0.0..=1.0).contains(&e.accuracy))
            {
                return Err(format!(
                    "modality_gains: an expert's accuracy of {} is outside [0, 1]",
                    e.accuracy
                ));
            }
            if modality_gains(&m.acc_matrix, g.experts.clone()).as_ref() != Some(g) {
                return Err(
                    "modality_gains do not follow from acc_matrix and the experts (one per task)"
                        .into(),
                );
            }
        }
        Ok(())
    }

    /// The first number of the record that is NaN or infinite, by its name
    /// in the JSON, or `None`. JSON has no such numbers (serde writes them
    /// as `null`, which no reader takes where a number belongs): a record
    /// may only be written when this is `None`. Where a value is undefined
    /// (BWT, FWT and forgetting with one task) the record holds `null` by
    /// design (METRICS.md).
    pub fn non_finite(&self) -> Option<String> {
        let m = &self.measured;
        let mut named: Vec<(String, f64)> = Vec::new();
        for (name, matrix) in [("acc_matrix", &m.acc_matrix), ("f1_matrix", &m.f1_matrix)] {
            for (i, row) in matrix.iter().enumerate() {
                for (j, v) in row.iter().enumerate() {
                    named.push((format!("{name}[{i}][{j}]"), *v));
                }
            }
        }
        for (name, values) in [
            ("random_init", &m.random_init),
            ("A", &m.a),
            ("U", &m.u),
            ("metrics.acc", &self.metrics.acc),
        ] {
            for (i, v) in values.iter().enumerate() {
                named.push((format!("{name}[{i}]"), *v));
            }
        }
        for (i, p) in m.gamma.iter().enumerate() {
            named.push((format!("gamma[{i}].gamma"), p.gamma));
            named.push((format!("gamma[{i}].g"), p.g));
        }
        for (i, p) in m.loss.iter().enumerate() {
            named.push((format!("loss[{i}].loss"), p.loss));
        }
        for (i, d) in m.divergences.iter().enumerate() {
            named.push((format!("divergences[{i}].lr"), d.lr));
        }
        let g = &self.metrics;
        for (name, v) in [("bwt", g.bwt), ("fwt", g.fwt), ("forgetting", g.forgetting)] {
            if let Some(v) = v {
                named.push((format!("metrics.{name}"), v));
            }
        }
        named.push(("timing.total_s".into(), self.timing.total_s));
        named.push((
            "timing.train_samples_per_s".into(),
            self.timing.train_samples_per_s,
        ));
        named
            .into_iter()
            .find(|(_, v)| !v.is_finite())
            .map(|(name, v)| format!("{name} is {v}"))
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
    /// A step's loss or the parameters after it were not finite. With
    /// `retrying` the run goes back to the start of `task` at half `lr`;
    /// without, it stops and [`Event::Finished`] follows with the record of
    /// the tasks finished before. `message` says so in one line.
    Diverged {
        task: usize,
        step: usize,
        /// The learning rate that diverged.
        lr: f64,
        retrying: bool,
        message: String,
    },
    Finished(Box<RunRecord>),
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
