//! Settings given as text (`--set PATH=VALUE`, `--param KEY=VALUE`) up to a
//! few training steps: every refusal names the setting, nothing panics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use palimpsest_core::model::EncoderInit;
use palimpsest_core::run::limits::limit_of;
use palimpsest_core::run::settings::{with_params, with_settings};
use palimpsest_core::run::{Event, RunConfig, Runner};
use palimpsest_core::strategy::StrategyConfig;
use proptest::prelude::*;
use proptest::sample::select;

use crate::{check, fuzz};

/// A run that trains in milliseconds: a narrow one-layer model from
/// scratch, one copy of the entity stream, one epoch.
pub fn tiny(strategy: &str) -> RunConfig {
    let mut c = RunConfig {
        strategy: StrategyConfig::by_name(strategy).unwrap(),
        epochs: 1,
        batch_size: 8,
        ..RunConfig::default()
    };
    c.model.d_model = 16;
    c.model.heads = 2;
    c.model.d_ff = 16;
    c.model.layers = 1;
    c.model.tokenizer.vocab = 256;
    c.model = c.model.with_init(EncoderInit::Scratch);
    c.model.fusion = c.strategy.needs_fusion();
    c.entity.train_copies = 1;
    c.entity.test_copies = 1;
    c
}

/// Every leaf of the config's JSON by its dotted path (what `--set` takes).
fn leaves(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(v, &p, out);
            }
        }
        _ => out.push(path.to_string()),
    }
}

fn paths() -> Vec<String> {
    let mut out = Vec::new();
    leaves(&serde_json::to_value(tiny("mspt")).unwrap(), "", &mut out);
    out.retain(|p| !p.starts_with("strategy"));
    out.extend(
        [
            "nope",
            "model",
            "entity.noise",
            "",
            "model..d_model",
            "strategy.alpha",
            "epochs.x",
        ]
        .map(String::from),
    );
    out
}

