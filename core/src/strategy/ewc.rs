//! Online EWC (Kirkpatrick et al. 2017; Schwarz et al. 2018): a quadratic
//! penalty that anchors each parameter in proportion to its (diagonal,
//! empirical) Fisher information, accumulated with decay across tasks.

use std::collections::HashMap;

use burn::module::ParamId;
use burn::tensor::Tensor;
use rand_chacha::ChaCha8Rng;

use super::config::EwcConfig;
use super::losses::cross_entropy;
use super::params::{flat_grads, flat_params};
use super::{Env, StepInput, Strategy, StrategyConfig, StrategyState};
use crate::data::{Sample, Task};
use crate::model::Model;

pub struct Ewc {
    config: EwcConfig,
    /// Per parameter: (Fisher, anchor θ*), both detached.
    anchors: HashMap<ParamId, (Tensor<1>, Tensor<1>)>,
}

impl Ewc {
    pub fn new(config: EwcConfig) -> Self {
        Ewc {
            config,
            anchors: HashMap::new(),
        }
    }

    /// Mean squared mini-batch gradient of the cross-entropy over up to
    /// `fisher_samples` training samples.
    fn fisher(&self, model: &Model, train: &[Sample], env: &Env) -> HashMap<ParamId, Tensor<1>> {
        let n = train.len().min(self.config.fisher_samples);
        let mut sum: HashMap<ParamId, Tensor<1>> = HashMap::new();
        let mut batches = 0usize;
        for chunk in train[..n].chunks(env.batch_size.max(1)) {
            let refs: Vec<&Sample> = chunk.iter().collect();
            let batch = env.train_batch(&refs);
            let out = model.forward(&batch);
            let grads = cross_entropy(out.logits.fused, batch.labels).backward();
            for (id, g) in flat_grads(model, &grads) {
                let sq = g.powi_scalar(2);
                let acc = match sum.remove(&id) {
                    Some(prev) => prev + sq,
                    None => sq,
                };
                sum.insert(id, acc);
            }
            batches += 1;
        }
        sum.into_iter()
            .map(|(id, f)| (id, f / batches.max(1) as f64))
            .collect()
    }
}

impl Strategy for Ewc {
    fn config(&self) -> StrategyConfig {
        StrategyConfig::Ewc(self.config.clone())
    }

    fn extra_loss(&mut self, step: &StepInput) -> Option<Tensor<1>> {
        if self.anchors.is_empty() {
            return None;
        }
        let mut penalty: Option<Tensor<1>> = None;
        for (id, theta) in flat_params(step.model) {
            if let Some((fisher, star)) = self.anchors.get(&id) {
                let term = (fisher.clone() * (theta - star.clone()).powi_scalar(2)).sum();
                penalty = Some(match penalty {
                    Some(p) => p + term,
                    None => term,
                });
            }
        }
        penalty.map(|p| p * (self.config.lambda / 2.0))
    }

    fn after_task(
        &mut self,
        _task: usize,
        model: &Model,
        train: &[Sample],
        _features: Option<&[Vec<f32>]>,
        env: &Env,
        _rng: &mut ChaCha8Rng,
    ) {
        let fisher = self.fisher(model, train, env);
        let params: HashMap<ParamId, Tensor<1>> = flat_params(model).into_iter().collect();
        let mut next = HashMap::new();
        for (id, f_new) in fisher {
            let f_new = f_new.autodiff().detach();
            let f = match self.anchors.get(&id) {
                Some((f_old, _)) => f_old.clone() * self.config.decay + f_new,
                None => f_new,
            };
            if let Some(theta) = params.get(&id) {
                next.insert(id, (f, theta.clone().detach()));
            }
        }
        self.anchors = next;
    }

    /// The Fisher information, one tensor per parameter, named
    /// `fisher/<parameter id>` (ids survive a checkpoint of the model).
    fn state(&self) -> StrategyState {
        let mut ids: Vec<&ParamId> = self.anchors.keys().collect();
        ids.sort();
        StrategyState {
            value: serde_json::Value::Null,
            tensors: ids
                .into_iter()
                .map(|id| (format!("fisher/{}", id.val()), self.anchors[id].0.clone()))
                .collect(),
        }
    }

    /// θ* is the model the checkpoint holds: the one `after_task` anchored to.
    fn restore(
        &mut self,
        state: StrategyState,
        model: &Model,
        tasks: &[Task],
    ) -> Result<(), String> {
        if state.tensors.is_empty() && !tasks.is_empty() {
            return Err("the checkpoint has no EWC Fisher information".into());
        }
        let params: HashMap<ParamId, Tensor<1>> = flat_params(model).into_iter().collect();
        let mut anchors = HashMap::new();
        for (name, f) in state.tensors {
            let id = name
                .strip_prefix("fisher/")
                .and_then(|id| id.parse::<u64>().ok())
                .map(ParamId::from)
                .ok_or_else(|| format!("the EWC state holds an unknown tensor '{name}'"))?;
            let theta = params
                .get(&id)
                .ok_or("the EWC Fisher information names a parameter the model lacks")?;
            if theta.dims() != f.dims() {
                return Err("the EWC Fisher information does not fit the model".into());
            }
            anchors.insert(id, (f.detach(), theta.clone().detach()));
        }
        self.anchors = anchors;
        Ok(())
    }
}
