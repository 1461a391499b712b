//! When training diverges: a step whose loss, or a phase whose parameters,
//! are not finite, or whose loss blew up, sends the task back to the boundary it started from, at
//! half the learning rate the first time; the second time the run stops.

use burn::tensor::Tensor;
use rand_chacha::ChaCha8Rng;

use super::{Phase, Runner};
use crate::model::Model;
use crate::run::device::read_floats;
use crate::run::record::{Divergence, DivergenceCause, Event, Measured};
use crate::strategy::StrategyState;
use crate::strategy::params::flat_params;

/// The run as it entered the current task (the last task boundary): where
/// training goes back to when the task diverges. Taken at the start of
/// every task; its tensors are shared with the live ones (burn's tensors
/// are values), so it costs no copy and no read-back.
pub(super) struct Boundary {
    pub(super) model: Model,
    pub(super) strategy: StrategyState,
    pub(super) rng: ChaCha8Rng,
    pub(super) measured: Measured,
}

impl Runner {
    /// Task `k` diverged at `step` (`what` was not finite): back to the
    /// boundary the task started from, its values of this attempt dropped.
    /// The first time in a run, the task starts again at half the learning
    /// rate; the second time, the run stops and its record holds the tasks
    /// finished before.
    pub(super) async fn diverge(&mut self, k: usize, step: usize, why: Why) -> Event {
        let b = self
            .boundary
            .take()
            .expect("a task in training has its boundary");
        self.strategy
            .restore(b.strategy, &b.model, &self.scenario.tasks[..k - 1])
            .expect("a strategy takes back the state it gave");
        self.model = Some(b.model);
        self.rng = b.rng;
        self.measured = b.measured;
        self.features = None;
        self.train_set.clear();
        let retried = !self.measured.divergences.iter().any(|d| d.retried);
        let (cause, what) = match why {
            Why::NotFinite(what) => (DivergenceCause::NotFinite, Some(what)),
            Why::Cause(c) => (c, None),
        };
        let divergence = Divergence {
            task: k,
            step,
            lr: self.lr,
            retried,
            cause,
        };
        let message = divergence.describe(what);
        self.measured.divergences.push(divergence);
        if retried {
            self.lr /= 2.0;
            self.phase = Phase::BeginTask(k);
        } else {
            self.phase = Phase::Finish;
        }
        Event::Diverged {
            task: k,
            step,
            lr: self.measured.divergences.last().expect("just pushed").lr,
            retrying: retried,
            message,
        }
    }
}

/// Why [`Runner::diverge`] is called.
pub(super) enum Why {
    /// This was not a finite number ("its loss", "the parameters after it").
    NotFinite(&'static str),
    Cause(DivergenceCause),
}

/// Whether every parameter of `model` is a finite number: one read-back of
/// one sum per parameter (a sum is NaN or infinite when any value is).
pub(super) async fn params_finite(model: &Model) -> bool {
    let sums: Vec<Tensor<1>> = flat_params(model)
        .into_iter()
        .map(|(_, t)| t.sum())
        .collect();
    if sums.is_empty() {
        return true;
    }
    read_floats(Tensor::cat(sums, 0))
        .await
        .iter()
        .all(|v| v.is_finite())
}
