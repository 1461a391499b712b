//! Checkpoints: decoding mutated ones, and resuming from those that decode.

use std::sync::OnceLock;

use palimpsest_core::data::Scenario;
use palimpsest_core::run::{Backend, Checkpoint, Event, Runner, build_scenario, device_for};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::settings::tiny;
use crate::{Mutation, check, fuzz, mutate, mutation};

/// A real checkpoint, taken at the boundary after task 1 of a tiny run of
/// each strategy with state to save (MSPT's memory, EWC's Fisher tensors),
/// and the stream to resume it on.
fn fixtures() -> &'static Vec<(Vec<u8>, Scenario)> {
    static CHECKPOINTS: OnceLock<Vec<(Vec<u8>, Scenario)>> = OnceLock::new();
    CHECKPOINTS.get_or_init(|| {
        ["mspt", "ewc", "finetune"]
            .map(|name| {
                let config = tiny(name);
                let scenario = build_scenario(&config, None).unwrap();
                let device = device_for(Backend::Cpu).unwrap();
                let mut r = Runner::new(config, scenario.clone(), device, "cpu").unwrap();
                loop {
                    let events =
                        pollster::block_on(r.next()).expect("the run reaches task 1's end");
                    if events
                        .iter()
                        .any(|e| matches!(e, Event::TaskEvaluated { .. }))
                    {
                        break;
                    }
                }
                let cp = pollster::block_on(r.checkpoint()).expect("a boundary");
                (cp.to_bytes(), scenario)
            })
            .to_vec()
    })
}

/// The three sections of a checkpoint's bytes (header JSON, model, tensors).
fn sections(bytes: &[u8]) -> [Vec<u8>; 3] {
    let mut at = 8;
    let mut out: [Vec<u8>; 3] = Default::default();
    for s in &mut out {
        let n = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
        *s = bytes[at + 8..at + 8 + n].to_vec();
        at += 8 + n;
    }
    out
}

/// Checkpoint bytes from the original magic and these sections.
fn assemble(magic: &[u8], sections: &[Vec<u8>; 3]) -> Vec<u8> {
    let mut out = magic.to_vec();
    for s in sections {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s);
    }
    out
}

#[derive(Debug, Clone)]
enum Change {
    /// The whole file, byte-level.
    Bytes(Vec<Mutation>),
    /// One section (0 header, 1 model, 2 tensors), lengths kept right.
    Section(usize, Vec<Mutation>),
    /// One number of the header JSON replaced.
    HeaderNumber(Index, &'static str),
    /// One field of the header JSON removed.
    HeaderDrop(Index),
    None,
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        3 => prop::collection::vec(mutation(), 1..4).prop_map(Change::Bytes),
        4 => (0usize..3, prop::collection::vec(mutation(), 1..4)).prop_map(|(s, m)| Change::Section(s, m)),
        4 => (any::<Index>(), prop::sample::select(&[
            "-1", "0", "1e300", "-1e300", "1e400", "null", "\"x\"", "18446744073709551615", "0.5", "2", "1e-310", "[]",
        ][..])).prop_map(|(i, v)| Change::HeaderNumber(i, v)),
        1 => any::<Index>().prop_map(Change::HeaderDrop),
        1 => Just(Change::None),
    ]
}

/// Every number of a JSON value, as a pointer.
fn numbers(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => m
            .iter()
            .for_each(|(k, v)| numbers(v, format!("{at}/{k}"), out)),
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| numbers(v, format!("{at}/{i}"), out)),
        serde_json::Value::Number(_) => out.push(at),
        _ => {}
    }
}

/// Every object field of a JSON value, as (pointer to the object, key).
fn fields(v: &serde_json::Value, at: String, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| {
            out.push((at.clone(), k.clone()));
            fields(v, format!("{at}/{k}"), out)
        }),
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| fields(v, format!("{at}/{i}"), out)),
        _ => {}
    }
}

fn changed(original: &[u8], change: &Change) -> Vec<u8> {
    let mut parts = sections(original);
    match change {
        Change::Bytes(m) => return mutate(original.to_vec(), m),
        Change::Section(s, m) => parts[*s] = mutate(std::mem::take(&mut parts[*s]), m),
        Change::HeaderNumber(i, v) => {
            let mut header: serde_json::Value = serde_json::from_slice(&parts[0]).unwrap();
            let mut all = Vec::new();
            numbers(&header, String::new(), &mut all);
            let at = i.get(&all).as_str();
            // the value is spliced in as text: 1e400 is no JSON number serde writes
            let marker = "\"__fuzz__\"";
            *header.pointer_mut(at).unwrap() = serde_json::Value::String("__fuzz__".into());
            parts[0] = header.to_string().replace(marker, v).into_bytes();
        }
        Change::HeaderDrop(i) => {
            let mut header: serde_json::Value = serde_json::from_slice(&parts[0]).unwrap();
            let mut all = Vec::new();
            fields(&header, String::new(), &mut all);
            let (obj, key) = i.get(&all);
            header
                .pointer_mut(obj)
                .unwrap()
                .as_object_mut()
                .unwrap()
                .remove(key);
            parts[0] = header.to_string().into_bytes();
        }
        Change::None => {}
    }
    assemble(&original[..8], &parts)
}

#[test]
fn checkpoint_and_resume() {
    fixtures();
    fuzz(
        "checkpoint_and_resume",
        200,
        (any::<Index>(), change()),
        |(which, change)| {
            let (original, scenario) = which.get(fixtures());
            let bytes = changed(original, &change);
            let cp = match Checkpoint::from_bytes(&bytes) {
                Ok(cp) => cp,
                Err(e) => {
                    check!(!e.is_empty(), "an empty error");
                    check!(
                        &bytes != original,
                        "the checkpoint as written is refused: {e}"
                    );
                    return Ok(());
                }
            };
            let done = cp.header.tasks_done;
            let device = device_for(Backend::Cpu).unwrap();
            let resumed = pollster::block_on(Runner::resume(cp, scenario.clone(), device, "cpu"));
            let mut r = match resumed {
                Ok(r) => r,
                Err(e) => {
                    check!(
                        &bytes != original,
                        "the checkpoint as written does not resume: {e}"
                    );
                    return Ok(());
                }
            };
            check!(
                r.task() == done,
                "resumed at task {} of a checkpoint after {done}",
                r.task()
            );
            let mut steps = 0;
            for _ in 0..40 {
                let Some(events) = pollster::block_on(r.next()) else {
                    break;
                };
                for e in &events {
                    if let Event::TaskStarted { task, .. } = e {
                        check!(*task > done, "task {task} trained again after {done}");
                    }
                    if matches!(e, Event::Step { .. }) {
                        steps += 1;
                    }
                }
                if steps >= 3 {
                    break;
                }
            }
            Ok(())
        },
    );
}
