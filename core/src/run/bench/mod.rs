//! How fast the model a run config describes trains and predicts: the run
//! loop's own finetune step (batching, forward, loss, the read-back of the
//! loss and γ's scores, backward, Adam) timed on the batches of the
//! scenario's first task, and one sample's prediction. `palimpsest bench`
//! runs it natively, the browser's worker in wasm or on WebGPU; `bench/`
//! sets PyTorch's copy of the same step beside it.

use serde::{Deserialize, Serialize};

use crate::model::ModelConfig;

#[cfg(feature = "train")]
mod timing;
#[cfg(feature = "train")]
pub use timing::{bench, cpu_threads};

/// What to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchPlan {
    /// Steps run before timing starts (allocations, caches).
    pub warmup: usize,
    /// Steps timed.
    pub steps: usize,
    /// The classifier as after this many tasks of the scenario (one chunk
    /// of outputs per task, as a run grows it).
    pub tasks: usize,
}

/// What one bench measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub plan: BenchPlan,
    /// Trainable parameters of the model timed.
    pub params: usize,
    pub classes: usize,
    /// The classifier's chunks of outputs, one per task, in order.
    pub chunks: Vec<usize>,
    pub batch: usize,
    /// Pixels a side of the images.
    pub image_size: usize,
    /// Matrix-product FLOPs of one training step ([`training_flops`]).
    pub flops_per_step: f64,
    /// Each timed step, milliseconds.
    pub step_ms: Vec<f64>,
    pub median_step_ms: f64,
    pub samples_per_s: f64,
    /// `flops_per_step` over the median step, GFLOP/s.
    pub gflops: f64,
    /// One sample's prediction (forward without autodiff and the read-back
    /// of its logits), median over `steps` repetitions, milliseconds.
    pub predict_ms: f64,
}

/// Matrix-product FLOPs (2·m·n·k each) of one training step of `model` on
/// `batch` samples and `classes` outputs: the forward pass's three times
/// (the backward pass computes two products per forward one), except the
/// patch embedding's twice (its input needs no gradient); the text
/// embedding is a lookup. Element-wise work (norms, softmax, GELU, Adam) is
/// not counted.
pub fn training_flops(model: &ModelConfig, batch: usize, classes: usize) -> f64 {
    let (b, s, d, f) = (
        batch as f64,
        model.seq_len() as f64,
        model.d_model as f64,
        model.d_ff as f64,
    );
    let attention = 3.0 * 2.0 * b * s * d * d // query, key, value
        + 2.0 * 2.0 * b * s * s * d; // scores and context
    // Each position's output map and feed-forward half, except in a stream's
    // top layer, which computes them for [CLS] alone.
    let per_position = 2.0 * b * d * d + 2.0 * 2.0 * b * d * f;
    let layer = attention + s * per_position;
    let top = attention + per_position;
    let streams = model.encoders.len() as f64;
    let classifier = streams * 2.0 * b * d * classes as f64;
    let layers = streams * ((model.layers - 1) as f64 * layer + top);
    let pixel_streams = model
        .modalities()
        .iter()
        .filter(|m| m.kind() == crate::data::InputKind::Pixels)
        .count() as f64;
    let patches = pixel_streams
        * 2.0
        * b
        * model.patches() as f64
        * (model.patch * model.patch * 3) as f64
        * d;
    3.0 * (layers + classifier) + 2.0 * patches
}

/// The median of `values` (NaN when there are none).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flops_of_the_default_model_counted_by_hand() {
        // d 64, d_ff 128, seq 17, 2 layers a stream, 2 streams, batch 32,
        // 4 classes, patches 16 of 8·8·3 values.
        let m = ModelConfig::default();
        let (b, s, d, f) = (32.0, 17.0, 64.0, 128.0);
        let layer = 8.0 * b * s * d * d + 4.0 * b * s * s * d + 4.0 * b * s * d * f;
        // the top layer: the output map and feed-forward half for [CLS] only
        let top = 6.0 * b * s * d * d + 4.0 * b * s * s * d + 2.0 * b * d * d + 4.0 * b * d * f;
        let forward_rest = 2.0 * (layer + top) + 2.0 * 2.0 * b * d * 4.0;
        let patches = 2.0 * b * 16.0 * 192.0 * d;
        assert_eq!(
            training_flops(&m, 32, 4),
            3.0 * forward_rest + 2.0 * patches
        );
        // cost grows with the batch linearly
        assert_eq!(training_flops(&m, 64, 4), 2.0 * training_flops(&m, 32, 4));
    }

    #[test]
    fn median_of_odd_even_and_no_values() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
