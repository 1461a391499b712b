//! Captions: natural ones, as a person might write under a picture (the
//! default), or word-level noise on the item's words (the earlier default).
//! Either is informative on average and never reliable alone.

use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};

/// Which captions the entity scenario writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaptionStyle {
    /// Templates over the item's name and tags ([`natural_caption`]).
    #[default]
    Natural,
    /// The item's words with drops, masks and swaps ([`noisy_caption`]).
    Noisy,
}

/// How natural captions leave the class open: the name is often missing,
/// the tags are shared across classes, a tag may belong to another item,
/// and some captions say nothing about the picture.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NaturalCaptions {
    /// Probability that the caption names the item.
    pub name: f64,
    /// Probability that each tag mentioned is another item's.
    pub stray: f64,
    /// Probability of a caption that says nothing about the picture.
    pub vague: f64,
}

impl Default for NaturalCaptions {
    fn default() -> Self {
        NaturalCaptions {
            name: 0.5,
            stray: 0.2,
            vague: 0.1,
        }
    }
}

/// Captions that say nothing about the picture.
const VAGUE: [&str; 6] = [
    "look at this",
    "something i found",
    "not sure what this is",
    "an old picture",
    "guess what it is",
    "one more for the album",
];

/// One caption of an item named `name` with descriptive `tags` (phrases);
/// `strays` are other items' tags. Templates by what the caption mentions:
/// the name and up to two tags, or tags only, or nothing (vague).
pub fn natural_caption(
    name: &str,
    tags: &[String],
    strays: &[String],
    opts: &NaturalCaptions,
    rng: &mut impl Rng,
) -> String {
    if rng.random_bool(opts.vague) {
        return VAGUE.choose(rng).expect("not empty").to_string();
    }
    let named = tags.is_empty() || rng.random_bool(opts.name);
    let most = tags.len().min(2);
    let least = usize::from(!named).min(most);
    let count = rng.random_range(least..=most);
    let mut chosen: Vec<&str> = tags
        .choose_multiple(rng, count)
        .map(String::as_str)
        .collect();
    chosen.shuffle(rng);
    for t in chosen.iter_mut() {
        if rng.random_bool(opts.stray)
            && let Some(other) = strays.choose(rng)
        {
            *t = other;
        }
    }
    let templates: &[&str] = match (named, chosen.len()) {
        (true, 0) => &[
            "a {n}",
            "the {n}",
            "my {n}",
            "look, a {n}",
            "a picture of a {n}",
        ],
        (true, 1) => &[
            "a {n}, {t}",
            "a {t} {n}",
            "my {n}: {t}",
            "{n} ({t})",
            "the {n} — {t}",
        ],
        (true, _) => &["a {n}, {t} and {u}", "{t} {n}, {u}", "the {n}: {t}, {u}"],
        (false, 1) => &[
            "something {t}",
            "a {t} thing",
            "this one is {t}",
            "{t}, i think",
        ],
        (false, _) => &["{t} and {u}", "something {t}, {u}", "{t}, maybe {u}"],
    };
    let template = templates.choose(rng).expect("not empty");
    template
        .replace("{n}", name)
        .replace("{t}", chosen.first().copied().unwrap_or(""))
        .replace("{u}", chosen.get(1).copied().unwrap_or(""))
}

/// How a caption is corrupted. Probabilities are per word except `replace_all`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CaptionNoise {
    pub drop: f64,
    pub mask: f64,
    pub swap: f64,
    /// Probability that the whole caption is replaced by random words.
    pub replace_all: f64,
}

impl Default for CaptionNoise {
    fn default() -> Self {
        CaptionNoise {
            drop: 0.3,
            mask: 0.1,
            swap: 0.2,
            replace_all: 0.3,
        }
    }
}

