//! Turning samples into the tensors one forward pass takes: one input per
//! encoder, in encoder order.

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::ModelConfig;
use super::encoder::Encoded;
use crate::data::{IMAGE_SIZE, InputKind, Modality, Sample};

/// One modality's part of a batch.
pub struct ModalityInput {
    pub modality: Modality,
    pub encoded: Encoded,
    /// `[batch, 1]`: 1 where the sample has the modality, 0 where missing.
    pub present: Tensor<2>,
    /// How many samples of the batch have it (`present`'s sum, known here).
    pub count: usize,
}

pub struct Batch {
    /// Per encoder of the model, in its order.
    pub inputs: Vec<ModalityInput>,
    pub labels: Tensor<1, Int>,
    pub label_values: Vec<usize>,
}

impl Batch {
    /// The batch for a model of `config`'s encoders.
    pub fn new(samples: &[&Sample], config: &ModelConfig, device: &Device) -> Batch {
        let b = samples.len();
        let inputs = config
            .modalities()
            .into_iter()
            .map(|modality| {
                let present: Vec<f32> = samples
                    .iter()
                    .map(|s| if s.has(modality) { 1.0 } else { 0.0 })
                    .collect();
                let encoded = match modality.kind() {
                    InputKind::Pixels => patches(samples, modality, config.patch, device),
                    InputKind::Words => tokens(samples, modality, config, device),
                };
                let count = present.iter().filter(|p| **p > 0.0).count();
                ModalityInput {
                    modality,
                    encoded,
                    present: Tensor::from_data(TensorData::new(present, [b, 1]), device),
                    count,
                }
            })
            .collect();
        let labels: Vec<i64> = samples.iter().map(|s| s.label as i64).collect();
        Batch {
            inputs,
            labels: Tensor::from_data(TensorData::new(labels, [b]), device),
            label_values: samples.iter().map(|s| s.label).collect(),
        }
    }

    /// The modalities of the batch's inputs, in order.
    pub fn modalities(&self) -> Vec<Modality> {
        self.inputs.iter().map(|i| i.modality).collect()
    }
}

/// `[batch, patches, patch·patch·3]`, pixel values scaled to [−1, 1]; zeros
/// where the sample lacks the modality.
fn patches(samples: &[&Sample], modality: Modality, patch: usize, device: &Device) -> Encoded {
    let b = samples.len();
    let per_side = IMAGE_SIZE / patch;
    let n_patches = per_side * per_side;
    let patch_dim = patch * patch * 3;
    let mut pixels = vec![0f32; b * n_patches * patch_dim];
    for (i, s) in samples.iter().enumerate() {
        let Some(crate::data::Input::Pixels(img)) = s.input(modality) else {
            continue;
        };
        for (p, chunk) in pixels[i * n_patches * patch_dim..(i + 1) * n_patches * patch_dim]
            .chunks_mut(patch_dim)
            .enumerate()
        {
            let (py, px) = (p / per_side, p % per_side);
            for y in 0..patch {
                for x in 0..patch {
                    let src = ((py * patch + y) * IMAGE_SIZE + px * patch + x) * 3;
                    for c in 0..3 {
                        chunk[(y * patch + x) * 3 + c] = f32::from(img[src + c]) / 127.5 - 1.0;
                    }
                }
            }
        }
    }
    Encoded::Patches(Tensor::from_data(
        TensorData::new(pixels, [b, n_patches, patch_dim]),
        device,
    ))
}

/// `[batch, seq]` token ids ([CLS] first) and padding; a missing text is
/// the empty text (only [CLS]).
fn tokens(
    samples: &[&Sample],
    modality: Modality,
    config: &ModelConfig,
    device: &Device,
) -> Encoded {
    let b = samples.len();
    let seq = config.tokenizer.max_len;
    let mut ids = vec![0i64; b * seq];
    let mut pad = vec![true; b * seq];
    for (i, s) in samples.iter().enumerate() {
        let text = match s.input(modality) {
            Some(crate::data::Input::Words(t)) => t.as_str(),
            _ => "",
        };
        let (encoded, len) = config.tokenizer.encode(text);
        for (j, id) in encoded.iter().enumerate() {
            ids[i * seq + j] = i64::from(*id);
            pad[i * seq + j] = j >= len;
        }
    }
    Encoded::Tokens {
        ids: Tensor::from_data(TensorData::new(ids, [b, seq]), device),
        pad: Tensor::from_data(TensorData::new(pad, [b, seq]), device),
    }
}
