//! The expandable classifier. New classes get a new chunk of outputs; old
//! chunks are kept as they are, so old logits do not change on expansion.
//! Each chunk holds one weight per modality (in encoder order); each part
//! doubles as that modality's unimodal head, which gradient modulation reads
//! (as in OGM-GE, which MSPT's GM builds on).

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use rand_chacha::ChaCha8Rng;

use super::init;
use crate::data::Modality;

#[derive(Module, Debug)]
pub struct ClassChunk {
    /// `[d, n]` per modality, in encoder order.
    pub parts: Vec<Param<Tensor<2>>>,
    pub bias: Param<Tensor<1>>,
}

#[derive(Module, Debug)]
pub struct Classifier {
    pub chunks: Vec<ClassChunk>,
    pub d: usize,
    /// How many modalities (parts per chunk).
    pub modalities: usize,
}

/// Fused logits and each modality's own, `[batch, classes]` each.
pub struct Logits {
    pub fused: Tensor<2>,
    /// Per modality, in encoder order.
    pub unimodal: Vec<(Modality, Tensor<2>)>,
}

impl Logits {
    /// `modality`'s unimodal logits, if the model has that encoder.
    pub fn of(&self, modality: Modality) -> Option<&Tensor<2>> {
        self.unimodal
            .iter()
            .find(|(m, _)| *m == modality)
            .map(|(_, t)| t)
    }
}

impl Classifier {
    pub fn new(d: usize, modalities: usize) -> Self {
        Classifier {
            chunks: Vec::new(),
            d,
            modalities,
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
        let bound = 1.0 / ((self.modalities * self.d) as f32).sqrt();
        self.chunks.push(ClassChunk {
            parts: (0..self.modalities)
                .map(|_| init::param(rng, [self.d, n], bound, device))
                .collect(),
            bias: Param::from_tensor(Tensor::zeros([n], device)),
        });
        self
    }

    /// Every chunk's bias as one `[1, classes]` row.
    fn bias(&self) -> Tensor<2> {
        joined(
            self.chunks
                .iter()
                .map(|c| c.bias.val().unsqueeze_dim::<2>(0))
                .collect(),
            1,
        )
    }

    /// Every chunk's weight of part `i` as one `[d, classes]` matrix.
    fn weight(&self, i: usize) -> Tensor<2> {
        joined(self.chunks.iter().map(|c| c.parts[i].val()).collect(), 1)
    }

    /// `cls`: each modality's [CLS] `[batch, d]`; `present`: `[batch, 1]`
    /// each, 1 where the modality is present, 0 where missing. The fused
    /// logits sum the present parts and the bias; each unimodal head has its
    /// share of the bias. Every chunk's weights of a modality go through one
    /// matrix product (a product per chunk made a run's later tasks slower
    /// by a quarter at the same arithmetic: BENCHMARKS.md).
    pub fn forward(&self, cls: &[(Modality, Tensor<2>)], present: &[Tensor<2>]) -> Logits {
        assert!(!self.chunks.is_empty(), "the classifier has no classes yet");
        assert_eq!(cls.len(), self.modalities, "one [CLS] per modality");
        let b = self.bias();
        let mut sum: Option<Tensor<2>> = None;
        let mut unimodal = Vec::with_capacity(cls.len());
        for (i, (m, h)) in cls.iter().enumerate() {
            let l = h.clone().matmul(self.weight(i));
            let part = l.clone() * present[i].clone();
            sum = Some(match sum {
                Some(s) => s + part,
                None => part,
            });
            unimodal.push((*m, l + b.clone() / self.modalities as f64));
        }
        Logits {
            fused: sum.expect("at least one modality") + b,
            unimodal,
        }
    }

    /// With the fusion stage ([`super::fusion`]): one weight for every
    /// modality. `shared`: each modality's vector in the shared space
    /// `[batch, d]`. The fused logits read the mean of the present
    /// modalities' vectors; each unimodal head reads its own, with the
    /// whole bias.
    pub fn forward_shared(
        &self,
        shared: &[(Modality, Tensor<2>)],
        present: &[Tensor<2>],
    ) -> Logits {
        assert!(!self.chunks.is_empty(), "the classifier has no classes yet");
        assert_eq!(self.modalities, 1, "a shared classifier has one part");
        let (w, b) = (self.weight(0), self.bias());
        let mut sum: Option<Tensor<2>> = None;
        let mut count: Option<Tensor<2>> = None;
        for ((_, g), p) in shared.iter().zip(present) {
            let part = g.clone() * p.clone();
            sum = Some(sum.map_or(part.clone(), |s| s + part));
            count = Some(count.map_or(p.clone(), |c| c + p.clone()));
        }
        let mean = sum.expect("at least one modality") / count.expect("one").clamp_min(1.0);
        Logits {
            fused: mean.matmul(w.clone()) + b.clone(),
            unimodal: shared
                .iter()
                .map(|(m, g)| (*m, g.clone().matmul(w.clone()) + b.clone()))
                .collect(),
        }
    }
}

/// `parts` joined along `dim` (the one part itself when there is one).
fn joined(parts: Vec<Tensor<2>>, dim: usize) -> Tensor<2> {
    if parts.len() == 1 {
        parts.into_iter().next().expect("one part")
    } else {
        Tensor::cat(parts, dim)
    }
}
