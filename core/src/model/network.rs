//! The network: one encoder per modality, the shared keys, the classifier.

use burn::module::{Module, Param, ParamId, list_param_ids};
use burn::store::{BurnpackStore, FloatCastAdapter, ModuleSnapshot};
use burn::tensor::{Bytes, DType, Device, Tensor};
use rand_chacha::ChaCha8Rng;

use super::attention::Maps;
use super::classifier::{Classifier, Logits};
use super::encoder::{Embed, Encoder, Stream};
use super::fusion::{Experts, Fusion, TrunkShape};
use super::{Batch, ModelConfig, init};
use crate::data::{InputKind, Modality};

#[derive(Module, Debug)]
pub struct Model {
    /// One per modality, in [`ModelConfig::encoders`] order.
    pub encoders: Vec<Encoder>,
    /// K_s of each interaction layer, `[seq, d]`, shared by every stream.
    pub shared_keys: Vec<Param<Tensor<2>>>,
    pub classifier: Classifier,
    /// MI switch: shared keys on or off (self-attention).
    pub interaction: bool,
    /// The connectors and the shared block (`model.fusion`), if on.
    pub fusion: Option<Fusion>,
}

/// Everything one forward pass gives back.
pub struct ForwardOutput {
    pub logits: Logits,
    /// Each modality's [CLS] in encoder order, `[batch, modalities·d]`,
    /// zero where its modality is missing: the encoders', or with a trunk
    /// the fusion stage's (what the classifier sees).
    pub features: Tensor<2>,
    /// Attention of every layer, `[batch, heads, seq, seq]` after and
    /// before the softmax, per modality in encoder order.
    pub maps: Vec<(Modality, Maps)>,
}

