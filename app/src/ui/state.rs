//! The page's state: signals shared through context, and the runs it shows.

use leptos::prelude::*;
use palimpsest_core::data::folder::Pair;
use palimpsest_core::metrics::gem_metrics;
use palimpsest_core::run::{Event, RunConfig, RunRecord};
use palimpsest_core::strategy::StrategyConfig;
use serde::{Deserialize, Serialize};

use crate::protocol::{AttentionView, DatasetView, RunState, SampleRef, SampleView};

/// One run as the page draws it: live from the worker's events, or imported.
/// Kept in the browser's storage as it is ([`super::store`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub id: usize,
    pub label: String,
    pub imported: bool,
    pub config: Option<RunConfig>,
    /// Tasks in the stream (grows when the user adds a class).
    pub tasks: usize,
    /// Class names of each task, as they started.
    pub task_classes: Vec<Vec<String>>,
    pub acc: Vec<Vec<f64>>,
    pub a: Vec<f64>,
    pub u: Vec<f64>,
    pub loss: Vec<f64>,
    /// (γ, g) per step.
    pub gamma: Vec<(f64, f64)>,
    /// Steps trained when each task was evaluated (where a rewind cuts the traces).
    pub steps_at_task_end: Vec<usize>,
    pub task: usize,
    pub step: usize,
    pub steps: usize,
    pub samples_per_s: f64,
    pub record: Option<RunRecord>,
    pub state: Option<RunState>,
    /// What its rehearsal memory held after its latest task.
    #[serde(default)]
    pub memory: Vec<SampleView>,
    /// The probe sample's attention maps at each task boundary (entry
    /// k − 1 after task k), for the rewind.
    #[serde(default)]
    pub probes: Vec<AttentionView>,
}

impl RunView {
    pub fn new(id: usize, config: &RunConfig) -> RunView {
        RunView {
            id,
            label: label(config),
            imported: false,
            config: Some(config.clone()),
            tasks: 0,
            task_classes: Vec::new(),
            acc: Vec::new(),
            a: Vec::new(),
            u: Vec::new(),
            loss: Vec::new(),
            gamma: Vec::new(),
            steps_at_task_end: Vec::new(),
            task: 0,
            step: 0,
            steps: 0,
            samples_per_s: 0.0,
            record: None,
            state: None,
            memory: Vec::new(),
            probes: Vec::new(),
        }
    }

    /// A run loaded from a record file.
    pub fn from_record(id: usize, rec: RunRecord) -> RunView {
        let mut v = RunView::new(id, &rec.config);
        v.imported = true;
        v.label = format!("{} (imported)", label(&rec.config));
        v.tasks = rec.tasks.len();
        v.task_classes = rec.tasks.iter().map(|t| t.classes.clone()).collect();
        v.acc = rec.measured.acc_matrix.clone();
        v.a = rec.measured.a.clone();
        v.u = rec.measured.u.clone();
        v.loss = rec.measured.loss.iter().map(|p| p.loss).collect();
        v.gamma = rec.measured.gamma.iter().map(|p| (p.gamma, p.g)).collect();
        v.task = v.tasks;
        v.state = Some(RunState::Finished);
        v.record = Some(rec);
        v
    }

    /// Folds one event of the worker into the view.
    pub fn apply(&mut self, ev: Event) {
        match ev {
            Event::TaskStarted {
                task,
                tasks,
                classes,
                steps,
                ..
            } => {
                self.task = task;
                self.tasks = tasks;
                self.step = 0;
                self.steps = steps;
                if self.task_classes.len() < task {
                    self.task_classes.resize(task, Vec::new());
                }
                self.task_classes[task - 1] = classes;
                for row in &mut self.acc {
                    row.resize(tasks, 0.0);
                }
            }
            Event::Step {
                step,
                steps,
                loss,
                gamma,
                g,
                samples_per_s,
                ..
            } => {
                self.step = step;
                self.steps = steps;
                self.loss.push(loss);
                self.gamma.push((gamma, g));
                self.samples_per_s = samples_per_s;
            }
            Event::TaskEvaluated { acc_row, a, u, .. } => {
                self.tasks = self.tasks.max(acc_row.len());
                self.acc.push(acc_row);
                self.a.push(a);
                self.u.push(u);
                self.steps_at_task_end.push(self.loss.len());
            }
            Event::Attention(_) => {}
            // the task starts again: what it measured so far goes (the page
            // shows the notice, [`super::link`]); a stopped run's record follows
            Event::Diverged {
                task,
                retrying: true,
                ..
            } => self.rewind(task - 1),
            Event::Diverged { .. } => {}
            Event::Finished(rec) => {
                self.acc = rec.measured.acc_matrix.clone();
                self.a = rec.measured.a.clone();
                self.u = rec.measured.u.clone();
                // a run stopped early holds fewer tasks than its stream
                self.tasks = self.tasks.max(rec.tasks.len());
                self.record = Some(*rec);
            }
        }
    }

