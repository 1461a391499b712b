//! The range of every numeric setting of a run, in one table: checked before
//! anything is built, so a setting out of range is one line naming it, its
//! value and its range — never a panic deep inside training or an
//! allocation that exhausts memory. The CLI and the app check the same
//! table (through [`crate::run::RunConfig::validate`]).
//!
//! Settings are named by their path in the config's JSON (what `--set`
//! takes); a strategy's own settings by `strategy.<name>.<field>`.

use serde_json::Value;

/// Inclusive bounds of one numeric setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub path: &'static str,
    pub min: f64,
    pub max: f64,
}

const fn limit(path: &'static str, min: f64, max: f64) -> Limit {
    Limit { path, min, max }
}

/// A probability or a share.
const fn share(path: &'static str) -> Limit {
    limit(path, 0.0, 1.0)
}

/// Every numeric setting and its range. The upper bounds keep a run within
/// what a browser tab or a small machine can hold (the model's widths bound
/// its memory), not what the papers would ever need.
pub const LIMITS: &[Limit] = &[
    limit("seed", 0.0, u64::MAX as f64),
    limit("epochs", 1.0, 1000.0),
    limit("batch_size", 1.0, 4096.0),
    limit("lr", 1e-9, 10.0),
    limit("unimodal_weight", 0.0, 100.0),
    limit("classes_per_task", 1.0, 1000.0),
    limit("model.patch", 1.0, 32.0),
    limit("model.d_model", 1.0, 1024.0),
    limit("model.heads", 1.0, 64.0),
    limit("model.d_ff", 1.0, 4096.0),
    limit("model.layers", 1.0, 12.0),
    limit("model.image_pos_init", 0.0, 10.0),
    limit("model.text_pos_init", 0.0, 10.0),
    limit("model.interaction_layers", 0.0, 12.0),
    limit("model.trunk", 0.0, 8.0),
    // 3 ids are reserved ([PAD], [MASK], [CLS]): at least one for words
    limit("model.tokenizer.vocab", 4.0, 65536.0),
    limit("model.tokenizer.max_len", 2.0, 1025.0),
    limit("modality.classes", 2.0, 15.0),
    limit("modality.sketch_copies", 1.0, 64.0),
    limit("modality.speech_copies", 1.0, 64.0),
    limit("modality.test_fraction", 0.05, 0.95),
    limit("entity.train_copies", 1.0, 64.0),
    limit("entity.train_items", 0.0, 10000.0),
    limit("entity.test_copies", 1.0, 64.0),
    limit("entity.test_fraction", 0.05, 0.95),
    share("entity.natural.name"),
    share("entity.natural.stray"),
    share("entity.natural.vague"),
    share("entity.noise.drop"),
    share("entity.noise.mask"),
    share("entity.noise.swap"),
    share("entity.noise.replace_all"),
    limit("relation.train_per_class", 1.0, 5000.0),
    limit("relation.test_per_class", 1.0, 5000.0),
    share("relation.hint"),
    share("relation.wrong_hint"),
    share("relation.noise.drop"),
    share("relation.noise.mask"),
    share("relation.noise.swap"),
    share("relation.noise.replace_all"),
    limit("strategy.replay.memory_per_task", 0.0, 10000.0),
    limit("strategy.replay.memory_per_class", 0.0, 1000.0),
    // a share of 1 leaves no room for the task's own data
    limit("strategy.replay.memory_share", 0.0, 0.9),
    limit("strategy.ewc.lambda", 0.0, 1e9),
    share("strategy.ewc.decay"),
    limit("strategy.ewc.fisher_samples", 1.0, 100000.0),
    limit("strategy.lwf.lambda", 0.0, 1000.0),
    // the softened softmax divides by it
    limit("strategy.lwf.temperature", 0.05, 100.0),
    limit("strategy.mspt.alpha", 0.0, 100.0),
    limit("strategy.mspt.lambda_ad", 0.0, 1000.0),
    limit("strategy.mspt.memory_per_task", 0.0, 10000.0),
    limit("strategy.mspt.memory_per_class", 0.0, 1000.0),
    limit("strategy.mspt.memory_share", 0.0, 0.9),
    limit("strategy.mspt.rehearsal_epochs", 0.0, 1000.0),
    limit("strategy.replay.memory_percent", 0.0, 100.0),
    limit("strategy.mera.replay_percent", 0.0, 100.0),
    limit("strategy.mera.realign_epochs", 0.0, 1000.0),
    limit("strategy.mode.rank", 1.0, 64.0),
    limit("strategy.mode.text_experts", 1.0, 16.0),
    limit("strategy.mode.lambda", 0.0, 1000.0),
    limit("strategy.mode.temperature", 0.05, 100.0),
];

