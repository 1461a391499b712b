//! The modality-agnostic stage between the encoders and the classifier
//! (`model.fusion`, off by default): each modality's [CLS] goes through a
//! connector of its own (a linear map), then through one residual MLP block
//! that every modality shares. MERA's terms: the encoders and connectors are
//! modality-specific, the block is the shared backbone it merges, and the
//! connectors are what it realigns.

use burn::module::Module;
use burn::nn::{LayerNorm, Linear};
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor};
use rand_chacha::ChaCha8Rng;

use super::init;

#[derive(Module, Debug)]
pub struct Fusion {
    /// One per modality, in encoder order, `d → d`.
    pub connectors: Vec<Linear>,
    /// The shared block: `h + down(gelu(up(norm(h))))`.
    pub shared: SharedBlock,
}

#[derive(Module, Debug)]
pub struct SharedBlock {
    pub norm: LayerNorm,
    pub up: Linear,
    pub down: Linear,
}

impl Fusion {
    /// Draws the connectors in encoder order, then the block.
    pub fn new(
        rng: &mut ChaCha8Rng,
        modalities: usize,
        d: usize,
        d_ff: usize,
        device: &Device,
    ) -> Self {
        let connectors = (0..modalities)
            .map(|_| init::linear(rng, d, d, device))
            .collect();
        Fusion {
            connectors,
            shared: SharedBlock {
                norm: init::layer_norm(d, device),
                up: init::linear(rng, d, d_ff, device),
                down: init::linear(rng, d_ff, d, device),
            },
        }
    }

    /// The `i`-th modality's [CLS] `[batch, d]` in the shared space.
    pub fn forward(&self, i: usize, cls: Tensor<2>) -> Tensor<2> {
        let h = self.connectors[i].forward(cls);
        let s = &self.shared;
        h.clone() + s.down.forward(gelu(s.up.forward(s.norm.forward(h))))
    }
}
