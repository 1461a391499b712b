//! Vanilla fine-tuning on each task in turn: the lower bound.

use super::{Strategy, StrategyConfig};

pub struct Finetune;

impl Strategy for Finetune {
    fn config(&self) -> StrategyConfig {
        StrategyConfig::Finetune
    }
}