    /// The probe's maps at the boundary after task `view.after.after_task`
    /// (a boundary measured again, after a divergence, replaces it).
    pub fn add_probe(&mut self, view: AttentionView) {
        let k = view.after.after_task;
        if k == 0 || k > self.probes.len() + 1 {
            return;
        }
        self.probes.truncate(k - 1);
        self.probes.push(view);
    }

    /// Back to the boundary after task `k`: what was measured later goes
    /// (the run goes on from there on another worker).
    pub fn rewind(&mut self, k: usize) {
        let k = k.min(self.acc.len());
        self.acc.truncate(k);
        self.a.truncate(k);
        self.u.truncate(k);
        let steps = if k == 0 {
            0
        } else {
            self.steps_at_task_end
                .get(k - 1)
                .copied()
                .unwrap_or(self.loss.len())
        };
        self.loss.truncate(steps);
        self.gamma.truncate(steps);
        self.steps_at_task_end.truncate(k);
        self.probes.truncate(k);
        self.task = k;
        self.step = 0;
        self.steps = 0;
        self.record = None;
        self.state = Some(RunState::Running);
    }

    /// The metrics the run supports so far, as (name, value).
    pub fn metrics(&self) -> Vec<(&'static str, f64)> {
        let mut out = Vec::new();
        let k = self.acc.len();
        if k == 0 {
            return out;
        }
        if let Some(a) = self.a.last() {
            out.push(("A", *a));
        }
        if let Some(u) = self.u.last() {
            out.push(("U", *u));
        }
        // GEM metrics over the square part measured so far (tasks 1..k)
        let square: Vec<Vec<f64>> = self
            .acc
            .iter()
            .map(|r| r[..k.min(r.len())].to_vec())
            .collect();
        let random = self
            .record
            .as_ref()
            .filter(|r| r.measured.random_init.len() >= k)
            .map(|r| r.measured.random_init[..k].to_vec());
        if let Ok(m) = gem_metrics(&square, random.as_deref()) {
            if let Some(acc) = m.acc.last() {
                out.push(("ACC", *acc));
            }
            for (name, v) in [("BWT", m.bwt), ("FWT", m.fwt), ("forgetting", m.forgetting)] {
                if let Some(v) = v {
                    out.push((name, v));
                }
            }
        }
        out
    }
}

/// A run that was training when the page went away, and where it can go
/// on from.
#[derive(Debug, Clone)]
pub struct Interrupted {
    pub run: usize,
    pub label: String,
    /// The task it was training.
    pub task: usize,
    /// Its checkpoint at the end of task `k`: (k, bytes).
    pub checkpoint: Option<(usize, js_sys::Uint8Array)>,
}

/// A pair the user uploaded, waiting to become part of a class (kept in
/// the browser's storage as it is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub id: usize,
    pub pair: Pair,
    /// PNG data URL of the decoded 32×32 image, for the thumbnail.
    pub thumb: String,
}

