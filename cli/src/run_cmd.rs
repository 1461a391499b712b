//! `palimpsest run`: one strategy over one task stream, with progress bars
//! and a summary table, writing the run record.

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use palimpsest_core::data::folder::{Import, escape};
use palimpsest_core::model::EncoderInit;
use palimpsest_core::model::pretrained::{WEIGHTS_FILE, bundled_weights};
use palimpsest_core::run::experts::with_gains;
use palimpsest_core::run::settings::{with_params, with_settings};
use palimpsest_core::run::{
    Backend, Event, RunConfig, RunRecord, Runner, build_scenario, device_for,
};
use palimpsest_core::strategy::StrategyConfig;
use palimpsest_core::strategy::fault::Faulty;

use crate::files::{check_out, write_atomic};
use crate::folder::import_for;

#[derive(Args)]
pub struct RunArgs {
    /// teaching (the app's demo: 5 tasks of 2 classes that look unlike each
    /// other), entity, relation, modality (image–caption pairs, then sketches, then
    /// spoken words of the same classes), modality-reverse, modality-sketch
    /// (pairs, then sketches), modality-halves (pairs and sketches, each
    /// twice, over half the classes each time), or the path of an
    /// imagefolder.
    #[arg(long, default_value = "entity")]
    scenario: String,
    /// finetune, joint, replay, ewc, lwf, mspt, mera or mode (the last two
    /// turn on the fusion stage they need, model.fusion).
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
    /// MSPT components (gm,mi,ad,mm), MERA stages (merge,realign) or MoDE
    /// parts (experts,routing,distill) to switch off, e.g. gm,ad.
    #[arg(long, value_delimiter = ',')]
    ablate: Vec<String>,
    /// Strategy hyper-parameters, e.g. --param memory_share=0.5 (see `palimpsest list`).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Any other run setting by its path in the run record's config, e.g.
    /// --set entity.noise.replace_all=0 (see `palimpsest list`).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    settings: Vec<String>,
    /// Classes per task for an imagefolder scenario.
    #[arg(long)]
    classes_per_task: Option<usize>,
    /// Where the encoders start: pretrained (the shipped weights made by
    /// `palimpsest pretrain`) or scratch (random, from the seed).
    #[arg(long, value_name = "pretrained|scratch")]
    init: Option<String>,
    /// Learning-rate factor of the encoders beside the run's rate (0 freezes
    /// them: only the classifier and shared keys train).
    #[arg(long, value_name = "FACTOR")]
    encoder_lr: Option<f64>,
    /// Start the pretrained encoders from this weights file (written by
    /// `palimpsest pretrain --out`) instead of the shipped one.
    #[arg(long, value_name = "FILE")]
    weights: Option<String>,
    /// Where to write the run record (JSON).
    #[arg(long)]
    out: Option<String>,
    /// Where the experts of a modality stream are kept (each task trained
    /// alone, for the relative gains); default: ~/.cache/palimpsest/experts.
    #[arg(long, value_name = "DIR")]
    experts: Option<String>,
    /// Leave a modality stream's relative gains out (no experts trained).
    #[arg(long)]
    no_experts: bool,
    /// After the run, print the final model's confusion matrix on every
    /// task's test set (true class by row, predicted by column).
    #[arg(long)]
    confusion: bool,
}

fn config(args: &RunArgs) -> Result<RunConfig, String> {
    let mut strategy = StrategyConfig::by_name(&args.strategy)?;
    if !args.ablate.is_empty() {
        let parts: Vec<&str> = args.ablate.iter().map(String::as_str).collect();
        strategy = match strategy {
            StrategyConfig::Mspt(c) => StrategyConfig::Mspt(c.ablate(&parts)?),
            StrategyConfig::Mera(c) => StrategyConfig::Mera(c.ablate(&parts)?),
            StrategyConfig::Mode(c) => StrategyConfig::Mode(c.ablate(&parts)?),
            other => {
                return Err(format!(
                    "--ablate applies to mspt, mera and mode, not {}",
                    other.name()
                ));
            }
        };
    }
    if !args.params.is_empty() {
        strategy = with_params(strategy, &args.params)?;
    }
    let d = RunConfig::default();
    let config = RunConfig {
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
    };
    let mut config = with_settings(config, &args.settings)?;
    // MERA and MoDE get the fusion stage they need, unless it was set by hand
    let fusion_set = args.settings.iter().any(|s| {
        let path = s.split_once('=').map_or(s.as_str(), |(p, _)| p).trim();
        path == "model" || path == "model.fusion"
    });
    if !fusion_set && let Some(said) = config.turn_on_needed_stages() {
        eprintln!("{said}");
    }
    if let Some(init) = &args.init {
        config.model = config.model.with_init(EncoderInit::parse(init)?);
    }
    if let Some(lr) = args.encoder_lr {
        config.model = config.model.with_encoder_lr(lr);
    }
    Ok(config)
}

