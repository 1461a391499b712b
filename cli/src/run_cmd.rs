//! `palimpsest run`: one strategy over one task stream, with progress bars
//! and a summary table, writing the run record.

use std::path::Path;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use palimpsest_core::run::{
    Backend, Event, RunConfig, RunRecord, Runner, build_scenario, device_for,
};
use palimpsest_core::strategy::StrategyConfig;

use crate::folder::import_dir;

#[derive(Args)]
pub struct RunArgs {
    /// entity, relation, or the path of an imagefolder.
    #[arg(long, default_value = "entity")]
    scenario: String,
    /// finetune, joint, replay, ewc, lwf or mspt.
    #[arg(long, default_value = "mspt")]
    strategy: String,
    #[arg(long)]
    seed: Option<u64>,
    /// cpu, or wgpu where the build has a GPU backend.
    #[arg(long, default_value = "cpu")]
    backend: String,
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long)]
    batch_size: Option<usize>,
    #[arg(long)]
    lr: Option<f64>,
    /// Weight of the unimodal heads' own loss (0: fused loss only, as in MSPT).
    #[arg(long)]
    unimodal_weight: Option<f64>,
    /// MSPT components to switch off, e.g. gm,ad.
    #[arg(long, value_delimiter = ',')]
    ablate: Vec<String>,
    /// Strategy hyper-parameters, e.g. --param memory_share=0.5 (see `palimpsest list`).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Classes per task for an imagefolder scenario.
    #[arg(long)]
    classes_per_task: Option<usize>,
    /// Where to write the run record (JSON).
    #[arg(long)]
    out: Option<String>,
}

fn config(args: &RunArgs) -> Result<RunConfig, String> {
    let mut strategy = StrategyConfig::by_name(&args.strategy)?;
    if !args.ablate.is_empty() {
        let parts: Vec<&str> = args.ablate.iter().map(String::as_str).collect();
        strategy = match strategy {
            StrategyConfig::Mspt(c) => StrategyConfig::Mspt(c.ablate(&parts)?),
            other => return Err(format!("--ablate applies to mspt, not {}", other.name())),
        };
    }
    if !args.params.is_empty() {
        strategy = with_params(strategy, &args.params)?;
    }
    let d = RunConfig::default();
    Ok(RunConfig {
        scenario: args.scenario.clone(),
        strategy,
        seed: args.seed.unwrap_or(d.seed),
        backend: Backend::parse(&args.backend)?,
        epochs: args.epochs.unwrap_or(d.epochs),
        batch_size: args.batch_size.unwrap_or(d.batch_size),
        lr: args.lr.unwrap_or(d.lr),
        unimodal_weight: args.unimodal_weight.unwrap_or(d.unimodal_weight),
        classes_per_task: args.classes_per_task.unwrap_or(d.classes_per_task),
        ..d
    })
}

/// Overrides hyper-parameters of `strategy`; unknown keys and values of the
/// wrong type are errors naming the key.
fn with_params(strategy: StrategyConfig, params: &[String]) -> Result<StrategyConfig, String> {
    let mut json = serde_json::to_value(&strategy).map_err(|e| e.to_string())?;
    let name = strategy.name();
    for p in params {
        let (key, value) = p
            .split_once('=')
            .ok_or_else(|| format!("--param {p}: expected KEY=VALUE"))?;
        let map = json.as_object_mut().expect("strategy configs are objects");
        let Some(old) = map.get(key).filter(|_| key != "name") else {
            return Err(format!(
                "--param {key}: {name} has no such hyper-parameter (see `palimpsest list`)"
            ));
        };
        let parsed: serde_json::Value = serde_json::from_str(value)
            .map_err(|_| format!("--param {key}: '{value}' is not a number or true/false"))?;
        if std::mem::discriminant(old) != std::mem::discriminant(&parsed)
            && !(old.is_number() && parsed.is_number())
        {
            return Err(format!(
                "--param {key}: '{value}' has the wrong type (default is {old})"
            ));
        }
        map.insert(key.to_string(), parsed);
    }
    serde_json::from_value(json).map_err(|e| format!("--param: {e}"))
}