#[derive(Clone, Copy)]
pub struct AppState {
    pub backend: RwSignal<String>,
    pub gpu: RwSignal<bool>,
    pub ready: RwSignal<bool>,
    pub notices: RwSignal<Vec<String>>,
    pub errors: RwSignal<Vec<(usize, String)>>,
    pub scenario: RwSignal<String>,
    pub seed: RwSignal<u64>,
    pub dataset: RwSignal<Option<DatasetView>>,
    pub strategy: RwSignal<StrategyConfig>,
    pub epochs: RwSignal<usize>,
    /// The learning rate of the next run.
    pub lr: RwSignal<f64>,
    /// Whether runs start from the shipped pretrained encoders.
    pub pretrained: RwSignal<bool>,
    /// Whether the model has the fusion stage (`model.fusion`).
    pub fusion: RwSignal<bool>,
    pub runs: RwSignal<Vec<RunView>>,
    /// The run the main panels show.
    pub shown: RwSignal<Option<usize>>,
    /// The run the worker is training (or last trained).
    pub active: RwSignal<Option<usize>>,
    pub run_state: RwSignal<Option<RunState>>,
    /// Strategies still to run for a comparison.
    pub queue: RwSignal<Vec<StrategyConfig>>,
    pub attention: RwSignal<Option<AttentionView>>,
    pub prediction: RwSignal<Option<Vec<(String, f64)>>>,
    pub selected: RwSignal<SampleRef>,
    pub pending: RwSignal<Vec<Pending>>,
    /// Counter for ids of errors, pending pairs and runs.
    pub next_id: RwSignal<usize>,
    /// Whether what the page keeps is in the browser's storage: "kept",
    /// "saving" (a change not written yet) or "not saved" (a write failed).
    pub saved: RwSignal<&'static str>,
    /// A run the last visit left training, offered to go on.
    pub interrupted: RwSignal<Option<Interrupted>, LocalStorage>,
    /// The strategies chosen to compare or race (names).
    pub contenders: RwSignal<Vec<String>>,
    /// The runs of the current race's lanes.
    pub race: RwSignal<Vec<usize>>,
    /// The guided lesson's step (0-based), while the lesson is open.
    pub lesson: RwSignal<Option<usize>>,
    /// Presenter mode: large type, one view, keys only.
    pub presenting: RwSignal<bool>,
    /// The overlay that lists the keys.
    pub help: RwSignal<bool>,
    /// The runs the lesson trained, by its name for them.
    pub lesson_runs: RwSignal<Vec<(String, usize)>>,
    /// The lesson's step whose action is being carried out.
    pub lesson_goal: RwSignal<Option<usize>>,
    /// Cells of the matrix the lesson points at (row, column, 0-based).
    pub highlight: RwSignal<Vec<(usize, usize)>>,
    /// A what-if shown beside its original: (original run, fork run).
    pub whatif: RwSignal<Option<(usize, usize)>>,
    /// The task boundary the charts are rewound to (None: the latest).
    pub scrub: RwSignal<Option<usize>>,
    /// The active run's latest checkpoint, (run, tasks done), as the
    /// session holds it: what the browser's storage writes when it changes.
    pub checkpoint_at: RwSignal<Option<(usize, usize)>>,
    /// The expert the worker trains now to measure relative gains:
    /// (run, task, tasks).
    pub experts: RwSignal<Option<(usize, usize, usize)>>,
}

impl AppState {
    pub fn new() -> AppState {
        AppState {
            backend: RwSignal::new("starting…".into()),
            gpu: RwSignal::new(false),
            ready: RwSignal::new(false),
            notices: RwSignal::new(Vec::new()),
            errors: RwSignal::new(Vec::new()),
            scenario: RwSignal::new(super::DEMO_SCENARIO.into()),
            seed: RwSignal::new(7),
            dataset: RwSignal::new(None),
            // the demo shows forgetting first; the strategies that cure it
            // are a choice away
            strategy: RwSignal::new(StrategyConfig::Finetune),
            epochs: RwSignal::new(super::demo_settings(super::DEMO_SCENARIO).0),
            lr: RwSignal::new(super::demo_settings(super::DEMO_SCENARIO).1),
            fusion: RwSignal::new(palimpsest_core::model::ModelConfig::default().fusion),
            pretrained: RwSignal::new(
                palimpsest_core::model::ModelConfig::default().starts_pretrained(),
            ),
            runs: RwSignal::new(Vec::new()),
            shown: RwSignal::new(None),
            active: RwSignal::new(None),
            run_state: RwSignal::new(None),
            queue: RwSignal::new(Vec::new()),
            attention: RwSignal::new(None),
            prediction: RwSignal::new(None),
            selected: RwSignal::new(SampleRef { task: 1, index: 0 }),
            pending: RwSignal::new(Vec::new()),
            next_id: RwSignal::new(1),
            saved: RwSignal::new("saving"),
            interrupted: RwSignal::new_local(None),
            checkpoint_at: RwSignal::new(None),
            contenders: RwSignal::new(["finetune", "replay", "mspt"].map(String::from).to_vec()),
            race: RwSignal::new(Vec::new()),
            lesson: RwSignal::new(None),
            presenting: RwSignal::new(false),
            help: RwSignal::new(false),
            scrub: RwSignal::new(None),
            whatif: RwSignal::new(None),
            lesson_runs: RwSignal::new(Vec::new()),
            lesson_goal: RwSignal::new(None),
            highlight: RwSignal::new(Vec::new()),
            experts: RwSignal::new(None),
        }
    }

