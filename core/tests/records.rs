//! Today's records, kept: a short run of every strategy on the CPU must
//! measure exactly what the committed record under `tests/records/` holds
//! (matrices, A/U, metrics, γ and loss traces), so that a change of the code's
//! shape — the model keyed by modality, strategies reshaping the model —
//! is seen to leave the numbers alone where the model is unchanged.
//!
//! The config and the timings are left out of the comparison: a config may
//! gain fields without changing what a run does. To write the files anew
//! after a change that is meant to move the numbers:
//! `PALIMPSEST_BLESS=1 cargo test --release -p palimpsest-core --test records`.

use std::path::PathBuf;

use palimpsest_core::run::{Event, RunConfig, RunRecord, Runner};
use palimpsest_core::strategy::StrategyConfig;
use palimpsest_core::strategy::config::MsptConfig;
use serde_json::Value;

/// The runs kept: every strategy with its defaults, and MSPT without its
/// herded memory and without GM (the other code paths of its hooks).
fn cases() -> Vec<(&'static str, RunConfig)> {
    let mut out: Vec<(&'static str, RunConfig)> = StrategyConfig::NAMES
        .iter()
        .map(|name| (*name, small(StrategyConfig::by_name(name).unwrap())))
        .collect();
    let mspt = StrategyConfig::Mspt(MsptConfig {
        herding: false,
        gm: false,
        ..MsptConfig::default()
    });
    out.push(("mspt-random-memory-no-gm", small(mspt)));
    out
}

fn small(strategy: StrategyConfig) -> RunConfig {
    let mut c = RunConfig {
        strategy,
        epochs: 1,
        seed: 5,
        ..RunConfig::default()
    };
    c.entity.train_copies = 1;
    c.entity.test_copies = 1;
    c
}

fn record(config: RunConfig) -> RunRecord {
    let mut r = Runner::native(config, None).unwrap();
    let mut last = None;
    while let Some(events) = pollster::block_on(r.next()) {
        last = events.into_iter().last().or(last);
    }
    match last {
        Some(Event::Finished(rec)) => *rec,
        other => panic!("the run ended with {other:?}"),
    }
}

/// What a run measured: the record without its config and timings.
fn measured(rec: &RunRecord) -> Value {
    let mut v = serde_json::to_value(rec).unwrap();
    let m = v.as_object_mut().unwrap();
    m.remove("config");
    m.remove("timing");
    v
}

#[test]
fn every_strategy_measures_what_its_committed_record_holds() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/records");
    let bless = std::env::var("PALIMPSEST_BLESS").is_ok_and(|v| v == "1");
    let mut differ = Vec::new();
    for (name, config) in cases() {
        let got = measured(&record(config));
        let path = dir.join(format!("{name}.json"));
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (PALIMPSEST_BLESS=1 writes it)", path.display()));
        let kept: Value = serde_json::from_str(&text).unwrap();
        if got != kept {
            let fields: Vec<&String> = kept
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, v)| got.get(*k) != Some(*v))
                .map(|(k, _)| k)
                .collect();
            differ.push(format!("{name}: {fields:?}"));
        }
    }
    assert!(differ.is_empty(), "records moved: {differ:?}");
}
