//! The experiment configuration: everything a run needs to be re-run.

use serde::{Deserialize, Serialize};

use crate::data::entity::EntityOptions;
use crate::data::modality::ModalityOptions;
use crate::data::relation::RelationOptions;
use crate::model::ModelConfig;
use crate::strategy::StrategyConfig;

/// Where training runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// burn's pure-Rust `flex` CPU backend (native and wasm).
    #[default]
    Cpu,
    /// burn's wgpu backend (Vulkan/Metal natively, WebGPU in the browser).
    Wgpu,
}

impl Backend {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" | "flex" => Ok(Backend::Cpu),
            "wgpu" | "gpu" | "webgpu" => Ok(Backend::Wgpu),
            other => Err(format!("unknown backend '{other}' (expected cpu or wgpu)")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunConfig {
    /// "entity", "relation", or the path of an imagefolder.
    pub scenario: String,
    pub strategy: StrategyConfig,
    pub seed: u64,
    pub backend: Backend,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    /// Weight of the unimodal heads' own cross-entropy beside the fused one
    /// (0: the fused loss only, as in MSPT's Eq. 15; the heads then are just
    /// the two halves of the fused classifier that GM reads).
    pub unimodal_weight: f64,
    /// During a task's own epochs, score each sample of that task's classes
    /// by a softmax over those classes only; samples of earlier classes
    /// (memory, or joint's old data) and the rehearsal phase keep the softmax
    /// over every class seen. New data then no longer pushes the old classes'
    /// logits down (ER-ACE, Caccia et al. 2022; SS-IL, Ahn et al. 2021). The
    /// same for every strategy; off by default.
    pub separated_softmax: bool,
    pub model: ModelConfig,
    pub entity: EntityOptions,
    pub relation: RelationOptions,
    /// The modality scenarios' settings (`modality`, `modality-reverse`,
    /// `modality-halves`).
    pub modality: ModalityOptions,
    /// Classes per task when the scenario is an imagefolder.
    pub classes_per_task: usize,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            scenario: "entity".into(),
            strategy: StrategyConfig::Finetune,
            seed: 7,
            backend: Backend::Cpu,
            epochs: 4,
            batch_size: 32,
            lr: 1e-3,
            unimodal_weight: 0.5,
            separated_softmax: false,
            model: ModelConfig::default(),
            entity: EntityOptions::default(),
            relation: RelationOptions::default(),
            modality: ModalityOptions::default(),
            classes_per_task: 2,
        }
    }
}

impl RunConfig {
    /// Turns on the model stages the strategy needs and the config leaves
    /// off (MERA and MoDE: the fusion stage, `model.fusion`), and says what
    /// it turned on. The CLI and the page call it unless the visitor set
    /// the stage themselves; a stage set off on purpose stays off, and
    /// [`Self::validate`] names it.
    pub fn turn_on_needed_stages(&mut self) -> Option<String> {
        if !self.strategy.needs_fusion() || self.model.fusion {
            return None;
        }
        self.model.fusion = true;
        Some(format!(
            "{} needs the fusion stage: model.fusion is on for this run",
            self.strategy.name()
        ))
    }

    /// The settings that must fit each other, then every setting within its
    /// range ([`super::limits::LIMITS`]).
    pub fn validate(&self) -> Result<(), String> {
        self.model.validate()?;
        if self.epochs == 0 {
            return Err("epochs must be at least 1".into());
        }
        if self.batch_size == 0 {
            return Err("batch size must be at least 1".into());
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(format!(
                "lr = {} must be a positive number (the learning rate)",
                self.lr
            ));
        }
        if !(self.unimodal_weight >= 0.0 && self.unimodal_weight.is_finite()) {
            return Err(format!(
                "unimodal weight {} must be a number ≥ 0",
                self.unimodal_weight
            ));
        }
        if self.classes_per_task == 0 {
            return Err("classes per task must be at least 1".into());
        }
        if self.strategy.needs_fusion() && !self.model.fusion {
            let why = match self.strategy {
                StrategyConfig::Mode(_) => "MoDE adds its experts beside the shared fusion stage",
                _ => "MERA merges the shared fusion stage and realigns its connectors",
            };
            return Err(format!(
                "{why}: it needs model.fusion=true (on by default for it; drop --set model.fusion=false)"
            ));
        }
        let json = serde_json::to_value(self).map_err(|e| format!("the config: {e}"))?;
        super::limits::check(&json)
    }
}
