//! MERA, "Merge then Realign" (Zhang et al., 2025): modality-incremental
//! learning in two stages after each task's own (vanilla) training.
//!
//! 1. **Merge**: the modality-agnostic parameters — the shared trunk (if the
//!    model has one, `model.trunk`), the shared fusion block and the
//!    classifier, which every modality passes through — become the
//!    cumulative moving average θ_k = (k−1)/k · θ_{k−1} + 1/k · θ_k,vanilla
//!    of their values before and after task k. The modality-specific
//!    encoders and connectors keep what the task made of them.
//! 2. **Realign**: only the connectors train, on a replay of r % of every
//!    task so far (the current one included, as MERA samples it), so that
//!    each modality's connector meets the merged block again.
//!
//! It needs the fusion stage (`model.fusion`): without it there is no
//! shared part to merge and no connector to realign.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::tensor::Tensor;
use rand_chacha::ChaCha8Rng;

use super::config::MeraConfig;
use super::memory::Memory;
use super::params::flat_params;
use super::{Env, LrFactors, Strategy, StrategyConfig, StrategyState};
use crate::data::{Sample, Task};
use crate::model::Model;

/// The parameter groups MERA merges: those every modality shares (the
/// trunk where the model has one).
pub const AGNOSTIC: [&str; 3] = ["trunk", "fusion", "classifier"];
/// The one group realigning trains.
pub const REALIGNED: &str = "connectors";

pub struct Mera {
    config: MeraConfig,
    /// The modality-agnostic parameters as the current task began (θ_{k−1}),
    /// flattened and detached.
    previous: HashMap<ParamId, Tensor<1>>,
    /// r % of each task's training set, kept as the task ends.
    replay: Memory,
    /// The model's group names, to freeze all but the connectors.
    groups: Vec<String>,
    realigning: bool,
}

impl Mera {
    pub fn new(config: MeraConfig) -> Self {
        let replay = Memory::new(0).percent(config.replay_percent);
        Mera {
            config,
            previous: HashMap::new(),
            replay,
            groups: Vec::new(),
            realigning: false,
        }
    }
}

/// The ids of `model`'s parameters in the groups `names`.
pub fn ids_of(model: &Model, names: &[&str]) -> Vec<ParamId> {
    model
        .param_groups()
        .into_iter()
        .filter(|(g, _)| names.contains(g))
        .flat_map(|(_, ids)| ids)
        .collect()
}

/// `model` with each parameter found in `previous` (same id, same size)
/// replaced by the cumulative moving average of stage `k` (1-based):
/// `(k−1)/k · previous + 1/k · current`. Others are kept as they are: a
/// classifier chunk grown for this task has no previous value.
pub fn cma_merge(model: Model, previous: &HashMap<ParamId, Tensor<1>>, k: usize) -> Model {
    interpolate(model, previous, (k as f64 - 1.0) / k as f64)
}

/// `model` with each parameter found in `previous` (same id, same size)
/// replaced by `w · previous + (1 − w) · current` (w = 1 puts the previous
/// values back).
pub fn interpolate(model: Model, previous: &HashMap<ParamId, Tensor<1>>, w: f64) -> Model {
    struct Merge<'a> {
        previous: &'a HashMap<ParamId, Tensor<1>>,
        w: f64,
    }
    impl ModuleMapper for Merge<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let Some(prev) = self.previous.get(&param.id) else {
                return param;
            };
            let w = self.w;
            let prev = prev.clone();
            param.map(|current| {
                let grad = current.is_require_grad();
                let dims = current.dims();
                if prev.dims()[0] != current.shape().num_elements() {
                    return current;
                }
                let merged = current.detach() * (1.0 - w) + prev.reshape(dims) * w;
                merged.detach().set_require_grad(grad)
            })
        }
    }
    model.map(&mut Merge { previous, w })
}

impl Strategy for Mera {
    fn memory(&self) -> Option<&Memory> {
        Some(&self.replay)
    }

    fn config(&self) -> StrategyConfig {
        StrategyConfig::Mera(self.config.clone())
    }

    fn before_task(&mut self, _task: usize, model: &Model, _env: &Env) {
        self.realigning = false;
        self.groups = model.group_names();
        self.previous.clear();
        if self.config.merge {
            let ids = ids_of(model, &AGNOSTIC);
            self.previous = flat_params(model)
                .into_iter()
                .filter(|(id, _)| ids.contains(id))
                .map(|(id, t)| (id, t.detach()))
                .collect();
        }
    }

    fn after_epochs(&mut self, task: usize, model: Model, _env: &Env) -> Model {
        if self.config.merge && task > 1 {
            cma_merge(model, &self.previous, task)
        } else {
            model
        }
    }

    fn rehearsal(
        &mut self,
        _task: usize,
        train: &[Sample],
        _features: Option<&[Vec<f32>]>,
        rng: &mut ChaCha8Rng,
    ) -> Option<(Vec<Sample>, usize)> {
        if !self.config.realign {
            return None;
        }
        self.realigning = true;
        Some(
            self.replay
                .rehearse(train, None, rng, self.config.realign_epochs),
        )
    }

    fn lr_factors(&mut self, _task: usize, _gamma: f64) -> LrFactors {
        if !self.realigning {
            return LrFactors::default();
        }
        LrFactors(
            self.groups
                .iter()
                .filter(|g| *g != REALIGNED)
                .map(|g| (g.clone(), 0.0))
                .collect(),
        )
    }

