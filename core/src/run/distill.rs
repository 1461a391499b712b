//! Distilling an image teacher into the image encoder while pretraining
//! (issue 21, step 2): Joint on the pool, plus a loss that asks the image
//! encoder's [CLS] features of a batch to be as similar to one another as
//! the teacher's features of the same images are (similarity-preserving
//! distillation: a row-wise KL between the two batches' softened cosine
//! similarities, so the student needs no projection head and may be of any
//! width). The teacher's features come from `tools/build_teacher.py`
//! (EfficientNet-Lite0 on ImageNet; build-time only): one row per pool item,
//! keyed by hexcode.

use burn::tensor::{Tensor, TensorData};

use super::pretrain::parse_vectors;
use crate::data::pack::Pack;
use crate::data::{Modality, Sample, Task};
use crate::strategy::losses::distillation;
use crate::strategy::{StepInput, Strategy, StrategyConfig, joint::Joint};

/// The teacher's features of the pool, relative to the repository root.
pub const TEACHER_FILE: &str = "data/pretrain/teacher-image-64.tsv";

/// Where the teacher's features lie in this source tree.
pub fn teacher_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(TEACHER_FILE)
}

/// How strongly and how softly the teacher is followed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DistillConfig {
    /// Factor of the distillation loss next to the cross-entropy.
    pub weight: f64,
    /// Temperature of both similarity distributions (cosines divided by it).
    pub temperature: f64,
}

impl Default for DistillConfig {
    fn default() -> Self {
        DistillConfig {
            weight: 1.0,
            temperature: 0.1,
        }
    }
}

/// The teacher's features of every item of `pool`, in the pack's order, from
/// the table `text` (`hexcode<TAB>v1 … vd`, as `parse_vectors` reads), each
/// row scaled to unit length. An item without a row, a row of zeros, or a
/// row for no item of the pool is an error naming it.
pub fn teacher_targets(text: &str, pool: &Pack) -> Result<Vec<Vec<f32>>, String> {
    let rows = parse_vectors(text)?;
    let by_hex: std::collections::HashMap<&str, &Vec<f32>> =
        rows.iter().map(|(h, v)| (h.as_str(), v)).collect();
    if let Some((h, _)) = rows
        .iter()
        .find(|(h, _)| !pool.items.iter().any(|it| &it.hexcode == h))
    {
        return Err(format!(
            "{h} is no item of the pool (features of another pool?)"
        ));
    }
    pool.items
        .iter()
        .map(|it| {
            let v = by_hex
                .get(it.hexcode.as_str())
                .ok_or_else(|| format!("no features for pool item {}", it.hexcode))?;
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm == 0.0 {
                return Err(format!("the features of {} are all zero", it.hexcode));
            }
            Ok(v.iter().map(|x| x / norm).collect())
        })
        .collect()
}

/// Joint training plus the teacher's similarity loss on the image encoder.
pub struct Distill {
    joint: Joint,
    /// One unit-length row per pool item.
    targets: Vec<Vec<f32>>,
    config: DistillConfig,
}

impl Distill {
    pub fn new(targets: Vec<Vec<f32>>, config: DistillConfig) -> Distill {
        Distill {
            joint: Joint,
            targets,
            config,
        }
    }
}

/// What a sample's similarity to itself becomes: far down, as it says
/// nothing about the others.
const SELF: f32 = -1e4;

/// Cosine similarities of unit rows, divided by `temperature`, with the
/// diagonal at [`SELF`].
fn similarity_logits(rows: &[&[f32]], temperature: f32) -> Vec<f32> {
    let b = rows.len();
    let mut out = diagonal(b);
    for i in 0..b {
        for j in (0..b).filter(|&j| j != i) {
            out[i * b + j] =
                rows[i].iter().zip(rows[j]).map(|(x, y)| x * y).sum::<f32>() / temperature;
        }
    }
    out
}

/// A `b`×`b` matrix, row-major, of [`SELF`] on the diagonal and 0 elsewhere.
fn diagonal(b: usize) -> Vec<f32> {
    let mut out = vec![0.0; b * b];
    for i in 0..b {
        out[i * b + i] = SELF;
    }
    out
}

