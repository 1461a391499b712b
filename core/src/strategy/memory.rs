//! The rehearsal memory shared by Replay and MSPT (MM): a fixed number of
//! samples kept per task, chosen at random with the run's seed. It also
//! remembers which samples it kept, so a checkpoint stores indices, not images.

use rand::seq::index;
use rand_chacha::ChaCha8Rng;

use crate::data::{Sample, Task};

#[derive(Debug, Clone, Default)]
pub struct Memory {
    pub per_task: usize,
    tasks: Vec<Vec<Sample>>,
    /// For each task, the indices of the kept samples in its training set.
    kept: Vec<Vec<usize>>,
}

impl Memory {
    pub fn new(per_task: usize) -> Self {
        Memory {
            per_task,
            tasks: Vec::new(),
            kept: Vec::new(),
        }
    }

    /// Keeps `per_task` samples of a finished task's training data.
    pub fn add_task(&mut self, train: &[Sample], rng: &mut ChaCha8Rng) {
        let amount = self.per_task.min(train.len());
        let kept = index::sample(rng, train.len(), amount).into_vec();
        self.tasks
            .push(kept.iter().map(|&i| train[i].clone()).collect());
        self.kept.push(kept);
    }

    /// Which samples of each task's training set are kept (for a checkpoint).
    pub fn indices(&self) -> Vec<Vec<usize>> {
        self.kept.clone()
    }

    /// Rebuilds the memory of a checkpoint (its [`Memory::indices`]) over the
    /// tasks trained so far.
    pub fn restore_over(
        &mut self,
        kept: Option<Vec<Vec<usize>>>,
        tasks: &[Task],
    ) -> Result<(), String> {
        let kept = kept.ok_or("the checkpoint has no rehearsal memory")?;
        let trains: Vec<&[Sample]> = tasks.iter().map(|t| t.train.as_slice()).collect();
        self.restore(kept, &trains)
    }

    /// Rebuilds the memory from [`Memory::indices`]; `trains[i]` is the
    /// training set the i-th entry was chosen from.
    pub fn restore(&mut self, kept: Vec<Vec<usize>>, trains: &[&[Sample]]) -> Result<(), String> {
        if kept.len() > trains.len() {
            return Err(format!(
                "the memory holds {} tasks but the stream has {}",
                kept.len(),
                trains.len()
            ));
        }
        let mut tasks = Vec::with_capacity(kept.len());
        for (t, (ids, train)) in kept.iter().zip(trains).enumerate() {
            if ids.len() > self.per_task {
                return Err(format!(
                    "task {} keeps more than {} samples",
                    t + 1,
                    self.per_task
                ));
            }
            let samples = ids
                .iter()
                .map(|&i| {
                    train
                        .get(i)
                        .cloned()
                        .ok_or_else(|| format!("task {} has no training sample {i}", t + 1))
                })
                .collect::<Result<Vec<_>, _>>()?;
            tasks.push(samples);
        }
        self.tasks = tasks;
        self.kept = kept;
        Ok(())
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
    fn memory_restores_from_its_indices_and_rejects_bad_ones() {
        let mut rng = rng_for(0, "mem");
        let (a, b) = (samples(30, 0), samples(30, 1));
        let mut m = Memory::new(4);
        m.add_task(&a, &mut rng);
        m.add_task(&b, &mut rng);
        let mut back = Memory::new(4);
        back.restore(m.indices(), &[&a, &b]).unwrap();
        assert_eq!(
            back.samples().collect::<Vec<_>>(),
            m.samples().collect::<Vec<_>>()
        );
        assert!(Memory::new(4).restore(vec![vec![30]], &[&a]).is_err());
        assert!(Memory::new(4).restore(vec![vec![0]; 2], &[&a]).is_err());
        assert!(Memory::new(1).restore(vec![vec![0, 1]], &[&a]).is_err());
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
