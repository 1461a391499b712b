//! Inference with a trained model: predicted classes, the top classes of
//! one sample, and where the model looks.

use burn::tensor::Tensor;
use burn::tensor::activation::softmax;

use super::device::{read_floats, read_ints};
use super::record::AttentionSnapshot;
use crate::data::tokenizer::words;
use crate::data::{Modality, Sample};
use crate::model::Model;
use crate::strategy::Env;

/// Predicted class of every sample, in batches.
pub async fn predict(model: &Model, samples: &[Sample], env: &Env) -> Vec<usize> {
    let mut out = Vec::with_capacity(samples.len());
    for chunk in samples.chunks(128) {
        let refs: Vec<&Sample> = chunk.iter().collect();
        let logits = model.forward(&env.plain_batch(&refs)).logits.fused;
        let n = refs.len();
        out.extend(read_ints(logits.argmax(1).reshape([n])).await);
    }
    out
}

/// The `k` most probable classes for one sample, with their softmax
/// probabilities, most probable first.
pub async fn top_k(model: &Model, sample: &Sample, env: &Env, k: usize) -> Vec<(usize, f64)> {
    let logits = model.forward(&env.plain_batch(&[sample])).logits.fused;
    let n = model.classes();
    let probs = read_floats(softmax(logits, 1).reshape([n])).await;
    ranked(probs, k)
}

fn ranked(probs: Vec<f64>, k: usize) -> Vec<(usize, f64)> {
    let mut ranked: Vec<(usize, f64)> = probs.into_iter().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(k);
    ranked
}

/// Where `model` looks for `sample` (see [`AttentionSnapshot`]).
pub async fn attention(
    model: &Model,
    sample: &Sample,
    env: &Env,
    task: usize,
    index: usize,
) -> AttentionSnapshot {
    look(model, sample, env, task, index, 0).await.0
}

/// [`attention`] and [`top_k`] together, from one forward pass and one
/// read-back (on WebGPU each read-back waits for the device).
pub async fn look(
    model: &Model,
    sample: &Sample,
    env: &Env,
    task: usize,
    index: usize,
    k: usize,
) -> (AttentionSnapshot, Vec<(usize, f64)>) {
    let out = model.forward(&env.plain_batch(&[sample]));
    let s = env.model.seq_len();
    let device = out.logits.fused.device();
    // the [CLS] row of the top layer; zeros for a modality the sample lacks
    let cls_row = |maps: &[Tensor<4>]| match maps.last() {
        Some(top) => {
            let [_, h, _, _] = top.dims();
            top.clone()
                .narrow(2, 0, 1)
                .narrow(3, 1, s - 1)
                .sum_dim(1)
                .reshape([s - 1])
                / h as f64
        }
        None => Tensor::zeros([s - 1], &device),
    };
    let n = model.classes();
    // the picture shown is the image's, or the drawing's or the spoken
    // word's where the sample has no image
    let pictured = [Modality::Image, Modality::Sketch, Modality::Speech]
        .into_iter()
        .find(|m| sample.has(*m))
        .unwrap_or(Modality::Image);
    let mut parts = vec![
        cls_row(out.maps_of(pictured)),
        cls_row(out.maps_of(Modality::Text)),
    ];
    if k > 0 {
        parts.push(softmax(out.logits.fused, 1).reshape([n]));
    }
    let values = read_floats(Tensor::cat(parts, 0)).await;
    let (image, rest) = values.split_at(s - 1);
    let (text, probs) = rest.split_at(s - 1);
    let ws: Vec<String> = sample
        .text()
        .map(words)
        .unwrap_or_default()
        .into_iter()
        .take(s - 1)
        .collect();
    let snapshot = AttentionSnapshot {
        task,
        sample: index,
        image: image.iter().map(|v| *v as f32).collect(),
        side: crate::data::IMAGE_SIZE / env.model.patch,
        text: text.iter().take(ws.len()).map(|v| *v as f32).collect(),
        words: ws,
    };
    (snapshot, ranked(probs.to_vec(), k))
}
