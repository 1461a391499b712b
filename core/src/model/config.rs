//! The model's shape, apart from the network itself, so that the page (which
//! builds no network) can read and write it.

use serde::{Deserialize, Serialize};

use crate::data::tokenizer::Tokenizer;
use crate::data::{IMAGE_SIZE, Modality};

/// Where an encoder's weights start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EncoderInit {
    /// Random, from the run's seed.
    #[default]
    Scratch,
    /// The shipped pretrained weights (`palimpsest pretrain`), fine-tuned
    /// from there; see [`super::pretrained`].
    Pretrained,
}

impl EncoderInit {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "scratch" => Ok(EncoderInit::Scratch),
            "pretrained" => Ok(EncoderInit::Pretrained),
            other => Err(format!(
                "unknown encoder start '{other}' (expected pretrained or scratch)"
            )),
        }
    }
}

/// One modality's encoder: which modality it reads and where it starts.
/// Its shape follows the shared settings (`d_model`, `heads`, `d_ff`,
/// `layers`; `patch` for pixels, `tokenizer` for words).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EncoderConfig {
    pub modality: Modality,
    #[serde(default)]
    pub init: EncoderInit,
    /// The encoder's learning-rate factor, applied on top of the strategy's:
    /// 1 trains it at the run's rate, 0 freezes it.
    #[serde(default = "one")]
    pub lr: f64,
}

fn one() -> f64 {
    1.0
}

impl EncoderConfig {
    pub fn scratch(modality: Modality) -> Self {
        EncoderConfig {
            modality,
            init: EncoderInit::Scratch,
            lr: 1.0,
        }
    }
    pub fn pretrained(modality: Modality) -> Self {
        EncoderConfig {
            modality,
            init: EncoderInit::Pretrained,
            lr: 1.0,
        }
    }
}

