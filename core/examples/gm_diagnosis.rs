//! Where MSPT's gradient modulation acts: one MSPT run, and after every task
//! the accuracy of the fused classifier and of each unimodal head on the old
//! classes and on the task just learnt, the share of old-class test samples
//! each predicts as one of the newest classes, and the task's mean γ and
//! applied g.
//!
//! `cargo run --release -p palimpsest-core --example gm_diagnosis -- \
//!     entity|relation none|gm|mi,ad|... SEED [ALPHA]`
//! (the second argument names the ablated components; `none` is full MSPT).

use burn::tensor::Tensor;
use palimpsest_core::data::{Modality, Sample};
use palimpsest_core::run::{Event, RunConfig, Runner};
use palimpsest_core::strategy::StrategyConfig;
use palimpsest_core::strategy::config::MsptConfig;

fn argmax(logits: Tensor<2>) -> Vec<usize> {
    let [n, _] = logits.dims();
    logits
        .argmax(1)
        .reshape([n])
        .into_data()
        .iter::<i64>()
        .map(|x| x.max(0) as usize)
        .collect()
}

fn pct(a: usize, b: usize) -> f64 {
    100.0 * a as f64 / b.max(1) as f64
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: gm_diagnosis entity|relation none|gm|... SEED [ALPHA]";
    let (Some(scenario), Some(ablate), Some(seed)) = (args.get(1), args.get(2), args.get(3)) else {
        return Err(usage.into());
    };
    let parts: Vec<&str> = ablate.split(',').filter(|p| *p != "none").collect();
    let mut mspt = MsptConfig::default().ablate(&parts)?;
    if let Some(a) = args.get(4) {
        mspt.alpha = a.parse().map_err(|_| usage.to_string())?;
    }
    let config = RunConfig {
        scenario: scenario.clone(),
        strategy: StrategyConfig::Mspt(mspt),
        seed: seed.parse().map_err(|_| usage.to_string())?,
        ..RunConfig::default()
    };
    let mut runner = Runner::native(config, None).map_err(|e| e.to_string())?;
    let mut steps: Vec<(usize, f64, f64)> = Vec::new();
    println!(
        "heads: fused / image / text; old = classes of earlier tasks, new = the task just learnt"
    );
    while let Some(events) = pollster::block_on(runner.next()) {
        for e in events {
            match e {
                Event::Step { task, gamma, g, .. } => steps.push((task, gamma, g)),
                Event::TaskEvaluated { task, a, .. } => {
                    let model = runner.model();
                    let env = runner.env();
                    let sc = runner.scenario();
                    let newest = &sc.tasks[task - 1].classes;
                    // [old, new] × [fused, image, text]
                    let mut correct = [[0usize; 3]; 2];
                    let mut n = [0usize; 2];
                    let mut to_newest = [0usize; 3];
                    for t in &sc.tasks[..task] {
                        let w = usize::from(t.index == task);
                        for chunk in t.test.chunks(128) {
                            let refs: Vec<&Sample> = chunk.iter().collect();
                            let out = model.forward(&env.plain_batch(&refs));
                            let pred = [
                                argmax(out.logits.fused.clone()),
                                argmax(out.logits.of(Modality::Image).unwrap().clone()),
                                argmax(out.logits.of(Modality::Text).unwrap().clone()),
                            ];
                            for (i, s) in chunk.iter().enumerate() {
                                n[w] += 1;
                                for (h, p) in pred.iter().enumerate() {
                                    correct[w][h] += usize::from(p[i] == s.label);
                                    if w == 0 && newest.contains(&p[i]) {
                                        to_newest[h] += 1;
                                    }
                                }
                            }
                        }
                    }
                    let own: Vec<_> = steps.iter().filter(|s| s.0 == task).collect();
                    let mean = |f: fn(&(usize, f64, f64)) -> f64| {
                        own.iter().map(|s| f(s)).sum::<f64>() / own.len().max(1) as f64
                    };
                    println!(
                        "T{task} A={:.1} | old {:.1}/{:.1}/{:.1} | old->newest {:.1}/{:.1}/{:.1} | new {:.1}/{:.1}/{:.1} | mean gamma {:.2} g {:.2}",
                        100.0 * a,
                        pct(correct[0][0], n[0]),
                        pct(correct[0][1], n[0]),
                        pct(correct[0][2], n[0]),
                        pct(to_newest[0], n[0]),
                        pct(to_newest[1], n[0]),
                        pct(to_newest[2], n[0]),
                        pct(correct[1][0], n[1]),
                        pct(correct[1][1], n[1]),
                        pct(correct[1][2], n[1]),
                        mean(|s| s.1),
                        mean(|s| s.2),
                    );
                }
                _ => {}
            }
        }
    }
    Ok(())
}
