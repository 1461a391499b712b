//! The dual-stream transformer: image patches and caption tokens, each through
//! its own encoder; the top layers of both may attend through MSPT's shared
//! learnable keys (MI); a fused expandable classifier on the two [CLS] tokens.

pub mod attention;
pub mod batch;
pub mod classifier;
pub mod encoder;
pub mod init;

use burn::module::{Module, Param};
use burn::nn::{Embedding, Linear};
use burn::tensor::{Device, Tensor};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use batch::Batch;
pub use classifier::{Classifier, Logits};
use encoder::Stream;

use crate::data::IMAGE_SIZE;
use crate::data::tokenizer::Tokenizer;

/// Shape of the model; serialisable so a run record can rebuild it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelConfig {
    pub patch: usize,
    pub d_model: usize,
    pub heads: usize,
    pub d_ff: usize,
    /// Encoder layers per stream.
    pub layers: usize,
    /// How many of the top layers are interaction layers (M).
    pub interaction_layers: usize,
    pub tokenizer: Tokenizer,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            patch: 8,
            d_model: 64,
            heads: 4,
            d_ff: 128,
            layers: 2,
            interaction_layers: 1,
            tokenizer: Tokenizer::default(),
        }
    }
}

impl ModelConfig {
    pub fn patches(&self) -> usize {
        (IMAGE_SIZE / self.patch).pow(2)
    }
    /// Sequence length of the image stream ([CLS] + patches). The text stream
    /// has the same length, so one shared key matrix serves both (MSPT Eq. 10).
    pub fn seq_len(&self) -> usize {
        self.patches() + 1
    }
    pub fn validate(&self) -> Result<(), String> {
        if self.patch == 0 || !IMAGE_SIZE.is_multiple_of(self.patch) {
            return Err(format!(
                "patch {} does not divide the image size {IMAGE_SIZE}",
                self.patch
            ));
        }
        if self.heads == 0 || !self.d_model.is_multiple_of(self.heads) {
            return Err(format!(
                "d_model {} is not a multiple of heads {}",
                self.d_model, self.heads
            ));
        }
        if self.interaction_layers > self.layers || self.layers == 0 {
            return Err("interaction_layers must be ≤ layers, and layers ≥ 1".into());
        }
        if self.tokenizer.max_len != self.seq_len() {
            return Err(format!(
                "tokenizer.max_len must equal the image sequence length {}",
                self.seq_len()
            ));
        }
        Ok(())
    }
}

#[derive(Module, Debug)]
pub struct Model {
    pub patch_embed: Linear,
    pub image_pos: Param<Tensor<3>>,
    pub tokens: Embedding,
    pub text_pos: Param<Tensor<3>>,
    pub image_stream: Stream,
    pub text_stream: Stream,
    /// K_s of each interaction layer, `[seq, d]`, shared by both streams.
    pub shared_keys: Vec<Param<Tensor<2>>>,
    pub classifier: Classifier,
    /// MI switch: shared keys on or off (self-attention).
    pub interaction: bool,
}

/// Everything one forward pass gives back.
pub struct ForwardOutput {
    pub logits: Logits,
    /// What the classifier sees, `[batch, 2·d]`: the image stream's [CLS]
    /// then the text stream's, each zero where its modality is missing.
    pub features: Tensor<2>,
    /// Attention weights of every layer, `[batch, heads, seq, seq]`.
    pub image_maps: Vec<Tensor<4>>,
    pub text_maps: Vec<Tensor<4>>,
}

impl Model {
    pub fn new(
        config: &ModelConfig,
        interaction: bool,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        let d = config.d_model;
        let s = config.seq_len();
        let patch_dim = config.patch * config.patch * 3;
        let stream = |rng: &mut ChaCha8Rng| {
            Stream::new(rng, config.layers, d, config.heads, config.d_ff, s, device)
        };
        Model {
            patch_embed: init::linear(rng, patch_dim, d, device),
            image_pos: init::param(rng, [1, s, d], 0.02, device),
            tokens: Embedding {
                weight: init::param(rng, [config.tokenizer.vocab as usize, d], 0.1, device),
            },
            text_pos: init::param(rng, [1, s, d], 0.02, device),
            image_stream: stream(rng),
            text_stream: stream(rng),
            shared_keys: (0..config.interaction_layers)
                .map(|_| init::param(rng, [s, d], 1.0 / (d as f32).sqrt(), device))
                .collect(),
            classifier: Classifier::new(d),
            interaction,
        }
    }

    pub fn classes(&self) -> usize {
        self.classifier.classes()
    }

    /// Grows the classifier to `total` classes.
    pub fn expand_to(mut self, total: usize, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        let n = total.saturating_sub(self.classes());
        self.classifier = self.classifier.expand(n, rng, device);
        self
    }

    pub fn forward(&self, batch: &Batch) -> ForwardOutput {
        let [b, p, _] = batch.patches.dims();
        let d = self.image_pos.dims()[2];
        // [CLS] of the image stream is the (learnt) position 0 on a zero patch.
        let patches = Tensor::cat(
            vec![
                Tensor::zeros([b, 1, d], &batch.patches.device()),
                self.patch_embed.forward(batch.patches.clone()),
            ],
            1,
        );
        let x_image = patches + self.image_pos.val().narrow(1, 0, p + 1);
        let x_text = self.tokens.forward(batch.tokens.clone()) + self.text_pos.val();
        let keys: Vec<Option<Tensor<2>>> = self
            .shared_keys
            .iter()
            .map(|k| self.interaction.then(|| k.val()))
            .collect();
        let (h_image, image_maps) = self.image_stream.forward(x_image, &keys, None);
        let (h_text, text_maps) = self
            .text_stream
            .forward(x_text, &keys, Some(batch.pad.clone()));
        let features = Tensor::cat(
            vec![
                h_image.clone() * batch.image_present.clone(),
                h_text.clone() * batch.text_present.clone(),
            ],
            1,
        );
        let logits = self.classifier.forward(
            h_image,
            h_text,
            batch.image_present.clone(),
            batch.text_present.clone(),
        );
        ForwardOutput {
            logits,
            features,
            image_maps,
            text_maps,
        }
    }

    /// The parameters of one stream (used to scale its update under GM).
    pub fn stream(&self, modality: crate::data::Modality) -> StreamParams {
        match modality {
            crate::data::Modality::Image => StreamParams {
                embed: self.patch_embed.clone(),
                pos: self.image_pos.clone(),
                stream: self.image_stream.clone(),
            },
            crate::data::Modality::Text => StreamParams {
                embed: Linear {
                    weight: self.tokens.weight.clone(),
                    bias: None,
                },
                pos: self.text_pos.clone(),
                stream: self.text_stream.clone(),
            },
        }
    }
}

/// A view of one stream's parameters, for extracting their gradients.
#[derive(Module, Debug)]
pub struct StreamParams {
    pub embed: Linear,
    pub pos: Param<Tensor<3>>,
    pub stream: Stream,
}

#[cfg(test)]
mod tests;
