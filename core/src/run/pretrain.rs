//! Pretraining the encoders on the pool (issue 21, step 2): a Joint run over
//! one task whose classes are the pool's subgroups, none of them in any
//! default stream; its encoders become the weights file every run may start
//! from ([`crate::model::pretrained`]).

use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::nn::Embedding;
use burn::tensor::{Device, Tensor, TensorData};

use super::checkpoint::model_bytes_f16;
use super::config::RunConfig;
use super::distill::{Distill, DistillConfig};
use super::record::RunRecord;
use super::{RunError, Runner};
use crate::data::pack::Pack;
use crate::data::pool::pretrain_scenario;
use crate::data::tokenizer::Tokenizer;
use crate::model::pretrained::{Provenance, Shape, WeightsHeader, encode};
use crate::model::{Classifier, Embed, EncoderInit, Model};
use crate::strategy::StrategyConfig;

/// The command that re-makes the shipped weights (in their header and the
/// README).
pub const PRETRAIN_COMMAND: &str = "cargo run --release -p palimpsest-cli -- pretrain";

/// The pretraining run's settings: `base` with the Joint strategy, every
/// encoder from scratch, and the pool as its scenario's name.
pub fn pretrain_config(base: RunConfig) -> RunConfig {
    RunConfig {
        scenario: "pretrain-pool".into(),
        strategy: StrategyConfig::Joint,
        model: base.model.clone().with_init(EncoderInit::Scratch),
        ..base
    }
}

/// A runner that pretrains on `pool` with `config` (from [`pretrain_config`]),
/// distilling `teacher` (its features of every pool item, from
/// [`distill::teacher_targets`]) into the image encoder when given.
pub fn pretrainer(
    config: RunConfig,
    pool: &Pack,
    teacher: Option<(Vec<Vec<f32>>, DistillConfig)>,
    device: Device,
    device_name: &str,
) -> Result<Runner, RunError> {
    let scenario = pretrain_scenario(pool, config.seed, &config.entity);
    match teacher {
        Some((targets, c)) => {
            let strategy = Box::new(Distill::new(targets, c));
            Runner::with_strategy(config, scenario, device, device_name, strategy)
        }
        None => Runner::new(config, scenario, device, device_name),
    }
}

/// The weights file of a finished pretraining: `model`'s encoders (its
/// classifier dropped) and where they came from.
///
/// `word_vectors` names the vectors the text embedding started from, and
/// `teacher` the image teacher distilled, if any.
pub async fn weights_file(
    model: &Model,
    record: &RunRecord,
    word_vectors: Option<&str>,
    teacher: Option<&str>,
) -> Vec<u8> {
    let mut encoders = model.clone();
    encoders.classifier = Classifier::new(model.classifier.d, model.classifier.modalities);
    // The encoders (and shared keys) only: a run with or without the fusion
    // stage starts from them alike.
    encoders.fusion = None;
    // Parameter ids are random per process and burnpack stores them:
    // numbered in visiting order instead, the same run gives the same bytes.
    let encoders = encoders.map(&mut Renumber(0));
    // f16: half the download, well inside what training moves them by
    let tensors = model_bytes_f16(&encoders).await;
    let config = &record.config;
    let header = WeightsHeader {
        shape: Shape::of(&config.model),
        made_by: Provenance {
            command: PRETRAIN_COMMAND.into(),
            seed: config.seed,
            epochs: config.epochs,
            classes: model.classes(),
            train_samples: record.tasks.iter().map(|t| t.train_size).sum(),
            pool_test_accuracy: record.measured.a.last().copied().unwrap_or(0.0),
            word_vectors: word_vectors.map(str::to_string),
            teacher: teacher.map(str::to_string),
        },
    };
    encode(&header, &tensors)
}

struct Renumber(u64);

impl ModuleMapper for Renumber {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (_, value, mapper) = param.consume();
        self.0 += 1;
        Param::from_mapped_value(ParamId::from(self.0), value, mapper)
    }
}

/// The word vectors the text encoder's embedding table starts from,
/// relative to the repository root (made by
/// `python3 tools/build_word_vectors.py`; see its licence file beside it).
pub const VECTORS_FILE: &str = "data/pretrain/word-vectors-64.tsv";

/// Where the vectors lie in this source tree (found from `core`'s manifest
/// directory, as the pool is).
pub fn vectors_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(VECTORS_FILE)
}

/// One word and its vector.
pub type WordVector = (String, Vec<f32>);

/// Parses the vectors file: `#` comment lines, then `word<TAB>v1 … vd`, every
/// vector of one length. Any other line is an error naming its number.
pub fn parse_vectors(text: &str) -> Result<Vec<WordVector>, String> {
    let mut out: Vec<WordVector> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let bad = |why: &str| format!("line {}: {why}", n + 1);
        let (word, values) = line.split_once('\t').ok_or_else(|| bad("no tab"))?;
        let v: Vec<f32> = values
            .split(' ')
            .map(|x| x.parse::<f32>().ok().filter(|f| f.is_finite()))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("a value is not a finite number"))?;
        if let Some((_, first)) = out.first()
            && first.len() != v.len()
        {
            return Err(bad(&format!(
                "{} values where the first line has {}",
                v.len(),
                first.len()
            )));
        }
        if word.is_empty() || v.is_empty() {
            return Err(bad("empty word or vector"));
        }
        out.push((word.to_string(), v));
    }
    if out.is_empty() {
        return Err("no vectors".into());
    }
    Ok(out)
}

/// Sets every row of `model`'s text embedding that some word of `vectors`
/// hashes to to the mean of those words' vectors; the other rows keep their
/// random start. Gives how many rows were set; on an error nothing changed.
pub fn seed_word_embeddings(
    model: &mut Model,
    tokenizer: &Tokenizer,
    vectors: &[WordVector],
) -> Result<usize, String> {
    let encoder = model
        .encoders
        .iter_mut()
        .find(|e| matches!(e.embed, Embed::Tokens(_)))
        .ok_or("the model has no text encoder")?;
    let Embed::Tokens(Embedding { weight }) = &mut encoder.embed else {
        unreachable!("found above")
    };
    let [vocab, d] = weight.dims();
    if vectors[0].1.len() != d {
        return Err(format!(
            "the word vectors have {} dimensions and the model's d_model is {d}",
            vectors[0].1.len()
        ));
    }
    let mut sums = vec![0.0f32; vocab * d];
    let mut counts = vec![0usize; vocab];
    for (word, v) in vectors {
        let row = tokenizer.word_id(word) as usize;
        counts[row] += 1;
        for (s, x) in sums[row * d..(row + 1) * d].iter_mut().zip(v) {
            *s += x;
        }
    }
    let old = weight.val();
    let device = old.device();
    let mut values: Vec<f32> = old
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| format!("the embedding's values: {e:?}"))?;
    for (row, &c) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
        for j in 0..d {
            values[row * d + j] = sums[row * d + j] / c as f32;
        }
    }
    let seeded = counts.iter().filter(|c| **c > 0).count();
    *weight = weight.clone().map(move |_| {
        Tensor::from_data(TensorData::new(values, [vocab, d]), &device).require_grad()
    });
    Ok(seeded)
}