/// Applies `noise` to `words`; `pool` supplies the swapped-in words. Never
/// returns an empty caption (a fully dropped caption becomes `[mask]`).
pub fn noisy_caption(
    words: &[String],
    pool: &[String],
    noise: &CaptionNoise,
    rng: &mut impl Rng,
) -> String {
    let mut out: Vec<&str> = Vec::new();
    if rng.random_bool(noise.replace_all) {
        for _ in 0..3 {
            if let Some(w) = pool.choose(rng) {
                out.push(w);
            }
        }
    } else {
        for w in words {
            let r: f64 = rng.random();
            if r < noise.drop {
                continue;
            } else if r < noise.drop + noise.mask {
                out.push("[mask]");
            } else if r < noise.drop + noise.mask + noise.swap {
                out.push(pool.choose(rng).map(String::as_str).unwrap_or("[mask]"));
            } else {
                out.push(w);
            }
        }
    }
    if out.is_empty() {
        out.push("[mask]");
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::scenario::rng_for;

    #[test]
    fn natural_captions_read_as_captions_and_leave_the_class_open() {
        let tags: Vec<String> = ["citrus", "fruit", "sour"].map(String::from).to_vec();
        let strays: Vec<String> = ["ball", "rainy"].map(String::from).to_vec();
        let mut rng = rng_for(3, "c");
        let caps: Vec<String> = (0..400)
            .map(|_| {
                natural_caption(
                    "lemon",
                    &tags,
                    &strays,
                    &NaturalCaptions::default(),
                    &mut rng,
                )
            })
            .collect();
        let share =
            |f: &dyn Fn(&String) -> bool| caps.iter().filter(|c| f(c)).count() as f64 / 400.0;
        let named = share(&|c| c.contains("lemon"));
        let vague = share(&|c| VAGUE.contains(&c.as_str()));
        let stray = share(&|c| c.contains("ball") || c.contains("rainy"));
        // name 0.5 of the 0.9 that are not vague; vague 0.1
        assert!((0.38..0.52).contains(&named), "named {named}");
        assert!((0.06..0.15).contains(&vague), "vague {vague}");
        assert!(stray > 0.05 && stray < 0.35, "stray {stray}");
        for c in &caps {
            assert!(!c.contains('{') && !c.trim().is_empty(), "{c:?}");
            assert!(!c.contains("  ") && !c.ends_with(' '), "{c:?}");
            let informative = c.contains("lemon") || tags.iter().any(|t| c.contains(t.as_str()));
            let misled = c.contains("ball") || c.contains("rainy");
            assert!(
                informative || misled || VAGUE.contains(&c.as_str()),
                "{c:?}"
            );
        }
    }

    #[test]
    fn an_item_without_tags_is_named() {
        let opts = NaturalCaptions {
            vague: 0.0,
            ..NaturalCaptions::default()
        };
        for seed in 0..20 {
            let c = natural_caption("goal net", &[], &[], &opts, &mut rng_for(seed, "c"));
            assert!(c.contains("goal net"), "{c}");
        }
    }

    fn ws(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn no_noise_keeps_caption() {
        let n = CaptionNoise {
            drop: 0.0,
            mask: 0.0,
            swap: 0.0,
            replace_all: 0.0,
        };
        let c = noisy_caption(&ws("red apple fruit"), &ws("x y"), &n, &mut rng_for(0, "c"));
        assert_eq!(c, "red apple fruit");
    }

    #[test]
    fn full_drop_never_gives_empty_caption() {
        let n = CaptionNoise {
            drop: 1.0,
            mask: 0.0,
            swap: 0.0,
            replace_all: 0.0,
        };
        let c = noisy_caption(&ws("red apple"), &[], &n, &mut rng_for(0, "c"));
        assert_eq!(c, "[mask]");
    }

    #[test]
    fn default_noise_changes_some_but_not_all_captions() {
        let words = ws("red apple fruit food diet health ripe");
        let pool = ws("car sun tree hat");
        let mut rng = rng_for(5, "c");
        let caps: Vec<String> = (0..200)
            .map(|_| noisy_caption(&words, &pool, &CaptionNoise::default(), &mut rng))
            .collect();
        let intact = caps.iter().filter(|c| **c == words.join(" ")).count();
        let with_apple = caps.iter().filter(|c| c.contains("apple")).count();
        assert!(intact < 50, "{intact} captions survived intact");
        // a word survives with p = 0.7 × 0.4: about 56 of 200 keep "apple"
        assert!(
            with_apple > 40,
            "only {with_apple} captions kept the key word"
        );
    }
}
