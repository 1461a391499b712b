//! Task streams: which classes arrive when, with their train and test samples.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::sample::{Modality, Sample};

/// One task of the stream.
#[derive(Debug, Clone)]
pub struct Task {
    /// 1-based, as in the papers.
    pub index: usize,
    /// Global labels whose test samples make up this task's test set
    /// ("none" included where the scenario has it).
    pub classes: Vec<usize>,
    pub modalities: Vec<Modality>,
    pub train: Vec<Sample>,
    pub test: Vec<Sample>,
}

/// A stream of tasks over a global, growing label space.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    /// Names of all classes, indexed by global label, in order of arrival.
    pub class_names: Vec<String>,
    pub tasks: Vec<Task>,
    /// The label of the "none" class (relation scenarios), present in every task.
    pub none_class: Option<usize>,
}

impl Scenario {
    /// Number of classes the classifier must know after task `k` (1-based).
    pub fn classes_after(&self, k: usize) -> usize {
        self.tasks[..k]
            .iter()
            .flat_map(|t| t.classes.iter())
            .map(|&c| c + 1)
            .max()
            .unwrap_or(0)
    }

    /// Every modality some task brings, in [`Modality`] order.
    pub fn modalities(&self) -> Vec<Modality> {
        let mut out: Vec<Modality> = self
            .tasks
            .iter()
            .flat_map(|t| t.modalities.iter().copied())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Checks the invariants the runner relies on: labels arrive in order,
    /// every task has train and test samples and every label is named.
    pub fn validate(&self) -> Result<(), String> {
        if self.tasks.is_empty() {
            return Err(format!("scenario '{}' has no tasks", self.name));
        }
        for (i, t) in self.tasks.iter().enumerate() {
            if t.index != i + 1 {
                return Err(format!("task {} is numbered {}", i + 1, t.index));
            }
            if t.train.is_empty() || t.test.is_empty() {
                return Err(format!("task {} has no train or no test samples", t.index));
            }
            let known = self.classes_after(t.index);
            if known > self.class_names.len() {
                return Err(format!("task {} uses an unnamed class", t.index));
            }
            for s in t.train.iter().chain(&t.test) {
                if s.label >= known {
                    return Err(format!(
                        "task {} holds a sample of class {}",
                        t.index, s.label
                    ));
                }
            }
        }
        Ok(())
    }

    /// The stream of task `task` (1-based) alone, numbered 1: what an
    /// expert for that task trains and is tested on.
    pub fn only(&self, task: usize) -> Scenario {
        let mut t = self.tasks[task - 1].clone();
        t.index = 1;
        Scenario {
            name: self.name.clone(),
            class_names: self.class_names.clone(),
            tasks: vec![t],
            none_class: self.none_class,
        }
    }

    /// Whether the tasks bring different modalities (a modality-incremental
    /// stream, whose runs are measured against experts).
    pub fn brings_modalities(&self) -> bool {
        self.tasks
            .windows(2)
            .any(|w| w[0].modalities != w[1].modalities)
    }

    /// Summary for the run record.
    pub fn task_infos(&self) -> Vec<TaskInfo> {
        self.tasks
            .iter()
            .map(|t| TaskInfo {
                index: t.index,
                classes: t
                    .classes
                    .iter()
                    .map(|&c| self.class_names[c].clone())
                    .collect(),
                modalities: t.modalities.iter().map(|m| m.name().to_string()).collect(),
                train_size: t.train.len(),
                test_size: t.test.len(),
            })
            .collect()
    }
}

/// A task as the run record describes it (METRICS.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub index: usize,
    pub classes: Vec<String>,
    pub modalities: Vec<String>,
    pub train_size: usize,
    pub test_size: usize,
}

/// Deterministic generator for one named purpose of one seed, so that adding a
/// use of randomness in one place never shifts the draws of another.
pub fn rng_for(seed: u64, purpose: &str) -> ChaCha8Rng {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in purpose.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    ChaCha8Rng::seed_from_u64(seed ^ h)
}

/// Splits `items` into (train, test) with a seeded shuffle; at least one item
/// goes to each side when there are two or more.
pub fn split<T: Clone>(items: &[T], test_fraction: f64, rng: &mut ChaCha8Rng) -> (Vec<T>, Vec<T>) {
    let mut v = items.to_vec();
    v.shuffle(rng);
    let n = v.len();
    let mut n_test = ((n as f64) * test_fraction).round() as usize;
    if n >= 2 {
        n_test = n_test.clamp(1, n - 1);
    } else {
        n_test = 0;
    }
    let test = v.split_off(n - n_test);
    (v, test)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_seeded_and_disjoint() {
        let items: Vec<u32> = (0..20).collect();
        let (a, b) = split(&items, 0.3, &mut rng_for(1, "x"));
        let (a2, b2) = split(&items, 0.3, &mut rng_for(1, "x"));
        assert_eq!((a.clone(), b.clone()), (a2, b2));
        assert_eq!(b.len(), 6);
        assert!(a.iter().all(|x| !b.contains(x)));
        let (_, b3) = split(&items, 0.3, &mut rng_for(2, "x"));
        assert_ne!(b, b3);
    }

    #[test]
    fn split_keeps_one_on_each_side() {
        let (a, b) = split(&[1, 2], 0.01, &mut rng_for(0, "y"));
        assert_eq!((a.len(), b.len()), (1, 1));
        let (a, b) = split(&[1], 0.5, &mut rng_for(0, "y"));
        assert_eq!((a.len(), b.len()), (1, 0));
    }
}
