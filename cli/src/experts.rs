//! The experts a modality-incremental run is measured against (MERA's
//! relative gains): trained once per config and task, and kept as small
//! JSON files, so that the strategies compared on one seed share them.

use std::path::{Path, PathBuf};

use palimpsest_core::data::Scenario;
use palimpsest_core::metrics::Expert;
use palimpsest_core::run::experts::{expert_key, expert_of, expert_runner};
use palimpsest_core::run::{RunConfig, device_for};
use serde::{Deserialize, Serialize};

use crate::files::write_atomic;
use crate::run_cmd::drive;

/// A kept expert: the key it was trained for, in full (a file whose key
/// differs, by a clash of names, is trained anew), and its score.
#[derive(Serialize, Deserialize)]
struct Kept {
    key: String,
    expert: Expert,
}

/// Where experts are kept unless `--experts` says: the user's cache.
pub fn default_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("palimpsest").join("experts")
}

/// FNV-1a, 64 bits: a file name for a key (the key itself is checked).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One expert per task of `scenario`, read from `dir` or trained (with a
/// progress bar) and written there. `config` is the run's config as the
/// runner completed it; `weights` the weights file its encoders start from.
pub fn experts(
    config: &RunConfig,
    scenario: &Scenario,
    weights: &[u8],
    dir: &Path,
) -> Result<Vec<Expert>, String> {
    let weights_id = format!("{:016x}", fnv(weights));
    let mut out = Vec::new();
    for task in 1..=scenario.tasks.len() {
        let key = format!("{} with weights {weights_id}", expert_key(config, task));
        let file = dir.join(format!("{:016x}.json", fnv(key.as_bytes())));
        let what = scenario.tasks[task - 1]
            .modalities
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(" + ");
        let kept = std::fs::read_to_string(&file)
            .ok()
            .and_then(|text| serde_json::from_str::<Kept>(&text).ok())
            .filter(|k| k.key == key);
        let expert = match kept {
            Some(k) => {
                eprintln!(
                    "expert for task {task} ({what}): {:.3}, kept in {}",
                    k.expert.accuracy,
                    file.display()
                );
                k.expert
            }
            None => {
                eprintln!("expert for task {task} ({what}): training it on that task alone");
                let device = device_for(config.backend).map_err(|e| e.to_string())?;
                let mut runner =
                    expert_runner(config, scenario, task, device, "cpu (flex)", weights)
                        .map_err(|e| format!("the expert for task {task}: {e}"))?;
                let (record, stopped) = drive(&mut runner);
                if let Some(message) = stopped {
                    return Err(format!("the expert for task {task}: {message}"));
                }
                let record = record.ok_or("the expert's run ended without a record")?;
                let expert = expert_of(scenario, task, &record)?;
                let text = serde_json::to_string_pretty(&Kept {
                    key,
                    expert: expert.clone(),
                })
                .map_err(|e| e.to_string())?;
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                write_atomic(&file.to_string_lossy(), text.as_bytes())?;
                expert
            }
        };
        out.push(expert);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn fnv_of_known_strings() {
        // the published FNV-1a 64 test vectors
        assert_eq!(super::fnv(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(super::fnv(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
