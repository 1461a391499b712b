//! The run between tasks: a checkpoint of it, a run resumed from one, a
//! task appended to the stream, and the model's confusion matrix.

use super::*;

impl Runner {
    /// Appends a task to the stream of a running, paused or finished run (the
    /// browser's "add class"); a finished run goes on to train it. The task
    /// must bring only new classes: models trained before it cannot output
    /// them, so their scores on it are exactly 0, which fills the new column
    /// of the rows already measured.
    pub async fn extend(&mut self, task: Task, class_names: Vec<String>) -> Result<(), RunError> {
        if let Some(d) = self.measured.stopped_by() {
            return Err(RunError::Config(format!(
                "the run {}; start a new run to train more",
                d.message()
            )));
        }
        let known = self.scenario.classes_after(self.scenario.tasks.len());
        if task.test.iter().chain(&task.train).any(|s| s.label < known) {
            return Err(RunError::Scenario(
                "an appended task may only hold new classes".into(),
            ));
        }
        let mut grown = self.scenario.clone();
        grown.tasks.push(task);
        grown.class_names = class_names;
        grown.validate().map_err(RunError::Scenario)?;
        let k = grown.tasks.len();
        self.scenario = grown;
        self.add_column(k).await;
        if matches!(self.phase, Phase::Finish | Phase::Done) {
            self.phase = Phase::BeginTask(k);
        }
        Ok(())
    }

    /// The scores on task `j` (1-based, just appended to the stream) of the
    /// models measured so far: b[j] for the untrained one, and exactly 0 in
    /// every row already measured.
    pub(super) async fn add_column(&mut self, j: usize) {
        let test = &self.scenario.tasks[j - 1].test;
        if let Some(init) = self.init_model.clone() {
            let probe = self.probe(init, self.scenario.classes_after(j));
            let pred = predict(&probe, test, &self.env).await;
            self.measured
                .random_init
                .push(accuracy(&pred, &labels(test)));
        }
        for row in self
            .measured
            .acc_matrix
            .iter_mut()
            .chain(self.measured.f1_matrix.iter_mut())
        {
            row.push(0.0);
        }
    }

    /// The model as it is now on every task's test set: `m[t][p]` counts
    /// the test samples of class `t` it predicts as `p`, over every class
    /// of the stream (`palimpsest run --confusion`).
    pub async fn confusion(&self) -> Vec<Vec<usize>> {
        let model = self.model();
        let (mut pred, mut truth) = (Vec::new(), Vec::new());
        for t in &self.scenario.tasks {
            pred.extend(predict(&model, &t.test, &self.env).await);
            truth.extend(labels(&t.test));
        }
        confusion(&pred, &truth, self.scenario.class_names.len())
    }

    /// The samples the strategy's rehearsal memory holds now (none when it
    /// keeps no memory), in the order it kept them.
    pub fn memory(&self) -> Vec<Sample> {
        self.strategy
            .memory()
            .map(|m| m.samples().cloned().collect())
            .unwrap_or_default()
    }

    /// The run as it stands at a task boundary (right after a task's
    /// evaluation), to go on from with [`Runner::resume`]; `None` elsewhere.
    pub async fn checkpoint(&self) -> Option<Checkpoint> {
        let at_boundary = matches!(
            self.phase,
            Phase::BeginTask(_) | Phase::Finish | Phase::Done
        );
        let k = self.measured.tasks();
        if !at_boundary || k == 0 || self.measured.stopped_by().is_some() {
            return None;
        }
        let state = self.strategy.state();
        let model = checkpoint::model_bytes(&self.model()).await;
        let tensors = checkpoint::read_tensors(state.tensors).await;
        Some(Checkpoint {
            header: checkpoint::Header {
                version: checkpoint::CHECKPOINT_VERSION,
                config: self.config.clone(),
                tasks_done: k,
                class_names: self.scenario.class_names[..self.scenario.classes_after(k)].to_vec(),
                rng: checkpoint::RngState::of(&self.rng),
                measured: self.measured.clone(),
                elapsed_s: self.started.elapsed().as_secs_f64(),
                train_seconds: self.train_seconds,
                train_samples: self.train_samples,
                strategy: state.value,
            },
            model,
            tensors,
        })
    }

    /// Goes on from a [`Runner::checkpoint`] on `device`. `scenario` is the
    /// stream the run trained on; it may have gained tasks since.
    pub async fn resume(
        checkpoint: Checkpoint,
        scenario: Scenario,
        device: Device,
        device_name: &str,
    ) -> Result<Runner, RunError> {
        Runner::resume_as(checkpoint, scenario, device, device_name, None).await
    }

