//! MSPT (Chen et al., "Continual Multimodal Knowledge Graph Construction",
//! IJCAI 2024): gradient modulation (GM), hand-in-hand interaction through
//! shared keys (MI), asymmetric attention distillation (AD) and a tiny
//! rehearsal memory (MM), each switchable for ablation.

use burn::module::Module;
use burn::tensor::{Int, Tensor};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::config::MsptConfig;
use super::losses::{attention_distillation, true_class_score};
use super::memory::Memory;
use super::{Env, LrFactors, StepInput, Strategy, StrategyConfig, StrategyState};
use crate::data::{Modality, Sample, Task};
use crate::metrics::{averaged_coefficient, gm_coefficient};
use crate::model::{Logits, Model};

pub struct Mspt {
    config: MsptConfig,
    memory: Memory,
    /// The model after the previous task (for AD).
    old: Option<Model>,
    /// Per-step coefficients of the current task, per stream.
    g_image: Vec<f64>,
    g_text: Vec<f64>,
    /// G(k−1) of Eq. 8, per stream: used for every step of tasks k > 1.
    previous: Option<Coefficients>,
}

/// GM's coefficients of the two streams' updates (1: the update as it is).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coefficients {
    pub image: f64,
    pub text: f64,
}

impl Coefficients {
    /// As learning-rate factors of the two encoders' parameter groups.
    fn factors(self) -> LrFactors {
        LrFactors(vec![
            (Modality::Image.name().to_string(), self.image),
            (Modality::Text.name().to_string(), self.text),
        ])
    }
}

/// What MSPT carries across a task boundary (a checkpoint's strategy state).
#[derive(Serialize, Deserialize)]
struct Carried {
    memory: Option<Vec<Vec<usize>>>,
    previous: Option<Coefficients>,
}

/// Σ s_text and Σ s_image over a batch, detached, as one `[2]` tensor: the
/// numerator and denominator of the contribution ratio γ (MSPT Eq. 5–6),
/// from the true-class softmax scores of the unimodal heads. The runner
/// measures γ with it for every run (the γ trace); GM steers by it.
pub fn contribution(logits: &Logits, labels: &Tensor<1, Int>) -> Tensor<1> {
    let score = |m: Modality| {
        let l = logits.of(m).expect("the model has image and text encoders");
        true_class_score(l.clone(), labels.clone()).sum()
    };
    let s_text = score(Modality::Text);
    let s_image = score(Modality::Image);
    Tensor::cat(vec![s_text.detach(), s_image.detach()], 0)
}

impl Mspt {
    pub fn new(config: MsptConfig) -> Self {
        let memory = Memory::new(config.memory_per_task)
            .per_class(config.memory_per_class)
            .herding(config.herding);
        Mspt {
            config,
            memory,
            old: None,
            g_image: Vec::new(),
            g_text: Vec::new(),
            previous: None,
        }
    }
}

/// Eq. 7 applied to whichever stream dominates: γ > 1 means the text stream
/// contributes more and its update is damped; 1/γ > 1 likewise for the image.
pub fn modulation(gamma: f64, alpha: f64) -> Coefficients {
    Coefficients {
        text: gm_coefficient(gamma, alpha),
        image: gm_coefficient(1.0 / gamma.max(f64::MIN_POSITIVE), alpha),
    }
}

impl Strategy for Mspt {
    fn memory(&self) -> Option<&Memory> {
        self.config.mm.then_some(&self.memory)
    }

    fn config(&self) -> StrategyConfig {
        StrategyConfig::Mspt(self.config.clone())
    }

    fn shared_keys(&self) -> bool {
        self.config.mi
    }

    fn training_set(&mut self, task: usize, tasks: &[Task]) -> Vec<Sample> {
        if self.config.mm {
            self.memory
                .mix(&tasks[task - 1].train, self.config.memory_share)
        } else {
            tasks[task - 1].train.clone()
        }
    }

    fn before_task(&mut self, task: usize, model: &Model, _env: &Env) {
        self.old = (self.config.ad && task > 1).then(|| model.valid());
        self.g_image.clear();
        self.g_text.clear();
    }

    fn extra_loss(&mut self, step: &StepInput) -> Option<Tensor<1>> {
        let old = self.old.as_ref()?;
        let old_out = old.forward(&step.env.plain_batch(step.samples));
        let top = step.env.model.interaction_layers;
        let mut loss: Option<Tensor<1>> = None;
        for ((_, old_maps), (_, new_maps)) in old_out.maps.iter().zip(&step.out.maps) {
            let (old_maps, new_maps) = if self.config.ad_scores {
                (&old_maps.scores, &new_maps.scores)
            } else {
                (&old_maps.weights, &new_maps.weights)
            };
            let first = new_maps.len() - top;
            for l in first..new_maps.len() {
                let term =
                    attention_distillation(old_maps[l].clone().autodiff(), new_maps[l].clone());
                loss = Some(match loss {
                    Some(x) => x + term,
                    None => term,
                });
            }
        }
        loss.map(|l| l * self.config.lambda_ad)
    }

