//! Learning without Forgetting (Li & Hoiem 2017): distil the previous model's
//! predictions on the old classes into the new model.

use burn::module::Module;
use burn::tensor::{Int, Tensor, TensorData};

use super::config::LwfConfig;
use super::losses::distillation;
use super::{Env, StepInput, Strategy, StrategyConfig};
use crate::data::Sample;
use crate::model::Model;

pub struct Lwf {
    config: LwfConfig,
    old: Option<Model>,
}

impl Lwf {
    pub fn new(config: LwfConfig) -> Self {
        Lwf { config, old: None }
    }
}

impl Strategy for Lwf {
    fn config(&self) -> StrategyConfig {
        StrategyConfig::Lwf(self.config.clone())
    }

    fn before_task(&mut self, task: usize, model: &Model, _env: &Env) {
        self.old = (task > 1).then(|| model.valid());
    }

    fn extra_loss(&mut self, step: &StepInput) -> Option<Tensor<1>> {
        let old = self.old.as_ref()?;
        Some(distil_from(old, step, None, self.config.temperature) * self.config.lambda)
    }
}

/// The distillation ([`distillation`]) of the step's fused logits on
/// `teacher`'s classes from `teacher`'s own on the same samples: every
/// sample of the step, or only the rows `rows` (in order).
pub fn distil_from(
    teacher: &Model,
    step: &StepInput,
    rows: Option<&[usize]>,
    temperature: f64,
) -> Tensor<1> {
    let fused = step.out.logits.fused.clone();
    let kept: Vec<&Sample>;
    let (samples, new) = match rows {
        None => (step.samples, fused),
        Some(rows) => {
            let index = Tensor::<1, Int>::from_data(
                TensorData::new(
                    rows.iter().map(|&r| r as i64).collect::<Vec<_>>(),
                    [rows.len()],
                ),
                &step.env.autodiff,
            );
            kept = rows.iter().map(|&r| step.samples[r]).collect();
            (&kept[..], fused.select(0, index))
        }
    };
    let old = teacher.forward(&step.env.plain_batch(samples)).logits.fused;
    let new = new.narrow(1, 0, teacher.classes());
    distillation(new, old.autodiff(), temperature)
}
