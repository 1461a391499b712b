//! The step-wise run loop: one unit of work (a training step, or an
//! evaluation) per call of [`Runner::next`].

use burn::module::Module;
use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use web_time::Instant;

use super::checkpoint::{self, Checkpoint};
use super::config::RunConfig;
use super::device::{device_for, read_floats};
use super::infer::{attention, predict};
use super::record::{
    self, DivergenceCause, Event, GammaPoint, LossPoint, Measured, RunRecord, Timing,
};
use super::step::{apply, task_loss};
use super::{RunError, build_scenario};
use crate::data::folder::Import;
use crate::data::scenario::rng_for;
use crate::data::{Sample, Scenario, Task};
use crate::metrics::{GAMMA_EPSILON, GemMetrics, accuracy, confusion, gem_metrics, macro_f1};
use crate::model::{Model, pretrained};
use crate::strategy::losses::separation_mask;
use crate::strategy::mspt::contribution;
use crate::strategy::{self, Env, StepInput, Strategy, StrategyState};

enum Phase {
    Start,
    BeginTask(usize),
    Train,
    Evaluate(usize),
    Finish,
    Done,
}

pub struct Runner {
    config: RunConfig,
    /// The learning rate in use: `config.lr`, halved once if a task diverged.
    lr: f64,
    boundary: Option<Boundary>,
    scenario: Scenario,
    env: Env,
    strategy: Box<dyn Strategy>,
    model: Option<Model>,
    optim: ModuleOptimizer,
    rng: ChaCha8Rng,
    phase: Phase,
    task: usize,
    train_set: Vec<Sample>,
    epoch: usize,
    /// Epochs of the current phase (the task's own, or its rehearsal).
    epochs: usize,
    rehearsing: bool,
    /// Features of a task's training samples after its own epochs, for
    /// strategies that choose their memory by them (herding).
    features: Option<(usize, Vec<Vec<f32>>)>,
    pos: usize,
    step: usize,
    steps: usize,
    /// Matrices, A/U and the traces, as the record will hold them.
    measured: Measured,
    /// The untrained model, for b[j] of tasks appended later.
    init_model: Option<Model>,
    started: Instant,
    train_seconds: f64,
    train_samples: usize,
    device_name: String,
}

impl Runner {
    /// A native run of `config`: its scenario (an imagefolder one from
    /// `import`) on the device its backend names.
    pub fn native(config: RunConfig, import: Option<&Import>) -> Result<Runner, RunError> {
        let scenario = build_scenario(&config, import)?;
        let device = device_for(config.backend)?;
        Runner::new(config, scenario, device, "cpu (flex)")
    }

    pub fn new(
        config: RunConfig,
        scenario: Scenario,
        device: Device,
        device_name: &str,
    ) -> Result<Runner, RunError> {
        let strategy = strategy::build(&config.strategy);
        Runner::with_strategy(config, scenario, device, device_name, strategy)
    }

    /// A run with a strategy of the caller's instead of the one the config
    /// names (the config still sets everything else).
    pub fn with_strategy(
        config: RunConfig,
        scenario: Scenario,
        device: Device,
        device_name: &str,
        strategy: Box<dyn Strategy>,
    ) -> Result<Runner, RunError> {
        let weights = pretrained::bundled_weights();
        Runner::build(config, scenario, device, device_name, strategy, weights)
    }

    /// A run whose pretrained encoders come from the weights file `weights`
    /// instead of the shipped one.
    pub fn with_weights(
        config: RunConfig,
        scenario: Scenario,
        device: Device,
        device_name: &str,
        weights: &[u8],
    ) -> Result<Runner, RunError> {
        let strategy = strategy::build(&config.strategy);
        Runner::build(config, scenario, device, device_name, strategy, weights)
    }

