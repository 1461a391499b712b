//! What MSPT's attention distillation (AD) protects, and whether that is
//! where old tasks are lost. Runs full MSPT and MSPT without AD on one seed;
//! after every task prints, for each:
//! - `drift`: the AD distance (Eq. 12–14, summed over both streams' top
//!   layers, without λ) between the attention maps of the model after task 1
//!   and of the model now, on task 1's test samples: what AD keeps small;
//! - `old linear`: accuracy of the trained (fused) classifier on the earlier
//!   tasks' test samples;
//! - `old NCM`: accuracy on the same samples of a nearest-class-mean
//!   classifier over the same model's features, with class means from all
//!   training samples seen so far: how well the representation still
//!   separates the old classes, whatever the classifier's bias.
//!
//! Values are means over the seeds given.
//!
//! `cargo run --release -p palimpsest-core --example ad_diagnosis -- entity|relation SEED...`

use std::collections::BTreeMap;

use palimpsest_core::data::Sample;
use palimpsest_core::model::Model;
use palimpsest_core::run::{Event, RunConfig, Runner, predict};
use palimpsest_core::strategy::config::MsptConfig;
use palimpsest_core::strategy::losses::attention_distillation;
use palimpsest_core::strategy::{Env, StrategyConfig};

/// The AD distance (summed over both streams' top layers) between the
/// attention maps of `first` and of `model` on `samples`, averaged over batches.
fn drift(model: &Model, first: &Model, env: &Env, samples: &[Sample]) -> f64 {
    let top = env.model.interaction_layers;
    let mut total = 0.0;
    let mut batches = 0;
    for chunk in samples.chunks(128) {
        let refs: Vec<&Sample> = chunk.iter().collect();
        let batch = env.plain_batch(&refs);
        let (then, now) = (first.forward(&batch), model.forward(&batch));
        for ((_, a), (_, b)) in then.maps.iter().zip(&now.maps) {
            let (a, b) = (&a.weights, &b.weights);
            for l in a.len() - top..a.len() {
                let d: f32 = attention_distillation(a[l].clone(), b[l].clone()).into_scalar();
                total += f64::from(d);
            }
        }
        batches += 1;
    }
    total / f64::from(batches.max(1))
}

/// The classifier's input features of `samples`, L2-normalised.
fn features(model: &Model, env: &Env, samples: &[Sample]) -> Vec<Vec<f32>> {
    let mut rows = Vec::with_capacity(samples.len());
    for chunk in samples.chunks(128) {
        let refs: Vec<&Sample> = chunk.iter().collect();
        let f = model.forward(&env.plain_batch(&refs)).features;
        let [n, d] = f.dims();
        let flat: Vec<f32> = f.into_data().iter::<f32>().collect();
        rows.extend((0..n).map(|i| {
            let row = &flat[i * d..(i + 1) * d];
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            row.iter().map(|x| x / norm).collect::<Vec<f32>>()
        }));
    }
    rows
}

/// The mean feature of every class among `samples`.
fn class_means(samples: &[Sample], features: &[Vec<f32>]) -> Vec<(usize, Vec<f32>)> {
    let mut sums: BTreeMap<usize, (Vec<f32>, usize)> = BTreeMap::new();
    for (s, f) in samples.iter().zip(features) {
        let (sum, n) = sums
            .entry(s.label)
            .or_insert_with(|| (vec![0.0; f.len()], 0));
        sum.iter_mut().zip(f).for_each(|(a, x)| *a += x);
        *n += 1;
    }
    sums.into_iter()
        .map(|(c, (sum, n))| (c, sum.into_iter().map(|x| x / n as f32).collect()))
        .collect()
}

fn nearest(means: &[(usize, Vec<f32>)], f: &[f32]) -> usize {
    let dist = |m: &[f32]| m.iter().zip(f).map(|(a, b)| (a - b) * (a - b)).sum::<f32>();
    means
        .iter()
        .min_by(|a, b| dist(&a.1).total_cmp(&dist(&b.1)))
        .map_or(0, |m| m.0)
}