pub fn run(args: RunArgs) -> Result<(), String> {
    let config = config(&args)?;
    config.validate()?;
    let import = match config.scenario.as_str() {
        "entity" | "relation" => None,
        path => {
            let imp = import_dir(Path::new(path))?;
            for issue in &imp.issues {
                eprintln!("warning: {issue}");
            }
            Some(imp)
        }
    };
    let scenario = build_scenario(&config, import.as_ref()).map_err(|e| e.to_string())?;
    let device = device_for(config.backend).map_err(|e| e.to_string())?;
    let label = config.strategy.label();
    let mut runner =
        Runner::new(config, scenario, device, "cpu (flex)").map_err(|e| e.to_string())?;
    let style = ProgressStyle::with_template("task {prefix} [{bar:30}] {pos}/{len} {msg}")
        .expect("valid template")
        .progress_chars("=> ");
    let mut bar: Option<ProgressBar> = None;
    let mut record: Option<RunRecord> = None;
    while let Some(events) = pollster::block_on(runner.next()) {
        for event in events {
            match event {
                Event::TaskStarted {
                    task,
                    tasks,
                    steps,
                    classes,
                    ..
                } => {
                    let b = ProgressBar::new(steps as u64).with_style(style.clone());
                    b.set_prefix(format!("{task}/{tasks}"));
                    b.set_message(classes.join(", "));
                    bar = Some(b);
                }
                Event::Step {
                    loss,
                    gamma,
                    samples_per_s,
                    ..
                } => {
                    if let Some(b) = &bar {
                        b.inc(1);
                        b.set_message(format!(
                            "loss {loss:.3}  γ {gamma:.2}  {samples_per_s:.0} samples/s"
                        ));
                    }
                }
                Event::TaskEvaluated { task, a, u, .. } => {
                    if let Some(b) = bar.take() {
                        b.finish_and_clear();
                    }
                    eprintln!("task {task}: A_{task} = {a:.3}  U_{task} = {u:.3}");
                }
                Event::Attention(_) => {}
                Event::Finished(r) => record = Some(*r),
            }
        }
    }
    let record = record.ok_or("the run ended without a record")?;
    print!("{}", summary(&record, &label));
    if let Some(out) = &args.out {
        let json = serde_json::to_string_pretty(&record).map_err(|e| e.to_string())?;
        std::fs::write(out, json).map_err(|e| format!("cannot write {out}: {e}"))?;
        eprintln!("run record written to {out}");
    }
    Ok(())
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:+.3}"))
        .unwrap_or_else(|| "n/a".into())
}

/// The accuracy matrix and the headline metrics as a plain-text table.
pub fn summary(r: &RunRecord, label: &str) -> String {
    let t = r.acc_matrix.len();
    let mut s = format!(
        "\n{label} on {} (seed {})\n\naccuracy R[i][j] (after task i, on task j)\n",
        r.config.scenario, r.config.seed
    );
    s.push_str("       ");
    for j in 1..=t {
        s.push_str(&format!("  T{j:<4}"));
    }
    s.push_str("     A_k    U_k\n");
    for (i, row) in r.acc_matrix.iter().enumerate() {
        s.push_str(&format!("after {:<2}", i + 1));
        for v in row {
            s.push_str(&format!(" {v:>6.3}"));
        }
        s.push_str(&format!("  {:>6.3} {:>6.3}\n", r.a[i], r.u[i]));
    }
    let acc_t = r.metrics.acc.last().copied().unwrap_or(0.0);
    s.push_str(&format!(
        "\nA_T {:.3}   ACC {:.3}   BWT {}   FWT {}   forgetting {}   ({:.1} s, {:.0} train samples/s on {})\n",
        r.a.last().copied().unwrap_or(0.0),
        acc_t,
        fmt_opt(r.metrics.bwt),
        fmt_opt(r.metrics.fwt),
        fmt_opt(r.metrics.forgetting),
        r.timing.total_s,
        r.timing.train_samples_per_s,
        r.timing.device,
    ));
    s
}
