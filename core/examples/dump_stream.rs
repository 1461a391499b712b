//! Prints the entity stream of a seed as JSON lines (task, split, label,
//! pack item, caption), for measuring what fixed features plus the captions'
//! words reach outside the project (the learner issue's ceiling check).
//! `cargo run --release -p palimpsest-core --example dump_stream -- SEED`

use palimpsest_core::data::Modality;
use palimpsest_core::data::entity::{EntityOptions, entity_scenario};
use palimpsest_core::data::pack::bundled;

fn main() {
    let seed: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let s = entity_scenario(bundled(), seed, &EntityOptions::default());
    for t in &s.tasks {
        for (split, samples) in [("train", &t.train), ("test", &t.test)] {
            for x in samples.iter() {
                let caption = match x.input(Modality::Text) {
                    Some(palimpsest_core::data::Input::Words(w)) => w.clone(),
                    _ => String::new(),
                };
                println!(
                    "{}",
                    serde_json::json!({"task": t.index, "split": split, "label": x.label,
                        "item": x.item, "caption": caption})
                );
            }
        }
    }
}
