//! The rehearsal memory shared by Replay and MSPT (MM): a fixed number of
//! samples kept per task, chosen at random with the run's seed.

use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use crate::data::Sample;

#[derive(Debug, Clone, Default)]
pub struct Memory {
    pub per_task: usize,
    tasks: Vec<Vec<Sample>>,
}

impl Memory {
    pub fn new(per_task: usize) -> Self {
        Memory {
            per_task,
            tasks: Vec::new(),
        }
    }

    /// Keeps `per_task` samples of a finished task's training data.
    pub fn add_task(&mut self, train: &[Sample], rng: &mut ChaCha8Rng) {
        let kept: Vec<Sample> = train
            .choose_multiple(rng, self.per_task.min(train.len()))
            .cloned()
            .collect();
        self.tasks.push(kept);
    }

    pub fn len(&self) -> usize {
        self.tasks.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The budget this memory may hold: `per_task` × tasks seen.
    pub fn budget(&self) -> usize {
        self.per_task * self.tasks.len()
    }

    pub fn samples(&self) -> impl Iterator<Item = &Sample> {
        self.tasks.iter().flatten()
    }

    /// The current task's samples plus the memory, repeated so that it makes
    /// up about `share` of the result (rehearsal would otherwise drown in a
    /// few samples among hundreds).
    pub fn mix(&self, current: &[Sample], share: f64) -> Vec<Sample> {
        let mut out = current.to_vec();
        if self.is_empty() {
            return out;
        }
        let want = (current.len() as f64 * share / (1.0 - share)).round() as usize;
        let repeats = (want / self.len()).max(1);
        for _ in 0..repeats {
            out.extend(self.samples().cloned());
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::data::scenario::rng_for;

    /// `n` text-only samples of one label, for the strategies' tests.
    pub(crate) fn samples(n: usize, label: usize) -> Vec<Sample> {
        (0..n)
            .map(|i| Sample {
                image: None,
                text: Some(format!("s{i}")),
                label,
                entities: None,
            })
            .collect()
    }

    #[test]
    fn memory_never_exceeds_its_budget() {
        let mut rng = rng_for(0, "mem");
        for per_task in [0, 1, 6, 50] {
            let mut m = Memory::new(per_task);
            for (t, n) in [100, 3, 0, 40].into_iter().enumerate() {
                m.add_task(&samples(n, t), &mut rng);
                assert!(m.len() <= m.budget(), "{} > {}", m.len(), m.budget());
                assert!(m.len() <= per_task * (t + 1));
            }
        }
    }

    #[test]
    fn memory_keeps_per_task_samples_from_each_task() {
        let mut m = Memory::new(6);
        let mut rng = rng_for(0, "mem");
        m.add_task(&samples(100, 0), &mut rng);
        m.add_task(&samples(100, 1), &mut rng);
        assert_eq!(m.len(), 12);
        assert_eq!(m.samples().filter(|s| s.label == 1).count(), 6);
    }

    #[test]
    fn mix_gives_memory_about_its_share() {
        let mut m = Memory::new(5);
        let mut rng = rng_for(0, "mem");
        m.add_task(&samples(50, 0), &mut rng);
        let mixed = m.mix(&samples(200, 1), 0.2);
        let old = mixed.iter().filter(|s| s.label == 0).count();
        assert_eq!(old, 50);
        assert_eq!(Memory::new(5).mix(&samples(3, 1), 0.2).len(), 3);
    }
}
