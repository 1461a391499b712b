//! Palimpsest core: data, the dual-stream model, continual-learning
//! strategies, metrics and the run loop. No UI, no web-sys: the CLI and the
//! browser app both drive it through [`run`].

pub mod data;
pub mod metrics;
pub mod model;
pub mod run;
pub mod strategy;
