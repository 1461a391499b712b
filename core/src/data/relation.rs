//! The relation scenario (the IMRE analogue): a 32×32 scene composed of two
//! real images in a spatial relation, with a sentence naming the two
//! entities; the class is the relation. Every task also holds "none" scenes
//! (the object named in the sentence is absent), as IMRE does.

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use super::caption::{CaptionNoise, CaptionStyle, noisy_caption};
use super::pack::Pack;
use super::prep::{blank_canvas, paste, resize_square};
use super::sample::{Modality, Sample};
use super::scenario::{Scenario, Task, rng_for, split};
use super::tokenizer::words;

/// The relations, in order of arrival, with the hint word a sentence may carry.
pub const RELATIONS: [(&str, &str); 10] = [
    ("left of", "left"),
    ("above", "above"),
    ("inside", "inside"),
    ("overlapping", "overlaps"),
    ("top-left of", "corner"),
    ("bottom-left of", "below"),
    ("bigger than", "big"),
    ("between", "between"),
    ("far from", "far"),
    ("on top of", "on"),
];
/// Relations per task (plus "none").
pub const PER_TASK: usize = 2;
pub const NONE: &str = "none";

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RelationOptions {
    pub train_per_class: usize,
    pub test_per_class: usize,
    /// Probability that the sentence says the relation…
    pub hint: f64,
    /// …and that it says a wrong one instead.
    pub wrong_hint: f64,
    /// Natural sentences (the default: templates naming both entities, the
    /// relation said as a phrase) or word noise on "the S and the O" plus a
    /// hint word (the earlier default).
    pub sentences: CaptionStyle,
    /// The word noise of `sentences: noisy`.
    pub noise: CaptionNoise,
}

impl Default for RelationOptions {
    fn default() -> Self {
        RelationOptions {
            train_per_class: 400,
            test_per_class: 20,
            hint: 0.4,
            wrong_hint: 0.15,
            sentences: CaptionStyle::default(),
            noise: CaptionNoise {
                drop: 0.2,
                mask: 0.1,
                swap: 0.1,
                replace_all: 0.0,
            },
        }
    }
}

/// Entity images pre-resized to the sizes scenes use.
struct Sprites<'a> {
    pack: &'a Pack,
    cache: std::collections::HashMap<(usize, usize), Vec<u8>>,
}

impl Sprites<'_> {
    fn get(&mut self, item: usize, side: usize) -> Vec<u8> {
        let pack = self.pack;
        self.cache
            .entry((item, side))
            .or_insert_with(|| resize_square(pack.image(item), pack.image_size, side))
            .clone()
    }
}

/// Draws the scene of `relation` (index into RELATIONS, or None for "none")
/// with subject `s` and object `o`.
fn compose(
    relation: Option<usize>,
    s: usize,
    o: usize,
    sprites: &mut Sprites,
    rng: &mut ChaCha8Rng,
) -> Vec<u8> {
    let mut c = blank_canvas();
    let mut j = |r: i32| rng.random_range(-r..=r);
    let mut put = |item: usize, side: usize, x: i32, y: i32, c: &mut Vec<u8>| {
        let sprite = sprites.get(item, side);
        paste(c, &sprite, side, x, y);
    };
    match relation {
        None => {
            let (x, y) = (j(10) + 10, j(10) + 10);
            put(s, 12, x, y, &mut c);
        }
        Some(0) => {
            let dy = j(6);
            put(s, 12, 2 + j(2), 10 + dy, &mut c);
            put(o, 12, 18 + j(2), 10 + dy, &mut c);
        }
        Some(1) => {
            let dx = j(6);
            put(s, 12, 10 + dx, 1 + j(1), &mut c);
            put(o, 12, 10 + dx, 19 + j(1), &mut c);
        }
        Some(2) => {
            put(o, 26, 3 + j(1), 3 + j(1), &mut c);
            put(s, 10, 11 + j(2), 11 + j(2), &mut c);
        }
        Some(3) => {
            let dy = j(4);
            put(o, 16, 12 + j(1), 8 + dy, &mut c);
            put(s, 16, 4 + j(1), 8 + dy, &mut c);
        }
        Some(4) => {
            put(s, 12, 2 + j(2), 2 + j(2), &mut c);
            put(o, 12, 18 + j(2), 18 + j(2), &mut c);
        }
        Some(5) => {
            put(s, 12, 2 + j(2), 18 + j(2), &mut c);
            put(o, 12, 18 + j(2), 2 + j(2), &mut c);
        }
        Some(6) => {
            let dy = j(3);
            put(s, 20, 1 + j(1), 6 + dy, &mut c);
            put(o, 8, 23 + j(1), 12 + dy, &mut c);
        }
        Some(7) => {
            let dy = j(6);
            put(o, 10, j(1), 11 + dy, &mut c);
            put(s, 10, 11 + j(1), 11 + dy, &mut c);
            put(o, 10, 22 + j(1), 11 + dy, &mut c);
        }
        Some(8) => {
            put(s, 8, j(1).abs(), rng_y(&mut j), &mut c);
            put(o, 8, 24 - j(1).abs(), rng_y(&mut j), &mut c);
        }
        Some(_) => {
            let dx = j(4);
            put(o, 16, 8 + dx, 14 + j(1), &mut c);
            put(s, 10, 11 + dx, 4 + j(1), &mut c);
        }
    }
    c
}

