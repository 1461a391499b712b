//! Trivial baselines a model must beat before its comparisons mean anything:
//! the nearest neighbour on the images' (or sketches') raw pixels (averaged
//! to 8×8) and
//! naive Bayes on the caption's words, on the same stream the model trains
//! on. "Joint" trains each on every task's training set and scores every
//! test set (compare with Joint's final A_T); "within task" trains on one
//! task and scores its own test set among its own classes (compare with a
//! strategy's U_k).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::tokenizer::words;
use crate::data::{IMAGE_SIZE, Sample, Scenario};

/// Side of the averaged image the nearest neighbour compares.
const SIDE: usize = 8;

/// Accuracy of each baseline, joint and per task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baselines {
    /// 1-NN on 8×8 pixels, trained on every task, on every test set.
    pub pixels_joint: f64,
    /// Naive Bayes on caption words, trained on every task, on every test set.
    pub words_joint: f64,
    /// The same, trained and scored within each task (its own classes).
    pub pixels_within: Vec<f64>,
    pub words_within: Vec<f64>,
    /// Chance on the joint problem: 1 / classes.
    pub chance_joint: f64,
}

impl Baselines {
    pub fn of(scenario: &Scenario) -> Baselines {
        let train: Vec<&Sample> = scenario.tasks.iter().flat_map(|t| &t.train).collect();
        let test: Vec<&Sample> = scenario.tasks.iter().flat_map(|t| &t.test).collect();
        let within = |score: fn(&[&Sample], &[&Sample]) -> f64| {
            scenario
                .tasks
                .iter()
                .map(|t| {
                    let tr: Vec<&Sample> = t.train.iter().collect();
                    let te: Vec<&Sample> = t.test.iter().collect();
                    score(&tr, &te)
                })
                .collect()
        };
        Baselines {
            pixels_joint: nearest_pixels(&train, &test),
            words_joint: bayes_words(&train, &test),
            pixels_within: within(nearest_pixels),
            words_within: within(bayes_words),
            chance_joint: 1.0 / scenario.class_names.len().max(1) as f64,
        }
    }
}