    /// What if the run had gone on with `strategy` from the boundary of
    /// `checkpoint`? A run that starts there — the same model, random stream
    /// (so the same data order) and measurements up to the boundary — and
    /// trains the rest with `strategy`. The new strategy catches up on the
    /// tasks trained so far as it would have after each of them (its
    /// `after_task` with the boundary's model, on a random stream of its
    /// own), so that a memory holds old examples and a penalty its anchor.
    /// The record says where it forked ([`super::record::Fork`]). A
    /// strategy whose model has another shape (MoDE's experts, or from a
    /// MoDE run) cannot fork: said so.
    pub async fn fork(
        checkpoint: Checkpoint,
        strategy: crate::strategy::StrategyConfig,
        scenario: Scenario,
        device: Device,
        device_name: &str,
    ) -> Result<Runner, RunError> {
        let from = checkpoint.header.config.strategy.label();
        let k = checkpoint.header.tasks_done;
        if strategy.needs_fusion() && !checkpoint.header.config.model.fusion {
            return Err(RunError::Config(format!(
                "{} needs the fusion stage, which this run's model has not",
                strategy.label()
            )));
        }
        let mut r =
            Runner::resume_as(checkpoint, scenario, device, device_name, Some(strategy)).await?;
        r.measured.forked = Some(super::record::Fork {
            from,
            after_task: k,
        });
        Ok(r)
    }

    async fn resume_as(
        checkpoint: Checkpoint,
        scenario: Scenario,
        device: Device,
        device_name: &str,
        other: Option<crate::strategy::StrategyConfig>,
    ) -> Result<Runner, RunError> {
        let bad = |m: &str| Err(RunError::Checkpoint(m.to_string()));
        let mut h = checkpoint.header;
        let forking = other.is_some();
        if let Some(s) = other {
            h.config.strategy = s;
        }
        let k = h.tasks_done;
        let m = &h.measured;
        let tasks = m.random_init.len();
        if k == 0 || k > tasks || tasks > scenario.tasks.len() {
            return bad("its task count does not fit the stream");
        }
        if scenario.class_names.get(..scenario.classes_after(k)) != Some(&h.class_names[..]) {
            return bad("it was taken on another stream (the class names differ)");
        }
        let rows_fit = |m: &Vec<Vec<f64>>| m.len() == k && m.iter().all(|r| r.len() == tasks);
        if !rows_fit(&m.acc_matrix) || !rows_fit(&m.f1_matrix) || m.a.len() != k || m.u.len() != k {
            return bad("its accuracy matrix does not match its task count");
        }
        let rng = h.rng.rng().map_err(RunError::Checkpoint)?;
        let mut r = Runner::new(h.config, scenario, device, device_name)?;
        r.init_model = Some(r.model());
        let mut model = r.model.take().expect("a new runner has its model");
        for j in 1..=k {
            model = r.grow_classifier(model, j);
        }
        let model = r.strategy.shape(k, model, &r.env);
        let model = checkpoint::load_model(model, &checkpoint.model).map_err(|e| {
            if forking {
                RunError::Config(format!(
                    "{} cannot go on from this run: its model has another shape ({e})",
                    r.config.strategy.label()
                ))
            } else {
                RunError::Checkpoint(e)
            }
        })?;
        if forking {
            r.model = Some(model);
            r.catch_up(k).await;
        } else {
            let state = StrategyState {
                value: h.strategy,
                tensors: checkpoint::state_tensors(&checkpoint.tensors, &r.env.autodiff),
            };
            r.strategy
                .restore(state, &model, &r.scenario.tasks[..k])
                .map_err(RunError::Checkpoint)?;
            r.model = Some(model);
        }
        r.rng = rng;
        r.measured = h.measured;
        r.lr = r.measured.lr_after_divergences(r.config.lr);
        r.train_seconds = h.train_seconds;
        r.train_samples = h.train_samples;
        // a header's number may be anything: 1e300 s is no Duration
        let elapsed =
            std::time::Duration::try_from_secs_f64(h.elapsed_s.max(0.0)).map_err(|_| {
                RunError::Checkpoint(format!(
                    "its elapsed time ({} s) is not a duration",
                    h.elapsed_s
                ))
            })?;
        r.started = Instant::now()
            .checked_sub(elapsed)
            .unwrap_or_else(Instant::now);
        r.task = k;
        for j in tasks + 1..=r.scenario.tasks.len() {
            r.add_column(j).await;
        }
        r.phase = if k < r.scenario.tasks.len() {
            Phase::BeginTask(k + 1)
        } else {
            Phase::Finish
        };
        Ok(r)
    }

    /// A forked run's new strategy takes in tasks 1..=k as it would have
    /// after each (see [`Runner::fork`]), with the boundary's model.
    async fn catch_up(&mut self, k: usize) {
        let mut rng = rng_for(self.config.seed, "what-if");
        for j in 1..=k {
            let model = self.model();
            self.strategy.before_task(j, &model, &self.env);
            self.ensure_features(j).await;
            let train = &self.scenario.tasks[j - 1].train;
            self.strategy.after_task(
                j,
                &model,
                train,
                Self::features_of(&self.features, j),
                &self.env,
                &mut rng,
            );
            self.features = None;
        }
    }
}