impl ForwardOutput {
    /// `modality`'s attention maps (after the softmax), every layer (empty
    /// if no such encoder).
    pub fn maps_of(&self, modality: Modality) -> &[Tensor<4>] {
        self.maps
            .iter()
            .find(|(m, _)| *m == modality)
            .map_or(&[], |(_, maps)| maps.weights.as_slice())
    }
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
        let modalities = config.modalities();
        // Random draws: every embedding with its positions, then every
        // stream, then the shared keys (the order the records were made in).
        let embeds: Vec<(Embed, Param<Tensor<3>>)> = modalities
            .iter()
            .map(|&m| {
                let (input_dim, pos_init) = match m.kind() {
                    InputKind::Pixels => (config.patch * config.patch * 3, config.image_pos_init),
                    InputKind::Words => (config.tokenizer.vocab as usize, config.text_pos_init),
                };
                Embed::new(m, input_dim, d, s, pos_init as f32, rng, device)
            })
            .collect();
        let encoders = embeds
            .into_iter()
            .zip(&modalities)
            .map(|((embed, pos), &modality)| Encoder {
                embed,
                pos,
                stream: Stream::new(rng, config.layers, d, config.heads, config.d_ff, s, device),
                modality,
            })
            .collect();
        let shared_keys = (0..config.interaction_layers)
            .map(|_| init::param(rng, [s, d], 1.0 / (d as f32).sqrt(), device))
            .collect();
        // Drawn last, so that a model without it is drawn as before.
        let trunk = TrunkShape {
            layers: config.trunk,
            heads: config.heads,
            seq: s,
        };
        let fusion = config
            .fusion
            .then(|| Fusion::new(rng, modalities.len(), d, config.d_ff, trunk, device));
        Model {
            encoders,
            shared_keys,
            classifier: Classifier::new(d, if config.fusion { 1 } else { modalities.len() }),
            interaction,
            fusion,
        }
    }

    pub fn classes(&self) -> usize {
        self.classifier.classes()
    }

    /// The modalities the model has an encoder for, in encoder order.
    pub fn modalities(&self) -> Vec<Modality> {
        self.encoders.iter().map(|e| e.modality).collect()
    }

    /// The model with the burnpack `bytes` loaded into it; they must hold
    /// exactly its tensors. Float tensors stored in another precision (the
    /// shipped weights' f16) are read as the model's f32. Errors read
    /// "WHAT: …" or "WHAT does not fit this run (…)".
    pub fn load_burnpack(mut self, bytes: &[u8], what: &str) -> Result<Model, String> {
        let mut store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(bytes.to_vec())))
            .with_from_adapter(FloatCastAdapter::to(DType::F32));
        let result = self
            .load_from(&mut store)
            .map_err(|e| format!("{what}: {e}"))?;
        if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
            return Err(format!(
                "{what} does not fit this run ({} errors, {} missing, {} unused tensors)",
                result.errors.len(),
                result.missing.len(),
                result.unused.len()
            ));
        }
        Ok(self)
    }

    /// Grows the classifier to `total` classes.
    pub fn expand_to(mut self, total: usize, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        let n = total.saturating_sub(self.classes());
        self.classifier = self.classifier.expand(n, rng, device);
        self
    }

    /// The model with MoDE's [`Experts`] on its fusion block, one set per
    /// modality (`count(modality)` experts of rank `rank` each, drawn from
    /// `rng` in encoder order). A model that has them already, or has no
    /// fusion stage, is returned as it is.
    pub fn with_experts(
        mut self,
        rank: usize,
        count: impl Fn(Modality) -> usize,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Model {
        let modalities = self.modalities();
        if let Some(f) = &mut self.fusion
            && f.experts.is_empty()
        {
            let [d, d_ff] = f.shared.up.weight.dims();
            f.experts = modalities
                .into_iter()
                .map(|m| Experts::new(rng, count(m), rank, d, d_ff, device))
                .collect();
        }
        self
    }

    /// The model with its experts off (removed): the shared block alone.
    pub fn without_experts(mut self) -> Model {
        if let Some(f) = &mut self.fusion {
            f.experts.clear();
        }
        self
    }

    /// Whether the fusion block carries MoDE's experts.
    pub fn has_experts(&self) -> bool {
        self.fusion.as_ref().is_some_and(|f| !f.experts.is_empty())
    }

    pub fn forward(&self, batch: &Batch) -> ForwardOutput {
        let keys: Vec<Option<Tensor<2>>> = self
            .shared_keys
            .iter()
            .map(|k| self.interaction.then(|| k.val()))
            .collect();
        assert_eq!(
            batch.modalities(),
            self.modalities(),
            "the batch was made for other encoders"
        );
        let present: Vec<Tensor<2>> = batch.inputs.iter().map(|i| i.present.clone()).collect();
        let mut cls = Vec::with_capacity(self.encoders.len());
        let mut maps = Vec::with_capacity(self.encoders.len());
        let logits = match &self.fusion {
            // a trunk reads every token: each modality's [CLS] is the
            // trunk's, and its maps go on with the trunk's layers
            Some(f) if f.trunk.is_some() => {
                let mut shared = Vec::with_capacity(self.encoders.len());
                for (i, (encoder, input)) in self.encoders.iter().zip(&batch.inputs).enumerate() {
                    let (tokens, pad, mut m) = encoder.forward_seq(&input.encoded, &keys);
                    let (h, trunk_maps) = f.forward_seq(i, tokens, pad);
                    m.weights.extend(trunk_maps.weights);
                    m.scores.extend(trunk_maps.scores);
                    cls.push((encoder.modality, h.clone()));
                    shared.push((encoder.modality, h));
                    maps.push((encoder.modality, m));
                }
                self.classifier.forward_shared(&shared, &present)
            }
            fusion => {
                for (encoder, input) in self.encoders.iter().zip(&batch.inputs) {
                    let (h, m) = encoder.forward(&input.encoded, &keys);
                    cls.push((encoder.modality, h));
                    maps.push((encoder.modality, m));
                }
                match fusion {
                    None => self.classifier.forward(&cls, &present),
                    Some(f) => {
                        let shared: Vec<(Modality, Tensor<2>)> = cls
                            .iter()
                            .enumerate()
                            .map(|(i, (m, h))| (*m, f.forward(i, h.clone())))
                            .collect();
                        self.classifier.forward_shared(&shared, &present)
                    }
                }
            }
        };
        let features = Tensor::cat(
            cls.iter()
                .zip(&present)
                .map(|((_, h), p)| h.clone() * p.clone())
                .collect(),
            1,
        );
        ForwardOutput {
            logits,
            features,
            maps,
        }
    }

    /// The model's parameter groups, by name: each modality's encoder
    /// (embedding, positions and stream, named by the modality: `image`,
    /// `text`), the shared keys (`interaction`), with the fusion stage its
    /// `connectors`, its `trunk` (if any), its shared block (`fusion`) and
    /// MoDE's `experts` (if added), and the `classifier`.
    /// Strategies name them to set their learning rates
    /// ([`crate::strategy::LrFactors`]).
    pub fn param_groups(&self) -> Vec<(&'static str, Vec<ParamId>)> {
        let mut groups: Vec<(&'static str, Vec<ParamId>)> = self
            .encoders
            .iter()
            .map(|e| (e.modality.name(), list_param_ids(e)))
            .collect();
        groups.push(("interaction", list_param_ids(&self.shared_keys)));
        if let Some(f) = &self.fusion {
            groups.push(("connectors", list_param_ids(&f.connectors)));
            if let Some(t) = &f.trunk {
                groups.push(("trunk", list_param_ids(t)));
            }
            groups.push(("fusion", list_param_ids(&f.shared)));
            if !f.experts.is_empty() {
                groups.push(("experts", list_param_ids(&f.experts)));
            }
        }
        groups.push(("classifier", list_param_ids(&self.classifier)));
        groups
    }

    /// The names of [`Self::param_groups`], in their order.
    pub fn group_names(&self) -> Vec<String> {
        self.param_groups()
            .into_iter()
            .map(|(g, _)| g.to_string())
            .collect()
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
