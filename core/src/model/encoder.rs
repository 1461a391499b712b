//! One stream of the dual-stream transformer: pre-norm encoder layers.

use burn::module::Module;
use burn::nn::{LayerNorm, Linear};
use burn::tensor::activation::gelu;
use burn::tensor::{Bool, Device, Tensor};
use rand_chacha::ChaCha8Rng;

use super::attention::Attention;
use super::init;

#[derive(Module, Debug)]
pub struct EncoderLayer {
    pub norm1: LayerNorm,
    pub attention: Attention,
    pub norm2: LayerNorm,
    pub ff1: Linear,
    pub ff2: Linear,
}

impl EncoderLayer {
    pub fn new(
        rng: &mut ChaCha8Rng,
        d: usize,
        heads: usize,
        d_ff: usize,
        slots: usize,
        device: &Device,
    ) -> Self {
        EncoderLayer {
            norm1: init::layer_norm(d, device),
            attention: Attention::new(rng, d, heads, slots, device),
            norm2: init::layer_norm(d, device),
            ff1: init::linear(rng, d, d_ff, device),
            ff2: init::linear(rng, d_ff, d, device),
        }
    }

    /// Returns the layer output and its attention weights.
    pub fn forward(
        &self,
        x: Tensor<3>,
        shared_keys: Option<Tensor<2>>,
        pad: Option<Tensor<2, Bool>>,
    ) -> (Tensor<3>, Tensor<4>) {
        let a = self
            .attention
            .forward(self.norm1.forward(x.clone()), shared_keys, pad);
        let x = x + a.context;
        let y = self
            .ff2
            .forward(gelu(self.ff1.forward(self.norm2.forward(x.clone()))));
        (x + y, a.weights)
    }
}

/// A stack of layers with a final norm; the top `interaction` layers may use
/// the shared keys.
#[derive(Module, Debug)]
pub struct Stream {
    pub layers: Vec<EncoderLayer>,
    pub norm: LayerNorm,
}

impl Stream {
    pub fn new(
        rng: &mut ChaCha8Rng,
        layers: usize,
        d: usize,
        heads: usize,
        d_ff: usize,
        slots: usize,
        device: &Device,
    ) -> Self {
        Stream {
            layers: (0..layers)
                .map(|_| EncoderLayer::new(rng, d, heads, d_ff, slots, device))
                .collect(),
            norm: init::layer_norm(d, device),
        }
    }

    /// `shared_keys[i]` applies to the i-th of the top layers (None: self-attention).
    /// Returns the [CLS] representation `[batch, d]` and every layer's weights.
    pub fn forward(
        &self,
        mut x: Tensor<3>,
        shared_keys: &[Option<Tensor<2>>],
        pad: Option<Tensor<2, Bool>>,
    ) -> (Tensor<2>, Vec<Tensor<4>>) {
        let first_top = self.layers.len() - shared_keys.len();
        let mut maps = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            let keys = if i >= first_top {
                shared_keys[i - first_top].clone()
            } else {
                None
            };
            let (y, w) = layer.forward(x, keys, pad.clone());
            x = y;
            maps.push(w);
        }
        let [b, _, d] = x.dims();
        let cls = self.norm.forward(x).narrow(1, 0, 1).reshape([b, d]);
        (cls, maps)
    }
}
