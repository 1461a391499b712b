//! Experience replay with a small memory per task (or class), random or herded.

use rand_chacha::ChaCha8Rng;

use super::config::ReplayConfig;
use super::memory::Memory;
use super::{Env, Strategy, StrategyConfig, StrategyState};
use crate::data::{Sample, Task};
use crate::model::Model;

pub struct Replay {
    config: ReplayConfig,
    memory: Memory,
}

impl Replay {
    pub fn new(config: ReplayConfig) -> Self {
        let memory = Memory::new(config.memory_per_task)
            .per_class(config.memory_per_class)
            .percent(config.memory_percent)
            .herding(config.herding);
        Replay { config, memory }
    }
}

impl Strategy for Replay {
    fn memory(&self) -> Option<&Memory> {
        Some(&self.memory)
    }

    fn config(&self) -> StrategyConfig {
        StrategyConfig::Replay(self.config.clone())
    }

    fn training_set(&mut self, task: usize, tasks: &[Task]) -> Vec<Sample> {
        self.memory
            .mix(&tasks[task - 1].train, self.config.memory_share)
    }

    fn after_task(
        &mut self,
        _task: usize,
        _model: &Model,
        train: &[Sample],
        features: Option<&[Vec<f32>]>,
        _env: &Env,
        rng: &mut ChaCha8Rng,
    ) {
        self.memory.add_task(train, features, rng);
    }

    fn needs_features(&self) -> bool {
        self.config.herding
    }

    fn state(&self) -> StrategyState {
        StrategyState::of(&self.memory.indices())
    }

    fn restore(
        &mut self,
        state: StrategyState,
        _model: &Model,
        tasks: &[Task],
    ) -> Result<(), String> {
        self.memory.restore_over(Some(state.value_as()?), tasks)
    }
}
