//! Joint training on all data seen so far: the upper bound.

use super::{Strategy, StrategyConfig};
use crate::data::{Sample, Task};

pub struct Joint;

impl Strategy for Joint {
    fn config(&self) -> StrategyConfig {
        StrategyConfig::Joint
    }

    fn training_set(&mut self, task: usize, tasks: &[Task]) -> Vec<Sample> {
        tasks[..task]
            .iter()
            .flat_map(|t| t.train.iter().cloned())
            .collect()
    }
}
