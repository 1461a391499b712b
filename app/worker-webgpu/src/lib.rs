//! The WebGPU build of the training worker: `palimpsest-worker` with its
//! `webgpu` feature, linked as a module of its own (see Cargo.toml). The
//! start function and every export come from that crate.

#[cfg(target_arch = "wasm32")]
pub use palimpsest_worker::*;