fn rng_y(j: &mut impl FnMut(i32) -> i32) -> i32 {
    12 + j(12)
}

/// Builds the relation scenario from `pack`'s images, fixed by `seed`.
pub fn relation_scenario(pack: &Pack, seed: u64, opts: &RelationOptions) -> Scenario {
    let items: Vec<usize> = (0..pack.items.len()).collect();
    let (train_items, test_items) = split(&items, 0.3, &mut rng_for(seed, "relation/items"));
    let pool: Vec<String> = {
        let mut p: Vec<String> = pack
            .items
            .iter()
            .flat_map(|i| words(&i.annotation))
            .collect();
        p.sort();
        p.dedup();
        p
    };
    let mut sprites = Sprites {
        pack,
        cache: Default::default(),
    };
    let mut class_names = vec![NONE.to_string()];
    let mut tasks = Vec::new();
    for (t, rels) in (0..RELATIONS.len())
        .collect::<Vec<_>>()
        .chunks(PER_TASK)
        .enumerate()
    {
        let mut task = Task {
            index: t + 1,
            classes: vec![0],
            modalities: vec![Modality::Image, Modality::Text],
            train: Vec::new(),
            test: Vec::new(),
        };
        let mut rng = rng_for(seed, &format!("relation/task{}", t + 1));
        let mut classes: Vec<(usize, Option<usize>)> = vec![(0, None)];
        for &r in rels {
            class_names.push(RELATIONS[r].0.to_string());
            classes.push((class_names.len() - 1, Some(r)));
            task.classes.push(class_names.len() - 1);
        }
        for &(label, rel) in &classes {
            for (n, pool_items, out) in [
                (opts.train_per_class, &train_items, &mut task.train),
                (opts.test_per_class, &test_items, &mut task.test),
            ] {
                for _ in 0..n {
                    let s = *pool_items.choose(&mut rng).expect("pack has items");
                    let mut o = *pool_items.choose(&mut rng).expect("pack has items");
                    while o == s && pool_items.len() > 1 {
                        o = *pool_items.choose(&mut rng).expect("pack has items");
                    }
                    let image = compose(rel, s, o, &mut sprites, &mut rng);
                    let (sn, on) = (&pack.items[s].annotation, &pack.items[o].annotation);
                    // which relation the sentence says, if any
                    let r: f64 = rng.random();
                    let said = if r < opts.hint {
                        Some(rel)
                    } else if r < opts.hint + opts.wrong_hint {
                        Some(Some(rng.random_range(0..RELATIONS.len())))
                    } else {
                        None
                    };
                    let text = match opts.sentences {
                        CaptionStyle::Natural => {
                            let (sw, ow) = (words(sn).join(" "), words(on).join(" "));
                            natural_sentence(&sw, &ow, said, &mut rng)
                        }
                        CaptionStyle::Noisy => {
                            let mut sentence = vec!["the".to_string()];
                            sentence.extend(words(sn));
                            sentence.push("and".into());
                            sentence.push("the".into());
                            sentence.extend(words(on));
                            if let Some(said) = said {
                                sentence.push(hint_of(said).into());
                            }
                            noisy_caption(&sentence, &pool, &opts.noise, &mut rng)
                        }
                    };
                    out.push(Sample {
                        entities: Some((sn.clone(), on.clone())),
                        ..Sample::image_text(Some(image), Some(text), label)
                    });
                }
            }
        }
        tasks.push(task);
    }
    Scenario {
        name: "relation".into(),
        class_names,
        tasks,
        none_class: Some(0),
    }
}

