//! One modality's encoder: its embedding, learnt positions and a stream of
//! pre-norm encoder layers.

use burn::module::{Module, Param};
use burn::nn::{Embedding, LayerNorm, Linear};
use burn::tensor::activation::gelu;
use burn::tensor::{Bool, Device, Int, Tensor};
use rand_chacha::ChaCha8Rng;

use super::attention::{Attention, AttentionOutput, Maps};
use super::init;
use crate::data::{InputKind, Modality};

/// How a modality's input becomes a sequence of `d`-vectors.
#[derive(Module, Debug)]
pub enum Embed {
    /// Image patches, flattened, through one linear map; position 0 ([CLS])
    /// is a zero patch.
    Patches(Linear),
    /// Token ids through an embedding table; the tokenizer puts [CLS] first.
    Tokens(Embedding),
}

/// One modality's input to the model, as tensors. (One per modality and
/// batch: the variants' sizes do not matter.)
#[allow(clippy::large_enum_variant)]
pub enum Encoded {
    /// `[batch, patches, patch·patch·3]`, pixel values scaled to [−1, 1].
    Patches(Tensor<3>),
    /// `[batch, seq]` token ids, and `[batch, seq]` true at padding.
    Tokens {
        ids: Tensor<2, Int>,
        pad: Tensor<2, Bool>,
    },
}

/// A modality's encoder: embedding, positions `[1, seq, d]` and stream.
#[derive(Module, Debug)]
pub struct Encoder {
    pub embed: Embed,
    pub pos: Param<Tensor<3>>,
    pub stream: Stream,
    #[module(skip)]
    pub modality: Modality,
}

impl Embed {
    /// The embedding of `modality`'s kind (`input_dim`: a patch's values or
    /// the vocabulary size), followed by its positions (uniform in
    /// ±`pos_init`) — drawn in that order.
    pub fn new(
        modality: Modality,
        input_dim: usize,
        d: usize,
        seq: usize,
        pos_init: f32,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> (Embed, Param<Tensor<3>>) {
        let embed = match modality.kind() {
            InputKind::Pixels => Embed::Patches(init::linear(rng, input_dim, d, device)),
            InputKind::Words => Embed::Tokens(Embedding {
                weight: init::param(rng, [input_dim, d], 0.1, device),
            }),
        };
        (embed, init::param(rng, [1, seq, d], pos_init, device))
    }
}

impl Encoder {
    /// The input as the stream takes it: `[batch, seq, d]` with positions
    /// added, and `[batch, seq]` true at padding (words only).
    fn embedded(&self, input: &Encoded) -> (Tensor<3>, Option<Tensor<2, Bool>>) {
        match (&self.embed, input) {
            (Embed::Patches(linear), Encoded::Patches(patches)) => {
                let [b, p, _] = patches.dims();
                let d = self.pos.dims()[2];
                let x = Tensor::cat(
                    vec![
                        Tensor::zeros([b, 1, d], &patches.device()),
                        linear.forward(patches.clone()),
                    ],
                    1,
                );
                (x + self.pos.val().narrow(1, 0, p + 1), None)
            }
            (Embed::Tokens(table), Encoded::Tokens { ids, pad }) => (
                table.forward(ids.clone()) + self.pos.val(),
                Some(pad.clone()),
            ),
            _ => panic!(
                "the {} encoder was given another kind of input",
                self.modality.name()
            ),
        }
    }

    /// The [CLS] representation `[batch, d]` and every layer's attention.
    pub fn forward(&self, input: &Encoded, shared_keys: &[Option<Tensor<2>>]) -> (Tensor<2>, Maps) {
        let (x, pad) = self.embedded(input);
        self.stream.forward(x, shared_keys, pad)
    }

    /// Every position's representation `[batch, seq, d]`, the padding mask
    /// (words only) and every layer's attention: what a trunk above reads.
    pub fn forward_seq(
        &self,
        input: &Encoded,
        shared_keys: &[Option<Tensor<2>>],
    ) -> (Tensor<3>, Option<Tensor<2, Bool>>, Maps) {
        let (x, pad) = self.embedded(input);
        let (y, maps) = self.stream.forward_seq(x, shared_keys, pad.clone());
        (y, pad, maps)
    }
}

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

    /// Returns the layer output and its attention (its `context` is the
    /// attention's, before the feed-forward half). `cls_only`: the output is
    /// [CLS]'s alone, `[batch, 1, d]` (the attention maps stay whole): what
    /// a stream's top layer needs, since only [CLS] leaves the stream. The
    /// other positions' residual and feed-forward half are then skipped;
    /// [CLS]'s own values and gradients are what they would be otherwise.
    pub fn forward(
        &self,
        x: Tensor<3>,
        shared_keys: Option<Tensor<2>>,
        pad: Option<Tensor<2, Bool>>,
        cls_only: bool,
    ) -> (Tensor<3>, AttentionOutput) {
        let a = self
            .attention
            .forward(self.norm1.forward(x.clone()), shared_keys, pad, cls_only);
        let x = if cls_only { x.narrow(1, 0, 1) } else { x } + a.context.clone();
        let y = self
            .ff2
            .forward(gelu(self.ff1.forward(self.norm2.forward(x.clone()))));
        (x + y, a)
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
    /// Returns the [CLS] representation `[batch, d]` and every layer's attention.
    pub fn forward(
        &self,
        x: Tensor<3>,
        shared_keys: &[Option<Tensor<2>>],
        pad: Option<Tensor<2, Bool>>,
    ) -> (Tensor<2>, Maps) {
        // The top layer gives [CLS] alone.
        let (x, maps) = self.layers_forward(x, shared_keys, pad, true);
        let [b, _, d] = x.dims();
        (self.norm.forward(x).reshape([b, d]), maps)
    }

    /// The same, every position's representation `[batch, seq, d]`.
    pub fn forward_seq(
        &self,
        x: Tensor<3>,
        shared_keys: &[Option<Tensor<2>>],
        pad: Option<Tensor<2, Bool>>,
    ) -> (Tensor<3>, Maps) {
        let (x, maps) = self.layers_forward(x, shared_keys, pad, false);
        (self.norm.forward(x), maps)
    }

    /// The layers, before the final norm; `cls_only`: the top layer gives
    /// [CLS] alone.
    fn layers_forward(
        &self,
        mut x: Tensor<3>,
        shared_keys: &[Option<Tensor<2>>],
        pad: Option<Tensor<2, Bool>>,
        cls_only: bool,
    ) -> (Tensor<3>, Maps) {
        let first_top = self.layers.len() - shared_keys.len();
        let top = self.layers.len() - 1;
        let mut maps = Maps::default();
        for (i, layer) in self.layers.iter().enumerate() {
            let keys = if i >= first_top {
                shared_keys[i - first_top].clone()
            } else {
                None
            };
            let (y, a) = layer.forward(x, keys, pad.clone(), cls_only && i == top);
            x = y;
            maps.weights.push(a.weights);
            maps.scores.push(a.scores);
        }
        (x, maps)
    }
}
