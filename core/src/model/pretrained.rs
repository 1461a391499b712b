//! Pretrained encoder weights: the file `palimpsest pretrain` writes and
//! every run may start from (issue 21, step 2).
//!
//! Byte layout, all little-endian: the magic `PLMPWGTS`, a `u32` format
//! version, a `u32` header length, the JSON [`WeightsHeader`] (the model
//! shape the weights fit and how they were made), the burnpack of a model
//! whose classifier has no classes (so: the encoders and the shared keys),
//! every float tensor stored as f16 (read back as f32), and a CRC-32 of
//! everything before it. Version 1 stored f32: twice the bytes in every
//! visitor's download.
//!
//! The file in `public/` is compiled into the crate (as the bundled pack is),
//! so the CLI and the browser's worker start from the same bytes.

use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::encoder::Encoder;
use super::{EncoderConfig, EncoderInit, Model, ModelConfig};
use crate::data::scenario::rng_for;
use crate::data::tokenizer::Tokenizer;
use crate::data::{InputKind, Modality};

const MAGIC: &[u8; 8] = b"PLMPWGTS";
/// Version of the layout above, of the model's tensor paths and of the
/// tensors' precision (2: f16).
pub const WEIGHTS_VERSION: u32 = 2;
/// Where the shipped weights lie, relative to the repository root.
pub const WEIGHTS_FILE: &str = "public/pretrained-encoders.bin";

static BUNDLED: &[u8] = include_bytes!("../../../public/pretrained-encoders.bin");

/// The weights compiled into the crate.
pub fn bundled_weights() -> &'static [u8] {
    BUNDLED
}

/// Everything about a model's shape that its encoders' tensors depend on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    pub patch: usize,
    pub d_model: usize,
    pub heads: usize,
    pub d_ff: usize,
    pub layers: usize,
    pub interaction_layers: usize,
    pub tokenizer: Tokenizer,
    /// The encoders' modalities, by name, in order.
    pub modalities: Vec<String>,
}

impl Shape {
    pub fn of(config: &ModelConfig) -> Shape {
        Shape {
            patch: config.patch,
            d_model: config.d_model,
            heads: config.heads,
            d_ff: config.d_ff,
            layers: config.layers,
            interaction_layers: config.interaction_layers,
            tokenizer: config.tokenizer,
            modalities: config
                .modalities()
                .iter()
                .map(|m| m.name().to_string())
                .collect(),
        }
    }

    /// The first setting in which `self` (the weights) and `run` differ, as
    /// "NAME: the weights have A, this run has B".
    fn mismatch(&self, run: &Shape) -> Option<String> {
        let pairs: [(&str, String, String); 7] = [
            ("model.patch", self.patch.to_string(), run.patch.to_string()),
            (
                "model.d_model",
                self.d_model.to_string(),
                run.d_model.to_string(),
            ),
            ("model.heads", self.heads.to_string(), run.heads.to_string()),
            ("model.d_ff", self.d_ff.to_string(), run.d_ff.to_string()),
            (
                "model.layers",
                self.layers.to_string(),
                run.layers.to_string(),
            ),
            (
                "model.interaction_layers",
                self.interaction_layers.to_string(),
                run.interaction_layers.to_string(),
            ),
            (
                "model.tokenizer",
                format!("{:?}", self.tokenizer),
                format!("{:?}", run.tokenizer),
            ),
        ];
        pairs
            .into_iter()
            .find(|(_, a, b)| a != b)
            .map(|(name, a, b)| format!("{name}: the weights have {a}, this run has {b}"))
    }
}

/// How the weights were made, for the record and for `--init` messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The command that re-makes the file.
    pub command: String,
    pub seed: u64,
    pub epochs: usize,
    /// Classes (pool subgroups) trained on.
    pub classes: usize,
    pub train_samples: usize,
    /// Fused accuracy on the pool's held-out items after pretraining.
    pub pool_test_accuracy: f64,
    /// The word vectors the text embedding started from (a file and its
    /// source), if any.
    #[serde(default)]
    pub word_vectors: Option<String>,
    /// The image teacher distilled into the image encoder (its features
    /// file and the loss's weight and temperature), if any; left out of
    /// the header when none was (so that files made without one stay
    /// byte-identical to those made before the field existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightsHeader {
    pub shape: Shape,
    pub made_by: Provenance,
}

