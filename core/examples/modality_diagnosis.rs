//! Where a modality stream's forgetting sits, and what MERA's merge can do
//! about it. Fine-tunes a modality stream (`modality-sketch` unless named)
//! with the fusion stage on each seed given; after task 2 evaluates task 1
//! (the old modality) and task 2 with the model as trained, and with its
//! modality-agnostic parameters (the shared block and the classifier, what
//! MERA merges) put back to their values after task 1, or averaged with
//! them (MERA's merge at k = 2, no realignment). It also counts how many
//! of the old modality's encoders' parameters task 2 changed.
//!
//! `cargo run --release -p palimpsest-core --example modality_diagnosis -- modality-sketch|modality|modality-reverse SEED...`

use std::collections::HashMap;

use burn::module::ParamId;
use burn::tensor::Tensor;
use palimpsest_core::data::Sample;
use palimpsest_core::metrics::accuracy;
use palimpsest_core::model::Model;
use palimpsest_core::run::{Event, RunConfig, Runner, predict};
use palimpsest_core::strategy::mera::{AGNOSTIC, ids_of, interpolate};
use palimpsest_core::strategy::params::flat_params;
use palimpsest_core::strategy::{Env, StrategyConfig};

fn acc(model: &Model, samples: &[Sample], env: &Env) -> f64 {
    let pred = pollster::block_on(predict(model, samples, env));
    let truth: Vec<usize> = samples.iter().map(|s| s.label).collect();
    accuracy(&pred, &truth)
}

fn flat(model: &Model) -> HashMap<ParamId, Tensor<1>> {
    flat_params(model)
        .into_iter()
        .map(|(id, t)| (id, t.detach()))
        .collect()
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scenario = args
        .first()
        .cloned()
        .unwrap_or_else(|| "modality-sketch".into());
    let seeds: Vec<u64> = args[1.min(args.len())..]
        .iter()
        .map(|s| s.parse().map_err(|_| format!("not a seed: {s}")))
        .collect::<Result<_, _>>()?;
    let seeds = if seeds.is_empty() { vec![1] } else { seeds };
    println!("{scenario}, fine-tuned with the fusion stage; accuracy in %");
    println!(
        "seed | T1 after 1 | T1 after 2 | shared put back: T1, T2 | shared averaged: T1, T2 | T2 as trained | old encoders' parameters changed"
    );
    for seed in seeds {
        let mut config = RunConfig {
            scenario: scenario.clone(),
            strategy: StrategyConfig::Finetune,
            seed,
            ..RunConfig::default()
        };
        config.model.fusion = true;
        let mut runner = Runner::native(config, None).map_err(|e| e.to_string())?;
        let mut after_1: Option<Model> = None;
        let mut after_2: Option<Model> = None;
        while let Some(events) = pollster::block_on(runner.next()) {
            for e in events {
                if let Event::TaskEvaluated { task, .. } = e {
                    let m = runner.model();
                    if task == 1 {
                        after_1 = Some(m);
                    } else if task == 2 {
                        after_2 = Some(m);
                    }
                }
            }
        }
        let (m1, m2) = (after_1.ok_or("no task 1")?, after_2.ok_or("no task 2")?);
        let (sc, env) = (runner.scenario(), runner.env());
        let (t1, t2) = (&sc.tasks[0].test, &sc.tasks[1].test);
        let agnostic = ids_of(&m1, &AGNOSTIC);
        let shared: HashMap<ParamId, Tensor<1>> = flat(&m1)
            .into_iter()
            .filter(|(id, _)| agnostic.contains(id))
            .collect();
        let back = interpolate(m2.clone(), &shared, 1.0);
        let half = interpolate(m2.clone(), &shared, 0.5);
        // the old modality's encoders
        let old: Vec<&str> = sc.tasks[0].modalities.iter().map(|m| m.name()).collect();
        let own = ids_of(&m1, &old);
        let (before, now) = (flat(&m1), flat(&m2));
        let changed = own
            .iter()
            .filter(|id| {
                let a: Vec<f32> = before[id].clone().into_data().iter::<f32>().collect();
                let b: Vec<f32> = now[id].clone().into_data().iter::<f32>().collect();
                a != b
            })
            .count();
        let pc = |x: f64| format!("{:.1}", 100.0 * x);
        println!(
            "{seed} | {} | {} | {}, {} | {}, {} | {} | {changed} of {}",
            pc(acc(&m1, t1, env)),
            pc(acc(&m2, t1, env)),
            pc(acc(&back, t1, env)),
            pc(acc(&back, t2, env)),
            pc(acc(&half, t1, env)),
            pc(acc(&half, t2, env)),
            pc(acc(&m2, t2, env)),
            own.len()
        );
    }
    Ok(())
}
