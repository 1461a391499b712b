//! Settings given as text, `PATH=VALUE`: the CLI's `--set` (a run setting
//! by its dotted path in the config's JSON) and `--param` (a strategy's
//! hyper-parameter). Kept in the core so that whatever applies them — the
//! CLI, a test that feeds it random settings — goes through one reader.

use super::RunConfig;
use crate::strategy::StrategyConfig;

/// Overrides hyper-parameters of `strategy`; unknown keys and values of the
/// wrong type are errors naming the key.
pub fn with_params(strategy: StrategyConfig, params: &[String]) -> Result<StrategyConfig, String> {
    let name = strategy.name();
    let mut json = serde_json::to_value(&strategy).map_err(|e| e.to_string())?;
    for p in params {
        let (key, value) = split_assignment("--param", p)?;
        if key == "name" || key.contains('.') || json.get(key).is_none() {
            return Err(format!(
                "--param {key}: {name} has no such hyper-parameter (see `palimpsest list`)"
            ));
        }
        assign(&mut json, "--param", key, value)?;
        admitted::<StrategyConfig>(&json, "--param", key, value)?;
    }
    serde_json::from_value(json).map_err(|e| format!("--param: {e}"))
}

/// Overrides run settings by their dotted path in the config (`--set`).
pub fn with_settings(config: RunConfig, settings: &[String]) -> Result<RunConfig, String> {
    let mut json = serde_json::to_value(&config).map_err(|e| e.to_string())?;
    for p in settings {
        let (path, value) = split_assignment("--set", p)?;
        if path == "strategy" || path.starts_with("strategy.") {
            return Err(format!(
                "--set {path}: use --strategy, --ablate and --param for the strategy"
            ));
        }
        assign(&mut json, "--set", path, value)?;
        admitted::<RunConfig>(&json, "--set", path, value)?;
    }
    serde_json::from_value(json).map_err(|e| format!("--set: {e}"))
}

/// Whether `json` still reads as a `T` after `path` was set to `value`: a
/// number of the right JSON type may still not fit the setting (a negative
/// or fractional count, one past `u64::MAX`), and the error must name it.
fn admitted<T: serde::de::DeserializeOwned>(
    json: &serde_json::Value,
    flag: &str,
    path: &str,
    value: &str,
) -> Result<(), String> {
    match serde_json::from_value::<T>(json.clone()) {
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "{flag} {path}: '{value}' is not a valid value ({e})"
        )),
    }
}

fn split_assignment<'a>(flag: &str, p: &'a str) -> Result<(&'a str, &'a str), String> {
    p.split_once('=')
        .ok_or_else(|| format!("{flag} {p}: expected KEY=VALUE"))
}

/// Replaces the existing value at the dotted `path` of `json` with `value`
/// parsed as JSON (a bare word counts as a string); the new value must have
/// the old one's type.
fn assign(json: &mut serde_json::Value, flag: &str, path: &str, value: &str) -> Result<(), String> {
    let mut slot = &mut *json;
    for key in path.split('.') {
        slot = slot
            .get_mut(key)
            .ok_or_else(|| format!("{flag} {path}: no such setting (see `palimpsest list`)"))?;
    }
    let parsed = serde_json::from_str(value)
        .unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
    let same_type = std::mem::discriminant(&*slot) == std::mem::discriminant(&parsed)
        || (slot.is_number() && parsed.is_number());
    if !same_type || slot.is_object() || slot.is_array() {
        return Err(format!(
            "{flag} {path}: '{value}' has the wrong type (default is {slot})"
        ));
    }
    *slot = parsed;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn params_override_known_hyper_parameters_only() {
        let mspt = StrategyConfig::by_name("mspt").unwrap();
        let c = with_params(mspt.clone(), &strings(&["alpha=0.5", "mm=false"])).unwrap();
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["alpha"], 0.5);
        assert_eq!(json["mm"], false);
        for bad in ["alpha", "nope=1", "name=joint", "mm=3", "alpha=high"] {
            let err = with_params(mspt.clone(), &strings(&[bad])).unwrap_err();
            assert!(err.starts_with("--param"), "{bad}: {err}");
        }
    }

    #[test]
    fn settings_reach_nested_run_settings_and_refuse_the_rest() {
        let c = with_settings(
            RunConfig::default(),
            &strings(&["entity.noise.replace_all=0", "epochs=2"]),
        )
        .unwrap();
        assert_eq!(c.entity.noise.replace_all, 0.0);
        assert_eq!(c.epochs, 2);
        assert_eq!(c.relation, RunConfig::default().relation);
        for bad in [
            "entity.noise.nope=1",
            "entity.noise=1",
            "epochs=many",
            "strategy.alpha=1",
            "seed",
        ] {
            let err = with_settings(RunConfig::default(), &strings(&[bad])).unwrap_err();
            assert!(err.starts_with("--set"), "{bad}: {err}");
        }
        // serde still checks what the type test lets through
        assert!(with_settings(RunConfig::default(), &strings(&["epochs=-1"])).is_err());
    }

    /// Found by the fuzz target `settings_to_runner`: a number the type
    /// test lets through but the setting cannot hold was refused by serde
    /// without the setting's name ("--set: invalid value: integer `-1`").
    #[test]
    fn a_number_the_setting_cannot_hold_is_refused_by_name() {
        let err = with_settings(
            RunConfig::default(),
            &strings(&["epochs=2", "entity.train_copies=-1"]),
        )
        .unwrap_err();
        assert!(
            err.starts_with("--set entity.train_copies: '-1' is not a valid value"),
            "{err}"
        );
        for bad in ["seed=1.5", "seed=18446744073709551616", "batch_size=-0.5"] {
            let err = with_settings(RunConfig::default(), &strings(&[bad])).unwrap_err();
            let path = bad.split('=').next().unwrap();
            assert!(err.starts_with(&format!("--set {path}: ")), "{bad}: {err}");
        }
        let mspt = StrategyConfig::by_name("mspt").unwrap();
        let err = with_params(mspt, &strings(&["memory_per_task=-3"])).unwrap_err();
        assert!(
            err.starts_with("--param memory_per_task: '-3' is not a valid value"),
            "{err}"
        );
    }
}
