//! The bench's timing loop (it trains, so it needs burn).

use burn::module::Module;
use burn::optim::AdamConfig;
use burn::tensor::{Device, Tensor};
use web_time::Instant;

use super::{BenchPlan, BenchReport, median, training_flops};
use crate::data::scenario::rng_for;
use crate::data::{Sample, Scenario};
use crate::model::{Batch, Model};
use crate::run::device::read_floats;
use crate::run::step::{apply, task_loss};
use crate::run::{RunConfig, RunError};
use crate::strategy::LrFactors;
use crate::strategy::mspt::contribution;

/// Threads the CPU backend computes on: rayon's pool where the build has
/// the `rayon` feature, else one.
pub fn cpu_threads() -> usize {
    #[cfg(feature = "rayon")]
    return rayon::current_num_threads();
    #[cfg(not(feature = "rayon"))]
    1
}

/// The model of `config` (from its seed, not the shipped weights: the
/// cost is the same) with the classifier of `tasks` tasks, on `device`.
fn model_for(config: &RunConfig, scenario: &Scenario, tasks: usize, device: &Device) -> Model {
    let mut model = Model::new(
        &config.model,
        false,
        &mut rng_for(config.seed, "model"),
        device,
    );
    for k in 1..=tasks {
        let mut rng = rng_for(config.seed, &format!("classifier/{k}"));
        model = model.expand_to(scenario.classes_after(k), &mut rng, device);
    }
    model
}

/// Times `plan` on `device` (the plain one; training runs on its autodiff
/// twin) with the batches of `scenario`'s first task, in order, round and
/// round.
pub async fn bench(
    config: &RunConfig,
    scenario: &Scenario,
    device: &Device,
    plan: BenchPlan,
) -> Result<BenchReport, RunError> {
    config.validate().map_err(RunError::Config)?;
    if plan.steps == 0 {
        return Err(RunError::Config("the bench needs at least one step".into()));
    }
    let tasks = scenario.tasks.len();
    if plan.tasks == 0 || plan.tasks > tasks {
        return Err(RunError::Config(format!(
            "the bench's classifier grows over 1 to {tasks} tasks of this scenario, not {}",
            plan.tasks
        )));
    }
    let train: &[Sample] = &scenario.tasks[0].train;
    if train.is_empty() {
        return Err(RunError::Scenario(
            "the first task has no training samples".into(),
        ));
    }
    let autodiff = device.clone().autodiff();
    let mut model = model_for(config, scenario, plan.tasks, &autodiff);
    let params = model.num_params();
    let classes = model.classes();
    let mut optim = AdamConfig::new().init();
    let batch_size = config.batch_size.min(train.len());
    let mut pos = 0;
    let mut step_ms = Vec::with_capacity(plan.steps);
    for i in 0..plan.warmup + plan.steps {
        let t0 = Instant::now();
        let refs: Vec<&Sample> = (0..batch_size)
            .map(|j| &train[(pos + j) % train.len()])
            .collect();
        pos = (pos + batch_size) % train.len();
        let batch = Batch::new(&refs, &config.model, &autodiff);
        let out = model.forward(&batch);
        let loss = task_loss(&out, &batch, None, config.unimodal_weight);
        let scores = contribution(&out.logits, &batch.labels);
        let stats = read_floats(Tensor::cat(vec![loss.clone().detach(), scores], 0)).await;
        if !stats[0].is_finite() {
            return Err(RunError::Config(format!(
                "the bench's loss diverged at step {i}"
            )));
        }
        let grads = loss.backward();
        model = apply(&mut optim, config.lr, model, grads, &LrFactors::default());
        if i >= plan.warmup {
            step_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    let plain = model.valid();
    let one = Batch::new(&[&train[0]], &config.model, device);
    let mut predict = Vec::with_capacity(plan.steps);
    for _ in 0..plan.steps {
        let t0 = Instant::now();
        let logits = plain.forward(&one).logits.fused;
        let [_, c] = logits.dims();
        read_floats(logits.reshape([c])).await;
        predict.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let median_step_ms = median(&step_ms);
    let flops_per_step = training_flops(&config.model, batch_size, classes);
    Ok(BenchReport {
        plan,
        params,
        classes,
        chunks: (1..=plan.tasks)
            .map(|k| scenario.classes_after(k) - scenario.classes_after(k - 1))
            .collect(),
        batch: batch_size,
        image_size: crate::data::IMAGE_SIZE,
        flops_per_step,
        median_step_ms,
        samples_per_s: batch_size as f64 / (median_step_ms / 1e3),
        gflops: flops_per_step / (median_step_ms / 1e3) / 1e9,
        step_ms,
        predict_ms: median(&predict),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::build_scenario;

    #[test]
    fn a_short_bench_times_every_step_and_counts_the_model() {
        let config = RunConfig {
            strategy: crate::strategy::StrategyConfig::Finetune,
            batch_size: 8,
            ..RunConfig::default()
        };
        let scenario = build_scenario(&config, None).unwrap();
        let plan = BenchPlan {
            warmup: 1,
            steps: 3,
            tasks: 2,
        };
        let r = pollster::block_on(bench(&config, &scenario, &Device::flex(), plan)).unwrap();
        assert_eq!(r.step_ms.len(), 3);
        assert!(r.step_ms.iter().all(|&t| t > 0.0));
        assert_eq!(r.classes, scenario.classes_after(2));
        assert_eq!(r.chunks.iter().sum::<usize>(), r.classes);
        assert_eq!(r.batch, 8);
        // the second task's chunk: (2·64 + 1) parameters per class
        let one_task = model_for(&config, &scenario, 1, &Device::flex()).num_params();
        assert_eq!(r.params - one_task, 129 * r.chunks[1]);
        assert!(r.samples_per_s > 0.0 && r.predict_ms > 0.0);
        let bad = BenchPlan { tasks: 99, ..plan };
        let err = pollster::block_on(bench(&config, &scenario, &Device::flex(), bad));
        assert!(err.unwrap_err().to_string().contains("not 99"));
    }
}
