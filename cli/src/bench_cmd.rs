//! `palimpsest bench`: how fast the run loop's training step and one
//! prediction are for the model a run config describes (see
//! `palimpsest_core::run::bench`); `bench/run.sh` sets PyTorch beside it.

use clap::Args;
use palimpsest_core::run::bench::{BenchPlan, BenchReport, bench};
use palimpsest_core::run::settings::with_settings;
use palimpsest_core::run::{Backend, RunConfig, build_scenario, device_for};
use palimpsest_core::strategy::StrategyConfig;
use serde::Serialize;

use crate::files::{check_out, write_atomic};

#[derive(Args)]
pub struct BenchArgs {
    /// entity or relation: whose first task's batches are trained on.
    #[arg(long, default_value = "entity")]
    scenario: String,
    /// Steps timed.
    #[arg(long, default_value_t = 200)]
    steps: usize,
    /// Steps run before timing starts.
    #[arg(long, default_value_t = 20)]
    warmup: usize,
    /// The classifier as after this many tasks (one chunk of outputs each).
    #[arg(long, default_value_t = 1)]
    tasks: usize,
    #[arg(long)]
    batch_size: Option<usize>,
    /// cpu, or wgpu where the build has a GPU backend.
    #[arg(long, default_value = "cpu")]
    backend: String,
    /// Any run setting by its path in the run record's config, e.g.
    /// --set model.d_model=128 (see `palimpsest list`).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    settings: Vec<String>,
    /// Where to write the measurements and the config they are of (JSON,
    /// what bench/torch_step.py reads).
    #[arg(long)]
    out: Option<String>,
}

/// What `--out` holds.
#[derive(Serialize)]
struct BenchFile {
    palimpsest: &'static str,
    /// Threads the CPU backend computes on.
    threads: usize,
    /// The process's peak resident memory after the bench, MiB (Linux).
    peak_rss_mib: Option<f64>,
    config: RunConfig,
    report: BenchReport,
}

fn config(args: &BenchArgs) -> Result<RunConfig, String> {
    let d = RunConfig::default();
    let config = RunConfig {
        scenario: args.scenario.clone(),
        strategy: StrategyConfig::Finetune,
        backend: Backend::parse(&args.backend)?,
        batch_size: args.batch_size.unwrap_or(d.batch_size),
        ..d
    };
    with_settings(config, &args.settings)
}

pub fn run(args: BenchArgs) -> Result<(), String> {
    let config = config(&args)?;
    config.validate()?;
    if let Some(out) = &args.out {
        check_out(out)?;
    }
    let scenario = build_scenario(&config, None).map_err(|e| e.to_string())?;
    let device = device_for(config.backend).map_err(|e| e.to_string())?;
    let plan = BenchPlan {
        warmup: args.warmup,
        steps: args.steps,
        tasks: args.tasks,
    };
    eprintln!(
        "timing {} training steps (after {} to warm up) and {} predictions …",
        plan.steps, plan.warmup, plan.steps
    );
    let report =
        pollster::block_on(bench(&config, &scenario, &device, plan)).map_err(|e| e.to_string())?;
    let file = BenchFile {
        palimpsest: env!("CARGO_PKG_VERSION"),
        threads: palimpsest_core::run::bench::cpu_threads(),
        peak_rss_mib: peak_rss_mib(),
        config,
        report,
    };
    let r = &file.report;
    println!(
        "{} parameters, {} classes, batch {}: {:.2} ms a step (median of {}), {:.0} samples/s, \
         {:.1} GFLOP/s on {} thread(s); one prediction {:.2} ms; peak memory {}",
        r.params,
        r.classes,
        r.batch,
        r.median_step_ms,
        r.step_ms.len(),
        r.samples_per_s,
        r.gflops,
        file.threads,
        r.predict_ms,
        file.peak_rss_mib
            .map_or("unknown".to_string(), |m| format!("{m:.0} MiB")),
    );
    if let Some(out) = &args.out {
        let json = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
        write_atomic(out, json.as_bytes())?;
        eprintln!("measurements written to {out}");
    }
    Ok(())
}

/// VmHWM of /proc/self/status, where there is one.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