/// The most frequent label of `train` (ties: the smallest), for a sample
/// that lacks what a baseline reads.
fn majority(train: &[&Sample]) -> usize {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for s in train {
        *counts.entry(s.label).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map_or(0, |(label, _)| label)
}

fn share_correct(test: &[&Sample], predict: impl Fn(&Sample) -> usize) -> f64 {
    if test.is_empty() {
        return 0.0;
    }
    let right = test.iter().filter(|s| predict(s) == s.label).count();
    right as f64 / test.len() as f64
}

/// The image averaged over blocks to `SIDE`×`SIDE`×3, values in [0, 1].
fn small(px: &[u8]) -> Vec<f32> {
    let block = IMAGE_SIZE / SIDE;
    let mut out = vec![0f32; SIDE * SIDE * 3];
    for y in 0..IMAGE_SIZE {
        for x in 0..IMAGE_SIZE {
            for c in 0..3 {
                let v = f32::from(px[(y * IMAGE_SIZE + x) * 3 + c]) / 255.0;
                out[((y / block) * SIDE + x / block) * 3 + c] += v;
            }
        }
    }
    let n = (block * block) as f32;
    out.iter_mut().for_each(|v| *v /= n);
    out
}

/// 1-nearest neighbour (Euclidean) on [`small`] images.
fn nearest_pixels(train: &[&Sample], test: &[&Sample]) -> f64 {
    let fallback = majority(train);
    let known: Vec<(Vec<f32>, usize)> = train
        .iter()
        .filter_map(|s| s.pixels().map(|px| (small(px), s.label)))
        .collect();
    share_correct(test, |s| {
        let Some(px) = s.pixels() else {
            return fallback;
        };
        let q = small(px);
        known
            .iter()
            .map(|(v, label)| {
                let d: f32 = v.iter().zip(&q).map(|(a, b)| (a - b) * (a - b)).sum();
                (d, *label)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map_or(fallback, |(_, label)| label)
    })
}

/// Multinomial naive Bayes on the words of the text, add-one smoothing.
fn bayes_words(train: &[&Sample], test: &[&Sample]) -> f64 {
    let fallback = majority(train);
    let mut docs: BTreeMap<usize, usize> = BTreeMap::new();
    let mut counts: BTreeMap<usize, BTreeMap<String, usize>> = BTreeMap::new();
    let mut vocab: BTreeMap<String, ()> = BTreeMap::new();
    for s in train {
        *docs.entry(s.label).or_default() += 1;
        let class = counts.entry(s.label).or_default();
        for w in words(s.text().unwrap_or("")) {
            *class.entry(w.clone()).or_default() += 1;
            vocab.insert(w, ());
        }
    }
    let total_docs: usize = docs.values().sum();
    let v = vocab.len() as f64;
    share_correct(test, |s| {
        let Some(text) = s.text() else {
            return fallback;
        };
        let ws = words(text);
        docs.iter()
            .map(|(label, n)| {
                let class = &counts[label];
                let total: usize = class.values().sum();
                let mut score = (*n as f64 / total_docs as f64).ln();
                for w in &ws {
                    let c = class.get(w).copied().unwrap_or(0) as f64;
                    score += ((c + 1.0) / (total as f64 + v)).ln();
                }
                (score, *label)
            })
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))
            .map_or(fallback, |(_, label)| label)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::IMAGE_BYTES;

    fn sample(shade: u8, text: &str, label: usize) -> Sample {
        Sample::image_text(Some(vec![shade; IMAGE_BYTES]), Some(text.into()), label)
    }

    #[test]
    fn the_nearest_image_gives_its_label() {
        let train = [sample(0, "", 0), sample(250, "", 1)];
        let test = [sample(20, "", 0), sample(200, "", 1), sample(240, "", 0)];
        let tr: Vec<&Sample> = train.iter().collect();
        let te: Vec<&Sample> = test.iter().collect();
        // the third is nearer the white one but labelled 0: 2 of 3 right
        assert!((nearest_pixels(&tr, &te) - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn sketches_are_compared_by_their_pixels_too() {
        use crate::data::{Input, Modality};
        let sketch = |shade: u8, label: usize| {
            Sample::new(label).with(Modality::Sketch, Input::Pixels(vec![shade; IMAGE_BYTES]))
        };
        let train = [sketch(0, 0), sketch(250, 1)];
        let test = [sketch(30, 0), sketch(220, 1)];
        let tr: Vec<&Sample> = train.iter().collect();
        let te: Vec<&Sample> = test.iter().collect();
        assert_eq!(nearest_pixels(&tr, &te), 1.0);
    }

    #[test]
    fn naive_bayes_reads_the_telling_words() {
        let train = [
            sample(0, "a red apple", 0),
            sample(0, "an apple, sweet", 0),
            sample(0, "a fast car", 1),
            sample(0, "my car, red", 1),
        ];
        let test = [
            sample(0, "apple", 0),
            sample(0, "car", 1),
            sample(0, "something fast", 1),
            sample(0, "sweet", 1),
        ];
        let tr: Vec<&Sample> = train.iter().collect();
        let te: Vec<&Sample> = test.iter().collect();
        assert!((bayes_words(&tr, &te) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn a_missing_modality_falls_back_to_the_majority() {
        let train = [sample(0, "x", 2), sample(0, "y", 2), sample(9, "z", 1)];
        let test = [
            Sample::image_text(None, None, 2),
            Sample::image_text(None, None, 1),
        ];
        let tr: Vec<&Sample> = train.iter().collect();
        let te: Vec<&Sample> = test.iter().collect();
        assert_eq!(nearest_pixels(&tr, &te), 0.5);
        assert_eq!(bayes_words(&tr, &te), 0.5);
        assert_eq!(nearest_pixels(&tr, &[]), 0.0);
    }

    #[test]
    fn the_bundled_stream_is_not_solved_by_either_baseline() {
        use crate::data::entity::{EntityOptions, entity_scenario};
        let s = entity_scenario(crate::data::pack::bundled(), 1, &EntityOptions::default());
        let b = Baselines::of(&s);
        assert_eq!(b.pixels_within.len(), s.tasks.len());
        for acc in [b.pixels_joint, b.words_joint] {
            assert!(acc > b.chance_joint && acc < 0.9, "{b:?}");
        }
    }
}
