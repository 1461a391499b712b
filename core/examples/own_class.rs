//! What a class of a visitor's own reaches: the page's demo run (the
//! teaching stream, fine-tuning or another strategy, 2 epochs, 8 copies,
//! lr 0.002), then `COUNT` captioned pictures of a bundled subgroup no task
//! has (`drink`), appended as the browser appends an upload, and trained
//! by the finished run. Prints, per seed, the new class's accuracy on its
//! held-out pictures (U_6), what task 1 is at then, and how long the added
//! task took on this machine's CPU.
//!
//! `cargo run --release -p palimpsest-core --example own_class -- STRATEGY COUNT SEED...`

use palimpsest_core::data::Sample;
use palimpsest_core::data::entity::example_pairs;
use palimpsest_core::data::folder::append_task;
use palimpsest_core::data::pack::bundled;
use palimpsest_core::run::{RunConfig, Runner};
use palimpsest_core::strategy::StrategyConfig;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let strategy = args.first().map_or("finetune", String::as_str);
    let count: usize = args.get(1).and_then(|c| c.parse().ok()).unwrap_or(10);
    let seeds: Vec<u64> = args.iter().skip(2).filter_map(|s| s.parse().ok()).collect();
    let seeds = if seeds.is_empty() { vec![7] } else { seeds };
    println!("strategy {strategy}, {count} pictures of drink");
    for seed in seeds {
        let mut config = RunConfig {
            scenario: "teaching".into(),
            strategy: StrategyConfig::by_name(strategy).expect("a known strategy"),
            seed,
            epochs: 2,
            lr: 0.002,
            ..RunConfig::default()
        };
        config.entity.train_copies = 8;
        let mut r = Runner::native(config, None).expect("a run");
        while pollster::block_on(r.next()).is_some() {}
        let pairs = example_pairs(bundled(), "drink", count).expect("the pack has them");
        let samples: Vec<Sample> = pairs
            .into_iter()
            .map(|(px, text)| Sample::image_text(Some(px), Some(text), 0))
            .collect();
        let mut grown = r.scenario().clone();
        append_task(&mut grown, &[("drink".into(), samples)], seed).expect("appended");
        let task = grown.tasks.last().expect("appended").clone();
        let (train, test) = (task.train.len(), task.test.len());
        let t0 = std::time::Instant::now();
        pollster::block_on(r.extend(task, grown.class_names.clone())).expect("extended");
        let mut record = None;
        while let Some(events) = pollster::block_on(r.next()) {
            for e in events {
                if let palimpsest_core::run::Event::Finished(rec) = e {
                    record = Some(rec);
                }
            }
        }
        let rec = record.expect("the run finished");
        let m = &rec.measured.acc_matrix;
        println!(
            "seed {seed}: U_6 {:.2} on {test} held out ({train} training samples), task 1 then {:.2}, {:.1} s",
            m[5][5],
            m[5][0],
            t0.elapsed().as_secs_f64()
        );
    }
}