    pub fn id(&self) -> usize {
        let id = self.next_id.get_untracked();
        self.next_id.set(id + 1);
        id
    }

    pub fn error(&self, message: impl Into<String>) {
        let id = self.id();
        let message = message.into();
        self.errors.update(|e| e.push((id, message)));
    }

    pub fn notice(&self, message: impl Into<String>) {
        let message = message.into();
        self.notices.update(|n| n.push(message));
    }

    /// The run the main panels show.
    pub fn shown_run(&self) -> Option<RunView> {
        let id = self.shown.get()?;
        self.runs.with(|r| r.iter().find(|v| v.id == id).cloned())
    }

    /// The config run `id` was started with (none for an imported run).
    pub fn run_config(&self, id: usize) -> Option<RunConfig> {
        self.runs
            .with_untracked(|r| r.iter().find(|v| v.id == id).and_then(|v| v.config.clone()))
    }

    pub fn update_run(&self, id: usize, f: impl FnOnce(&mut RunView)) {
        self.runs.update(|runs| {
            if let Some(v) = runs.iter_mut().find(|v| v.id == id) {
                f(v);
            }
        });
    }
}

impl Default for AppState {
    fn default() -> Self {
        AppState::new()
    }
}

/// A run's name on its card: the strategy, where its encoders started when
/// that was the pretrained weights, and the fusion stage when it has one.
fn label(config: &RunConfig) -> String {
    let mut out = config.strategy.label();
    if config.model.starts_pretrained() {
        out.push_str(" · pretrained");
    }
    if config.model.fusion {
        out.push_str(" · fusion");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_metrics_use_the_square_part_of_the_matrix() {
        let mut v = RunView::new(1, &RunConfig::default());
        assert!(v.metrics().is_empty());
        v.apply(Event::TaskEvaluated {
            task: 1,
            acc_row: vec![0.8, 0.0, 0.0],
            f1_row: vec![0.8, 0.0, 0.0],
            a: 0.8,
            u: 0.8,
        });
        v.apply(Event::TaskEvaluated {
            task: 2,
            acc_row: vec![0.5, 0.9, 0.0],
            f1_row: vec![0.5, 0.9, 0.0],
            a: 0.7,
            u: 0.9,
        });
        let m: std::collections::HashMap<_, _> = v.metrics().into_iter().collect();
        assert_eq!(m["A"], 0.7);
        assert_eq!(m["U"], 0.9);
        assert!((m["ACC"] - 0.7).abs() < 1e-12);
        assert!((m["BWT"] - (-0.3)).abs() < 1e-12);
        assert!((m["forgetting"] - 0.3).abs() < 1e-12);
        assert!(!m.contains_key("FWT"), "FWT needs the untrained scores");
    }

    #[test]
    fn rewind_drops_what_came_after_the_boundary() {
        let mut v = RunView::new(1, &RunConfig::default());
        let step = |v: &mut RunView, loss: f64| {
            v.apply(Event::Step {
                task: 1,
                step: 1,
                steps: 9,
                loss,
                gamma: 1.0,
                g: 1.0,
                samples_per_s: 1.0,
            })
        };
        let eval = |v: &mut RunView, t: usize| {
            v.apply(Event::TaskEvaluated {
                task: t,
                acc_row: vec![0.5; 3],
                f1_row: vec![0.5; 3],
                a: 0.5,
                u: 0.5,
            })
        };
        step(&mut v, 3.0);
        step(&mut v, 2.0);
        eval(&mut v, 1);
        step(&mut v, 1.5);
        eval(&mut v, 2);
        step(&mut v, 1.0);
        v.rewind(1);
        assert_eq!(v.acc.len(), 1);
        assert_eq!((v.a.len(), v.u.len()), (1, 1));
        assert_eq!(v.loss, vec![3.0, 2.0]);
        assert_eq!(v.gamma.len(), 2);
        assert_eq!(v.task, 1);
        assert_eq!(v.state, Some(RunState::Running));
        step(&mut v, 1.2);
        eval(&mut v, 2);
        assert_eq!(v.steps_at_task_end, vec![2, 3]);
    }
}
