//! The confusion matrix of a run's final model on every task's test set
//! (true class by row, predicted by column), to see which classes a
//! strategy mixes up: `cargo run --release -p palimpsest-core --example
//! confusion -- SCENARIO STRATEGY SEED [PATH=VALUE ...]` (settings as
//! `palimpsest run --set` takes them).

use palimpsest_core::run::{RunConfig, Runner, predict, settings::with_settings};
use palimpsest_core::strategy::StrategyConfig;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [scenario, strategy, seed, settings @ ..] = args.as_slice() else {
        return Err("usage: confusion SCENARIO STRATEGY SEED [PATH=VALUE ...]".into());
    };
    let config = RunConfig {
        scenario: scenario.clone(),
        strategy: StrategyConfig::by_name(strategy)?,
        seed: seed.parse().map_err(|e| format!("seed: {e}"))?,
        ..RunConfig::default()
    };
    let config = with_settings(config, settings)?;
    let mut runner = Runner::native(config, None).map_err(|e| e.to_string())?;
    while pollster::block_on(runner.next()).is_some() {}
    let (model, sc, env) = (runner.model(), runner.scenario(), runner.env());
    let test: Vec<_> = sc
        .tasks
        .iter()
        .flat_map(|t| t.test.iter().cloned())
        .collect();
    let predicted = pollster::block_on(predict(&model, &test, env));
    let n = sc.class_names.len();
    let mut m = vec![vec![0usize; n]; n];
    for (s, &y) in test.iter().zip(&predicted) {
        m[s.label][y] += 1;
    }
    print!("{:>16}", "true \\ predicted");
    for c in 0..n {
        print!("{c:>5}");
    }
    println!("   right");
    for (c, row) in m.iter().enumerate() {
        let total: usize = row.iter().sum();
        print!("{:>13} {c:>2}", sc.class_names[c]);
        for v in row {
            print!("{v:>5}");
        }
        println!("   {:>3.0} %", 100.0 * row[c] as f64 / total.max(1) as f64);
    }
    Ok(())
}
