//! Turning samples into the tensors one forward pass takes.

use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

use crate::data::tokenizer::Tokenizer;
use crate::data::{IMAGE_SIZE, Sample};

pub struct Batch {
    /// `[batch, patches, patch·patch·3]`, pixel values scaled to [−1, 1].
    pub patches: Tensor<3>,
    /// `[batch, seq]` token ids, `[CLS]` first.
    pub tokens: Tensor<2, Int>,
    /// `[batch, seq]`, true at padding.
    pub pad: Tensor<2, Bool>,
    pub image_present: Tensor<2>,
    pub text_present: Tensor<2>,
    pub labels: Tensor<1, Int>,
    pub label_values: Vec<usize>,
}

impl Batch {
    pub fn new(samples: &[&Sample], patch: usize, tokenizer: &Tokenizer, device: &Device) -> Batch {
        let b = samples.len();
        let per_side = IMAGE_SIZE / patch;
        let n_patches = per_side * per_side;
        let patch_dim = patch * patch * 3;
        let mut pixels = vec![0f32; b * n_patches * patch_dim];
        let mut image_present = vec![0f32; b];
        let seq = tokenizer.max_len;
        let mut tokens = vec![0i64; b * seq];
        let mut pad = vec![true; b * seq];
        let mut text_present = vec![0f32; b];
        for (i, s) in samples.iter().enumerate() {
            if let Some(img) = &s.image {
                image_present[i] = 1.0;
                for (p, chunk) in pixels[i * n_patches * patch_dim..(i + 1) * n_patches * patch_dim]
                    .chunks_mut(patch_dim)
                    .enumerate()
                {
                    let (py, px) = (p / per_side, p % per_side);
                    for y in 0..patch {
                        for x in 0..patch {
                            let src = ((py * patch + y) * IMAGE_SIZE + px * patch + x) * 3;
                            for c in 0..3 {
                                chunk[(y * patch + x) * 3 + c] =
                                    f32::from(img[src + c]) / 127.5 - 1.0;
                            }
                        }
                    }
                }
            }
            let (ids, len) = match &s.text {
                Some(t) => {
                    text_present[i] = 1.0;
                    tokenizer.encode(t)
                }
                None => tokenizer.encode(""),
            };
            for (j, id) in ids.iter().enumerate() {
                tokens[i * seq + j] = i64::from(*id);
                pad[i * seq + j] = j >= len;
            }
        }
        let labels: Vec<i64> = samples.iter().map(|s| s.label as i64).collect();
        Batch {
            patches: Tensor::from_data(TensorData::new(pixels, [b, n_patches, patch_dim]), device),
            tokens: Tensor::from_data(TensorData::new(tokens, [b, seq]), device),
            pad: Tensor::from_data(TensorData::new(pad, [b, seq]), device),
            image_present: Tensor::from_data(TensorData::new(image_present, [b, 1]), device),
            text_present: Tensor::from_data(TensorData::new(text_present, [b, 1]), device),
            labels: Tensor::from_data(TensorData::new(labels, [b]), device),
            label_values: samples.iter().map(|s| s.label).collect(),
        }
    }
}