fn legacy_pos_init() -> f64 {
    0.02
}

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
    /// The image encoders' learnt positions start uniform in
    /// ±`image_pos_init`. At 0.02 (runs before this setting, hence the
    /// value when a record lacks it) they were drowned by the patches' own
    /// embeddings and the image encoder hardly saw where anything is:
    /// relation, Joint, seeds 1–3, A_T 53 % at 0.02, 72 % at 1.
    #[serde(default = "legacy_pos_init")]
    pub image_pos_init: f64,
    /// The same for the text encoders' positions. Larger values help
    /// relation sentences (word order: 79 % at 1) but drown the token
    /// embeddings (±0.1) of entity captions, whose tags come in any order
    /// (task 1, fused 0.50 at 1 against 0.71 at 0.02), so it stays small.
    #[serde(default = "legacy_pos_init")]
    pub text_pos_init: f64,
    pub tokenizer: Tokenizer,
    /// One encoder per modality, in [`Modality`] order; each feeds the
    /// fused classifier.
    pub encoders: Vec<EncoderConfig>,
    /// A modality-agnostic stage before the classifier ([`super::fusion`]):
    /// a connector per modality, one shared residual MLP block, and one
    /// classifier weight for every modality (the fused logits read the mean
    /// of the present modalities; each unimodal head is the same weight on
    /// one). Off by default: the encoders then meet only in the classifier.
    #[serde(default)]
    pub fusion: bool,
    /// Layers of a shared transformer trunk inside the fusion stage (0:
    /// none). With a trunk, every token of every modality (not only its
    /// [CLS]) goes through its connector and then through the same trunk
    /// layers, and the trunk's [CLS] through the shared block — the shape
    /// of MERA's model (modality encoders, connectors, one shared model
    /// that each new modality fine-tunes) and of MoDE's shared backbone.
    /// Needs `fusion`.
    #[serde(default)]
    pub trunk: usize,
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
            image_pos_init: 1.0,
            text_pos_init: 0.02,
            tokenizer: Tokenizer::default(),
            encoders: Modality::IMAGE_TEXT.map(EncoderConfig::pretrained).to_vec(),
            fusion: false,
            trunk: 0,
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
    /// Every encoder trained at learning-rate factor `lr` (0: frozen).
    pub fn with_encoder_lr(mut self, lr: f64) -> Self {
        for e in &mut self.encoders {
            e.lr = lr;
        }
        self
    }
    /// The encoders' learning-rate factors as parameter groups (by modality
    /// name), those at 1 left out.
    pub fn encoder_lr_factors(&self) -> Vec<(String, f64)> {
        self.encoders
            .iter()
            .filter(|e| e.lr != 1.0)
            .map(|e| (e.modality.name().to_string(), e.lr))
            .collect()
    }
    /// Whether any encoder starts from the pretrained weights.
    pub fn starts_pretrained(&self) -> bool {
        self.encoders
            .iter()
            .any(|e| e.init == EncoderInit::Pretrained)
    }
    /// Every encoder starting as `init` says.
    pub fn with_init(mut self, init: EncoderInit) -> Self {
        for e in &mut self.encoders {
            e.init = init;
        }
        self
    }
    /// The modalities of the encoders, in order.
    pub fn modalities(&self) -> Vec<Modality> {
        self.encoders.iter().map(|e| e.modality).collect()
    }
    /// The model with an encoder for each of `modalities` it lacks (in
    /// [`Modality`] order), starting as its first encoder does, at
    /// learning-rate factor 1.
    pub fn covering(mut self, modalities: &[Modality]) -> Self {
        let init = self
            .encoders
            .first()
            .map_or(EncoderInit::Pretrained, |e| e.init);
        for &m in modalities {
            if !self.modalities().contains(&m) {
                self.encoders.push(EncoderConfig {
                    modality: m,
                    init,
                    lr: 1.0,
                });
            }
        }
        self.encoders.sort_by_key(|e| e.modality);
        self
    }

    pub fn validate(&self) -> Result<(), String> {
        // Image and text, each once, in order, then any further modality
        // (sketch, speech): every scenario brings image and text, and MSPT's
        // contribution ratio compares them.
        let modalities = self.modalities();
        if modalities.len() < 2
            || modalities[..2] != Modality::IMAGE_TEXT
            || !modalities.windows(2).all(|w| w[0] < w[1])
        {
            let names: Vec<&str> = modalities.iter().map(|m| m.name()).collect();
            return Err(format!(
                "model.encoders must be image, text, then any of sketch and speech, each once and in that order (got [{}])",
                names.join(", ")
            ));
        }
        for e in &self.encoders {
            if !(0.0..=10.0).contains(&e.lr) {
                return Err(format!(
                    "model.encoders ({}).lr = {} is out of range: expected 0 (frozen) to 10",
                    e.modality.name(),
                    e.lr
                ));
            }
        }
        if self.patch == 0 || !IMAGE_SIZE.is_multiple_of(self.patch) {
            return Err(format!(
                "model.patch = {} does not divide the image size {IMAGE_SIZE}",
                self.patch
            ));
        }
        if self.heads == 0 || !self.d_model.is_multiple_of(self.heads) {
            return Err(format!(
                "model.d_model = {} is not a multiple of model.heads = {}",
                self.d_model, self.heads
            ));
        }
        if self.interaction_layers > self.layers || self.layers == 0 {
            return Err(format!(
                "model.interaction_layers = {} must be ≤ model.layers = {}, and model.layers ≥ 1",
                self.interaction_layers, self.layers
            ));
        }
        if self.trunk > 0 && !self.fusion {
            return Err(format!(
                "model.trunk = {} is a part of the fusion stage: it needs model.fusion=true",
                self.trunk
            ));
        }
        if self.tokenizer.max_len != self.seq_len() {
            return Err(format!(
                "model.tokenizer.max_len = {} must equal the image sequence length {} \
                 (1 + (image size {IMAGE_SIZE} / model.patch = {})²)",
                self.tokenizer.max_len,
                self.seq_len(),
                self.patch
            ));
        }
        Ok(())
    }
}
