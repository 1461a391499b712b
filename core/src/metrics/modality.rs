//! MERA's modality gains (METRICS.md): RG_m, BwRG and FwRG.

use serde::{Deserialize, Serialize};

/// An expert: a model trained on one task of the stream alone (same model,
/// seed, epochs and data), and its accuracy on that task's test set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expert {
    /// The modalities the task brings.
    pub modalities: Vec<String>,
    pub accuracy: f64,
}

/// A run's gains against its experts (the run record's `modality_gains`),
/// all in %. Tasks are rows and columns as in the accuracy matrix R.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModalityGains {
    /// One per task of the stream.
    pub experts: Vec<Expert>,
    /// `rg[k][j]` = RG of task j after task k (j ≤ k, 0-based) =
    /// 100 · R[k][j] / expert_j; `null` where the expert scored 0.
    pub rg: Vec<Vec<Option<f64>>>,
    /// FwRG after each task: the RG of the task just learnt, `rg[k][k]`.
    pub fwrg: Vec<Option<f64>>,
    /// BwRG after each task: the mean RG of the tasks before it (`null`
    /// after the first, or where an expert scored 0).
    pub bwrg: Vec<Option<f64>>,
    /// Forgetting (as METRICS.md's F, in points of accuracy) split as MoDE
    /// does, after the last task evaluated: the mean over earlier tasks that
    /// a later task shares a modality with (intra-modal), and over those
    /// whose modalities no later task brings (inter-modal); `null` where no
    /// task is of that kind.
    #[serde(default)]
    pub intra_forgetting: Option<f64>,
    #[serde(default)]
    pub inter_forgetting: Option<f64>,
}

/// The gains of accuracy matrix `acc` (a row per evaluated task, a value
/// per task of the stream) against one expert per task. `None` if the
/// sizes do not fit.
pub fn modality_gains(acc: &[Vec<f64>], experts: Vec<Expert>) -> Option<ModalityGains> {
    let t = experts.len();
    if acc.len() > t || acc.iter().any(|row| row.len() != t) {
        return None;
    }
    let rg: Vec<Vec<Option<f64>>> = acc
        .iter()
        .enumerate()
        .map(|(k, row)| {
            (0..=k)
                .map(|j| relative_gain(row[j], experts[j].accuracy))
                .collect()
        })
        .collect();
    let fwrg = rg.iter().enumerate().map(|(k, row)| row[k]).collect();
    let bwrg = rg
        .iter()
        .enumerate()
        .map(|(k, row)| {
            let before: Option<Vec<f64>> = row[..k].iter().copied().collect();
            before.and_then(|b| backward_relative_gain(&b))
        })
        .collect();
    let (intra_forgetting, inter_forgetting) = split_forgetting(acc, &experts);
    Some(ModalityGains {
        experts,
        rg,
        fwrg,
        bwrg,
        intra_forgetting,
        inter_forgetting,
    })
}

/// Intra- and inter-modal forgetting after the last row of `acc`: for each
/// earlier task j, 100 · (max over the rows before the last of R[l][j] −
/// R[last][j]), as F does, averaged over the tasks that a later task shares a modality
/// with, and over the others.
fn split_forgetting(acc: &[Vec<f64>], experts: &[Expert]) -> (Option<f64>, Option<f64>) {
    let Some(last) = acc.len().checked_sub(1) else {
        return (None, None);
    };
    let (mut intra, mut inter) = (Vec::new(), Vec::new());
    for j in 0..last {
        let best = acc[..last]
            .iter()
            .map(|row| row[j])
            .fold(f64::NEG_INFINITY, f64::max);
        let f = 100.0 * (best - acc[last][j]);
        let shared = experts[j + 1..=last].iter().any(|later| {
            later
                .modalities
                .iter()
                .any(|m| experts[j].modalities.contains(m))
        });
        if shared { &mut intra } else { &mut inter }.push(f);
    }
    (super::mean(&intra), super::mean(&inter))
}

/// RG_m = 100 · score / expert, where `expert` is the score of a model trained
/// on modality m alone. `None` if `expert ≤ 0` or either value is not finite.
///
/// FwRG (the newest modality right after it is learnt) is this function
/// applied to that modality's score.
pub fn relative_gain(score: f64, expert: f64) -> Option<f64> {
    (score.is_finite() && expert.is_finite() && expert > 0.0).then(|| 100.0 * score / expert)
}

