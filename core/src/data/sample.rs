//! One training or test example, whatever the scenario.

use serde::{Deserialize, Serialize};

/// Side length of every image the model sees (RGB, row-major).
pub const IMAGE_SIZE: usize = 32;
/// Bytes of one image: `IMAGE_SIZE² × 3`.
pub const IMAGE_BYTES: usize = IMAGE_SIZE * IMAGE_SIZE * 3;

/// A modality a task can bring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Modality {
    Image,
    Text,
}

impl Modality {
    pub fn name(self) -> &'static str {
        match self {
            Modality::Image => "image",
            Modality::Text => "text",
        }
    }
}

/// An image–text example. Either modality may be missing: a missing stream is
/// masked out of the fused prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// `IMAGE_BYTES` of RGB, or `None` when the image modality is missing.
    pub image: Option<Vec<u8>>,
    /// The caption (entity scenario) or sentence (relation scenario).
    pub text: Option<String>,
    /// Global class index (order of arrival in the stream).
    pub label: usize,
    /// For relation samples: the two entity mentions, subject first.
    pub entities: Option<(String, String)>,
}

impl Sample {
    pub fn has(&self, modality: Modality) -> bool {
        match modality {
            Modality::Image => self.image.is_some(),
            Modality::Text => self.text.is_some(),
        }
    }

    /// The same sample with one modality removed (used to measure unimodal accuracy).
    pub fn without(&self, modality: Modality) -> Sample {
        let mut s = self.clone();
        match modality {
            Modality::Image => s.image = None,
            Modality::Text => s.text = None,
        }
        s
    }
}