impl Limit {
    pub fn holds(&self, x: f64) -> bool {
        x >= self.min && x <= self.max
    }

    /// `x` if it lies in the range, else the one line naming the setting,
    /// the value and the range (what the app's controls show).
    pub fn admit(&self, x: f64) -> Result<f64, String> {
        if self.holds(x) {
            Ok(x)
        } else if x.is_finite() {
            Err(self.out_of_range(&shown(x)))
        } else {
            Err(format!("{} is not a finite number", self.path))
        }
    }

    fn out_of_range(&self, value: &str) -> String {
        format!(
            "{} = {value} is out of range: it must lie in {} … {}",
            self.path,
            shown(self.min),
            shown(self.max)
        )
    }

    /// The bounds as an input element's `min` and `max` attributes.
    pub fn min_attr(&self) -> String {
        shown(self.min)
    }
    pub fn max_attr(&self) -> String {
        shown(self.max)
    }
}

/// The limit of the setting at `path`, if it is a numeric one.
pub fn limit_of(path: &str) -> Option<&'static Limit> {
    LIMITS.iter().find(|l| l.path == path)
}

/// Checks every number of a run config's JSON against [`LIMITS`]: the
/// first one out of range (or not in the table at all, which is a bug
/// here) is an error naming it.
pub fn check(config: &Value) -> Result<(), String> {
    walk(config, "", config)
}

fn walk(value: &Value, path: &str, root: &Value) -> Result<(), String> {
    match value {
        Value::Object(fields) => {
            for (key, v) in fields {
                let sub = match path {
                    "" => key.clone(),
                    // a strategy's fields sit beside its name
                    "strategy" => {
                        let name = root["strategy"]["name"].as_str().unwrap_or("?");
                        format!("strategy.{name}.{key}")
                    }
                    _ => format!("{path}.{key}"),
                };
                walk(v, &sub, root)?;
            }
            Ok(())
        }
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            let l = limit_of(path).ok_or_else(|| format!("{path} has no declared range"))?;
            if l.holds(x) {
                Ok(())
            } else {
                Err(l.out_of_range(&n.to_string()))
            }
        }
        // a float that is not finite serialises as null
        Value::Null if limit_of(path).is_some() => Err(format!("{path} is not a finite number")),
        _ => Ok(()),
    }
}

