//! Serialisable strategy configurations with the defaults of the papers (or
//! of our small scale, where the papers' do not fit).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplayConfig {
    /// Samples kept per task (MSPT keeps six).
    pub memory_per_task: usize,
    /// Samples kept per class instead, when above 0.
    pub memory_per_class: usize,
    /// Choose the kept samples by herding (nearest the class mean) instead
    /// of at random.
    pub herding: bool,
    /// Share of each task's training set that the (repeated) memory makes up.
    pub memory_share: f64,
    /// Keeps this percentage of each task's training set instead, when
    /// above 0 (MERA's baselines replay r = 1 % and 10 %).
    pub memory_percent: f64,
}

impl Default for ReplayConfig {
    fn default() -> Self {
        ReplayConfig {
            memory_per_task: 6,
            memory_per_class: 0,
            herding: false,
            memory_share: 0.2,
            memory_percent: 0.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EwcConfig {
    /// Weight of the quadratic penalty.
    pub lambda: f64,
    /// Online EWC's decay of the previous Fisher (Schwarz et al. 2018).
    pub decay: f64,
    /// Training samples used to estimate the Fisher after each task.
    pub fisher_samples: usize,
}

impl Default for EwcConfig {
    fn default() -> Self {
        EwcConfig {
            lambda: 5000.0,
            decay: 0.9,
            fisher_samples: 256,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LwfConfig {
    pub lambda: f64,
    pub temperature: f64,
}

impl Default for LwfConfig {
    fn default() -> Self {
        LwfConfig {
            lambda: 1.0,
            temperature: 2.0,
        }
    }
}

/// MSPT (Chen et al., IJCAI 2024) with each component switchable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MsptConfig {
    /// Gradient modulation (§4.2, Eq. 5–9).
    pub gm: bool,
    /// Hand-in-hand interaction through shared keys (Eq. 10–11).
    pub mi: bool,
    /// Asymmetric attention distillation (Eq. 12–14).
    pub ad: bool,
    /// Whether AD compares the attention maps before the softmax (A of
    /// Eq. 10, as the paper's Eq. 12–13 write it; the default) instead of
    /// after it (the weights the app draws). A record without the field was
    /// made after the softmax.
    #[serde(default)]
    pub ad_scores: bool,
    /// The tiny rehearsal memory.
    pub mm: bool,
    /// α of Eq. 7.
    pub alpha: f64,
    /// λ of Eq. 15.
    pub lambda_ad: f64,
    pub memory_per_task: usize,
    /// Samples kept per class instead, when above 0.
    pub memory_per_class: usize,
    /// Herding instead of random memory selection. On by default: the
    /// rehearsal MSPT adopts from RP-CRE keeps representative samples chosen
    /// from the encoder's features (by K-means there), not random ones.
    pub herding: bool,
    /// Share of each task's training set that replayed memory makes up
    /// (0: the task trains on its own data, as in RP-CRE, and the memory is
    /// used in the rehearsal phase only).
    pub memory_share: f64,
    /// Epochs of the rehearsal on the memory after each task (MM).
    pub rehearsal_epochs: usize,
}

impl Default for MsptConfig {
    fn default() -> Self {
        MsptConfig {
            gm: true,
            mi: true,
            ad: true,
            ad_scores: true,
            mm: true,
            alpha: 0.3,
            lambda_ad: 1.0,
            memory_per_task: 6,
            memory_per_class: 0,
            herding: true,
            memory_share: 0.0,
            rehearsal_epochs: 10,
        }
    }
}

impl MsptConfig {
    /// Switches off the named components ("gm", "mi", "ad", "mm").
    pub fn ablate(mut self, parts: &[&str]) -> Result<Self, String> {
        for p in parts {
            match p.trim() {
                "gm" => self.gm = false,
                "mi" => self.mi = false,
                "ad" => self.ad = false,
                "mm" => self.mm = false,
                "" => {}
                other => {
                    return Err(format!(
                        "unknown MSPT component '{other}' (expected gm, mi, ad or mm)"
                    ));
                }
            }
        }
        Ok(self)
    }
}

/// MERA, "Merge then Realign" (Zhang et al. 2025), each stage switchable:
/// after a task's own epochs the modality-agnostic parameters (the shared
/// fusion block and the classifier) are merged with their values before the
/// task by a cumulative moving average, then only the connectors are
/// realigned on a replay of r % of every task so far. Needs `model.fusion`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MeraConfig {
    /// Stage 1's merge: θ_k = (k−1)/k · θ_{k−1} + 1/k · θ_k,vanilla.
    pub merge: bool,
    /// Stage 2: fine-tune only the connectors on the replay.
    pub realign: bool,
    /// r: the percentage of each task's training set the replay keeps (at
    /// least one sample per task). MERA reports r = 1 and r = 10.
    pub replay_percent: f64,
    /// Epochs over the replay. MERA trains one epoch on replays of
    /// millions of samples; ours hold tens to a few hundred.
    pub realign_epochs: usize,
}

impl Default for MeraConfig {
    fn default() -> Self {
        MeraConfig {
            merge: true,
            realign: true,
            replay_percent: 10.0,
            realign_epochs: 5,
        }
    }
}

impl MeraConfig {
    /// Switches off the named stages ("merge", "realign").
    pub fn ablate(mut self, parts: &[&str]) -> Result<Self, String> {
        for p in parts {
            match p.trim() {
                "merge" => self.merge = false,
                "realign" => self.realign = false,
                "" => {}
                other => {
                    return Err(format!(
                        "unknown MERA stage '{other}' (expected merge or realign)"
                    ));
                }
            }
        }
        Ok(self)
    }
}

/// MoDE, Modality-Decoupled Experts (Wei et al. 2025), each part
/// switchable: from task 2 on the shared fusion block (and the shared keys)
/// stay frozen and every modality learns through low-rank experts of its
/// own beside the block's maps, text's weighed by a soft router; the new
/// model's logits on the old classes are distilled from the model as the
/// task began with its experts off. Needs `model.fusion`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModeConfig {
    /// Low-rank experts per modality on the frozen block (off: the block is
    /// frozen and nothing is added beside it).
    pub experts: bool,
    /// Several text experts weighed by a router (off: one, as every other
    /// modality has).
    pub routing: bool,
    /// Distillation from the model with its experts off.
    pub distill: bool,
    /// Rank of each expert.
    pub rank: usize,
    /// How many experts text routes between.
    pub text_experts: usize,
    /// Weight of the distillation term.
    pub lambda: f64,
    pub temperature: f64,
}

impl Default for ModeConfig {
    fn default() -> Self {
        ModeConfig {
            experts: true,
            routing: true,
            distill: true,
            rank: 4,
            text_experts: 2,
            lambda: 1.0,
            temperature: 2.0,
        }
    }
}

impl ModeConfig {
    /// Switches off the named parts ("experts", "routing", "distill").
    pub fn ablate(mut self, parts: &[&str]) -> Result<Self, String> {
        for p in parts {
            match p.trim() {
                "experts" => self.experts = false,
                "routing" => self.routing = false,
                "distill" => self.distill = false,
                "" => {}
                other => {
                    return Err(format!(
                        "unknown MoDE part '{other}' (expected experts, routing or distill)"
                    ));
                }
            }
        }
        Ok(self)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "lowercase")]
pub enum StrategyConfig {
    /// Vanilla fine-tuning: the lower bound.
    Finetune,
    /// Training on all data seen so far: the upper bound.
    Joint,
    Replay(ReplayConfig),
    Ewc(EwcConfig),
    Lwf(LwfConfig),
    Mspt(MsptConfig),
    Mera(MeraConfig),
    Mode(ModeConfig),
}

impl StrategyConfig {
    pub const NAMES: [&'static str; 8] = [
        "finetune", "joint", "replay", "ewc", "lwf", "mspt", "mera", "mode",
    ];

    /// Whether the strategy needs the model's fusion stage (`model.fusion`).
    pub fn needs_fusion(&self) -> bool {
        matches!(self, StrategyConfig::Mera(_) | StrategyConfig::Mode(_))
    }

    /// The strategy of that name with its defaults.
    pub fn by_name(name: &str) -> Result<Self, String> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "finetune" | "vanilla" => StrategyConfig::Finetune,
            "joint" => StrategyConfig::Joint,
            "replay" => StrategyConfig::Replay(Default::default()),
            "ewc" => StrategyConfig::Ewc(Default::default()),
            "lwf" => StrategyConfig::Lwf(Default::default()),
            "mspt" => StrategyConfig::Mspt(Default::default()),
            "mera" => StrategyConfig::Mera(Default::default()),
            "mode" => StrategyConfig::Mode(Default::default()),
            other => {
                return Err(format!(
                    "unknown strategy '{other}' (expected one of {})",
                    Self::NAMES.join(", ")
                ));
            }
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            StrategyConfig::Finetune => "finetune",
            StrategyConfig::Joint => "joint",
            StrategyConfig::Replay(_) => "replay",
            StrategyConfig::Ewc(_) => "ewc",
            StrategyConfig::Lwf(_) => "lwf",
            StrategyConfig::Mspt(_) => "mspt",
            StrategyConfig::Mera(_) => "mera",
            StrategyConfig::Mode(_) => "mode",
        }
    }

    /// A short label naming ablated components and replay sizes, e.g.
    /// "mspt -ad", "mera 1% -realign", "replay 10%".
    pub fn label(&self) -> String {
        match self {
            StrategyConfig::Replay(c) if c.memory_percent > 0.0 => {
                format!("replay {}%", c.memory_percent)
            }
            StrategyConfig::Mera(c) => {
                let mut label = "mera".to_string();
                if c.realign {
                    label.push_str(&format!(" {}%", c.replay_percent));
                }
                for (stage, on) in [("merge", c.merge), ("realign", c.realign)] {
                    if !on {
                        label.push_str(&format!(" -{stage}"));
                    }
                }
                label
            }
            StrategyConfig::Mode(c) => {
                let mut label = "mode".to_string();
                for (part, on) in [
                    ("experts", c.experts),
                    ("routing", c.routing && c.experts),
                    ("distill", c.distill),
                ] {
                    if !on {
                        label.push_str(&format!(" -{part}"));
                    }
                }
                label
            }
            StrategyConfig::Mspt(c) => {
                let off: Vec<&str> = [("gm", c.gm), ("mi", c.mi), ("ad", c.ad), ("mm", c.mm)]
                    .iter()
                    .filter(|(_, on)| !on)
                    .map(|(n, _)| *n)
                    .collect();
                if off.is_empty() {
                    "mspt".into()
                } else {
                    format!("mspt -{}", off.join(" -"))
                }
            }
            other => other.name().into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_round_trip_through_json_with_defaults() {
        let c: StrategyConfig = serde_json::from_str(r#"{"name":"mspt","ad":false}"#).unwrap();
        match &c {
            StrategyConfig::Mspt(m) => {
                assert!(!m.ad && m.gm && m.mi && m.mm);
                assert_eq!(m.memory_per_task, 6);
            }
            _ => panic!("{c:?}"),
        }
        let back: StrategyConfig =
            serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        assert_eq!(c.label(), "mspt -ad");
    }

    #[test]
    fn ablation_names_are_checked() {
        assert!(MsptConfig::default().ablate(&["gm", "mm"]).is_ok());
        assert!(
            MsptConfig::default()
                .ablate(&["xx"])
                .unwrap_err()
                .contains("xx")
        );
        assert!(StrategyConfig::by_name("nope").is_err());
        assert!(MeraConfig::default().ablate(&["gm"]).is_err());
    }

    #[test]
    fn labels_name_replay_sizes_and_ablated_stages() {
        let mera = |c: MeraConfig| StrategyConfig::Mera(c).label();
        assert_eq!(mera(MeraConfig::default()), "mera 10%");
        let one = MeraConfig {
            replay_percent: 1.0,
            ..MeraConfig::default()
        };
        assert_eq!(mera(one.clone()), "mera 1%");
        assert_eq!(
            mera(one.clone().ablate(&["merge"]).unwrap()),
            "mera 1% -merge"
        );
        assert_eq!(mera(one.ablate(&["realign"]).unwrap()), "mera -realign");
        let replay = ReplayConfig {
            memory_percent: 1.0,
            ..ReplayConfig::default()
        };
        assert_eq!(StrategyConfig::Replay(replay).label(), "replay 1%");
        assert_eq!(StrategyConfig::by_name("replay").unwrap().label(), "replay");
        let mode = |parts: &[&str]| {
            StrategyConfig::Mode(ModeConfig::default().ablate(parts).unwrap()).label()
        };
        assert_eq!(mode(&[]), "mode");
        assert_eq!(mode(&["distill"]), "mode -distill");
        assert_eq!(mode(&["routing"]), "mode -routing");
        assert_eq!(mode(&["experts"]), "mode -experts -routing");
        assert!(ModeConfig::default().ablate(&["merge"]).is_err());
    }
}
