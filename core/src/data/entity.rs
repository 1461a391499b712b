//! The entity scenario (the IMNER analogue): classify an image–caption pair
//! into its entity class; the pack's subgroups arrive a few per task.

use super::caption::{CaptionNoise, CaptionStyle, NaturalCaptions, natural_caption, noisy_caption};
use super::pack::{Pack, PackItem};
use super::prep::augment;
use super::sample::{Modality, Sample};
use super::scenario::{Scenario, Task, rng_for, split};
use super::tokenizer::words;

/// Knobs of the entity scenario; the defaults are the bundled demo.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct EntityOptions {
    /// Augmented copies of every training image per task.
    pub train_copies: usize,
    /// At most this many training images a class (0: all of the split's),
    /// to measure how many examples a class needs. The test sets and every
    /// caption stay as with all of them.
    pub train_items: usize,
    /// Copies of every test image (each with its own caption noise).
    pub test_copies: usize,
    pub test_fraction: f64,
    /// Natural captions (the default) or word noise on the item's words.
    pub captions: CaptionStyle,
    pub natural: NaturalCaptions,
    /// The word noise of `captions: noisy`.
    pub noise: CaptionNoise,
}

impl Default for EntityOptions {
    fn default() -> Self {
        EntityOptions {
            train_copies: 8,
            train_items: 0,
            test_copies: 4,
            test_fraction: 0.3,
            captions: CaptionStyle::default(),
            natural: NaturalCaptions::default(),
            noise: CaptionNoise::default(),
        }
    }
}

/// The words a caption of `item` is made from: its name and its tags.
pub fn item_words(item: &PackItem) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let text = std::iter::once(item.annotation.as_str())
        .chain(item.tags.iter().map(String::as_str))
        .chain(item.openmoji_tags.iter().map(String::as_str));
    for t in text {
        for w in words(t) {
            if !out.contains(&w) {
                out.push(w);
            }
        }
    }
    out
}

