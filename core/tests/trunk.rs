//! The shared trunk with every modality present gives the logits kept in
//! `records/trunk-logits.json` (made natively; the worker's browser test
//! checks the wasm build against the same file). Within 10⁻⁴: the CPU
//! kernels of other machines sum in another order. To write the file anew
//! after a change meant to move them:
//! `PALIMPSEST_BLESS=1 cargo test --release -p palimpsest-core --test trunk`.

use std::path::PathBuf;

use burn::tensor::Device;
use palimpsest_core::model::check::trunk_logits;

#[test]
fn the_trunk_with_every_modality_gives_the_kept_logits() {
    let got = trunk_logits(&Device::flex());
    assert_eq!(got.len(), 16, "four samples, four classes");
    assert!(got.iter().all(|x| x.is_finite()), "{got:?}");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/records/trunk-logits.json");
    if std::env::var("PALIMPSEST_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
        return;
    }
    let kept: Vec<f32> = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (PALIMPSEST_BLESS=1 writes it)", path.display())),
    )
    .unwrap();
    assert_eq!(got.len(), kept.len());
    for (i, (g, k)) in got.iter().zip(&kept).enumerate() {
        assert!(
            (g - k).abs() <= 1e-4 * k.abs().max(1.0),
            "logit {i}: {g} vs kept {k}"
        );
    }
}
