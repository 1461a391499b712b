//! One training or test example, whatever the scenario: its inputs keyed by
//! modality, so that a task may bring a modality the earlier ones lacked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Side length of every image the model sees (RGB, row-major).
pub const IMAGE_SIZE: usize = 32;
/// Bytes of one image: `IMAGE_SIZE² × 3`.
pub const IMAGE_BYTES: usize = IMAGE_SIZE * IMAGE_SIZE * 3;

/// A modality a task can bring. The order of the variants is the order of
/// the model's encoders, of a sample's inputs and of the classifier's parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Modality {
    Image,
    Text,
    /// A drawing: pixels like an image (grey, as RGB), read by an encoder
    /// of its own.
    Sketch,
    /// A spoken word as its log-mel picture ([`super::logmel`]): pixels
    /// like an image (grey, as RGB), read by an encoder of its own.
    Speech,
}

/// What an encoder of a modality reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `IMAGE_BYTES` of RGB, cut into patches.
    Pixels,
    /// Words, tokenised.
    Words,
}

impl Modality {
    /// Every modality, in encoder order.
    pub const ALL: [Modality; 4] = [
        Modality::Image,
        Modality::Text,
        Modality::Sketch,
        Modality::Speech,
    ];
    /// The modalities of the image–caption scenarios and of the default model.
    pub const IMAGE_TEXT: [Modality; 2] = [Modality::Image, Modality::Text];

    pub fn name(self) -> &'static str {
        match self {
            Modality::Image => "image",
            Modality::Text => "text",
            Modality::Sketch => "sketch",
            Modality::Speech => "speech",
        }
    }

    pub fn kind(self) -> InputKind {
        match self {
            Modality::Image | Modality::Sketch | Modality::Speech => InputKind::Pixels,
            Modality::Text => InputKind::Words,
        }
    }

    pub fn by_name(name: &str) -> Option<Modality> {
        Modality::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// One modality's input.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Pixels(Vec<u8>),
    Words(String),
}

impl Input {
    pub fn kind(&self) -> InputKind {
        match self {
            Input::Pixels(_) => InputKind::Pixels,
            Input::Words(_) => InputKind::Words,
        }
    }
}

/// An example with any subset of the modalities: a missing one is masked out
/// of the fused prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The inputs present, by modality (each of its modality's kind).
    pub inputs: BTreeMap<Modality, Input>,
    /// Global class index (order of arrival in the stream).
    pub label: usize,
    /// For relation samples: the two entity mentions, subject first.
    pub entities: Option<(String, String)>,
    /// The index of the pack item it was made from (entity and pool
    /// samples), for per-item targets such as an image teacher's features
    /// ([`crate::run::distill`]).
    pub item: Option<usize>,
}

impl Sample {
    /// A sample of `label` with no inputs yet (see [`Sample::with`]).
    pub fn new(label: usize) -> Sample {
        Sample {
            inputs: BTreeMap::new(),
            label,
            entities: None,
            item: None,
        }
    }

    /// The sample as made from item `index` of its pack.
    pub fn from_item(mut self, index: usize) -> Sample {
        self.item = Some(index);
        self
    }

    /// An image–text example; either may be missing.
    pub fn image_text(image: Option<Vec<u8>>, text: Option<String>, label: usize) -> Sample {
        let mut s = Sample::new(label);
        if let Some(px) = image {
            s = s.with(Modality::Image, Input::Pixels(px));
        }
        if let Some(t) = text {
            s = s.with(Modality::Text, Input::Words(t));
        }
        s
    }

    /// The sample with `input` as its `modality`. Panics if the input is not
    /// of the modality's kind (a programming error, never the user's data).
    pub fn with(mut self, modality: Modality, input: Input) -> Sample {
        assert_eq!(
            input.kind(),
            modality.kind(),
            "a {} input must be {:?}",
            modality.name(),
            modality.kind()
        );
        self.inputs.insert(modality, input);
        self
    }

    pub fn has(&self, modality: Modality) -> bool {
        self.inputs.contains_key(&modality)
    }

    pub fn input(&self, modality: Modality) -> Option<&Input> {
        self.inputs.get(&modality)
    }

    /// The image's RGB bytes, if the sample has one.
    pub fn image(&self) -> Option<&[u8]> {
        self.pixels_of(Modality::Image)
    }

    /// The pixels of the image or, without one, of the sketch or the
    /// spoken word's picture.
    pub fn pixels(&self) -> Option<&[u8]> {
        self.image()
            .or_else(|| self.pixels_of(Modality::Sketch))
            .or_else(|| self.pixels_of(Modality::Speech))
    }

    /// `modality`'s pixels, if the sample has them.
    fn pixels_of(&self, modality: Modality) -> Option<&[u8]> {
        match self.inputs.get(&modality) {
            Some(Input::Pixels(px)) => Some(px),
            _ => None,
        }
    }

    /// The caption or sentence, if the sample has one.
    pub fn text(&self) -> Option<&str> {
        match self.inputs.get(&Modality::Text) {
            Some(Input::Words(t)) => Some(t),
            _ => None,
        }
    }

    /// The same sample with one modality removed (used to measure unimodal accuracy).
    pub fn without(&self, modality: Modality) -> Sample {
        let mut s = self.clone();
        s.inputs.remove(&modality);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_keyed_by_modality() {
        let s = Sample::image_text(Some(vec![1; IMAGE_BYTES]), Some("a fox".into()), 3);
        assert!(s.has(Modality::Image) && s.has(Modality::Text));
        assert_eq!(s.text(), Some("a fox"));
        assert_eq!(s.image().map(<[u8]>::len), Some(IMAGE_BYTES));
        let t = s.without(Modality::Image);
        assert!(!t.has(Modality::Image) && t.image().is_none());
        assert_eq!(t.text(), Some("a fox"));
        assert_eq!(Sample::image_text(None, None, 0).inputs.len(), 0);
    }

    #[test]
    #[should_panic(expected = "a text input must be Words")]
    fn an_input_of_the_wrong_kind_is_refused() {
        let _ = Sample::new(0).with(Modality::Text, Input::Pixels(vec![0; 3]));
    }

    #[test]
    fn modalities_round_trip_by_name() {
        for m in Modality::ALL {
            assert_eq!(Modality::by_name(m.name()), Some(m));
        }
        assert_eq!(Modality::by_name("smell"), None);
    }
}