/// The item's tags, as lower-case phrases, without repeats and without
/// those that only repeat words of its name.
pub fn item_tags(item: &PackItem) -> Vec<String> {
    let name = words(&item.annotation);
    let mut out: Vec<String> = Vec::new();
    for t in item.tags.iter().chain(&item.openmoji_tags) {
        let ws = words(t);
        if ws.is_empty() || ws.iter().all(|w| name.contains(w)) {
            continue;
        }
        let t = ws.join(" ");
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The teaching stream: five tasks of two subgroups each, every pair chosen
/// to look unlike each other (animals and vehicles, fruit and clothes, …),
/// so that the model learns every task well in the browser and forgetting
/// reads at a glance. Same items, captions and splits as the entity
/// stream's subgroups (docs/scenarios.md; the measurements that chose the
/// pairs are in docs/findings.md).
pub const TEACHING_TASKS: [[&str; 2]; 5] = [
    ["face-concerned", "geometric"],
    ["arrow", "heart"],
    ["time", "animal-mammal"],
    ["transport-ground", "office"],
    ["sky-weather", "tool"],
];

/// Builds the teaching stream ([`TEACHING_TASKS`]) from `pack`, fixed by `seed`.
pub fn teaching_scenario(pack: &Pack, seed: u64, opts: &EntityOptions) -> Scenario {
    let tasks: Vec<Vec<String>> = TEACHING_TASKS
        .iter()
        .map(|t| t.iter().map(|s| s.to_string()).collect())
        .collect();
    let mut s = entity_scenario_of(pack, &tasks, seed, opts);
    s.name = "teaching".into();
    s
}

/// The first `count` pictures of `pack`'s `subgroup` as a visitor would
/// bring them: each 32×32 RGB picture with a caption of its name and its
/// first tag (the lesson's "a class of your own", on the bundled data).
pub fn example_pairs(
    pack: &Pack,
    subgroup: &str,
    count: usize,
) -> Result<Vec<(Vec<u8>, String)>, String> {
    let pairs: Vec<(Vec<u8>, String)> = (0..pack.len())
        .filter(|&i| pack.items[i].subgroup == subgroup)
        .take(count)
        .map(|i| {
            let item = &pack.items[i];
            let text = match item_tags(item).first() {
                Some(t) => format!("{}, {t}", item.annotation),
                None => item.annotation.clone(),
            };
            (pack.image(i).to_vec(), text)
        })
        .collect();
    if pairs.len() < count {
        return Err(format!(
            "the bundled pack has {} pictures of {subgroup}, not {count}",
            pairs.len()
        ));
    }
    Ok(pairs)
}

/// Builds the entity scenario from `pack`, fixed by `seed`.
pub fn entity_scenario(pack: &Pack, seed: u64, opts: &EntityOptions) -> Scenario {
    entity_scenario_of(pack, &pack.tasks, seed, opts)
}

/// The entity scenario of `pack`'s items over `task_classes` (lists of its
/// subgroups) instead of the pack's own split.
pub fn entity_scenario_of(
    pack: &Pack,
    task_classes: &[Vec<String>],
    seed: u64,
    opts: &EntityOptions,
) -> Scenario {
    // The seeded split of every class first: the words swapped into noisy
    // captions come from training items only, so a test item's own words
    // are never taught as evidence for another class.
    let splits: Vec<Vec<(Vec<usize>, Vec<usize>)>> = task_classes
        .iter()
        .map(|subgroups| {
            subgroups
                .iter()
                .map(|sub| {
                    let members: Vec<usize> = (0..pack.items.len())
                        .filter(|&i| &pack.items[i].subgroup == sub)
                        .collect();
                    split(
                        &members,
                        opts.test_fraction,
                        &mut rng_for(seed, &format!("entity/split/{sub}")),
                    )
                })
                .collect()
        })
        .collect();
    let pool: Vec<String> = {
        let mut p: Vec<String> = splits
            .iter()
            .flatten()
            .flat_map(|(train, _)| train.iter().flat_map(|&i| item_words(&pack.items[i])))
            .collect();
        p.sort();
        p.dedup();
        p
    };
    // Other items' tags, for natural captions' stray tags (training items only).
    let strays: Vec<String> = {
        let mut p: Vec<String> = splits
            .iter()
            .flatten()
            .flat_map(|(train, _)| train.iter().flat_map(|&i| item_tags(&pack.items[i])))
            .collect();
        p.sort();
        p.dedup();
        p
    };
    let mut class_names = Vec::new();
    let mut tasks = Vec::new();
    for (t, subgroups) in task_classes.iter().enumerate() {
        let mut task = Task {
            index: t + 1,
            classes: Vec::new(),
            modalities: vec![Modality::Image, Modality::Text],
            train: Vec::new(),
            test: Vec::new(),
        };
        for (c, sub) in subgroups.iter().enumerate() {
            let label = class_names.len();
            class_names.push(sub.clone());
            task.classes.push(label);
            let (train, test) = &splits[t][c];
            let mut rng = rng_for(seed, &format!("entity/{sub}"));
            let make = |i: usize, rng: &mut _| {
                // the image's augmentation draws first, then the caption's noise
                let image = augment(pack.image(i), rng, 2, 0.1);
                let item = &pack.items[i];
                let text = match opts.captions {
                    CaptionStyle::Natural => {
                        let name = words(&item.annotation).join(" ");
                        natural_caption(&name, &item_tags(item), &strays, &opts.natural, rng)
                    }
                    CaptionStyle::Noisy => {
                        noisy_caption(&item_words(item), &pool, &opts.noise, rng)
                    }
                };
                Sample::image_text(Some(image), Some(text), label).from_item(i)
            };
            let kept = match opts.train_items {
                0 => train.len(),
                n => n.min(train.len()),
            };
            for _ in 0..opts.train_copies {
                for (k, &i) in train.iter().enumerate() {
                    // made either way, so that the random stream (and every
                    // later caption) is the same whatever `train_items` is
                    let sample = make(i, &mut rng);
                    if k < kept {
                        task.train.push(sample);
                    }
                }
            }
            for _ in 0..opts.test_copies {
                for &i in test {
                    task.test.push(make(i, &mut rng));
                }
            }
        }
        tasks.push(task);
    }
    Scenario {
        name: "entity".into(),
        class_names,
        tasks,
        none_class: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::pack::bundled;

    #[test]
    fn bundled_entity_scenario_has_five_tasks_of_four_classes() {
        let s = entity_scenario(bundled(), 1, &EntityOptions::default());
        s.validate().unwrap();
        assert!(s.tasks.len() >= 5);
        for t in &s.tasks {
            assert!(t.classes.len() >= 4);
            for &c in &t.classes {
                assert!(
                    t.test.iter().any(|x| x.label == c),
                    "class {c} has no test sample"
                );
            }
        }
    }

    #[test]
    fn teaching_stream_has_five_tasks_of_two_pack_subgroups() {
        let s = teaching_scenario(bundled(), 1, &EntityOptions::default());
        s.validate().unwrap();
        assert_eq!(s.name, "teaching");
        assert_eq!(s.tasks.len(), 5);
        let subgroups: std::collections::HashSet<&str> = bundled()
            .items
            .iter()
            .map(|i| i.subgroup.as_str())
            .collect();
        for (t, names) in s.tasks.iter().zip(TEACHING_TASKS) {
            assert_eq!(t.classes.len(), 2);
            for (&c, name) in t.classes.iter().zip(names) {
                assert!(subgroups.contains(name), "{name} is not in the pack");
                assert_eq!(s.class_names[c], name);
                assert!(t.test.iter().any(|x| x.label == c));
                assert!(t.train.iter().any(|x| x.label == c));
            }
        }
        // a subgroup's split is the entity stream's for the same seed
        let e = entity_scenario(bundled(), 1, &EntityOptions::default());
        let items = |s: &Scenario, name: &str| -> Vec<usize> {
            let c = s.class_names.iter().position(|n| n == name).unwrap();
            let t = s.tasks.iter().find(|t| t.classes.contains(&c)).unwrap();
            let mut v: Vec<usize> = t
                .test
                .iter()
                .filter(|x| x.label == c)
                .filter_map(|x| x.item)
                .collect();
            v.sort();
            v.dedup();
            v
        };
        assert_eq!(items(&s, "heart"), items(&e, "heart"));
    }

    #[test]
    fn same_seed_same_scenario_other_seed_other_split() {
        let o = EntityOptions::default();
        let a = entity_scenario(bundled(), 3, &o);
        let b = entity_scenario(bundled(), 3, &o);
        let c = entity_scenario(bundled(), 4, &o);
        assert_eq!(a.tasks[0].test, b.tasks[0].test);
        assert_ne!(a.tasks[0].test, c.tasks[0].test);
    }

    #[test]
    fn train_items_keeps_the_first_items_of_each_class_and_the_same_test_sets() {
        let all = EntityOptions::default();
        let few = EntityOptions {
            train_items: 2,
            ..EntityOptions::default()
        };
        let a = entity_scenario(bundled(), 3, &all);
        let b = entity_scenario(bundled(), 3, &few);
        for (ta, tb) in a.tasks.iter().zip(&b.tasks) {
            assert_eq!(ta.test, tb.test);
            for &c in &ta.classes {
                let items = |t: &Task| {
                    let mut v: Vec<usize> = t
                        .train
                        .iter()
                        .filter(|s| s.label == c)
                        .filter_map(|s| s.item)
                        .collect();
                    v.sort();
                    v.dedup();
                    v
                };
                let (full, kept) = (items(ta), items(tb));
                assert_eq!(kept.len(), 2);
                assert!(kept.iter().all(|i| full.contains(i)));
                // every copy of a kept item is there, with the caption it has with all items
                let of = |t: &Task| -> Vec<Sample> {
                    t.train
                        .iter()
                        .filter(|s| s.label == c && s.item.is_some_and(|i| kept.contains(&i)))
                        .cloned()
                        .collect()
                };
                assert_eq!(of(ta), of(tb));
                assert_eq!(of(tb).len(), 2 * all.train_copies);
            }
        }
    }
}