    fn after_task(
        &mut self,
        _task: usize,
        _model: &Model,
        _train: &[Sample],
        _features: Option<&[Vec<f32>]>,
        _env: &Env,
        _rng: &mut ChaCha8Rng,
    ) {
        self.realigning = false;
        self.previous.clear();
    }

    fn state(&self) -> StrategyState {
        StrategyState::of(&self.replay.indices())
    }

    fn restore(
        &mut self,
        state: StrategyState,
        _model: &Model,
        tasks: &[Task],
    ) -> Result<(), String> {
        self.realigning = false;
        self.replay.restore_over(Some(state.value_as()?), tasks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::scenario::rng_for;
    use crate::model::ModelConfig;
    use burn::tensor::{Device, TensorData};

    fn fusion_model(seed: u64) -> Model {
        let config = ModelConfig {
            fusion: true,
            ..ModelConfig::default()
        };
        let device = Device::flex();
        Model::new(&config, false, &mut rng_for(seed, "model"), &device).expand_to(
            3,
            &mut rng_for(seed, "classes"),
            &device,
        )
    }

    fn values(model: &Model) -> HashMap<ParamId, Vec<f32>> {
        flat_params(model)
            .into_iter()
            .map(|(id, t)| (id, t.into_data().try_to_vec::<f32>().unwrap()))
            .collect()
    }

    #[test]
    fn the_cma_merge_averages_only_the_given_parameters() {
        let device = Device::flex();
        let model = fusion_model(1);
        let agnostic = ids_of(&model, &AGNOSTIC);
        assert!(!agnostic.is_empty());
        // θ_{k−1}: every agnostic value 1 (3 for k = 3 below); θ_k: as drawn
        let before = values(&model);
        for (k, prev_value) in [(2usize, 1.0f32), (3, 3.0)] {
            let previous: HashMap<ParamId, Tensor<1>> = flat_params(&model)
                .into_iter()
                .filter(|(id, _)| agnostic.contains(id))
                .map(|(id, t)| {
                    let n = t.dims()[0];
                    let ones = TensorData::new(vec![prev_value; n], [n]);
                    (id, Tensor::from_data(ones, &device))
                })
                .collect();
            let merged = values(&cma_merge(model.clone(), &previous, k));
            for (id, now) in &before {
                let got = &merged[id];
                if agnostic.contains(id) {
                    let w = 1.0 / k as f32;
                    for (g, x) in got.iter().zip(now) {
                        let want = (1.0 - w) * prev_value + w * x;
                        assert!((g - want).abs() < 1e-6, "k={k}: {g} vs {want}");
                    }
                } else {
                    assert_eq!(got, now, "a modality-specific parameter moved");
                }
            }
        }
    }

    #[test]
    fn merged_parameters_still_train() {
        let device = Device::flex().autodiff();
        let config = ModelConfig {
            fusion: true,
            ..ModelConfig::default()
        };
        let model = Model::new(&config, false, &mut rng_for(4, "model"), &device);
        let previous: HashMap<ParamId, Tensor<1>> = flat_params(&model)
            .into_iter()
            .map(|(id, t)| (id, t.detach() * 2.0))
            .collect();
        let merged = cma_merge(model, &previous, 2);
        let up = &merged.fusion.as_ref().unwrap().shared.up.weight;
        assert!(up.val().is_require_grad());
        let grads = up.val().sum().backward();
        assert!(up.val().grad(&grads).is_some());
    }

    #[test]
    fn a_parameter_of_another_size_is_not_merged() {
        let device = Device::flex();
        let model = fusion_model(2);
        let (id, t) = flat_params(&model)
            .into_iter()
            .find(|(id, _)| ids_of(&model, &["classifier"]).contains(id))
            .unwrap();
        let n = t.dims()[0];
        let wrong = Tensor::from_data(TensorData::new(vec![9.0f32; n + 1], [n + 1]), &device);
        let previous = HashMap::from([(id, wrong)]);
        assert_eq!(
            values(&cma_merge(model.clone(), &previous, 2)),
            values(&model)
        );
    }

    #[test]
    fn realigning_freezes_every_group_but_the_connectors() {
        let model = fusion_model(3);
        let env = Env {
            device: Device::flex(),
            autodiff: Device::flex().autodiff(),
            model: ModelConfig::default(),
            batch_size: 4,
            seed: 0,
        };
        let mut mera = Mera::new(MeraConfig::default());
        mera.before_task(1, &model, &env);
        assert!(mera.lr_factors(1, 1.0).is_neutral());
        let train: Vec<Sample> = (0..30)
            .map(|i| Sample::image_text(None, Some(format!("w{i}")), i % 3))
            .collect();
        let (replay, epochs) = mera
            .rehearsal(1, &train, None, &mut rng_for(0, "r"))
            .unwrap();
        assert_eq!((replay.len(), epochs), (3, 5));
        let f = mera.lr_factors(1, 1.0);
        assert_eq!(f.of(REALIGNED), 1.0);
        for (group, _) in model.param_groups() {
            if group != REALIGNED {
                assert_eq!(f.of(group), 0.0, "{group}");
            }
        }
        // the next task trains everything again
        mera.before_task(2, &model, &env);
        assert!(mera.lr_factors(2, 1.0).is_neutral());
    }
}
