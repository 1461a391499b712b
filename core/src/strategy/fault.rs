//! Faults injected into a real strategy, for tests of what a run does when
//! training diverges (no setting within its range makes the small models
//! diverge on the CPU): the loss of a step made NaN, or a learning-rate
//! factor made NaN (the step's loss stays finite, the parameters after it
//! do not). Everything else is the wrapped strategy's. The CLI reaches it
//! through `PALIMPSEST_DIVERGE_AT`, as the app's `?fault=N` reaches a lost
//! device.

use burn::tensor::{Tensor, TensorData};
use rand_chacha::ChaCha8Rng;

use super::{Env, LrFactors, StepInput, Strategy, StrategyConfig, StrategyState};
use crate::data::{Sample, Task};
use crate::model::Model;

/// `inner` with faults at (task, step) of an attempt at a task (steps
/// counted from 1, as [`crate::run::Event::Step`] counts them). Each entry
/// fires once: a task that starts again trains cleanly unless its entry is
/// listed twice.
pub struct Faulty {
    inner: Box<dyn Strategy>,
    nan_loss_at: Vec<(usize, usize)>,
    nan_params_at: Vec<(usize, usize)>,
    /// Steps of the current attempt so far.
    step: usize,
}

impl Faulty {
    pub fn new(
        inner: Box<dyn Strategy>,
        nan_loss_at: &[(usize, usize)],
        nan_params_at: &[(usize, usize)],
    ) -> Faulty {
        Faulty {
            inner,
            nan_loss_at: nan_loss_at.to_vec(),
            nan_params_at: nan_params_at.to_vec(),
            step: 0,
        }
    }

    /// Reads `TASK:STEP[,TASK:STEP…]` (where the loss is made NaN).
    pub fn parse_points(text: &str) -> Result<Vec<(usize, usize)>, String> {
        text.split(',')
            .map(|p| {
                let (t, s) = p.trim().split_once(':').unwrap_or(("", ""));
                match (t.parse(), s.parse()) {
                    (Ok(t), Ok(s)) if t > 0 && s > 0 => Ok((t, s)),
                    _ => Err(format!("'{p}' is not TASK:STEP (both from 1)")),
                }
            })
            .collect()
    }

    fn fires(list: &mut Vec<(usize, usize)>, at: (usize, usize)) -> bool {
        match list.iter().position(|x| *x == at) {
            Some(i) => {
                list.remove(i);
                true
            }
            None => false,
        }
    }
}

impl Strategy for Faulty {
    fn memory(&self) -> Option<&super::memory::Memory> {
        self.inner.memory()
    }

    fn config(&self) -> StrategyConfig {
        self.inner.config()
    }
    fn shared_keys(&self) -> bool {
        self.inner.shared_keys()
    }
    fn training_set(&mut self, task: usize, tasks: &[Task]) -> Vec<Sample> {
        self.inner.training_set(task, tasks)
    }
    fn before_task(&mut self, task: usize, model: &Model, env: &Env) {
        self.step = 0;
        self.inner.before_task(task, model, env)
    }
    fn extra_loss(&mut self, step: &StepInput) -> Option<Tensor<1>> {
        self.step += 1;
        let inner = self.inner.extra_loss(step);
        if !Self::fires(&mut self.nan_loss_at, (step.task, self.step)) {
            return inner;
        }
        let nan = Tensor::from_data(TensorData::new(vec![f32::NAN], [1]), &step.env.autodiff);
        Some(match inner {
            Some(e) => e + nan,
            None => nan,
        })
    }
    fn adapt(&mut self, task: usize, model: Model, env: &Env) -> Model {
        self.inner.adapt(task, model, env)
    }
    fn shape(&self, tasks_done: usize, model: Model, env: &Env) -> Model {
        self.inner.shape(tasks_done, model, env)
    }
    fn lr_factors(&mut self, task: usize, gamma: f64) -> LrFactors {
        let mut f = self.inner.lr_factors(task, gamma);
        if Self::fires(&mut self.nan_params_at, (task, self.step)) {
            f.0.push(("classifier".into(), f64::NAN));
        }
        f
    }
    fn after_epochs(&mut self, task: usize, model: Model, env: &Env) -> Model {
        self.inner.after_epochs(task, model, env)
    }
    fn rehearsal(
        &mut self,
        task: usize,
        train: &[Sample],
        features: Option<&[Vec<f32>]>,
        rng: &mut ChaCha8Rng,
    ) -> Option<(Vec<Sample>, usize)> {
        self.inner.rehearsal(task, train, features, rng)
    }
    fn needs_features(&self) -> bool {
        self.inner.needs_features()
    }
    fn after_task(
        &mut self,
        task: usize,
        model: &Model,
        train: &[Sample],
        features: Option<&[Vec<f32>]>,
        env: &Env,
        rng: &mut ChaCha8Rng,
    ) {
        self.inner
            .after_task(task, model, train, features, env, rng)
    }
    fn state(&self) -> StrategyState {
        self.inner.state()
    }
    fn restore(
        &mut self,
        state: StrategyState,
        model: &Model,
        tasks: &[Task],
    ) -> Result<(), String> {
        self.inner.restore(state, model, tasks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_parse_and_bad_ones_are_named() {
        assert_eq!(
            Faulty::parse_points("2:3, 2:3").unwrap(),
            vec![(2, 3), (2, 3)]
        );
        for bad in ["", "2", "0:1", "1:x", "2:3,"] {
            assert!(Faulty::parse_points(bad).is_err(), "{bad}");
        }
    }
}