impl Strategy for Distill {
    fn config(&self) -> StrategyConfig {
        self.joint.config()
    }

    fn training_set(&mut self, task: usize, tasks: &[Task]) -> Vec<Sample> {
        self.joint.training_set(task, tasks)
    }

    fn extra_loss(&mut self, step: &StepInput) -> Option<Tensor<1>> {
        let env = step.env;
        let pos = env
            .model
            .encoders
            .iter()
            .position(|e| e.modality == Modality::Image)?;
        let rows: Vec<usize> = (0..step.samples.len())
            .filter(|&r| step.samples[r].has(Modality::Image))
            .collect();
        let targets: Vec<&[f32]> = rows
            .iter()
            .map(|&r| step.samples[r].item.and_then(|i| self.targets.get(i)))
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .map(Vec::as_slice)
            .collect();
        let b = rows.len();
        if b < 2 {
            return None;
        }
        let t = self.config.temperature;
        let teacher = Tensor::<2>::from_data(
            TensorData::new(similarity_logits(&targets, t as f32), [b, b]),
            &env.autodiff,
        );
        let d = env.model.d_model;
        let index = Tensor::from_data(
            TensorData::new(rows.iter().map(|&r| r as i64).collect::<Vec<_>>(), [b]),
            &env.autodiff,
        );
        let f = step
            .out
            .features
            .clone()
            .narrow(1, pos * d, d)
            .select(0, index);
        let f = f.clone() / (f.powi_scalar(2).sum_dim(1) + 1e-12).sqrt();
        let mask = Tensor::<2>::from_data(TensorData::new(diagonal(b), [b, b]), &env.autodiff);
        let student = f.clone().matmul(f.transpose()) / t + mask;
        Some(distillation(student, teacher, 1.0) * self.config.weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::pool::pretrain_pool;

    #[test]
    fn the_committed_teacher_table_covers_the_pool_with_unit_rows() {
        let pool = pretrain_pool().unwrap();
        let text = std::fs::read_to_string(teacher_path()).unwrap();
        let t = teacher_targets(&text, &pool).unwrap();
        assert_eq!(t.len(), pool.len());
        for row in &t {
            assert_eq!(row.len(), 64);
            let n: f32 = row.iter().map(|x| x * x).sum();
            assert!((n - 1.0).abs() < 1e-4, "{n}");
        }
    }

    #[test]
    fn a_teacher_table_of_another_pool_is_refused_by_name() {
        let pool = pretrain_pool().unwrap();
        let first = &pool.items[0].hexcode;
        // an item of the bundled stream, never of the pool
        let stream = crate::data::pack::bundled();
        let foreign = &stream.items[0].hexcode;
        assert_eq!(
            teacher_targets(&format!("{foreign}\t0.5 0.5\n"), &pool).unwrap_err(),
            format!("{foreign} is no item of the pool (features of another pool?)")
        );
        let short = format!("{first}\t0.5 0.5\n");
        let e = teacher_targets(&short, &pool).unwrap_err();
        assert!(e.starts_with("no features for pool item"), "{e}");
        let zero = format!("{first}\t0 0\n");
        let mut rest: String = pool.items[1..]
            .iter()
            .map(|it| format!("{}\t1 0\n", it.hexcode))
            .collect();
        rest.insert_str(0, &zero);
        assert_eq!(
            teacher_targets(&rest, &pool).unwrap_err(),
            format!("the features of {first} are all zero")
        );
    }

    #[test]
    fn similarity_logits_mask_the_diagonal_and_scale_by_temperature() {
        let a = [1.0, 0.0];
        let b = [0.6, 0.8];
        let s = similarity_logits(&[&a, &b], 0.5);
        assert_eq!(s[0], -1e4);
        assert_eq!(s[3], -1e4);
        assert!((s[1] - 1.2).abs() < 1e-6 && (s[2] - 1.2).abs() < 1e-6);
    }
}
