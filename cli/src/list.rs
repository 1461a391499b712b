//! `palimpsest list`: what can be run, with every hyper-parameter's default.

use palimpsest_core::run::RunConfig;
use palimpsest_core::strategy::StrategyConfig;

fn params(value: &serde_json::Value) -> String {
    match value.as_object() {
        Some(map) => map
            .iter()
            .filter(|(k, _)| *k != "name")
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" "),
        None => String::new(),
    }
}

pub fn render() -> String {
    let mut out = String::from("Scenarios:\n");
    out.push_str(
        "  teaching   5 tasks x 2 OpenMoji subgroups that look unlike each other, image + caption (the app's demo)\n",
    );
    out.push_str(
        "  entity     5 tasks x 4 entity classes (OpenMoji subgroups), image + noisy caption\n",
    );
    out.push_str(
        "  relation   5 tasks x 2 spatial relations + \"none\", composed scenes + sentence\n",
    );
    out.push_str(
        "  modality   3 tasks on the same entity classes: image + caption, then Quick, Draw! sketches, then spoken words (synthesised)\n",
    );
    out.push_str("  modality-reverse   the same, spoken words first\n");
    out.push_str("  modality-sketch    the first two: pairs, then sketches\n");
    out.push_str(
        "  modality-halves    pairs, then sketches, of half the classes; then of the other half\n",
    );
    out.push_str(
        "  PATH       an imagefolder (one folder per class, optional metadata.jsonl/.csv)\n",
    );
    out.push_str("\nStrategies (hyper-parameters with defaults):\n");
    for name in StrategyConfig::NAMES {
        let c = StrategyConfig::by_name(name).expect("listed names parse");
        let json = serde_json::to_value(&c).expect("configs serialise");
        out.push_str(&format!("  {name:<9}  {}\n", params(&json)));
    }
    out.push_str("  (mspt components switch off with --ablate gm,mi,ad,mm)\n");
    out.push_str(
        "  (mera stages switch off with --ablate merge,realign; it turns on model.fusion, which it needs)\n",
    );
    out.push_str(
        "  (mode parts switch off with --ablate experts,routing,distill; it turns on model.fusion, which it needs)\n",
    );
    let run = serde_json::to_value(RunConfig::default()).expect("configs serialise");
    out.push_str("\nRun defaults:\n");
    for key in [
        "seed",
        "backend",
        "epochs",
        "batch_size",
        "lr",
        "unimodal_weight",
        "separated_softmax",
    ] {
        out.push_str(&format!("  {key}={}\n", run[key]));
    }
    out.push_str(&format!("  model: {}\n", params(&run["model"])));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_every_strategy_with_its_defaults() {
        let s = super::render();
        for name in palimpsest_core::strategy::StrategyConfig::NAMES {
            assert!(s.contains(&format!("  {name}")), "{name} missing");
        }
        assert!(s.contains("memory_per_task=6"));
        assert!(s.contains("alpha="));
    }
}
