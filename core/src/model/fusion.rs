//! The modality-agnostic stage between the encoders and the classifier
//! (`model.fusion`, off by default): each modality's [CLS] goes through a
//! connector of its own (a linear map), then through one residual MLP block
//! that every modality shares. MERA's terms: the encoders and connectors are
//! modality-specific, the block is the shared backbone it merges, and the
//! connectors are what it realigns. MoDE adds low-rank [`Experts`] of each
//! modality beside the block's two linear maps, the block itself frozen.

use burn::module::{Module, Param};
use burn::nn::{LayerNorm, Linear};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Bool, Device, Tensor};
use rand_chacha::ChaCha8Rng;

use super::attention::Maps;
use super::encoder::Stream;
use super::init;

#[derive(Module, Debug)]
pub struct Fusion {
    /// One per modality, in encoder order, `d → d`.
    pub connectors: Vec<Linear>,
    /// The shared block: `h + down(gelu(up(norm(h))))`.
    pub shared: SharedBlock,
    /// MoDE's experts, one set per modality in encoder order, or none (the
    /// block alone, as every other strategy has it).
    pub experts: Vec<Experts>,
    /// The shared trunk (`model.trunk` layers), if any: every modality's
    /// tokens, each through its connector, then through these layers; its
    /// [CLS] goes on to the block.
    pub trunk: Option<Stream>,
}

#[derive(Module, Debug)]
pub struct SharedBlock {
    pub norm: LayerNorm,
    pub up: Linear,
    pub down: Linear,
}

/// A low-rank update `x ↦ x·A·B` of one linear map, `A: [in, r]` drawn at
/// random and `B: [r, out]` starting at zero, so that a new expert leaves
/// the map as it was (LoRA).
#[derive(Module, Debug)]
pub struct Lora {
    pub a: Param<Tensor<2>>,
    pub b: Param<Tensor<2>>,
}

impl Lora {
    fn new(rng: &mut ChaCha8Rng, d_in: usize, d_out: usize, rank: usize, device: &Device) -> Lora {
        Lora {
            a: init::param(rng, [d_in, rank], 1.0 / (d_in as f32).sqrt(), device),
            b: Param::from_tensor(Tensor::zeros([rank, d_out], device)),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        x.matmul(self.a.val()).matmul(self.b.val())
    }
}

/// One modality's experts on the shared block: one or more low-rank updates
/// of `up` and of `down` (the same count), and where there are several, a
/// router that weighs them per sample by a softmax over its scores of the
/// normalised input (MoDE's soft routing of text; it starts at zero, so
/// every expert starts with an equal share).
#[derive(Module, Debug)]
pub struct Experts {
    pub up: Vec<Lora>,
    pub down: Vec<Lora>,
    pub router: Option<Linear>,
}

impl Experts {
    /// `count` experts of rank `rank` on a block of width `d` and hidden
    /// width `d_ff`; a router when `count > 1`.
    pub fn new(
        rng: &mut ChaCha8Rng,
        count: usize,
        rank: usize,
        d: usize,
        d_ff: usize,
        device: &Device,
    ) -> Experts {
        let count = count.max(1);
        let up = (0..count)
            .map(|_| Lora::new(rng, d, d_ff, rank, device))
            .collect();
        let down = (0..count)
            .map(|_| Lora::new(rng, d_ff, d, rank, device))
            .collect();
        let router = (count > 1).then(|| Linear {
            weight: Param::from_tensor(Tensor::zeros([d, count], device)),
            bias: Some(Param::from_tensor(Tensor::zeros([count], device))),
        });
        Experts { up, down, router }
    }

    /// The router's weights `[batch, count]` for the normalised input `x`
    /// (`None` with one expert).
    fn gates(&self, x: Tensor<2>) -> Option<Tensor<2>> {
        self.router.as_ref().map(|r| softmax(r.forward(x), 1))
    }

    /// The experts' update of one map: `Σ_j g_j · x·A_j·B_j`.
    fn update(loras: &[Lora], x: Tensor<2>, gates: Option<&Tensor<2>>) -> Tensor<2> {
        let mut sum: Option<Tensor<2>> = None;
        for (j, lora) in loras.iter().enumerate() {
            let mut y = lora.forward(x.clone());
            if let Some(g) = gates {
                y = y * g.clone().narrow(1, j, 1);
            }
            sum = Some(match sum {
                Some(s) => s + y,
                None => y,
            });
        }
        sum.expect("at least one expert")
    }
}

/// The trunk's shape beside the stage's width and feed-forward width:
/// layers, heads, and the sequence length its attention is sized for.
#[derive(Debug, Clone, Copy)]
pub struct TrunkShape {
    pub layers: usize,
    pub heads: usize,
    pub seq: usize,
}

impl Fusion {
    /// Draws the connectors in encoder order, then the block, then the
    /// trunk (if it has layers: drawn last, so that a stage without one is drawn as
    /// before there were trunks).
    pub fn new(
        rng: &mut ChaCha8Rng,
        modalities: usize,
        d: usize,
        d_ff: usize,
        trunk: TrunkShape,
        device: &Device,
    ) -> Self {
        let connectors = (0..modalities)
            .map(|_| init::linear(rng, d, d, device))
            .collect();
        let shared = SharedBlock {
            norm: init::layer_norm(d, device),
            up: init::linear(rng, d, d_ff, device),
            down: init::linear(rng, d_ff, d, device),
        };
        let trunk = (trunk.layers > 0)
            .then(|| Stream::new(rng, trunk.layers, d, trunk.heads, d_ff, trunk.seq, device));
        Fusion {
            connectors,
            shared,
            experts: Vec::new(),
            trunk,
        }
    }

    /// The `i`-th modality's [CLS] `[batch, d]` in the shared space (a
    /// stage without a trunk).
    pub fn forward(&self, i: usize, cls: Tensor<2>) -> Tensor<2> {
        self.block(i, self.connectors[i].forward(cls))
    }

    /// The `i`-th modality's tokens `[batch, seq, d]` through its connector
    /// and the trunk (`pad`: true at padding), then the trunk's [CLS] through
    /// the block: `[batch, d]`, and the trunk's attention. Panics without a
    /// trunk.
    pub fn forward_seq(
        &self,
        i: usize,
        tokens: Tensor<3>,
        pad: Option<Tensor<2, Bool>>,
    ) -> (Tensor<2>, Maps) {
        let trunk = self.trunk.as_ref().expect("a fusion stage with a trunk");
        let (cls, maps) = trunk.forward(self.connectors[i].forward(tokens), &[], pad);
        (self.block(i, cls), maps)
    }

    /// The shared residual block (with the `i`-th modality's experts, if
    /// any) on `h`, `[batch, d]`.
    fn block(&self, i: usize, h: Tensor<2>) -> Tensor<2> {
        let s = &self.shared;
        let x = s.norm.forward(h.clone());
        let Some(e) = self.experts.get(i) else {
            return h + s.down.forward(gelu(s.up.forward(x)));
        };
        let gates = e.gates(x.clone());
        let up = s.up.forward(x.clone()) + Experts::update(&e.up, x, gates.as_ref());
        let a = gelu(up);
        let down = s.down.forward(a.clone()) + Experts::update(&e.down, a, gates.as_ref());
        h + down
    }
}
