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
}

/// One modality's encoder: which modality it reads and where it starts.
/// Its shape follows the shared settings (`d_model`, `heads`, `d_ff`,
/// `layers`; `patch` for pixels, `tokenizer` for words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncoderConfig {
    pub modality: Modality,
    #[serde(default)]
    pub init: EncoderInit,
}

impl EncoderConfig {
    pub fn scratch(modality: Modality) -> Self {
        EncoderConfig {
            modality,
            init: EncoderInit::Scratch,
        }
    }
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
    pub tokenizer: Tokenizer,
    /// One encoder per modality, in [`Modality`] order; each feeds the
    /// fused classifier.
    pub encoders: Vec<EncoderConfig>,
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
            encoders: Modality::ALL.map(EncoderConfig::scratch).to_vec(),
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
    /// The modalities of the encoders, in order.
    pub fn modalities(&self) -> Vec<Modality> {
        self.encoders.iter().map(|e| e.modality).collect()
    }

    pub fn validate(&self) -> Result<(), String> {
        // Image and text, each once, in order: the scenarios of this
        // version bring both, and MSPT's contribution ratio compares them.
        if self.modalities() != Modality::ALL {
            let names: Vec<&str> = self.encoders.iter().map(|e| e.modality.name()).collect();
            return Err(format!(
                "model.encoders must be image then text, each once (got [{}])",
                names.join(", ")
            ));
        }
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
