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

use burn::tensor::Tensor;
use palimpsest_core::data::Sample;
use palimpsest_core::model::Model;
use palimpsest_core::run::{Event, RunConfig, Runner, build_scenario, device_for};
use palimpsest_core::strategy::StrategyConfig;
use palimpsest_core::strategy::config::MsptConfig;
use palimpsest_core::strategy::losses::attention_distillation;

/// Fused predictions, L2-normalised features and the AD distance to `first`
/// (when given) of `samples`.
struct Pass {
    predicted: Vec<usize>,
    features: Vec<Vec<f32>>,
    drift: f64,
}

fn pass(model: &Model, first: Option<&Model>, runner: &Runner, samples: &[Sample]) -> Pass {
    let env = runner.env();
    let top = env.model.interaction_layers;
    let mut out = Pass {
        predicted: Vec::new(),
        features: Vec::new(),
        drift: 0.0,
    };
    let mut batches = 0;
    for chunk in samples.chunks(128) {
        let refs: Vec<&Sample> = chunk.iter().collect();
        let batch = env.plain_batch(&refs);
        let now = model.forward(&batch);
        if let Some(first) = first {
            let then = first.forward(&batch);
            for (a, b) in [
                (&then.image_maps, &now.image_maps),
                (&then.text_maps, &now.text_maps),
            ] {
                for l in a.len() - top..a.len() {
                    let d: f32 = attention_distillation(a[l].clone(), b[l].clone()).into_scalar();
                    out.drift += f64::from(d);
                }
            }
            batches += 1;
        }
        let [n, _] = now.logits.fused.dims();
        out.predicted.extend(
            now.logits
                .fused
                .argmax(1)
                .reshape([n])
                .into_data()
                .iter::<i64>()
                .map(|x| x.max(0) as usize),
        );
        out.features.extend(normalised(now.features));
    }
    out.drift /= f64::from(batches.max(1));
    out
}

fn normalised(features: Tensor<2>) -> Vec<Vec<f32>> {
    let [n, d] = features.dims();
    let flat: Vec<f32> = features.into_data().iter::<f32>().collect();
    (0..n)
        .map(|i| {
            let row = &flat[i * d..(i + 1) * d];
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            row.iter().map(|x| x / norm).collect()
        })
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
    let scen = build_scenario(&config, None).map_err(|e| e.to_string())?;
    let device = device_for(config.backend).map_err(|e| e.to_string())?;
    let mut runner = Runner::new(config, scen, device, "cpu").map_err(|e| e.to_string())?;
    let mut first: Option<Model> = None;
    let mut lines = Vec::new();
    while let Some(events) = pollster::block_on(runner.next()) {
        for e in events {
            let Event::TaskEvaluated { task, a, .. } = e else {
                continue;
            };
            let model = runner.model();
            let sc = runner.scenario();
            let drift = pass(&model, first.as_ref(), &runner, &sc.tasks[0].test).drift;
            // class means over every training sample seen so far
            let train: Vec<Sample> = sc.tasks[..task]
                .iter()
                .flat_map(|t| t.train.iter().cloned())
                .collect();
            let seen = pass(&model, None, &runner, &train);
            let mut means = Vec::new();
            let mut classes: Vec<usize> = train.iter().map(|s| s.label).collect();
            classes.sort_unstable();
            classes.dedup();
            for class in classes {
                let rows: Vec<&Vec<f32>> = train
                    .iter()
                    .zip(&seen.features)
                    .filter(|(s, _)| s.label == class)
                    .map(|(_, f)| f)
                    .collect();
                let mut mean = vec![0.0f32; rows[0].len()];
                for r in &rows {
                    mean.iter_mut().zip(r.iter()).for_each(|(m, x)| *m += x);
                }
                mean.iter_mut().for_each(|m| *m /= rows.len() as f32);
                means.push((class, mean));
            }
            let old: Vec<Sample> = sc.tasks[..task - 1]
                .iter()
                .flat_map(|t| t.test.iter().cloned())
                .collect();
            let p = pass(&model, None, &runner, &old);
            let linear = old
                .iter()
                .zip(&p.predicted)
                .filter(|(s, y)| s.label == **y)
                .count();
            let ncm = old
                .iter()
                .zip(&p.features)
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
