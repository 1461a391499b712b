//! Experience replay with a small random memory per task.

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
        let memory = Memory::new(config.memory_per_task);
        Replay { config, memory }
    }
}

impl Strategy for Replay {
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
        _env: &Env,
        rng: &mut ChaCha8Rng,
    ) {
        self.memory.add_task(train, rng);
    }

    fn state(&self) -> StrategyState {
        StrategyState {
            memory: Some(self.memory.indices()),
            ..Default::default()
        }
    }

    fn restore(
        &mut self,
        state: StrategyState,
        _model: &Model,
        tasks: &[Task],
    ) -> Result<(), String> {
        self.memory.restore_over(state.memory, tasks)
    }
}
