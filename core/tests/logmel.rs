//! The log-mel picture of the reference word, kept: natively it must be
//! what `tests/records/logmel.json` holds (each pixel within one grey level,
//! every frame's brightest band the same), and the browser's build is held
//! to the same file (`app/worker/tests/browser.rs`), so the speech features
//! of the pack builder and of the microphone agree. To write it anew after
//! a change meant to move the features:
//! `PALIMPSEST_BLESS=1 cargo test --release -p palimpsest-core --test logmel`.

use std::path::PathBuf;

use palimpsest_core::data::logmel::{FRAMES, LogMel, MELS, compare_pixels, reference_word};
use serde_json::{Value, json};

#[test]
fn the_reference_words_picture_is_the_committed_one() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/records/logmel.json");
    let sr = 22_050;
    let got = LogMel::new(sr)
        .unwrap()
        .pixels(&reference_word(sr))
        .unwrap();
    assert_eq!(got.len(), MELS * FRAMES);
    if std::env::var("PALIMPSEST_BLESS").is_ok_and(|v| v == "1") {
        let text = json!({ "sample_rate": sr, "mels": MELS, "frames": FRAMES, "pixels": got });
        std::fs::write(&path, serde_json::to_string(&text).unwrap() + "\n").unwrap();
        return;
    }
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(kept["sample_rate"], sr);
    let want: Vec<u8> = serde_json::from_value(kept["pixels"].clone()).unwrap();
    if let Some(d) = compare_pixels(&got, &want) {
        panic!("the reference word's picture moved: {d}");
    }
    // it is a picture of something: the glide climbs over the first frames
    let brightest = |t: usize| (0..MELS).max_by_key(|&r| want[r * FRAMES + t]).unwrap();
    assert!(
        brightest(0) > brightest(FRAMES / 2 - 2),
        "row 0 is the highest band"
    );
}