pub fn run(args: RunArgs) -> Result<(), String> {
    let config = config(&args)?;
    config.validate()?;
    if let Some(out) = &args.out {
        check_out(out)?;
    }
    let import = import_for(&config.scenario)?;
    let label = config.strategy.label();
    let pretrained = config.model.starts_pretrained();
    let weights = match &args.weights {
        Some(path) => Some(std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?),
        None => None,
    };
    let mut runner = runner(config, import.as_ref(), weights.as_deref())?;
    let gains = runner.scenario().brings_modalities() && !args.no_experts;
    if pretrained {
        eprintln!(
            "encoders: pretrained ({}, made by `palimpsest pretrain`; --init scratch starts them at random)",
            args.weights.as_deref().unwrap_or(WEIGHTS_FILE)
        );
    }
    let (record, stopped) = drive(&mut runner);
    let record = record.ok_or("the run ended without a record")?;
    if let Some(bad) = record.non_finite() {
        return Err(format!("the run's record is broken: {bad}"));
    }
    let record = if gains && stopped.is_none() {
        let dir = args
            .experts
            .as_ref()
            .map_or_else(crate::experts::default_dir, std::path::PathBuf::from);
        let weights = weights.as_deref().unwrap_or(bundled_weights());
        let experts = crate::experts::experts(&record.config, runner.scenario(), weights, &dir)?;
        with_gains(record, experts)?
    } else {
        record
    };
    if !record.measured.acc_matrix.is_empty() {
        print!("{}", summary(&record, &label));
    }
    if args.confusion && stopped.is_none() {
        print!("{}", confusion_table(&runner));
    }
    if let Some(out) = &args.out {
        let json = serde_json::to_string_pretty(&record).map_err(|e| e.to_string())?;
        write_atomic(out, json.as_bytes())?;
        eprintln!("run record written to {out}");
    }
    match stopped {
        Some(message) => Err(message),
        None => Ok(()),
    }
}

/// Runs `runner` to its end with a progress bar per task and a line per
/// evaluated task; gives the record (if the run got that far) and the
/// message that stopped it, if one did.
pub(crate) fn drive(runner: &mut Runner) -> (Option<RunRecord>, Option<String>) {
    let style = ProgressStyle::with_template("task {prefix} [{bar:30}] {pos}/{len} {msg}")
        .expect("valid template")
        .progress_chars("=> ");
    let mut bar: Option<ProgressBar> = None;
    let mut record: Option<RunRecord> = None;
    let mut stopped: Option<String> = None;
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
                    b.set_message(escape(&classes.join(", ")).into_owned());
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
                Event::Diverged {
                    retrying, message, ..
                } => {
                    if let Some(b) = bar.take() {
                        b.finish_and_clear();
                    }
                    if retrying {
                        eprintln!("warning: {}", escape(&message));
                    } else {
                        stopped = Some(message);
                    }
                }
                Event::Finished(r) => record = Some(*r),
            }
        }
    }
    (record, stopped)
}

/// Test hook: `PALIMPSEST_DIVERGE_AT=TASK:STEP[,…]` makes the loss of those
/// steps NaN (each once; a point listed twice makes the retry diverge too),
/// as the app's `?fault=N` loses the device. No setting within its range
/// makes the small models diverge on the CPU, and the divergence path must
/// be testable through the binary.
const DIVERGE_AT: &str = "PALIMPSEST_DIVERGE_AT";

