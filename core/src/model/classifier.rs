//! The expandable classifier. New classes get a new chunk of outputs; old
//! chunks are kept as they are, so old logits do not change on expansion.
//! Its image and text halves double as the unimodal heads that gradient
//! modulation reads (as in OGM-GE, which MSPT's GM builds on).

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use rand_chacha::ChaCha8Rng;

use super::init;

#[derive(Module, Debug)]
pub struct ClassChunk {
    pub image: Param<Tensor<2>>,
    pub text: Param<Tensor<2>>,
    pub bias: Param<Tensor<1>>,
}

#[derive(Module, Debug)]
pub struct Classifier {
    pub chunks: Vec<ClassChunk>,
    pub d: usize,
}

/// Fused logits and the two unimodal logits, `[batch, classes]` each.
pub struct Logits {
    pub fused: Tensor<2>,
    pub image: Tensor<2>,
    pub text: Tensor<2>,
}

impl Classifier {
    pub fn new(d: usize) -> Self {
        Classifier {
            chunks: Vec::new(),
            d,
        }
    }

    pub fn classes(&self) -> usize {
        self.chunks.iter().map(|c| c.bias.dims()[0]).sum()
    }

    /// Adds `n` outputs; existing ones are untouched.
    pub fn expand(mut self, n: usize, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        if n == 0 {
            return self;
        }
        let bound = 1.0 / ((2 * self.d) as f32).sqrt();
        self.chunks.push(ClassChunk {
            image: init::param(rng, [self.d, n], bound, device),
            text: init::param(rng, [self.d, n], bound, device),
            bias: Param::from_tensor(Tensor::zeros([n], device)),
        });
        self
    }

    /// `present_*`: `[batch, 1]`, 1 where the modality is present, 0 where missing.
    pub fn forward(
        &self,
        h_image: Tensor<2>,
        h_text: Tensor<2>,
        present_image: Tensor<2>,
        present_text: Tensor<2>,
    ) -> Logits {
        assert!(!self.chunks.is_empty(), "the classifier has no classes yet");
        let (mut fused, mut image, mut text) = (Vec::new(), Vec::new(), Vec::new());
        for c in &self.chunks {
            let b = c.bias.val().unsqueeze_dim::<2>(0);
            let li = h_image.clone().matmul(c.image.val());
            let lt = h_text.clone().matmul(c.text.val());
            fused.push(
                li.clone() * present_image.clone() + lt.clone() * present_text.clone() + b.clone(),
            );
            image.push(li + b.clone() / 2.0);
            text.push(lt + b / 2.0);
        }
        Logits {
            fused: Tensor::cat(fused, 1),
            image: Tensor::cat(image, 1),
            text: Tensor::cat(text, 1),
        }
    }
}
