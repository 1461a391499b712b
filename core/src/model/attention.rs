//! Multi-head attention that hands back its weights, with MSPT's shared-key
//! variant (hand-in-hand interaction, MSPT Eq. 10–11).

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::softmax;
use burn::tensor::{Bool, Device, Tensor};
use rand_chacha::ChaCha8Rng;

use super::init;

#[derive(Module, Debug)]
pub struct Attention {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    pub out: Linear,
    /// B^v / B^t of MSPT Eq. 10: a bias per head and key slot, used with shared keys.
    pub key_bias: Param<Tensor<2>>,
    pub heads: usize,
}

/// Output of one attention layer.
pub struct AttentionOutput {
    /// `[batch, queries, d]`: every position's, or only [CLS]'s (`cls_only`).
    pub context: Tensor<3>,
    /// `[batch, heads, queries, keys]`, after softmax.
    pub weights: Tensor<4>,
    /// The same before the softmax: A of MSPT Eq. 10 (scaled dot products
    /// plus the shared keys' bias; padding keys at −10⁴).
    pub scores: Tensor<4>,
}

/// Every layer's attention of one encoder, bottom layer first: after the
/// softmax (what the app draws and AD distils by default) and before it (A
/// of MSPT Eq. 10, which the paper's AD distils).
#[derive(Debug, Clone, Default)]
pub struct Maps {
    pub weights: Vec<Tensor<4>>,
    pub scores: Vec<Tensor<4>>,
}

impl Attention {
    pub fn new(
        rng: &mut ChaCha8Rng,
        d: usize,
        heads: usize,
        slots: usize,
        device: &Device,
    ) -> Self {
        Attention {
            query: init::linear(rng, d, d, device),
            key: init::linear(rng, d, d, device),
            value: init::linear(rng, d, d, device),
            out: init::linear(rng, d, d, device),
            key_bias: Param::from_tensor(Tensor::zeros([heads, slots], device)),
            heads,
        }
    }

    /// `x`: `[batch, seq, d]`. `shared_keys`: `[seq, d]` when MI is on — the
    /// learnable K_s replaces the self-keys and the per-stream bias is added
    /// (Eq. 10); otherwise ordinary self-attention. `pad`: `[batch, seq]`, true
    /// where the position is padding (never attended to). `cls_only`: the
    /// context of position 0 alone goes through the output map (a stream's
    /// top layer, whose other positions nothing reads); the maps stay whole.
    pub fn forward(
        &self,
        x: Tensor<3>,
        shared_keys: Option<Tensor<2>>,
        pad: Option<Tensor<2, Bool>>,
        cls_only: bool,
    ) -> AttentionOutput {
        let [b, s, d] = x.dims();
        let h = self.heads;
        let dh = d / h;
        let split = |t: Tensor<3>| t.reshape([b, s, h, dh]).swap_dims(1, 2);
        let q = split(self.query.forward(x.clone()));
        let v = split(self.value.forward(x.clone()));
        let mut scores = match shared_keys {
            Some(ks) => {
                let k = ks.reshape([1, s, h, dh]).swap_dims(1, 2);
                let bias = self.key_bias.val().reshape([1, h, 1, s]);
                q.matmul(k.swap_dims(2, 3)) + bias
            }
            None => {
                let k = split(self.key.forward(x));
                q.matmul(k.swap_dims(2, 3))
            }
        } / (dh as f64).sqrt();
        if let Some(pad) = pad {
            let mask = pad.reshape([b, 1, 1, s]).expand([b, h, s, s]);
            scores = scores.mask_fill(mask, -1.0e4);
        }
        let weights = softmax(scores.clone(), 3);
        let mut context = weights.clone().matmul(v).swap_dims(1, 2).reshape([b, s, d]);
        if cls_only {
            context = context.narrow(1, 0, 1);
        }
        AttentionOutput {
            context: self.out.forward(context),
            weights,
            scores,
        }
    }
}
