//! Property-based fuzzing of everything that reads outside input (issue 23,
//! item 7): imagefolder metadata and pairing, the image decoder, settings
//! given as text up to a few training steps, checkpoints and resume, run
//! records, the pretrained-weights file. A fuzzer of the libFuzzer kind
//! needs a nightly compiler; proptest runs on stable.
//!
//! Each target is a function that must never panic, only return an error,
//! and whose `Ok` results are checked for consistency. By default each runs
//! a few fixed-seed cases (a seconds-long smoke inside `cargo test`); with
//! `PALIMPSEST_FUZZ_SECONDS=N` each keeps starting fresh runners, new seeds,
//! until N seconds have passed, and prints how many cases it ran
//! (`scripts/fuzz.sh` runs them all).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

mod checkpoint;
mod image;
mod import;
mod record;
mod settings;
mod weights;

/// Cases per runner when fuzzing for a set time.
const CASES_PER_RUNNER: u32 = 64;

fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_iters: 512,
        ..Config::default()
    }
}

/// Seconds per target, when fuzzing for a set time.
fn budget() -> Option<f64> {
    let v = std::env::var("PALIMPSEST_FUZZ_SECONDS").ok()?;
    Some(
        v.parse()
            .unwrap_or_else(|_| panic!("PALIMPSEST_FUZZ_SECONDS={v}: expected seconds")),
    )
}

/// Runs `test` on values of `strategy`: `smoke` fixed-seed cases, or fresh
/// runners for the time `PALIMPSEST_FUZZ_SECONDS` gives. A panic inside
/// `test` is caught by proptest, shrunk and reported like a failed check.
pub fn fuzz<S>(
    name: &str,
    smoke: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
{
    let cases = AtomicU64::new(0);
    let counted = |v: S::Value| {
        cases.fetch_add(1, Ordering::Relaxed);
        test(v)
    };
    let start = Instant::now();
    let Some(limit) = budget() else {
        let mut runner = TestRunner::new(config(smoke, 1));
        if let Err(e) = runner.run(&strategy, counted) {
            panic!("{name}: {e}");
        }
        return;
    };
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut failures = Vec::new();
    while start.elapsed().as_secs_f64() < limit {
        let mut runner = TestRunner::new(config(CASES_PER_RUNNER, seed));
        if let Err(e) = runner.run(&strategy, counted) {
            eprintln!("fuzz {name}: seed {seed} failed: {e}");
            failures.push(format!("seed {seed}: {e}"));
        }
        seed = seed.wrapping_add(1);
    }
    println!(
        "fuzz {name}: {} cases in {:.0} s, {} failure(s), peak memory {}",
        cases.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64(),
        failures.len(),
        peak_memory()
    );
    assert!(failures.is_empty(), "{name}: {}", failures.join("\n"));
}

/// The process's peak resident memory (Linux's `VmHWM`), as printed.
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// A check inside a target: a failed case, with a message.
#[macro_export]
macro_rules! check {
    ($cond:expr, $($msg:tt)+) => {{
        let held: bool = $cond;
        if !held {
            return Err(proptest::test_runner::TestCaseError::fail(format!($($msg)+)));
        }
    }};
}

/// Byte-level mutations of a valid input: flips, cuts, splices, inserts.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// XOR the byte at (the position's share of the length) with a mask.
    Flip(proptest::sample::Index, u8),
    /// Keep only a prefix.
    Truncate(proptest::sample::Index),
    /// Copy a range over another place.
    Splice(
        proptest::sample::Index,
        proptest::sample::Index,
        proptest::sample::Index,
    ),
    /// Insert bytes.
    Insert(proptest::sample::Index, Vec<u8>),
    /// Remove a range.
    Remove(proptest::sample::Index, u8),
    /// Overwrite 8 bytes with a little-endian u64 (a length field).
    Word(proptest::sample::Index, u64),
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    use proptest::prelude::*;
    use proptest::sample::Index;
    prop_oneof![
        4 => (any::<Index>(), 1u8..).prop_map(|(i, m)| Mutation::Flip(i, m)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(a, b, c)| Mutation::Splice(a, b, c)),
        1 => (any::<Index>(), proptest::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, n)| Mutation::Remove(i, n)),
        1 => (
            any::<Index>(),
            prop_oneof![Just(0u64), Just(u64::MAX), Just(1 << 40), Just(u32::MAX as u64), any::<u64>()]
        )
            .prop_map(|(i, w)| Mutation::Word(i, w)),
    ]
}

/// `bytes` with `mutations` applied in order.
pub fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let n = bytes.len();
        match m {
            Mutation::Flip(i, mask) if n > 0 => bytes[i.index(n)] ^= mask,
            Mutation::Truncate(i) => bytes.truncate(i.index(n + 1)),
            Mutation::Splice(from, len, to) if n > 0 => {
                let from = from.index(n);
                let len = len.index(n - from + 1).min(64);
                let to = to.index(n);
                let chunk = bytes[from..from + len].to_vec();
                for (k, b) in chunk.into_iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(to + k) {
                        *slot = b;
                    }
                }
            }
            Mutation::Insert(i, b) => {
                let at = i.index(n + 1);
                bytes.splice(at..at, b.iter().copied());
            }
            Mutation::Remove(i, len) if n > 0 => {
                let at = i.index(n);
                let end = (at + *len as usize).min(n);
                bytes.drain(at..end);
            }
            Mutation::Word(i, w) if n >= 8 => {
                let at = i.index(n - 7);
                bytes[at..at + 8].copy_from_slice(&w.to_le_bytes());
            }
            _ => {}
        }
    }
    bytes
}
