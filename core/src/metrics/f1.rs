//! Scores from predicted and gold class indices (single-label).
//!
//! MSPT's A_k and U_k (METRICS.md, MSPT Definitions 3–4) are micro-F1 scores;
//! for relation extraction the "none" class is excluded, as in standard RE
//! evaluation ([`micro_f1_excluding`]).
//!
//! All functions pair `pred[i]` with `truth[i]`; the slices should have equal
//! length (checked in debug builds, otherwise only the common prefix is
//! scored). Empty input, or nothing to score, gives `0.0`, never NaN.

fn pairs<'a>(pred: &'a [usize], truth: &'a [usize]) -> impl Iterator<Item = (usize, usize)> + 'a {
    debug_assert_eq!(pred.len(), truth.len(), "pred and truth lengths differ");
    pred.iter().copied().zip(truth.iter().copied())
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// Fraction of positions where `pred[i] == truth[i]`.
pub fn accuracy(pred: &[usize], truth: &[usize]) -> f64 {
    let (mut correct, mut n) = (0, 0);
    for (p, t) in pairs(pred, truth) {
        n += 1;
        correct += usize::from(p == t);
    }
    ratio(correct, n)
}

/// Micro-F1 over all classes. For single-label multi-class data every error
/// is one false positive and one false negative, so this equals [`accuracy`].
pub fn micro_f1(pred: &[usize], truth: &[usize]) -> f64 {
    micro_f1_excluding(pred, truth, None)
}

/// Micro-F1 ignoring the `none_class` (standard relation-extraction scoring):
/// precision = TP / #(pred ≠ none), recall = TP / #(gold ≠ none), where a TP is
/// `pred == gold ≠ none`; F1 = 2PR/(P+R) = 2·TP / (#pred + #gold).
/// With `none_class = None` this equals [`accuracy`]. If neither predictions
/// nor gold have a non-none label the result is `0.0`.
pub fn micro_f1_excluding(pred: &[usize], truth: &[usize], none_class: Option<usize>) -> f64 {
    let (mut tp, mut n_pred, mut n_gold) = (0, 0, 0);
    for (p, t) in pairs(pred, truth) {
        let p_pos = Some(p) != none_class;
        let t_pos = Some(t) != none_class;
        n_pred += usize::from(p_pos);
        n_gold += usize::from(t_pos);
        tp += usize::from(p_pos && p == t);
    }
    ratio(2 * tp, n_pred + n_gold)
}

/// Mean per-class F1 = 2·TP / (2·TP + FP + FN) over the distinct `classes`.
/// A class with no gold and no predicted instance is skipped (not counted as
/// 0); if every class is skipped the result is `0.0`.
pub fn macro_f1(pred: &[usize], truth: &[usize], classes: &[usize]) -> f64 {
    let mut classes = classes.to_vec();
    classes.sort_unstable();
    classes.dedup();
    let scores: Vec<f64> = classes
        .iter()
        .filter_map(|&c| {
            let (mut tp, mut fp, mut fneg) = (0, 0, 0);
            for (p, t) in pairs(pred, truth) {
                match (p == c, t == c) {
                    (true, true) => tp += 1,
                    (true, false) => fp += 1,
                    (false, true) => fneg += 1,
                    (false, false) => {}
                }
            }
            (tp + fp + fneg > 0).then(|| ratio(2 * tp, 2 * tp + fp + fneg))
        })
        .collect();
    super::mean(&scores).unwrap_or(0.0)
}

/// The confusion matrix of `classes` classes: `m[t][p]` counts the positions
/// whose truth is `t` and prediction `p`. A class index at or past
/// `classes` is left out.
pub fn confusion(pred: &[usize], truth: &[usize], classes: usize) -> Vec<Vec<usize>> {
    let mut m = vec![vec![0; classes]; classes];
    for (p, t) in pairs(pred, truth) {
        if p < classes && t < classes {
            m[t][p] += 1;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    // Positions:    0  1  2  3  4
    const PRED: [usize; 5] = [0, 1, 2, 2, 0];
    const GOLD: [usize; 5] = [0, 1, 1, 2, 2];

    #[test]
    fn accuracy_and_micro_f1_by_hand() {
        // Correct at positions 0, 1, 3 → 3/5.
        assert!(close(accuracy(&PRED, &GOLD), 0.6));
        assert!(close(micro_f1(&PRED, &GOLD), 0.6));
    }

    #[test]
    fn macro_f1_by_hand() {
        // class 0: TP=1 (pos 0), FP=1 (pos 4), FN=0 → 2/(2+1)   = 2/3
        // class 1: TP=1 (pos 1), FP=0, FN=1 (pos 2) → 2/(2+1)   = 2/3
        // class 2: TP=1 (pos 3), FP=1 (pos 2), FN=1 (pos 4) → 2/4 = 1/2
        // mean = (2/3 + 2/3 + 1/2) / 3 = (11/6) / 3 = 11/18
        assert!(close(macro_f1(&PRED, &GOLD, &[0, 1, 2]), 11.0 / 18.0));
        // Class 7 has no gold and no prediction: skipped. Duplicates ignored.
        assert!(close(macro_f1(&PRED, &GOLD, &[2, 0, 1, 7, 1]), 11.0 / 18.0));
        // Only class 2 → 1/2.
        assert!(close(macro_f1(&PRED, &GOLD, &[2]), 0.5));
        // A listed class that is gold but never predicted scores 0:
        // class 1 on pred=[0,0], gold=[1,0]: TP=0, FN=1 → 0; class 0: TP=1, FP=1 → 2/3.
        assert!(close(
            macro_f1(&[0, 0], &[1, 0], &[0, 1]),
            (0.0 + 2.0 / 3.0) / 2.0
        ));
    }

    #[test]
    fn micro_f1_excluding_none_by_hand() {
        // none = 0.   pos: 0  1  2  3  4  5
        let pred = [0, 1, 2, 0, 1, 0];
        let gold = [0, 1, 1, 2, 0, 0];
        // pred ≠ none at 1, 2, 4 → 3;  gold ≠ none at 1, 2, 3 → 3;
        // TP (pred == gold ≠ none) at 1 → 1.
        // P = 1/3, R = 1/3, F1 = 2·1 / (3 + 3) = 1/3.
        assert!(close(micro_f1_excluding(&pred, &gold, Some(0)), 1.0 / 3.0));
        // Without a none class it is accuracy: correct at 0, 1, 5 → 3/6.
        assert!(close(micro_f1_excluding(&pred, &gold, None), 0.5));
        assert!(close(accuracy(&pred, &gold), 0.5));
        // Only "none" everywhere: nothing to score → 0, not NaN.
        assert_eq!(micro_f1_excluding(&[0, 0], &[0, 0], Some(0)), 0.0);
    }

    #[test]
    fn empty_inputs_give_zero() {
        assert_eq!(accuracy(&[], &[]), 0.0);
        assert_eq!(micro_f1(&[], &[]), 0.0);
        assert_eq!(micro_f1_excluding(&[], &[], Some(0)), 0.0);
        assert_eq!(macro_f1(&[], &[], &[0, 1]), 0.0);
        assert_eq!(macro_f1(&PRED, &GOLD, &[]), 0.0);
    }

    #[test]
    fn perfect_predictions_score_one() {
        assert_eq!(accuracy(&GOLD, &GOLD), 1.0);
        assert_eq!(micro_f1_excluding(&GOLD, &GOLD, Some(0)), 1.0);
        assert_eq!(macro_f1(&GOLD, &GOLD, &[0, 1, 2]), 1.0);
    }

    #[test]
    fn confusion_counts_truth_by_row_and_prediction_by_column() {
        let truth = [0, 0, 1, 1, 1, 2, 2];
        let pred = [0, 1, 1, 1, 0, 2, 5];
        // class 2's second sample was predicted as a class the matrix lacks
        assert_eq!(
            confusion(&pred, &truth, 3),
            vec![vec![1, 1, 0], vec![1, 2, 0], vec![0, 0, 1]]
        );
        assert_eq!(confusion(&[], &[], 2), vec![vec![0, 0], vec![0, 0]]);
        assert!(confusion(&[0], &[0], 0).is_empty());
    }
}
