//! Noisy captions: informative on average, never reliable alone.

use rand::Rng;
use rand::seq::IndexedRandom;

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