/// A sentence about a scene of `s` and `o` (their names), as a person
/// might write it: saying the relation `said` (an index into
/// [`RELATIONS`], or `Some(None)`: that `o` is not there), or only naming
/// the two.
pub fn natural_sentence(
    s: &str,
    o: &str,
    said: Option<Option<usize>>,
    rng: &mut impl Rng,
) -> String {
    let templates: &[&str] = match said {
        None => &[
            "the {s} and the {o}",
            "a {s} with a {o}",
            "{s} and {o}",
            "a picture of a {s} and a {o}",
            "the {s}, the {o}",
        ],
        Some(None) => &[
            "just the {s}, no {o}",
            "the {s} alone",
            "a {s}; the {o} is missing",
        ],
        Some(Some(_)) => &[
            "the {s} is {r} the {o}",
            "a {s} {r} a {o}",
            "{s} {r} {o}",
            "here the {s} is {r} the {o}",
        ],
    };
    let template = templates.choose(rng).expect("not empty");
    let r = match said {
        Some(Some(r)) => RELATIONS[r].0,
        _ => "",
    };
    template
        .replace("{s}", s)
        .replace("{o}", o)
        .replace("{r}", r)
}

fn hint_of(rel: Option<usize>) -> &'static str {
    rel.map(|r| RELATIONS[r].1).unwrap_or("alone")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::pack::bundled;

    #[test]
    fn five_tasks_each_with_none() {
        let s = relation_scenario(bundled(), 1, &RelationOptions::default());
        s.validate().unwrap();
        assert_eq!(s.tasks.len(), 5);
        for t in &s.tasks {
            assert_eq!(t.classes[0], 0, "task {} lacks none", t.index);
            assert_eq!(t.classes.len(), PER_TASK + 1);
            assert!(t.test.iter().any(|x| x.label == 0));
        }
        assert_eq!(s.class_names.len(), RELATIONS.len() + 1);
    }

    #[test]
    fn natural_sentences_name_both_entities_and_say_a_relation_as_a_phrase() {
        let s = relation_scenario(bundled(), 3, &RelationOptions::default());
        let mut said = 0;
        for x in &s.tasks[0].train {
            let text = x.text().unwrap();
            let (a, b) = x.entities.clone().unwrap();
            let name = |n: &str| words(n).join(" ");
            assert!(text.contains(&name(&a)), "{text:?} lacks {a:?}");
            assert!(
                text.contains(&name(&b)) || text.ends_with(" alone"),
                "{text:?} lacks {b:?}"
            );
            if RELATIONS
                .iter()
                .any(|(p, _)| text.contains(&format!(" {p} ")))
            {
                said += 1;
            }
        }
        // 40 % say the right relation, 15 % a random one
        let n = s.tasks[0].train.len();
        assert!(said * 100 > n * 35 && said * 100 < n * 65, "{said} of {n}");
        let noisy = RelationOptions {
            sentences: CaptionStyle::Noisy,
            ..RelationOptions::default()
        };
        let t = relation_scenario(bundled(), 3, &noisy);
        assert_ne!(t.tasks[0].train[0].text(), s.tasks[0].train[0].text());
    }

    #[test]
    fn scenes_differ_between_relations() {
        let s = relation_scenario(bundled(), 2, &RelationOptions::default());
        let mean_dark = |label: usize| {
            let imgs: Vec<&[u8]> = s.tasks[0]
                .train
                .iter()
                .filter(|x| x.label == label)
                .filter_map(|x| x.image())
                .collect();
            // fraction of non-white pixels in the left and right halves
            let mut left = 0usize;
            let mut right = 0usize;
            for img in &imgs {
                for (i, px) in img.chunks(3).enumerate() {
                    if px.iter().any(|&v| v < 200) {
                        if i % 32 < 16 { left += 1 } else { right += 1 }
                    }
                }
            }
            (left, right)
        };
        let (nl, nr) = mean_dark(0);
        let (l, r) = mean_dark(1);
        assert!(l > 0 && r > 0, "left-of scenes draw both entities");
        assert!(
            nl + nr < l + r,
            "none scenes hold one entity, fewer drawn pixels"
        );
    }
}