/// Why a weights file cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WeightsError {
    #[error("the weights file is empty or truncated ({len} bytes)")]
    Truncated { len: usize },
    #[error("this is not a Palimpsest weights file (it does not start with PLMPWGTS)")]
    Foreign,
    #[error(
        "the weights file has format version {found}; this build reads version {WEIGHTS_VERSION} (re-make it with `palimpsest pretrain`)"
    )]
    Version { found: u32 },
    #[error("the weights file is corrupt (checksum mismatch)")]
    Checksum,
    #[error("the weights file's header is unreadable: {0}")]
    Header(String),
    #[error(
        "the pretrained weights do not fit this model ({0}); use --init scratch, or re-make them for this shape with `palimpsest pretrain --set …`"
    )]
    Shape(String),
    /// The burnpack inside does not load into the model.
    #[error("{0}")]
    Tensors(String),
}

/// The file's bytes for `header` and the burnpack `tensors`.
pub fn encode(header: &WeightsHeader, tensors: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(header).expect("a weights header serialises");
    let mut out = Vec::with_capacity(MAGIC.len() + 8 + json.len() + tensors.len() + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&WEIGHTS_VERSION.to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(tensors);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The header and the burnpack bytes of a weights file, checked for magic,
/// version, checksum and header. Garbage gives an error, never a panic.
pub fn decode(bytes: &[u8]) -> Result<(WeightsHeader, &[u8]), WeightsError> {
    let pre = MAGIC.len() + 8;
    if bytes.len() >= MAGIC.len() && &bytes[..MAGIC.len()] != MAGIC {
        return Err(WeightsError::Foreign);
    }
    if bytes.len() < pre + 4 {
        return Err(WeightsError::Truncated { len: bytes.len() });
    }
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let version = word(MAGIC.len());
    if version != WEIGHTS_VERSION {
        return Err(WeightsError::Version { found: version });
    }
    let header_len = word(MAGIC.len() + 4) as usize;
    let body_end = bytes.len() - 4;
    if header_len > body_end - pre {
        return Err(WeightsError::Truncated { len: bytes.len() });
    }
    if crc32fast::hash(&bytes[..body_end]) != word(body_end) {
        return Err(WeightsError::Checksum);
    }
    let header: WeightsHeader = serde_json::from_slice(&bytes[pre..pre + header_len])
        .map_err(|e| WeightsError::Header(e.to_string()))?;
    Ok((header, &bytes[pre + header_len..body_end]))
}

/// `model` (just built from `config`, no classes yet) with every encoder
/// that `config` marks `Pretrained` replaced by the file's encoder of its
/// modality — for a pixel modality the file lacks (sketch), a copy of the
/// file's image encoder, with parameters of its own; the other encoders, the
/// shared keys and the classifier are kept. The run's random stream is not
/// touched, so a scratch encoder is the same either way.
pub fn apply(model: Model, config: &ModelConfig, bytes: &[u8]) -> Result<Model, WeightsError> {
    if !config.starts_pretrained() {
        return Ok(model);
    }
    let (header, tensors) = decode(bytes)?;
    if let Some(what) = header.shape.mismatch(&Shape::of(config)) {
        return Err(WeightsError::Shape(what));
    }
    let file: Vec<Modality> = header
        .shape
        .modalities
        .iter()
        .map(|n| {
            Modality::by_name(n)
                .ok_or_else(|| WeightsError::Header(format!("unknown modality {n:?}")))
        })
        .collect::<Result<_, _>>()?;
    let file_config = ModelConfig {
        encoders: file.iter().map(|&m| EncoderConfig::pretrained(m)).collect(),
        fusion: false,
        ..config.clone()
    };
    let device: Device = model.encoders[0].pos.val().device();
    let load_all = || -> Result<Vec<Option<Encoder>>, WeightsError> {
        Ok(load(&file_config, tensors, &device)?
            .encoders
            .into_iter()
            .map(Some)
            .collect())
    };
    let mut loaded = load_all()?;
    let mut model = model;
    for (slot, enc) in model.encoders.iter_mut().zip(&config.encoders) {
        if enc.init != EncoderInit::Pretrained {
            continue;
        }
        let source = file
            .iter()
            .position(|&m| m == enc.modality)
            .or_else(|| {
                (enc.modality.kind() == InputKind::Pixels)
                    .then(|| file.iter().position(|&m| m == Modality::Image))
                    .flatten()
            })
            .ok_or_else(|| {
                WeightsError::Shape(format!(
                    "model.encoders: the weights have {}, this run's {} encoder has none to start from",
                    header.shape.modalities.join("+"),
                    enc.modality.name()
                ))
            })?;
        // A file encoder taken twice is loaded afresh, under new parameter
        // ids (the file's are fixed): each copy has parameters of its own.
        let mut from = match loaded[source].take() {
            Some(e) => e,
            None => load_all()?[source]
                .take()
                .expect("just loaded")
                .map(&mut FreshIds),
        };
        from.modality = enc.modality;
        *slot = from;
    }
    Ok(model)
}

/// Gives every parameter a new id.
struct FreshIds;

impl ModuleMapper for FreshIds {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (_, value, mapper) = param.consume();
        Param::from_mapped_value(ParamId::new(), value, mapper)
    }
}

/// A classless model of `config`'s shape holding the burnpack `tensors`.
pub fn load(config: &ModelConfig, tensors: &[u8], device: &Device) -> Result<Model, WeightsError> {
    // A throwaway generator: every value is overwritten by the load.
    Model::new(config, false, &mut rng_for(0, "weights"), device)
        .load_burnpack(tensors, "the weights file's model")
        .map_err(WeightsError::Tensors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> WeightsHeader {
        WeightsHeader {
            shape: Shape::of(&ModelConfig::default()),
            made_by: Provenance {
                command: "test".into(),
                seed: 1,
                epochs: 2,
                classes: 3,
                train_samples: 4,
                pool_test_accuracy: 0.5,
                word_vectors: None,
                teacher: None,
            },
        }
    }

    #[test]
    fn a_file_round_trips_and_bad_files_are_named_errors() {
        let bytes = encode(&header(), b"tensor bytes");
        let (h, t) = decode(&bytes).unwrap();
        assert_eq!(h, header());
        assert_eq!(t, b"tensor bytes");

        assert_eq!(decode(b""), Err(WeightsError::Truncated { len: 0 }));
        assert_eq!(decode(b"PLMPW"), Err(WeightsError::Truncated { len: 5 }));
        assert_eq!(decode(b"\x89PNG\r\n\x1a\n0000"), Err(WeightsError::Foreign));
        let mut other = bytes.clone();
        // version 1 (f32 tensors) is refused with the re-make hint
        other[8] = 1;
        assert_eq!(decode(&other), Err(WeightsError::Version { found: 1 }));
        assert!(
            WeightsError::Version { found: 1 }
                .to_string()
                .contains("palimpsest pretrain")
        );
        let mut flipped = bytes.clone();
        let mid = bytes.len() / 2;
        flipped[mid] ^= 1;
        assert_eq!(decode(&flipped), Err(WeightsError::Checksum));
        // every truncation is an error, none a panic
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "{n} bytes accepted");
        }
        // a header length past the end
        let mut long = bytes.clone();
        long[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(decode(&long), Err(WeightsError::Truncated { .. })));
    }

    #[test]
    fn a_shape_mismatch_names_the_setting() {
        let mine = Shape::of(&ModelConfig::default());
        let wider = Shape::of(&ModelConfig {
            d_model: 128,
            ..ModelConfig::default()
        });
        assert_eq!(mine.mismatch(&mine), None);
        let m = mine.mismatch(&wider).unwrap();
        assert_eq!(m, "model.d_model: the weights have 64, this run has 128");
    }

    #[test]
    fn the_shipped_weights_fit_the_default_model() {
        let (h, tensors) = decode(bundled_weights()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.shape, Shape::of(&ModelConfig::default()));
        assert!(h.made_by.command.contains("pretrain"));
        assert!(bundled_weights().len() <= 2 << 20, "over 2 MiB");
        let model = load(&ModelConfig::default(), tensors, &Device::flex()).unwrap();
        assert_eq!(model.classes(), 0);
    }
}
