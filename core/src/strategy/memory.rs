//! The rehearsal memory shared by Replay and MSPT (MM): a fixed number of
//! samples kept per task (or per class), chosen at random with the run's seed
//! or by herding (iCaRL, Rebuffi et al. 2017). It also remembers which
//! samples it kept, so a checkpoint stores indices, not images.

use std::collections::BTreeSet;

use rand::seq::index;
use rand_chacha::ChaCha8Rng;

use crate::data::{Sample, Task};

#[derive(Debug, Clone, Default)]
pub struct Memory {
    pub per_task: usize,
    /// Samples kept per class of a task instead of `per_task` (0: off).
    pub per_class: usize,
    /// Herding instead of random selection.
    pub herding: bool,
    /// Percentage of a task's training set kept instead (0: off); at least
    /// one sample.
    pub percent: f64,
    tasks: Vec<Vec<Sample>>,
    /// For each task, the indices of the kept samples in its training set.
    kept: Vec<Vec<usize>>,
    /// For each task, its [`Memory::allowance`].
    allowed: Vec<usize>,
}

impl Memory {
    pub fn new(per_task: usize) -> Self {
        Memory {
            per_task,
            ..Default::default()
        }
    }

    /// Keeps `per_class` samples of each class of a task instead.
    pub fn per_class(mut self, per_class: usize) -> Self {
        self.per_class = per_class;
        self
    }

    /// Keeps `percent` % of each task's training set instead (rounded up).
    pub fn percent(mut self, percent: f64) -> Self {
        self.percent = percent;
        self
    }

    /// Chooses by herding instead of at random.
    pub fn herding(mut self, herding: bool) -> Self {
        self.herding = herding;
        self
    }

    /// How many samples of a task's training set the memory keeps.
    pub fn allowance(&self, train: &[Sample]) -> usize {
        let want = if self.percent > 0.0 {
            (train.len() as f64 * self.percent / 100.0).ceil().max(1.0) as usize
        } else if self.per_class > 0 {
            let classes: BTreeSet<usize> = train.iter().map(|s| s.label).collect();
            self.per_class * classes.len()
        } else {
            self.per_task
        };
        want.min(train.len())
    }

    /// Keeps [`Memory::allowance`] samples of a finished task's training
    /// data. `features` (one row per training sample, from the model that
    /// learnt the task) are what herding chooses by; random selection
    /// ignores them.
    pub fn add_task(
        &mut self,
        train: &[Sample],
        features: Option<&[Vec<f32>]>,
        rng: &mut ChaCha8Rng,
    ) {
        let amount = self.allowance(train);
        self.allowed.push(amount);
        let kept = match features.filter(|_| self.herding) {
            Some(f) => {
                let labels: Vec<usize> = train.iter().map(|s| s.label).collect();
                herding(f, &labels, amount)
            }
            None => {
                assert!(!self.herding, "herding needs the samples' features");
                index::sample(rng, train.len(), amount).into_vec()
            }
        };
        self.tasks
            .push(kept.iter().map(|&i| train[i].clone()).collect());
        self.kept.push(kept);
    }

