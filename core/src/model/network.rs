//! The network: two encoder streams, the shared keys, the classifier.

use burn::module::{Module, Param, ParamId, list_param_ids};
use burn::nn::{Embedding, Linear};
use burn::tensor::{Device, Tensor};
use rand_chacha::ChaCha8Rng;

use super::classifier::{Classifier, Logits};
use super::encoder::Stream;
use super::{Batch, ModelConfig, init};
use crate::data::Modality;

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

    /// The model's parameter groups, by name: each modality's encoder
    /// (embedding, positions and stream: `image`, `text`), the shared keys
    /// (`interaction`) and the `classifier`. Strategies name them to set
    /// their learning rates ([`crate::strategy::LrFactors`]).
    pub fn param_groups(&self) -> Vec<(&'static str, Vec<ParamId>)> {
        let mut image = list_param_ids(&self.patch_embed);
        image.extend(list_param_ids(&self.image_pos));
        image.extend(list_param_ids(&self.image_stream));
        let mut text = list_param_ids(&self.tokens);
        text.extend(list_param_ids(&self.text_pos));
        text.extend(list_param_ids(&self.text_stream));
        vec![
            (Modality::Image.name(), image),
            (Modality::Text.name(), text),
            ("interaction", list_param_ids(&self.shared_keys)),
            ("classifier", list_param_ids(&self.classifier)),
        ]
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