/// BwRG = mean of the RG_m after the last task over the modalities learnt
/// before it. `None` if `rgs` is empty.
pub fn backward_relative_gain(rgs: &[f64]) -> Option<f64> {
    super::mean(rgs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_gain_by_hand() {
        // 100 · 0.45 / 0.9 = 50
        assert!((relative_gain(0.45, 0.9).unwrap() - 50.0).abs() < 1e-12);
        // Beating the expert gives > 100: 100 · 0.6 / 0.5 = 120
        assert!((relative_gain(0.6, 0.5).unwrap() - 120.0).abs() < 1e-12);
        assert_eq!(relative_gain(0.5, 0.0), None);
        assert_eq!(relative_gain(0.5, -0.1), None);
        assert_eq!(relative_gain(f64::NAN, 0.5), None);
    }

    fn expert(m: &str, accuracy: f64) -> Expert {
        Expert {
            modalities: vec![m.into()],
            accuracy,
        }
    }

    #[test]
    fn gains_of_a_three_task_matrix_by_hand() {
        let acc = vec![
            vec![0.8, 0.1, 0.0],
            vec![0.4, 0.5, 0.2],
            vec![0.6, 0.25, 0.3],
        ];
        let experts = vec![
            expert("image", 0.8),
            expert("sketch", 0.5),
            expert("speech", 0.0),
        ];
        let g = modality_gains(&acc, experts).unwrap();
        let near = |got: &[Option<f64>], want: &[Option<f64>]| {
            assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
            for (g, w) in got.iter().zip(want) {
                match (g, w) {
                    (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{got:?} vs {want:?}"),
                    _ => assert_eq!(g, w, "{got:?} vs {want:?}"),
                }
            }
        };
        // row 2: 100·0.4/0.8 = 50, 100·0.5/0.5 = 100
        near(&g.rg[1], &[Some(50.0), Some(100.0)]);
        // after task 3: 75, 50, and no gain against an expert that scored 0
        near(&g.rg[2], &[Some(75.0), Some(50.0), None]);
        near(&g.fwrg, &[Some(100.0), Some(100.0), None]);
        // BwRG: none after task 1; 50 after task 2; (75 + 50) / 2 after task 3
        near(&g.bwrg, &[None, Some(50.0), Some(62.5)]);
        // a run stopped after task 2 has two rows
        let stopped = modality_gains(&acc[..2], g.experts.clone()).unwrap();
        near(&stopped.bwrg, &[None, Some(50.0)]);
        // every task brings a modality of its own: all forgetting is
        // inter-modal, (0.8 − 0.6) and (0.5 − 0.25) → mean 22.5 points
        assert_eq!(g.intra_forgetting, None);
        assert!((g.inter_forgetting.unwrap() - 22.5).abs() < 1e-9);
        // sizes that do not fit
        assert!(modality_gains(&acc, g.experts[..2].to_vec()).is_none());
        let json = serde_json::to_value(&g).unwrap();
        assert!(json["bwrg"][0].is_null());
        assert_eq!(serde_json::from_value::<ModalityGains>(json).unwrap(), g);
    }

    #[test]
    fn forgetting_is_intra_modal_where_a_later_task_shares_the_modality() {
        // image, sketch, image: task 1 is forgotten by task 3's images too
        // (intra), task 2's sketches by images only (inter)
        let acc = vec![
            vec![0.7, 0.1, 0.2],
            vec![0.6, 0.5, 0.2],
            vec![0.4, 0.45, 0.8],
        ];
        let experts = vec![
            expert("image", 0.7),
            expert("sketch", 0.5),
            expert("image", 0.8),
        ];
        let g = modality_gains(&acc, experts).unwrap();
        // intra: max(0.7, 0.6) − 0.4 = 0.3; inter: 0.5 − 0.45 = 0.05
        assert!((g.intra_forgetting.unwrap() - 30.0).abs() < 1e-9);
        assert!((g.inter_forgetting.unwrap() - 5.0).abs() < 1e-9);
        // after one task nothing is forgotten yet
        let one = modality_gains(&acc[..1], g.experts.clone()).unwrap();
        assert_eq!((one.intra_forgetting, one.inter_forgetting), (None, None));
    }

    #[test]
    fn backward_relative_gain_by_hand() {
        // (50 + 120 + 85) / 3 = 255 / 3 = 85
        assert!((backward_relative_gain(&[50.0, 120.0, 85.0]).unwrap() - 85.0).abs() < 1e-12);
        assert_eq!(backward_relative_gain(&[]), None);
    }
}