fn pct(a: usize, b: usize) -> f64 {
    100.0 * a as f64 / b.max(1) as f64
}

/// Per task: [drift, old linear, old NCM, A_k] (percentages but the drift).
fn diagnose(scenario: &str, seed: u64, ablate: &[&str]) -> Result<Vec<[f64; 4]>, String> {
    let config = RunConfig {
        scenario: scenario.into(),
        strategy: StrategyConfig::Mspt(MsptConfig::default().ablate(ablate)?),
        seed,
        ..RunConfig::default()
    };
    let mut runner = Runner::native(config, None).map_err(|e| e.to_string())?;
    let mut first: Option<Model> = None;
    let mut lines = Vec::new();
    while let Some(events) = pollster::block_on(runner.next()) {
        for e in events {
            let Event::TaskEvaluated { task, a, .. } = e else {
                continue;
            };
            let model = runner.model();
            let (sc, env) = (runner.scenario(), runner.env());
            let drift = first
                .as_ref()
                .map_or(0.0, |f| drift(&model, f, env, &sc.tasks[0].test));
            // class means over every training sample seen so far
            let train: Vec<Sample> = sc.tasks[..task]
                .iter()
                .flat_map(|t| t.train.iter().cloned())
                .collect();
            let means = class_means(&train, &features(&model, env, &train));
            let old: Vec<Sample> = sc.tasks[..task - 1]
                .iter()
                .flat_map(|t| t.test.iter().cloned())
                .collect();
            let predicted = pollster::block_on(predict(&model, &old, env));
            let linear = old
                .iter()
                .zip(&predicted)
                .filter(|(s, y)| s.label == **y)
                .count();
            let ncm = old
                .iter()
                .zip(&features(&model, env, &old))
                .filter(|(s, f)| nearest(&means, f) == s.label)
                .count();
            lines.push([
                drift,
                pct(linear, old.len()),
                pct(ncm, old.len()),
                100.0 * a,
            ]);
            if task == 1 {
                first = Some(model);
            }
        }
    }
    Ok(lines)
}

/// Per task, the mean over seeds of [`diagnose`]'s values.
fn mean_over(scenario: &str, seeds: &[u64], ablate: &[&str]) -> Result<Vec<[f64; 4]>, String> {
    let mut sum: Vec<[f64; 4]> = Vec::new();
    for &seed in seeds {
        for (k, row) in diagnose(scenario, seed, ablate)?.into_iter().enumerate() {
            if sum.len() <= k {
                sum.push([0.0; 4]);
            }
            sum[k].iter_mut().zip(row).for_each(|(s, x)| *s += x);
        }
    }
    for row in &mut sum {
        row.iter_mut().for_each(|x| *x /= seeds.len() as f64);
    }
    Ok(sum)
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: ad_diagnosis entity|relation SEED...";
    let seeds: Vec<u64> = args
        .iter()
        .skip(2)
        .map(|s| s.parse().map_err(|_| usage.to_string()))
        .collect::<Result<_, _>>()?;
    let (Some(scenario), false) = (args.get(1), seeds.is_empty()) else {
        return Err(usage.into());
    };
    let full = mean_over(scenario, &seeds, &[])?;
    let no_ad = mean_over(scenario, &seeds, &["ad"])?;
    println!("{scenario}, mean over seeds {seeds:?}: full MSPT || MSPT without AD");
    println!(
        "(drift: AD distance to the model after task 1 on task 1's test set; old: accuracy on earlier tasks' test samples)"
    );
    let show = |r: &[f64; 4]| {
        format!(
            "drift {:.3} | old linear {:5.1} NCM {:5.1} | A {:5.1}",
            r[0], r[1], r[2], r[3]
        )
    };
    for (k, (a, b)) in full.iter().zip(&no_ad).enumerate() {
        println!("T{} {} || {}", k + 1, show(a), show(b));
    }
    Ok(())
}