    /// A run with everything given: its strategy (not necessarily the one
    /// the config names) and the weights file its pretrained encoders start
    /// from.
    pub fn build(
        config: RunConfig,
        scenario: Scenario,
        device: Device,
        device_name: &str,
        strategy: Box<dyn Strategy>,
        weights: &[u8],
    ) -> Result<Runner, RunError> {
        // An encoder for every modality the stream brings (sketch).
        let mut config = config;
        config.model = config.model.covering(&scenario.modalities());
        config.validate().map_err(RunError::Config)?;
        scenario.validate().map_err(RunError::Scenario)?;
        let autodiff = device.clone().autodiff();
        let model = Model::new(
            &config.model,
            strategy.shared_keys(),
            &mut rng_for(config.seed, "model"),
            &autodiff,
        );
        let model = pretrained::apply(model, &config.model, weights)
            .map_err(|e| RunError::Weights(e.to_string()))?;
        let env = Env {
            device,
            autodiff,
            model: config.model.clone(),
            batch_size: config.batch_size,
            seed: config.seed,
        };
        Ok(Runner {
            rng: rng_for(config.seed, "run"),
            lr: config.lr,
            boundary: None,
            config,
            scenario,
            env,
            strategy,
            model: Some(model),
            optim: AdamConfig::new().init(),
            phase: Phase::Start,
            task: 0,
            train_set: Vec::new(),
            epoch: 0,
            epochs: 0,
            rehearsing: false,
            features: None,
            pos: 0,
            step: 0,
            steps: 0,
            measured: Measured::default(),
            init_model: None,
            started: Instant::now(),
            train_seconds: 0.0,
            train_samples: 0,
            device_name: device_name.to_string(),
        })
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The model as it is now, without autodiff (for inference).
    pub fn model(&self) -> Model {
        self.model
            .as_ref()
            .expect("model present between steps")
            .valid()
    }

    /// Changes the model before the run's first step (pretraining seeds
    /// its word embeddings this way); gives what `f` gives.
    ///
    /// # Panics
    /// Once the run has started.
    pub fn start_with<T>(&mut self, f: impl FnOnce(&mut Model) -> T) -> T {
        assert!(
            matches!(self.phase, Phase::Start),
            "the model is changed only before the run starts"
        );
        f(self.model.as_mut().expect("model present between steps"))
    }

    /// The task being trained or evaluated (1-based; 0 before the first).
    pub fn task(&self) -> usize {
        self.task
    }

    /// Does the next unit of work; `None` once the run is finished.
    pub async fn next(&mut self) -> Option<Vec<Event>> {
        match self.phase {
            Phase::Start => {
                self.measured.random_init = self.evaluate_random_init().await;
                self.phase = Phase::BeginTask(1);
                Some(Vec::new())
            }
            Phase::BeginTask(k) => Some(vec![self.begin_task(k)]),
            Phase::Train => Some(self.train_step().await),
            Phase::Evaluate(k) => Some(self.evaluate(k).await),
            Phase::Finish => {
                self.phase = Phase::Done;
                Some(vec![Event::Finished(Box::new(self.record()))])
            }
            Phase::Done => None,
        }
    }

    /// b[j]: the untrained model (its classifier grown to every class) on
    /// each task's test set.
    async fn evaluate_random_init(&mut self) -> Vec<f64> {
        let init = self.model();
        self.init_model = Some(init.clone());
        let probe = self.probe(init, self.scenario.classes_after(self.scenario.tasks.len()));
        let mut out = Vec::new();
        for t in &self.scenario.tasks {
            let pred = predict(&probe, &t.test, &self.env).await;
            out.push(accuracy(&pred, &labels(&t.test)));
        }
        out
    }

    /// The untrained model with its classifier grown to `total` classes.
    fn probe(&self, init: Model, total: usize) -> Model {
        init.expand_to(
            total,
            &mut rng_for(self.config.seed, "probe"),
            &self.env.device,
        )
    }

    /// The classifier grown to the classes of tasks 1..=k, task k's new
    /// outputs drawn from their own seeded stream (so that a resumed run
    /// rebuilds exactly the classifier the interrupted one had).
    fn grow_classifier(&self, model: Model, k: usize) -> Model {
        let mut rng = rng_for(self.config.seed, &format!("classifier/{k}"));
        model.expand_to(self.scenario.classes_after(k), &mut rng, &self.env.autodiff)
    }

    fn begin_task(&mut self, k: usize) -> Event {
        self.task = k;
        let model = self.model.take().expect("model present");
        self.boundary = Some(Boundary {
            model: model.clone(),
            strategy: self.strategy.state(),
            rng: self.rng.clone(),
            measured: self.measured.clone(),
        });
        self.strategy.before_task(k, &model, &self.env);
        let model = self.grow_classifier(model, k);
        self.model = Some(self.strategy.adapt(k, model, &self.env));
        self.train_set = self.strategy.training_set(k, &self.scenario.tasks);
        self.train_set.shuffle(&mut self.rng);
        self.optim = AdamConfig::new().init();
        self.epoch = 0;
        self.epochs = self.config.epochs;
        self.rehearsing = false;
        self.pos = 0;
        self.step = 0;
        let per_epoch = self.train_set.len().div_ceil(self.config.batch_size);
        self.steps = per_epoch * self.config.epochs;
        self.phase = if self.steps == 0 {
            Phase::Evaluate(k)
        } else {
            Phase::Train
        };
        let task = &self.scenario.tasks[k - 1];
        Event::TaskStarted {
            task: k,
            tasks: self.scenario.tasks.len(),
            classes: task
                .classes
                .iter()
                .map(|&c| self.scenario.class_names[c].clone())
                .collect(),
            train_size: self.train_set.len(),
            steps: self.steps,
        }
    }

    /// One training step; a step whose loss (or γ) is not finite is not
    /// applied: the task goes back to its start ([`Runner::diverge`]).
    async fn train_step(&mut self) -> Vec<Event> {
        let t0 = Instant::now();
        let k = self.task;
        let end = (self.pos + self.config.batch_size).min(self.train_set.len());
        let refs: Vec<&Sample> = self.train_set[self.pos..end].iter().collect();
        let model = self.model.take().expect("model present");
        let batch = self.env.train_batch(&refs);
        let out = model.forward(&batch);
        let mask = (self.config.separated_softmax && !self.rehearsing).then(|| {
            let [_, classes] = out.logits.fused.dims();
            let current = &self.scenario.tasks[k - 1].classes;
            separation_mask(&batch.label_values, current, classes, &self.env.autodiff)
        });
        let ce = task_loss(&out, &batch, mask.as_ref(), self.config.unimodal_weight);
        let scores = contribution(&out.logits, &batch.labels);
        let extra = self.strategy.extra_loss(&StepInput {
            task: k,
            model: &model,
            samples: &refs,
            batch: &batch,
            out: &out,
            env: &self.env,
        });
        let loss = match extra {
            Some(e) => ce + e,
            None => ce,
        };
        let stats = read_floats(Tensor::cat(vec![loss.clone().detach(), scores], 0)).await;
        let gamma = stats[1] / stats[2].max(GAMMA_EPSILON);
        if !(stats[0].is_finite() && gamma.is_finite()) {
            self.model = Some(model);
            return vec![
                self.diverge(k, self.step + 1, Why::NotFinite("its loss"))
                    .await,
            ];
        }
        // a finite loss that blew up: the model collapses all the same
        let chance = (self.scenario.classes_after(k).max(2) as f64).ln();
        let first = self.measured.loss.first().map_or(stats[0], |p| p.loss);
        if let Some(cause) = DivergenceCause::blew_up(stats[0], first, chance) {
            self.model = Some(model);
            return vec![self.diverge(k, self.step + 1, Why::Cause(cause)).await];
        }
        let factors = self.strategy.lr_factors(k, gamma);
        let g = factors.smallest();
        let factors = factors.times(&self.config.model.encoder_lr_factors());
        let grads = loss.backward();
        let model = apply(&mut self.optim, self.lr, model, grads, &factors);
        self.model = Some(model);

        let n = refs.len();
        self.train_samples += n;
        self.train_seconds += t0.elapsed().as_secs_f64();
        self.measured.gamma.push(GammaPoint {
            task: k,
            step: self.step,
            gamma,
            g,
        });
        self.measured.loss.push(LossPoint {
            task: k,
            step: self.step,
            loss: stats[0],
        });
        let event = Event::Step {
            task: k,
            step: self.step + 1,
            steps: self.steps,
            loss: stats[0],
            gamma,
            g,
            samples_per_s: self.train_samples as f64 / self.train_seconds.max(1e-9),
        };
        self.step += 1;
        self.pos = end;
        if self.pos >= self.train_set.len() {
            self.pos = 0;
            self.epoch += 1;
            self.train_set.shuffle(&mut self.rng);
            if self.epoch >= self.epochs {
                // a non-finite parameter shows in the next step's loss; after
                // the last step of a phase there is none, so look at them
                if !params_finite(&self.model()).await {
                    let diverged = self
                        .diverge(k, self.step, Why::NotFinite("the parameters after it"))
                        .await;
                    return vec![event, diverged];
                }
                self.end_of_epochs(k).await;
            }
        }
        vec![event]
    }

    /// After the task's own epochs: a rehearsal phase if the strategy asks
    /// for one (and it has not run yet), else evaluation.
    async fn end_of_epochs(&mut self, k: usize) {
        if !self.rehearsing {
            let model = self.model.take().expect("model present");
            self.model = Some(self.strategy.after_epochs(k, model, &self.env));
            self.ensure_features(k).await;
            let features = Self::features_of(&self.features, k);
            let train = &self.scenario.tasks[k - 1].train;
            if let Some((set, epochs)) = self.strategy.rehearsal(k, train, features, &mut self.rng)
                && !set.is_empty()
                && epochs > 0
            {
                self.rehearsing = true;
                self.train_set = set;
                self.train_set.shuffle(&mut self.rng);
                self.epoch = 0;
                self.pos = 0;
                self.epochs = epochs;
                self.steps += self.train_set.len().div_ceil(self.config.batch_size) * epochs;
                return;
            }
        }
        self.phase = Phase::Evaluate(k);
    }

    /// Computes the features of task `k`'s training samples into
    /// `self.features` if the strategy needs them and they are not there yet:
    /// once, after the task's own epochs; they stay until the task is evaluated.
    async fn ensure_features(&mut self, k: usize) {
        let cached = matches!(&self.features, Some((task, _)) if *task == k);
        if cached || !self.strategy.needs_features() {
            return;
        }
        let model = self.model();
        let mut rows = Vec::new();
        for chunk in self.scenario.tasks[k - 1].train.chunks(128) {
            let refs: Vec<&Sample> = chunk.iter().collect();
            let f = model.forward(&self.env.plain_batch(&refs)).features;
            let [n, d] = f.dims();
            let flat = read_floats(f.reshape([n * d])).await;
            rows.extend(
                flat.chunks(d)
                    .map(|r| r.iter().map(|x| *x as f32).collect()),
            );
        }
        self.features = Some((k, rows));
    }

    /// The features of task `k` held by [`Runner::ensure_features`], if any.
    fn features_of(features: &Option<(usize, Vec<Vec<f32>>)>, k: usize) -> Option<&[Vec<f32>]> {
        features
            .as_ref()
            .filter(|(task, _)| *task == k)
            .map(|(_, rows)| rows.as_slice())
    }

    async fn evaluate(&mut self, k: usize) -> Vec<Event> {
        // the strategy sees the task's own training data, not the replayed mix
        self.train_set.clear();
        self.ensure_features(k).await;
        let model = self.model.take().expect("model present");
        let train = &self.scenario.tasks[k - 1].train;
        self.strategy.after_task(
            k,
            &model,
            train,
            Self::features_of(&self.features, k),
            &self.env,
            &mut self.rng,
        );
        self.features = None;
        self.model = Some(model);
        let valid = self.model();
        let mut acc_row = Vec::new();
        let mut f1_row = Vec::new();
        let (mut seen_pred, mut seen_truth) = (Vec::new(), Vec::new());
        for (j, t) in self.scenario.tasks.iter().enumerate() {
            let pred = predict(&valid, &t.test, &self.env).await;
            let truth = labels(&t.test);
            acc_row.push(accuracy(&pred, &truth));
            f1_row.push(macro_f1(&pred, &truth, &t.classes));
            if j < k {
                seen_pred.extend_from_slice(&pred);
                seen_truth.extend_from_slice(&truth);
            }
        }
        let a = accuracy(&seen_pred, &seen_truth);
        let u = acc_row[k - 1];
        self.measured.acc_matrix.push(acc_row.clone());
        self.measured.f1_matrix.push(f1_row.clone());
        self.measured.a.push(a);
        self.measured.u.push(u);
        let probe = &self.scenario.tasks[0].test[0];
        let snapshot = attention(&valid, probe, &self.env, k, 0).await;
        self.phase = if k < self.scenario.tasks.len() {
            Phase::BeginTask(k + 1)
        } else {
            Phase::Finish
        };
        vec![
            Event::TaskEvaluated {
                task: k,
                acc_row,
                f1_row,
                a,
                u,
            },
            Event::Attention(snapshot),
        ]
    }

    /// The record of the run. A run stopped by a divergence holds the tasks
    /// finished before it, as if the stream had ended there (every matrix
    /// square, `tasks` and `class_names` cut to match).
    fn record(&self) -> RunRecord {
        let mut measured = self.measured.clone();
        let mut tasks = self.scenario.task_infos();
        let mut class_names = self.scenario.class_names.clone();
        if measured.stopped_by().is_some() {
            let d = measured.tasks();
            tasks.truncate(d);
            class_names.truncate(self.scenario.classes_after(d));
            measured.random_init.truncate(d);
            for row in measured
                .acc_matrix
                .iter_mut()
                .chain(measured.f1_matrix.iter_mut())
            {
                row.truncate(d);
            }
        }
        let metrics = if measured.tasks() == 0 {
            GemMetrics {
                acc: Vec::new(),
                bwt: None,
                fwt: None,
                forgetting: None,
            }
        } else {
            gem_metrics(&measured.acc_matrix, Some(&measured.random_init))
                .expect("accuracies are fractions")
        };
        RunRecord {
            version: record::RECORD_VERSION,
            config: self.config.clone(),
            tasks,
            class_names,
            measured,
            metrics,
            modality_gains: None,
            timing: Timing {
                total_s: self.started.elapsed().as_secs_f64(),
                train_samples_per_s: self.train_samples as f64 / self.train_seconds.max(1e-9),
                device: self.device_name.clone(),
            },
        }
    }
}

fn labels(samples: &[Sample]) -> Vec<usize> {
    samples.iter().map(|s| s.label).collect()
}

#[path = "boundary.rs"]
mod boundary;
#[path = "diverge.rs"]
mod diverge;
use diverge::{Boundary, Why, params_finite};

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

#[cfg(test)]
#[path = "modality_tests.rs"]
mod modality_tests;

#[cfg(test)]
#[path = "mera_tests.rs"]
mod mera_tests;

#[cfg(test)]
#[path = "mode_tests.rs"]
mod mode_tests;
