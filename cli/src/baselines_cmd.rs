//! `palimpsest baselines`: what trivial baselines score on a stream, so a
//! model's accuracy can be read against them.

use clap::Args;
use palimpsest_core::metrics::Baselines;
use palimpsest_core::run::{RunConfig, build_scenario};

use crate::folder::import_for;
use palimpsest_core::run::settings::with_settings;

#[derive(Args)]
pub struct BaselinesArgs {
    /// entity, relation, or the path of an imagefolder.
    #[arg(long, default_value = "entity")]
    scenario: String,
    #[arg(long)]
    seed: Option<u64>,
    /// Classes per task for an imagefolder scenario.
    #[arg(long)]
    classes_per_task: Option<usize>,
    /// Stream settings by their path in a run record's config, as for
    /// `palimpsest run`, e.g. --set entity.captions=noisy.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    settings: Vec<String>,
}

pub fn run(args: BaselinesArgs) -> Result<String, String> {
    let d = RunConfig::default();
    let config = with_settings(
        RunConfig {
            scenario: args.scenario.clone(),
            seed: args.seed.unwrap_or(d.seed),
            classes_per_task: args.classes_per_task.unwrap_or(d.classes_per_task),
            ..d
        },
        &args.settings,
    )?;
    config.validate()?;
    let import = import_for(&config.scenario)?;
    let scenario = build_scenario(&config, import.as_ref()).map_err(|e| e.to_string())?;
    let b = Baselines::of(&scenario);
    Ok(render(&b, &config.scenario, config.seed))
}

fn pct(v: f64) -> String {
    format!("{:.1}", v * 100.0)
}

fn render(b: &Baselines, scenario: &str, seed: u64) -> String {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let within = |v: &[f64]| v.iter().map(|x| pct(*x)).collect::<Vec<_>>().join(" ");
    format!(
        "trivial baselines on {scenario}, seed {seed} (accuracy, %)\n\
         | baseline | joint (vs Joint's A_T) | within task, mean (vs U_k) | per task |\n\
         |---|---|---|---|\n\
         | 1-NN on 8×8 pixels | {} | {} | {} |\n\
         | naive Bayes on caption words | {} | {} | {} |\n\
         | chance | {} | | |\n",
        pct(b.pixels_joint),
        pct(mean(&b.pixels_within)),
        within(&b.pixels_within),
        pct(b.words_joint),
        pct(mean(&b.words_within)),
        within(&b.words_within),
        pct(b.chance_joint),
    )
}