/// Hyper-parameters of every strategy, by name.
fn params() -> Vec<String> {
    let mut out = vec!["nope".to_string(), "name".to_string()];
    for name in StrategyConfig::NAMES {
        let v = serde_json::to_value(StrategyConfig::by_name(name).unwrap()).unwrap();
        if let Some(m) = v.as_object() {
            out.extend(m.keys().cloned());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A value as typed after `=`: in and out of range, not finite, too large
/// for any number type, of the wrong type.
fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => select(&["min", "max", "below", "above"][..]).prop_map(Value::Bound),
        3 => select(&[
            "0", "1", "-1", "2", "0.5", "1.5", "-0.0", "1e400", "-1e400", "1e308", "1e-320", "NaN", "inf", "-inf",
            "18446744073709551616", "9223372036854775807", "4294967296", "\"x\"", "true", "false", "null", "[1]",
            "{}", "", " ", "entity", "relation", "/nowhere", "scratch", "pretrained", "wgpu", "cpu", "\u{202e}",
        ][..]).prop_map(|s| Value::Text(s.to_string())),
        1 => any::<f64>().prop_map(|x| Value::Text(format!("{x}"))),
        1 => any::<i64>().prop_map(|x| Value::Text(format!("{x}"))),
    ]
}

#[derive(Debug, Clone)]
enum Value {
    /// A bound of the setting's declared range, or just past it.
    Bound(&'static str),
    Text(String),
}

impl Value {
    fn text(&self, path: &str) -> String {
        let Value::Bound(b) = self else {
            let Value::Text(t) = self else { unreachable!() };
            return t.clone();
        };
        let Some(l) = limit_of(path) else {
            return "1".into();
        };
        let step = if l.max - l.min >= 2.0 { 1.0 } else { 0.01 };
        let x = match *b {
            "min" => l.min,
            "max" => l.max,
            "below" => l.min - step,
            _ => l.max + step,
        };
        format!("{x}")
    }
}

/// Parameters of the model a config builds, roughly: a config far larger
/// than the tiny one is validated and built, not trained (a few steps of a
/// model of hundreds of millions of parameters take minutes).
fn size(c: &RunConfig) -> usize {
    let m = &c.model;
    let layer = 4 * m.d_model * m.d_model + 2 * m.d_model * m.d_ff;
    2 * m.layers * layer + m.tokenizer.vocab as usize * m.d_model
}

const TRAINED_SIZE: usize = 2_000_000;

/// The names a message may use for a setting: its path, its last key, and
/// that key with spaces for underscores.
fn names(msg: &str, path: &str) -> bool {
    let key = path.rsplit('.').next().unwrap_or(path);
    msg.contains(path) || msg.contains(key) || msg.contains(&key.replace('_', " "))
}

/// Cases that got as far as training steps.
static TRAINED: AtomicU64 = AtomicU64::new(0);

#[test]
fn settings_to_runner() {
    let paths = paths();
    let params = params();
    let case = (
        select(&StrategyConfig::NAMES[..]),
        prop::collection::vec((select(paths), value()), 0..4),
        prop::collection::vec((select(params), value()), 0..2),
    );
    fuzz(
        "settings_to_runner",
        200,
        case,
        |(strategy, settings, params)| {
            let base = tiny(strategy);
            let params: Vec<(String, String)> = params
                .iter()
                .map(|(k, v)| (k.clone(), v.text(&format!("strategy.{strategy}.{k}"))))
                .collect();
            let strategy = match with_params(
                base.strategy.clone(),
                &params
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>(),
            ) {
                Ok(s) => s,
                Err(e) => {
                    check!(
                        params.iter().any(|(k, _)| e.contains(k.as_str())),
                        "--param error {e:?} names none of {params:?}"
                    );
                    return Ok(());
                }
            };
            let settings: Vec<(String, String)> = settings
                .iter()
                .map(|(p, v)| (p.clone(), v.text(p)))
                .collect();
            let lines: Vec<String> = settings.iter().map(|(p, v)| format!("{p}={v}")).collect();
            let config = match with_settings(RunConfig { strategy, ..base }, &lines) {
                Ok(c) => c,
                Err(e) => {
                    check!(
                        settings
                            .iter()
                            .any(|(p, _)| e.contains(&format!("--set {p}:"))),
                        "--set error {e:?} names none of {lines:?}"
                    );
                    return Ok(());
                }
            };
            if let Err(e) = config.validate() {
                let mut all = settings.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>();
                all.extend(params.iter().map(|(k, _)| k.as_str()));
                check!(
                    all.iter().any(|p| names(&e, p)),
                    "refused without naming {all:?}: {e:?}"
                );
                return Ok(());
            }
            if size(&config) > TRAINED_SIZE {
                return Ok(());
            }
            let started = Instant::now();
            let mut runner = match Runner::native(config, None) {
                Ok(r) => r,
                Err(e) => {
                    check!(!e.to_string().trim().is_empty(), "an empty error");
                    return Ok(());
                }
            };
            let mut steps = 0;
            for _ in 0..40 {
                let Some(events) = pollster::block_on(runner.next()) else {
                    break;
                };
                for e in &events {
                    match e {
                        Event::Step { .. } => steps += 1,
                        Event::Diverged { message, .. } => {
                            check!(!message.is_empty(), "an empty divergence")
                        }
                        Event::Finished(r) => check!(
                            r.non_finite().is_none() || r.measured.stopped_by().is_some(),
                            "a finished record with {:?}",
                            r.non_finite()
                        ),
                        _ => {}
                    }
                }
                if steps >= 3 {
                    break;
                }
            }
            if steps > 0 {
                TRAINED.fetch_add(1, Ordering::Relaxed);
            }
            check!(
                started.elapsed().as_secs_f64() < 60.0,
                "a tiny run took {:?} for {steps} steps",
                started.elapsed()
            );
            Ok(())
        },
    );
    if crate::budget().is_some() {
        println!(
            "fuzz settings_to_runner: {} case(s) trained",
            TRAINED.load(Ordering::Relaxed)
        );
    }
}
