//! Samples, the bundled pack, the pretraining pool, tokenizer, image preparation and the task streams.

pub mod caption;
pub mod entity;
pub mod folder;
pub mod logmel;
mod metadata;
pub mod modality;
pub mod pack;
mod pairing;
pub mod pool;
pub mod prep;
pub mod relation;
pub mod sample;
pub mod scenario;
pub mod sketch;
pub mod tokenizer;

pub use sample::{IMAGE_BYTES, IMAGE_SIZE, Input, InputKind, Modality, Sample};
pub use scenario::{Scenario, Task, TaskInfo};