    fn needs_features(&self) -> bool {
        self.config.mm && self.config.herding
    }

    /// Eq. 9 scales each encoder's update: by the per-step coefficient on
    /// the first task, by the previous task's average afterwards.
    fn lr_factors(&mut self, _task: usize, gamma: f64) -> LrFactors {
        if !self.config.gm {
            return LrFactors::default();
        }
        let now = modulation(gamma, self.config.alpha);
        self.g_image.push(now.image);
        self.g_text.push(now.text);
        self.previous.unwrap_or(now).factors()
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
        if self.config.gm && !self.g_text.is_empty() {
            self.previous = Some(Coefficients {
                image: averaged_coefficient(&self.g_image),
                text: averaged_coefficient(&self.g_text),
            });
        }
    }

    /// MM: the rehearsal protocol of RP-CRE that MSPT adopts: keep
    /// `memory_per_task` samples of the task just learnt (by herding over the
    /// trained model's features unless `herding` is off), then train on the
    /// memory of every task so far, where old and new classes are equally few.
    fn rehearsal(
        &mut self,
        _task: usize,
        train: &[Sample],
        features: Option<&[Vec<f32>]>,
        rng: &mut ChaCha8Rng,
    ) -> Option<(Vec<Sample>, usize)> {
        if !self.config.mm {
            return None;
        }
        Some(
            self.memory
                .rehearse(train, features, rng, self.config.rehearsal_epochs),
        )
    }

    fn state(&self) -> StrategyState {
        StrategyState::of(&Carried {
            memory: self.config.mm.then(|| self.memory.indices()),
            previous: self.previous,
        })
    }

    fn restore(
        &mut self,
        state: StrategyState,
        _model: &Model,
        tasks: &[Task],
    ) -> Result<(), String> {
        let carried: Carried = state.value_as()?;
        if self.config.mm {
            self.memory.restore_over(carried.memory, tasks)?;
        }
        self.previous = carried.previous;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulation_damps_only_the_dominant_stream() {
        let s = modulation(2.0, 0.3);
        assert_eq!(s.image, 1.0);
        assert!((s.text - (1.0 - (0.6f64).tanh())).abs() < 1e-12);
        let s = modulation(0.5, 0.3);
        assert_eq!(s.text, 1.0);
        assert!((s.image - (1.0 - (0.6f64).tanh())).abs() < 1e-12);
        assert_eq!(
            modulation(1.0, 0.3),
            Coefficients {
                image: 1.0,
                text: 1.0
            }
        );
    }

    #[test]
    fn mm_rehearses_on_the_memory_of_every_task_within_budget() {
        use crate::strategy::memory::tests::samples;
        let mut m = Mspt::new(MsptConfig::default());
        assert!(m.needs_features(), "herding by default");
        let mut rng = crate::data::scenario::rng_for(0, "r");
        let features =
            |n: usize| -> Vec<Vec<f32>> { (0..n).map(|i| vec![i as f32, 1.0]).collect() };
        let (set, epochs) = m
            .rehearsal(1, &samples(100, 0), Some(&features(100)), &mut rng)
            .unwrap();
        assert_eq!((set.len(), epochs), (6, 10));
        let (set, _) = m
            .rehearsal(2, &samples(3, 1), Some(&features(3)), &mut rng)
            .unwrap();
        assert_eq!(set.len(), 9);
        assert_eq!(set.iter().filter(|s| s.label == 0).count(), 6);
        let mut off = Mspt::new(MsptConfig::default().ablate(&["mm"]).unwrap());
        assert!(!off.needs_features());
        assert!(off.rehearsal(1, &samples(100, 0), None, &mut rng).is_none());
    }

    #[test]
    fn later_tasks_use_the_previous_tasks_average() {
        let mut m = Mspt::new(MsptConfig::default());
        let first = m.lr_factors(1, 2.0);
        assert!(first.of("text") < 1.0);
        assert_eq!(first.of("image"), 1.0);
        m.lr_factors(1, 1.0);
        let device = burn::tensor::Device::flex();
        let env = Env {
            device: device.clone(),
            autodiff: device.clone().autodiff(),
            model: Default::default(),
            batch_size: 8,
            seed: 0,
        };
        let model = Model::new(
            &env.model,
            true,
            &mut crate::data::scenario::rng_for(0, "m"),
            &device,
        );
        m.after_task(
            1,
            &model,
            &[],
            None,
            &env,
            &mut crate::data::scenario::rng_for(0, "r"),
        );
        let expected_text = (first.of("text") + 1.0) / 2.0;
        // whatever γ is now, task 2 uses G(1)
        for gamma in [0.1, 1.0, 5.0] {
            let f = m.lr_factors(2, gamma);
            assert!((f.of("text") - expected_text).abs() < 1e-12);
            assert_eq!(f.of("image"), 1.0);
        }
    }
}
