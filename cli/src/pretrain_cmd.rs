//! `palimpsest pretrain`: trains the encoders on the pretraining pool (no
//! class of any default stream) and writes the weights file that runs start
//! from by default.

use clap::Args;
use palimpsest_core::data::pool::{pool_path, pretrain_pool_at};
use palimpsest_core::model::pretrained::{WEIGHTS_FILE, decode};
use palimpsest_core::run::distill::{DistillConfig, teacher_targets};
use palimpsest_core::run::pretrain::{
    VECTORS_FILE, parse_vectors, pretrain_config, pretrainer, seed_word_embeddings, vectors_path,
    weights_file,
};
use palimpsest_core::run::{RunConfig, device_for};

use crate::files::{check_out, write_atomic};
use crate::run_cmd::drive;
use palimpsest_core::run::settings::with_settings;

/// The defaults that made the shipped weights.
pub const SEED: u64 = 1;
pub const EPOCHS: usize = 12;

#[derive(Args)]
pub struct PretrainArgs {
    #[arg(long, default_value_t = SEED)]
    seed: u64,
    #[arg(long, default_value_t = EPOCHS)]
    epochs: usize,
    /// The pool (built by `python3 tools/build_pack.py --pool`); by default
    /// the one in this checkout.
    #[arg(long)]
    pool: Option<String>,
    /// Any run setting by its path, as for `run` (e.g. --set model.d_model=96
    /// for weights of another shape).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    settings: Vec<String>,
    /// Word vectors the text embedding starts from (`none`: random); by
    /// default the ones in this checkout.
    #[arg(long)]
    vectors: Option<String>,
    /// The image teacher's features of the pool, to distil into the image
    /// encoder (e.g. data/pretrain/teacher-image-64.tsv, made by
    /// `tools/build_teacher.py`); by default none (see the README: it did
    /// not help).
    #[arg(long)]
    teacher: Option<String>,
    /// Weight of the teacher's distillation loss next to the cross-entropy.
    #[arg(long, default_value_t = DistillConfig::default().weight)]
    distill_weight: f64,
    /// Temperature of the teacher's and the student's similarities.
    #[arg(long, default_value_t = DistillConfig::default().temperature)]
    distill_temperature: f64,
    /// Where to write the weights.
    #[arg(long, default_value = WEIGHTS_FILE)]
    out: String,
    /// Where to write the pretraining's run record (JSON).
    #[arg(long)]
    record: Option<String>,
}

pub fn run(args: PretrainArgs) -> Result<(), String> {
    let base = RunConfig {
        seed: args.seed,
        epochs: args.epochs,
        ..RunConfig::default()
    };
    let config = pretrain_config(with_settings(base, &args.settings)?);
    config.validate()?;
    check_out(&args.out)?;
    if let Some(r) = &args.record {
        check_out(r)?;
    }
    let path = args.pool.map(Into::into).unwrap_or_else(pool_path);
    let pool = pretrain_pool_at(&path).map_err(|e| e.to_string())?;
    let vectors = match args.vectors.as_deref() {
        Some("none") => None,
        other => {
            let path = other.map(Into::into).unwrap_or_else(vectors_path);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read the word vectors {}: {e}", path.display()))?;
            let v = parse_vectors(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            Some((path, v))
        }
    };
    let distill = DistillConfig {
        weight: args.distill_weight,
        temperature: args.distill_temperature,
    };
    if !(distill.weight >= 0.0 && distill.weight.is_finite()) {
        return Err(format!(
            "--distill-weight {} is not a finite number ≥ 0",
            distill.weight
        ));
    }
    if !(distill.temperature > 0.0 && distill.temperature.is_finite()) {
        return Err(format!(
            "--distill-temperature {} is not a finite number > 0",
            distill.temperature
        ));
    }
    let teacher = match args.teacher.as_deref() {
        None => None,
        Some(_) if distill.weight == 0.0 => None,
        Some(name) => {
            let path = std::path::Path::new(name);
            let text = std::fs::read_to_string(path).map_err(|e| {
                format!("cannot read the teacher's features {}: {e}", path.display())
            })?;
            let targets =
                teacher_targets(&text, &pool).map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!(
                "image teacher: {} ({} rows), weight {}, temperature {}",
                path.display(),
                targets.len(),
                distill.weight,
                distill.temperature
            );
            let note = format!(
                "{name} (weight {}, temperature {})",
                distill.weight, distill.temperature
            );
            Some((targets, note))
        }
    };
    let (teacher, teacher_note) = match teacher {
        Some((targets, note)) => (Some((targets, distill)), Some(note)),
        None => (None, None),
    };
    let tokenizer = config.model.tokenizer;
    let device = device_for(config.backend).map_err(|e| e.to_string())?;
    let mut runner =
        pretrainer(config, &pool, teacher, device, "cpu (flex)").map_err(|e| e.to_string())?;
    let mut source = None;
    if let Some((path, v)) = vectors {
        let rows = runner
            .start_with(|model| seed_word_embeddings(model, &tokenizer, &v))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!(
            "text embedding: {rows} of {} rows start from {} word vectors ({})",
            tokenizer.vocab,
            v.len(),
            path.display()
        );
        source = Some(VECTORS_FILE.to_string());
    }
    eprintln!(
        "pretraining on {} ({} images, {} classes, none in a default stream)",
        path.display(),
        pool.len(),
        runner.scenario().class_names.len()
    );
    let (record, stopped) = drive(&mut runner);
    if let Some(message) = stopped {
        return Err(message);
    }
    let record = record.ok_or("the pretraining ended without a record")?;
    let bytes = pollster::block_on(weights_file(
        &runner.model(),
        &record,
        source.as_deref(),
        teacher_note.as_deref(),
    ));
    let (header, _) = decode(&bytes).map_err(|e| e.to_string())?;
    write_atomic(&args.out, &bytes)?;
    eprintln!(
        "weights written to {} ({} bytes, pool test accuracy {:.3}); rebuild to make them the default start",
        args.out,
        bytes.len(),
        header.made_by.pool_test_accuracy
    );
    if let Some(r) = &args.record {
        let json = serde_json::to_string_pretty(&record).map_err(|e| e.to_string())?;
        write_atomic(r, json.as_bytes())?;
    }
    Ok(())
}