    /// A rehearsal phase ([`crate::strategy::Strategy::rehearsal`]) on
    /// the memory: keeps the finished task's samples ([`Memory::add_task`]),
    /// then gives every kept sample so far and `epochs`.
    pub fn rehearse(
        &mut self,
        train: &[Sample],
        features: Option<&[Vec<f32>]>,
        rng: &mut ChaCha8Rng,
        epochs: usize,
    ) -> (Vec<Sample>, usize) {
        self.add_task(train, features, rng);
        (self.samples().cloned().collect(), epochs)
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
        let mut allowed = Vec::with_capacity(kept.len());
        for (t, (ids, train)) in kept.iter().zip(trains).enumerate() {
            let allowance = self.allowance(train);
            if ids.len() > allowance {
                return Err(format!(
                    "task {} keeps more than {allowance} samples",
                    t + 1
                ));
            }
            allowed.push(allowance);
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
        self.allowed = allowed;
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.tasks.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The budget this memory may hold: the sum of the tasks' allowances
    /// (`per_task` each, or `per_class` × the task's classes).
    pub fn budget(&self) -> usize {
        self.allowed.iter().sum()
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

/// Herding: for each class, in label order, picks samples one at a time so
/// that the mean of the L2-normalised features picked so far stays as close
/// as possible to the class mean. `amount` is shared out over the classes as
/// evenly as their sizes allow. Returns indices into `features`.
pub fn herding(features: &[Vec<f32>], labels: &[usize], amount: usize) -> Vec<usize> {
    let members: Vec<Vec<usize>> = distinct(labels)
        .iter()
        .map(|c| (0..labels.len()).filter(|&i| labels[i] == *c).collect())
        .collect();
    let sizes: Vec<usize> = members.iter().map(Vec::len).collect();
    let mut kept = Vec::with_capacity(amount);
    for (m, quota) in members.iter().zip(share_out(amount, &sizes)) {
        let rows: Vec<Vec<f64>> = m.iter().map(|&i| normalised(&features[i])).collect();
        kept.extend(herd(&rows, quota).into_iter().map(|j| m[j]));
    }
    kept
}

/// The labels that occur, in ascending order.
fn distinct(labels: &[usize]) -> Vec<usize> {
    let mut classes = labels.to_vec();
    classes.sort_unstable();
    classes.dedup();
    classes
}

/// `amount` split over groups of the given sizes, one at a time in turn.
fn share_out(amount: usize, sizes: &[usize]) -> Vec<usize> {
    let mut quota = vec![0; sizes.len()];
    let mut left = amount.min(sizes.iter().sum());
    while left > 0 {
        for (q, &size) in quota.iter_mut().zip(sizes) {
            if left > 0 && *q < size {
                *q += 1;
                left -= 1;
            }
        }
    }
    quota
}

fn normalised(v: &[f32]) -> Vec<f64> {
    let norm = v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    v.iter().map(|x| f64::from(*x) / norm.max(1e-12)).collect()
}

/// Greedy herding over one class's rows; ties go to the lower index.
fn herd(rows: &[Vec<f64>], quota: usize) -> Vec<usize> {
    let Some(d) = rows.first().map(Vec::len) else {
        return Vec::new();
    };
    let n = rows.len() as f64;
    let mean: Vec<f64> = (0..d)
        .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect();
    let mut sum = vec![0.0; d];
    let mut taken = vec![false; rows.len()];
    let mut picked = Vec::with_capacity(quota);
    for k in 1..=quota.min(rows.len()) {
        let distance = |r: &Vec<f64>| {
            (0..d)
                .map(|j| (mean[j] - (sum[j] + r[j]) / k as f64).powi(2))
                .sum::<f64>()
        };
        let best = (0..rows.len())
            .filter(|&i| !taken[i])
            .min_by(|&a, &b| distance(&rows[a]).total_cmp(&distance(&rows[b])))
            .expect("fewer picks than rows");
        taken[best] = true;
        for (s, x) in sum.iter_mut().zip(&rows[best]) {
            *s += x;
        }
        picked.push(best);
    }
    picked
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::data::scenario::rng_for;

    /// `n` text-only samples of one label, for the strategies' tests.
    pub(crate) fn samples(n: usize, label: usize) -> Vec<Sample> {
        (0..n)
            .map(|i| Sample::image_text(None, Some(format!("s{i}")), label))
            .collect()
    }

    /// `n` samples spread over the labels `first..first + classes`.
    fn mixed(n: usize, first: usize, classes: usize) -> Vec<Sample> {
        (0..n)
            .flat_map(|i| samples(1, first + i % classes.max(1)))
            .collect()
    }

    /// Deterministic pseudo-features, one row per sample.
    fn features(n: usize) -> Vec<Vec<f32>> {
        (0..n)
            .map(|i| {
                (0..4)
                    .map(|j| ((i * 7 + j * 3) % 11) as f32 - 5.0)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_percentage_keeps_that_share_of_each_task_rounded_up() {
        let mut rng = rng_for(0, "mem");
        let mut m = Memory::new(6).per_class(2).percent(10.0);
        for n in [100, 95, 3, 0] {
            m.add_task(&mixed(n, 0, 4), None, &mut rng);
        }
        let kept: Vec<usize> = m.indices().iter().map(Vec::len).collect();
        assert_eq!(kept, [10, 10, 1, 0]);
        assert_eq!(m.budget(), 21);
    }

    #[test]
    fn memory_never_exceeds_its_budget() {
        let mut rng = rng_for(0, "mem");
        for herding in [false, true] {
            for (per_task, per_class) in [(0, 0), (1, 0), (6, 0), (50, 0), (6, 1), (6, 4)] {
                let mut m = Memory::new(per_task).per_class(per_class).herding(herding);
                let mut classes_seen = 0;
                for (t, n) in [100, 3, 0, 40].into_iter().enumerate() {
                    let train = mixed(n, classes_seen, 3);
                    classes_seen += n.min(3);
                    m.add_task(&train, Some(&features(n)), &mut rng);
                    assert!(m.len() <= m.budget(), "{} > {}", m.len(), m.budget());
                    if per_class > 0 {
                        assert!(m.len() <= per_class * classes_seen);
                    } else {
                        assert!(m.len() <= per_task * (t + 1));
                    }
                }
            }
        }
    }

    #[test]
    fn herding_follows_the_class_mean() {
        // normalised rows a (1,0), b (0,1), c (0.6,0.8), d (0,1): mean (0.4, 0.7).
        // c is nearest the mean; then b (ties with d, lower index first)
        // brings the running mean to (0.3, 0.9); then a.
        let f = vec![
            vec![1.0, 0.0],
            vec![0.0, 1.0],
            vec![0.6, 0.8],
            vec![0.0, 3.0],
        ];
        assert_eq!(herding(&f, &[0; 4], 3), vec![2, 1, 0]);
        assert_eq!(herding(&f, &[0; 4], 9).len(), 4);
        assert!(herding(&f, &[0; 4], 0).is_empty());
        // two classes share three picks as 2 + 1; class 1 keeps its central row
        let mut f2 = f.clone();
        f2.extend([vec![1.0, 0.0], vec![0.7, 0.7], vec![0.0, 1.0]]);
        let kept = herding(&f2, &[0, 0, 0, 0, 1, 1, 1], 3);
        assert_eq!(kept, vec![2, 1, 5]);
        // herding everything keeps every row once
        let mut all = herding(&features(50), &[7; 50], 50);
        all.sort_unstable();
        assert_eq!(all, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn quotas_are_shared_in_turn_within_class_sizes() {
        assert_eq!(share_out(5, &[1, 10, 10]), vec![1, 2, 2]);
        assert_eq!(share_out(100, &[2, 3]), vec![2, 3]);
        assert_eq!(share_out(3, &[]), Vec::<usize>::new());
    }

    #[test]
    fn per_class_memory_keeps_that_many_of_each_class() {
        let mut rng = rng_for(0, "mem");
        let train = mixed(60, 0, 3);
        for herding in [false, true] {
            let mut m = Memory::new(6).per_class(2).herding(herding);
            m.add_task(&train, Some(&features(60)), &mut rng);
            assert_eq!(m.len(), 6);
            if herding {
                for c in 0..3 {
                    assert_eq!(m.samples().filter(|s| s.label == c).count(), 2);
                }
            }
            let mut back = Memory::new(6).per_class(2).herding(herding);
            back.restore(m.indices(), &[&train]).unwrap();
            assert_eq!(back.len(), 6);
            assert!(
                Memory::new(6)
                    .per_class(1)
                    .restore(m.indices(), &[&train])
                    .is_err()
            );
        }
    }

    #[test]
    fn memory_keeps_per_task_samples_from_each_task() {
        let mut m = Memory::new(6);
        let mut rng = rng_for(0, "mem");
        m.add_task(&samples(100, 0), None, &mut rng);
        m.add_task(&samples(100, 1), None, &mut rng);
        assert_eq!(m.len(), 12);
        assert_eq!(m.samples().filter(|s| s.label == 1).count(), 6);
    }

    #[test]
    fn memory_restores_from_its_indices_and_rejects_bad_ones() {
        let mut rng = rng_for(0, "mem");
        let (a, b) = (samples(30, 0), samples(30, 1));
        let mut m = Memory::new(4);
        m.add_task(&a, None, &mut rng);
        m.add_task(&b, None, &mut rng);
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
        m.add_task(&samples(50, 0), None, &mut rng);
        let mixed = m.mix(&samples(200, 1), 0.2);
        let old = mixed.iter().filter(|s| s.label == 0).count();
        assert_eq!(old, 50);
        assert_eq!(Memory::new(5).mix(&samples(3, 1), 0.2).len(), 3);
    }
}
