//! `palimpsest`: headless runs, comparisons and metrics over the same core
//! the browser app runs.

mod baselines_cmd;
mod bench_cmd;
mod compare;
mod experts;
mod files;
mod folder;
mod list;
mod metrics_cmd;
mod pretrain_cmd;
mod run_cmd;
mod speech_cmd;

use clap::{Parser, Subcommand};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "palimpsest",
    version,
    about = "Continual multimodal learning you can watch"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a strategy over a task stream and write the run record.
    Run(Box<run_cmd::RunArgs>),
    /// Show the scenarios, strategies and their hyper-parameters with defaults.
    List,
    /// Print a markdown table comparing run records (mean ± std over seeds).
    Compare {
        /// Run records written by `palimpsest run --out`.
        #[arg(required = true)]
        runs: Vec<String>,
    },
    /// Compute ACC, BWT, FWT and forgetting from an accuracy matrix (FILE or - for stdin).
    Metrics { file: String },
    /// What trivial baselines (1-NN on pixels, naive Bayes on captions) score
    /// on a stream: the floor a model's accuracy must clear.
    Baselines(baselines_cmd::BaselinesArgs),
    /// Pretrain the encoders on the pool (OpenMoji subgroups of no default
    /// stream) and write the weights runs start from.
    Pretrain(pretrain_cmd::PretrainArgs),
    /// Time the training step and one prediction of the model a run config
    /// describes (bench/run.sh sets PyTorch beside it).
    Bench(bench_cmd::BenchArgs),
    /// Write the log-mel pictures of WAV recordings (the speech pack's
    /// features; tools/build_speech_pack.py calls it).
    SpeechFeatures(speech_cmd::SpeechArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run_cmd::run(*args),
        Command::List => {
            print!("{}", list::render());
            Ok(())
        }
        Command::Compare { runs } => compare::run(&runs).map(|table| print!("{table}")),
        Command::Metrics { file } => metrics_cmd::run(&file, &mut std::io::stdout()),
        Command::Baselines(args) => baselines_cmd::run(args).map(|table| print!("{table}")),
        Command::Pretrain(args) => pretrain_cmd::run(args),
        Command::Bench(args) => bench_cmd::run(args),
        Command::SpeechFeatures(args) => speech_cmd::run(args),
    };
    if let Err(message) = result {
        // one line whatever a path or name in it holds
        eprintln!("error: {}", palimpsest_core::data::folder::escape(&message));
        std::process::exit(2);
    }
}
