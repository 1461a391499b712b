//! Loss terms shared by the strategies.

use burn::tensor::activation::{log_softmax, relu, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};

/// Each row's log-probability of its label, `[batch, 1]`.
fn label_log_probs(logits: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<2> {
    let [b, _] = logits.dims();
    log_softmax(logits, 1).gather(1, labels.reshape([b, 1]))
}

/// Mean cross-entropy of `logits` `[batch, classes]` against `labels`.
pub fn cross_entropy(logits: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
    label_log_probs(logits, labels).mean().neg()
}

/// Mean cross-entropy of `logits` `[batch, classes]` over the `count`
/// samples where `present` `[batch, 1]` is 1 (a head whose modality some
/// samples lack must not learn from their blank input).
pub fn masked_cross_entropy(
    logits: Tensor<2>,
    labels: Tensor<1, Int>,
    present: Tensor<2>,
    count: usize,
) -> Tensor<1> {
    (label_log_probs(logits, labels) * present).sum().neg() / count.max(1) as f64
}

/// Additive logit mask `[batch, classes]` for a separated softmax: a row whose
/// label is one of `current` may only score those classes (the others get a
/// large negative logit, so their softmax weight and gradient vanish); every
/// other row sees all classes.
pub fn separation_mask(
    labels: &[usize],
    current: &[usize],
    classes: usize,
    device: &Device,
) -> Tensor<2> {
    let mut mask = vec![0f32; labels.len() * classes];
    for (row, label) in mask.chunks_mut(classes).zip(labels) {
        if current.contains(label) {
            for (c, m) in row.iter_mut().enumerate() {
                if !current.contains(&c) {
                    *m = SEPARATED;
                }
            }
        }
    }
    Tensor::from_data(TensorData::new(mask, [labels.len(), classes]), device)
}

/// The logit a separated softmax gives an excluded class: e^−10⁴ is 0 in f32.
const SEPARATED: f32 = -1e4;

/// Softmax score of the true class, `[batch]` (MSPT Eq. 5).
pub fn true_class_score(logits: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
    let [b, _] = logits.dims();
    softmax(logits, 1)
        .gather(1, labels.reshape([b, 1]))
        .reshape([b])
}

/// Knowledge distillation (LwF, Li & Hoiem 2017): KL between the
/// temperature-softened old and new predictions over the old classes,
/// scaled by T² so its gradient does not shrink with T.
pub fn distillation(new_logits: Tensor<2>, old_logits: Tensor<2>, temperature: f64) -> Tensor<1> {
    let [b, _] = new_logits.dims();
    let p_old = softmax(old_logits / temperature, 1);
    let log_p_new = log_softmax(new_logits / temperature, 1);
    let log_p_old = p_old.clone().clamp_min(1e-8).log();
    (p_old * (log_p_old - log_p_new)).sum() / (b as f64) * (temperature * temperature)
}

/// MSPT's asymmetric attention distillation for one stream and one layer
/// (Eq. 12–13): sum each map over the query (height) axis, keep only the
/// attention the new map *lost* — ReLU(old − new) — and take its L2 norm,
/// averaged over the batch. Maps are `[batch, heads, queries, keys]`.
pub fn attention_distillation(old: Tensor<4>, new: Tensor<4>) -> Tensor<1> {
    let lost = lost_attention(old, new);
    // ε keeps the gradient of the norm finite where nothing was lost.
    (lost.powi_scalar(2).sum_dim(1) + 1e-12).sqrt().mean()
}

/// ReLU(old − new) of the maps summed over the query axis, `[batch, heads·keys]`:
/// the attention each key lost, per sample.
fn lost_attention(old: Tensor<4>, new: Tensor<4>) -> Tensor<2> {
    let [b, h, _, k] = new.dims();
    let old_w = old.sum_dim(2).reshape([b, h * k]);
    let new_w = new.sum_dim(2).reshape([b, h * k]);
    relu(old_w - new_w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps(values: Vec<f32>) -> Tensor<4> {
        // batch 1, 1 head, 2 queries, 2 keys
        Tensor::from_data(TensorData::new(values, [1, 1, 2, 2]), &Device::flex())
    }

    fn scalar(t: Tensor<1>) -> f32 {
        t.into_scalar()
    }

    #[test]
    fn a_masked_cross_entropy_is_the_mean_over_the_present_samples() {
        let d = Device::flex();
        let logits = Tensor::<2>::from_data(
            TensorData::new(vec![2.0f32, 0.0, 0.5, 1.5, -1.0, 3.0], [3, 2]),
            &d,
        );
        let labels = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1, 0], [3]), &d);
        let present = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 0.0, 1.0], [3, 1]), &d);
        let masked = scalar(masked_cross_entropy(
            logits.clone(),
            labels.clone(),
            present,
            2,
        ));
        // the same as the plain mean over rows 0 and 2
        let rows = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 2], [2]), &d);
        let subset = scalar(cross_entropy(
            logits.select(0, rows.clone()),
            labels.select(0, rows),
        ));
        assert!((masked - subset).abs() < 1e-6, "{masked} vs {subset}");
    }

    #[test]
    fn ad_is_zero_for_identical_maps() {
        let m = maps(vec![0.7, 0.3, 0.4, 0.6]);
        assert!(scalar(attention_distillation(m.clone(), m)) < 1e-5);
    }

    #[test]
    fn ad_is_zero_when_the_new_map_only_adds_mass() {
        let old = maps(vec![0.5, 0.0, 0.5, 0.0]);
        let new = maps(vec![0.6, 0.2, 0.5, 0.1]);
        assert!(scalar(attention_distillation(old, new)) < 1e-5);
    }

    #[test]
    fn ad_penalises_lost_mass_exactly() {
        // column sums: old [1.1, 0.9], new [0.5, 1.5]; lost = [0.6, 0] → norm 0.6
        let old = maps(vec![0.7, 0.3, 0.4, 0.6]);
        let new = maps(vec![0.2, 0.8, 0.3, 0.7]);
        let v = scalar(attention_distillation(old, new));
        assert!((v - 0.6).abs() < 1e-4, "{v}");
    }

    /// Gradient of `loss(old, new)` with respect to `new`, flattened; maps of
    /// one head, two queries and three keys.
    fn grad_wrt_new(
        old: Vec<f32>,
        new: Vec<f32>,
        loss: impl Fn(Tensor<4>, Tensor<4>) -> Tensor<1>,
    ) -> Vec<f32> {
        let ad = Device::flex().autodiff();
        let old = Tensor::<4>::from_data(TensorData::new(old, [1, 1, 2, 3]), &ad);
        let new = Tensor::<4>::from_data(TensorData::new(new, [1, 1, 2, 3]), &ad).require_grad();
        let grads = loss(old, new.clone()).backward();
        new.grad(&grads).unwrap().into_data().try_to_vec().unwrap()
    }

    #[test]
    fn ad_pushes_mass_back_where_it_was_lost() {
        // column sums: old [0.9, 0.7, 0.4], new [0.5, 0.5, 1.0]: lost [0.4, 0.2, 0]
        let old = vec![0.5, 0.3, 0.2, 0.4, 0.4, 0.2];
        let new = vec![0.2, 0.2, 0.6, 0.3, 0.3, 0.4];
        let g = grad_wrt_new(old.clone(), new.clone(), attention_distillation);
        // ∂‖lost‖/∂new = −lost/‖lost‖ = [−0.894, −0.447, 0] in every query row
        let norm = 0.2f32.hypot(0.4);
        for row in g.chunks(3) {
            for (x, want) in row.iter().zip([-0.4 / norm, -0.2 / norm, 0.0]) {
                assert!((x - want).abs() < 1e-4, "{g:?}");
            }
        }
        // MSPT's published code (AttentionReg.cal_loss in zjunlp/ContinueMKGC)
        // L2-normalises each row of ReLU(old − new) before taking the norm:
        // the term is then √(rows that lost anything), with no gradient at all.
        let published = |old: Tensor<4>, new: Tensor<4>| {
            let lost = lost_attention(old, new);
            let unit = lost.clone() / lost.powi_scalar(2).sum_dim(1).sqrt().clamp_min(1e-12);
            unit.powi_scalar(2).sum().sqrt()
        };
        let g = grad_wrt_new(old, new, published);
        assert!(g.iter().all(|x| x.abs() < 1e-6), "{g:?}");
    }

    #[test]
    fn cross_entropy_matches_hand_value() {
        let d = Device::flex();
        let logits =
            Tensor::<2>::from_data(TensorData::new(vec![0.0f32, 0.0, 2.0, 0.0], [2, 2]), &d);
        let labels = Tensor::<1, Int>::from_data(TensorData::new(vec![1i64, 0], [2]), &d);
        // −(ln ½ + ln(e²/(e²+1))) / 2
        let expected = (2f32.ln() + (1.0 + (-2f32).exp()).ln()) / 2.0;
        assert!((scalar(cross_entropy(logits, labels)) - expected).abs() < 1e-5);
    }

    #[test]
    fn separated_softmax_scores_new_samples_over_new_classes_only() {
        let d = Device::flex();
        // classes 0, 1 old; 2, 3 new. Row 0 is new (label 3), row 1 old (label 0).
        let logits = Tensor::<2>::from_data(
            TensorData::new(vec![5.0f32, 1.0, 0.0, 1.0, 0.0, 2.0, 1.0, 0.0], [2, 4]),
            &d,
        );
        let mask = separation_mask(&[3, 0], &[2, 3], 4, &d);
        let labels = Tensor::<1, Int>::from_data(TensorData::new(vec![3i64, 0], [2]), &d);
        let masked = logits.clone() + mask;
        // row 0 over classes {2, 3}: −ln(e¹/(e⁰+e¹)); row 1 over all four classes.
        let row0 = (1.0 + (-1f32).exp()).ln();
        let row1 = (1.0 + 2f32.exp() + 1f32.exp() + 1.0).ln();
        let v = scalar(cross_entropy(masked.clone(), labels.clone()));
        assert!((v - (row0 + row1) / 2.0).abs() < 1e-5, "{v}");
        // No gradient reaches the old classes' logits from the new sample.
        let ad = d.autodiff();
        let logits = Tensor::<2>::from_data(logits.into_data(), &ad).require_grad();
        let mask = separation_mask(&[3, 0], &[2, 3], 4, &ad);
        let labels = Tensor::from_data(labels.into_data(), &ad);
        let loss = cross_entropy(logits.clone() + mask, labels);
        let grads = loss.backward();
        let g: Vec<f32> = logits
            .grad(&grads)
            .unwrap()
            .into_data()
            .try_to_vec()
            .unwrap();
        assert_eq!(&g[..2], &[0.0, 0.0], "{g:?}");
        assert!(g[2] > 0.0 && g[3] < 0.0 && g[4] < 0.0, "{g:?}");
    }

    #[test]
    fn distillation_is_zero_for_equal_logits_and_positive_otherwise() {
        let d = Device::flex();
        let a = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 2.0, 0.5], [1, 3]), &d);
        let b = Tensor::<2>::from_data(TensorData::new(vec![2.0f32, 0.0, 0.5], [1, 3]), &d);
        assert!(scalar(distillation(a.clone(), a.clone(), 2.0)).abs() < 1e-5);
        assert!(scalar(distillation(a, b, 2.0)) > 0.01);
    }
}
