//! Learning without Forgetting (Li & Hoiem 2017): distil the previous model's
//! predictions on the old classes into the new model.

use burn::module::Module;
use burn::tensor::Tensor;

use super::config::LwfConfig;
use super::losses::distillation;
use super::{Env, StepInput, Strategy, StrategyConfig};
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
        let old_classes = old.classes();
        let old_logits = old
            .forward(&step.env.plain_batch(step.samples))
            .logits
            .fused;
        let new_logits = step.out.logits.fused.clone().narrow(1, 0, old_classes);
        Some(
            distillation(new_logits, old_logits.autodiff(), self.config.temperature)
                * self.config.lambda,
        )
    }
}