/// A bound as people write it (no `1000.0`, no 20 digits of u64::MAX).
fn shown(x: f64) -> String {
    if x >= 1e15 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::RunConfig;
    use crate::strategy::StrategyConfig;

    fn config_with(path: &str, value: Value) -> Value {
        let mut v = serde_json::to_value(RunConfig::default()).unwrap();
        let mut at = &mut v;
        for key in path.split('.') {
            at = at.get_mut(key).expect("a known path");
        }
        *at = value;
        v
    }

    #[test]
    fn every_number_of_every_strategys_defaults_has_a_range_it_lies_in() {
        for name in StrategyConfig::NAMES {
            let config = RunConfig {
                strategy: StrategyConfig::by_name(name).unwrap(),
                ..RunConfig::default()
            };
            check(&serde_json::to_value(&config).unwrap()).unwrap();
        }
    }

    #[test]
    fn a_single_value_is_admitted_or_named_with_its_range() {
        let l = limit_of("epochs").unwrap();
        assert_eq!(l.admit(4.0), Ok(4.0));
        assert_eq!(
            l.admit(0.0).unwrap_err(),
            "epochs = 0 is out of range: it must lie in 1 … 1000"
        );
        assert_eq!(
            l.admit(f64::NAN).unwrap_err(),
            "epochs is not a finite number"
        );
        assert_eq!((l.min_attr(), l.max_attr()), ("1".into(), "1000".into()));
        let seed = limit_of("seed").unwrap();
        assert_eq!(seed.max_attr(), "1.8446744073709552e19");
    }

    #[test]
    fn out_of_range_names_the_setting_its_value_and_its_range() {
        let e = check(&config_with("entity.noise.replace_all", 2.into())).unwrap_err();
        assert_eq!(
            e,
            "entity.noise.replace_all = 2 is out of range: it must lie in 0 … 1"
        );
        let e = check(&config_with("model.tokenizer.vocab", 3.into())).unwrap_err();
        assert!(
            e.starts_with("model.tokenizer.vocab = 3 is out of range"),
            "{e}"
        );
        let e = check(&config_with("model.d_model", 4_000_000.into())).unwrap_err();
        assert!(e.contains("1 … 1024"), "{e}");
        assert!(check(&config_with("entity.noise.drop", (-0.1).into())).is_err());
        assert!(check(&config_with("entity.noise.drop", 0.into())).is_ok());
        assert!(check(&config_with("entity.noise.drop", 1.into())).is_ok());
    }

    #[test]
    fn a_strategys_settings_are_checked_by_its_own_ranges() {
        let mut v = serde_json::to_value(RunConfig {
            strategy: StrategyConfig::by_name("lwf").unwrap(),
            ..RunConfig::default()
        })
        .unwrap();
        v["strategy"]["temperature"] = 0.into();
        let e = check(&v).unwrap_err();
        assert!(e.starts_with("strategy.lwf.temperature = 0"), "{e}");
        v["strategy"]["temperature"] = 2.into();
        v["strategy"]["lambda"] = 5000.into();
        assert!(check(&v).unwrap_err().starts_with("strategy.lwf.lambda"));
        // EWC's λ has a range of its own
        let mut v = serde_json::to_value(RunConfig {
            strategy: StrategyConfig::by_name("ewc").unwrap(),
            ..RunConfig::default()
        })
        .unwrap();
        v["strategy"]["lambda"] = 5000.into();
        check(&v).unwrap();
        v["strategy"]["memory_share"] = 0.5.into();
        assert_eq!(
            check(&v).unwrap_err(),
            "strategy.ewc.memory_share has no declared range"
        );
    }

    #[test]
    fn a_number_that_is_not_finite_is_refused() {
        let config = RunConfig {
            entity: crate::data::entity::EntityOptions {
                test_fraction: f64::NAN,
                ..Default::default()
            },
            ..RunConfig::default()
        };
        assert_eq!(
            config.validate().unwrap_err(),
            "entity.test_fraction is not a finite number"
        );
    }

    /// Found by the fuzz target `settings_to_runner`: settings that fit
    /// their ranges but not each other were refused in words of their own
    /// ("learning rate 0", "tokenizer.max_len must equal … 1025" after
    /// `--set model.patch=1`), not by the names `--set` takes.
    #[test]
    fn settings_that_do_not_fit_each_other_are_named_as_set_takes_them() {
        let with = |f: fn(&mut RunConfig)| {
            let mut c = RunConfig::default();
            f(&mut c);
            c.validate().unwrap_err()
        };
        assert_eq!(
            with(|c| c.lr = 0.0),
            "lr = 0 must be a positive number (the learning rate)"
        );
        let e = with(|c| c.model.patch = 1);
        assert!(
            e.starts_with("model.tokenizer.max_len = 17 must equal"),
            "{e}"
        );
        assert!(e.contains("model.patch = 1"), "{e}");
        let e = with(|c| c.model.patch = 5);
        assert!(e.starts_with("model.patch = 5 does not divide"), "{e}");
        let e = with(|c| c.model.heads = 3);
        assert_eq!(e, "model.d_model = 64 is not a multiple of model.heads = 3");
        let e = with(|c| c.model.layers = 0);
        assert!(
            e.starts_with("model.interaction_layers = 1 must be ≤ model.layers = 0"),
            "{e}"
        );
    }

    #[test]
    fn an_undeclared_number_is_an_error() {
        let mut v = serde_json::to_value(RunConfig::default()).unwrap();
        v["model"]["surprise"] = 1.into();
        assert_eq!(
            check(&v).unwrap_err(),
            "model.surprise has no declared range"
        );
    }
}