fn runner(
    config: RunConfig,
    import: Option<&Import>,
    weights: Option<&[u8]>,
) -> Result<Runner, String> {
    let mut strategy = palimpsest_core::strategy::build(&config.strategy);
    if let Ok(points) = std::env::var(DIVERGE_AT) {
        let points = Faulty::parse_points(&points).map_err(|e| format!("{DIVERGE_AT}: {e}"))?;
        strategy = Box::new(Faulty::new(strategy, &points, &[]));
    }
    let scenario = build_scenario(&config, import).map_err(|e| e.to_string())?;
    let device = device_for(config.backend).map_err(|e| e.to_string())?;
    let weights = weights.unwrap_or(bundled_weights());
    Runner::build(config, scenario, device, "cpu (flex)", strategy, weights)
        .map_err(|e| e.to_string())
}

/// The final model's confusion matrix on every task's test set, as a
/// plain-text table: one row per true class (its name, its index, the
/// counts by predicted class, the share it got right).
fn confusion_table(runner: &Runner) -> String {
    let m = pollster::block_on(runner.confusion());
    let names = &runner.scenario().class_names;
    let width = names
        .iter()
        .map(|n| escape(n).chars().count())
        .max()
        .unwrap_or(0);
    let mut s = format!(
        "\nconfusion on every test set (true class by row, predicted by column)\n{:>w$}",
        "",
        w = width + 4
    );
    for c in 0..names.len() {
        s.push_str(&format!("{c:>5}"));
    }
    s.push_str("   right\n");
    for (c, row) in m.iter().enumerate() {
        let total: usize = row.iter().sum();
        s.push_str(&format!("{:>width$} {c:>3}", escape(&names[c])));
        for v in row {
            s.push_str(&format!("{v:>5}"));
        }
        let right = if total == 0 {
            "–".to_string()
        } else {
            format!("{:.0} %", 100.0 * row[c] as f64 / total as f64)
        };
        s.push_str(&format!("   {right:>5}\n"));
    }
    s
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:+.3}"))
        .unwrap_or_else(|| "n/a".into())
}

/// The accuracy matrix and the headline metrics as a plain-text table.
pub fn summary(r: &RunRecord, label: &str) -> String {
    let t = r.measured.acc_matrix.len();
    let mut s = format!(
        "\n{label} on {} (seed {})\n\naccuracy R[i][j] (after task i, on task j)\n",
        escape(&r.config.scenario),
        r.config.seed
    );
    s.push_str("       ");
    for j in 1..=t {
        s.push_str(&format!("  T{j:<4}"));
    }
    s.push_str("     A_k    U_k\n");
    for (i, row) in r.measured.acc_matrix.iter().enumerate() {
        s.push_str(&format!("after {:<2}", i + 1));
        for v in row {
            s.push_str(&format!(" {v:>6.3}"));
        }
        s.push_str(&format!(
            "  {:>6.3} {:>6.3}\n",
            r.measured.a[i], r.measured.u[i]
        ));
    }
    let acc_t = r.metrics.acc.last().copied().unwrap_or(0.0);
    s.push_str(&format!(
        "\nA_T {:.3}   ACC {:.3}   BWT {}   FWT {}   forgetting {}   ({:.1} s, {:.0} train samples/s on {})\n",
        r.measured.a.last().copied().unwrap_or(0.0),
        acc_t,
        fmt_opt(r.metrics.bwt),
        fmt_opt(r.metrics.fwt),
        fmt_opt(r.metrics.forgetting),
        r.timing.total_s,
        r.timing.train_samples_per_s,
        r.timing.device,
    ));
    s.push_str(&format!(
        "matrix hash {} (the app shows the same for the same matrix)\n",
        palimpsest_core::metrics::matrix_hash(&r.measured.acc_matrix)
    ));
    if let Some(g) = &r.modality_gains {
        let pct = |v: &Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.1}"));
        s.push_str("\nrelative gains against experts trained on each task alone (%)\n");
        let experts: Vec<String> = g
            .experts
            .iter()
            .enumerate()
            .map(|(j, e)| format!("T{} {} {:.3}", j + 1, e.modalities.join("+"), e.accuracy))
            .collect();
        s.push_str(&format!("experts: {}\n", experts.join(", ")));
        s.push_str(&format!(
            "forgetting (pp): intra-modal {}, inter-modal {}\n",
            pct(&g.intra_forgetting),
            pct(&g.inter_forgetting)
        ));
        for (i, (f, b)) in g.fwrg.iter().zip(&g.bwrg).enumerate() {
            s.push_str(&format!(
                "after {:<2} FwRG {:>6}   BwRG {:>6}\n",
                i + 1,
                pct(f),
                pct(b)
            ));
        }
    }
    s
}
