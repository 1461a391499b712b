//! GEM-style summary metrics of a score matrix (METRICS.md table):
//! ACC_k, BWT, FWT (Lopez-Paz & Ranzato 2017) and forgetting F
//! (Chaudhry et al. 2018).

use serde::{Deserialize, Serialize};

use super::{MetricsError, mean, validate_matrix};

/// Summary metrics of a T×T score matrix, as stored under `metrics` in the run
/// record. `None` serialises as JSON `null` (T = 1, or FWT without
/// `random_init`); values are never NaN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GemMetrics {
    /// ACC_k = (1/k) Σ_{j≤k} R[k][j], for k = 1..T.
    pub acc: Vec<f64>,
    /// BWT = 1/(T−1) Σ_{j=1}^{T−1} (R[T][j] − R[j][j]); `None` when T = 1.
    pub bwt: Option<f64>,
    /// FWT = 1/(T−1) Σ_{j=2}^{T} (R[j−1][j] − b[j]); `None` when T = 1 or
    /// without `random_init` (b).
    pub fwt: Option<f64>,
    /// F = 1/(T−1) Σ_{j=1}^{T−1} max_{l∈1..T−1} (R[l][j] − R[T][j]);
    /// `None` when T = 1. Negative when every old task improved.
    pub forgetting: Option<f64>,
}

/// Computes [`GemMetrics`] from `matrix` (R, validated with
/// [`validate_matrix`]) and the optional pre-training scores `random_init`
/// (b, which must have T values in `[0, 1]`).
pub fn gem_metrics(
    matrix: &[Vec<f64>],
    random_init: Option<&[f64]>,
) -> Result<GemMetrics, MetricsError> {
    validate_matrix(matrix)?;
    let t = matrix.len();
    if let Some(b) = random_init {
        if b.len() != t {
            return Err(MetricsError::RandomInitLength {
                len: b.len(),
                expected: t,
            });
        }
        if let Some((index, &value)) = b
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && (0.0..=1.0).contains(*v)))
        {
            return Err(MetricsError::RandomInitValue { index, value });
        }
    }

    let acc = matrix
        .iter()
        .enumerate()
        .map(|(k, row)| row[..=k].iter().sum::<f64>() / (k + 1) as f64)
        .collect();
    if t == 1 {
        return Ok(GemMetrics {
            acc,
            bwt: None,
            fwt: None,
            forgetting: None,
        });
    }

    // 0-based: last = T−1, old tasks j = 0..T−2, earlier rows l = 0..T−2.
    let last = &matrix[t - 1];
    let bwt: Vec<f64> = (0..t - 1).map(|j| last[j] - matrix[j][j]).collect();
    let fwt = random_init.map(|b| {
        let terms: Vec<f64> = (1..t).map(|j| matrix[j - 1][j] - b[j]).collect();
        mean(&terms).unwrap_or(0.0)
    });
    let forgetting: Vec<f64> = (0..t - 1)
        .map(|j| {
            (0..t - 1)
                .map(|l| matrix[l][j] - last[j])
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    Ok(GemMetrics {
        acc,
        bwt: mean(&bwt),
        fwt,
        forgetting: mean(&forgetting),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// R (row i = after task i, column j = task j), b = random init.
    fn r3() -> Vec<Vec<f64>> {
        vec![
            vec![0.8, 0.1, 0.2],
            vec![0.6, 0.9, 0.3],
            vec![0.5, 0.7, 0.85],
        ]
    }
    const B3: [f64; 3] = [0.1, 0.15, 0.1];

    #[test]
    fn three_tasks_by_hand() {
        let m = gem_metrics(&r3(), Some(&B3)).unwrap();
        // ACC_1 = 0.8
        // ACC_2 = (0.6 + 0.9) / 2 = 0.75
        // ACC_3 = (0.5 + 0.7 + 0.85) / 3 = 2.05 / 3 = 0.68333…
        assert_eq!(m.acc.len(), 3);
        assert!(close(m.acc[0], 0.8));
        assert!(close(m.acc[1], 0.75));
        assert!(close(m.acc[2], 2.05 / 3.0));
        // BWT = ((R31 − R11) + (R32 − R22)) / 2 = ((0.5 − 0.8) + (0.7 − 0.9)) / 2
        //     = (−0.3 − 0.2) / 2 = −0.25
        assert!(close(m.bwt.unwrap(), -0.25));
        // FWT = ((R12 − b2) + (R23 − b3)) / 2 = ((0.1 − 0.15) + (0.3 − 0.1)) / 2
        //     = (−0.05 + 0.2) / 2 = 0.075
        assert!(close(m.fwt.unwrap(), 0.075));
        // F: j=1: max(R11 − R31, R21 − R31) = max(0.3, 0.1) = 0.3
        //    j=2: max(R12 − R32, R22 − R32) = max(−0.6, 0.2) = 0.2
        //    F = (0.3 + 0.2) / 2 = 0.25
        assert!(close(m.forgetting.unwrap(), 0.25));
    }

    #[test]
    fn fwt_is_none_without_random_init() {
        let m = gem_metrics(&r3(), None).unwrap();
        assert_eq!(m.fwt, None);
        assert!(close(m.bwt.unwrap(), -0.25));
    }

    #[test]
    fn improvement_gives_positive_bwt_and_negative_forgetting() {
        // BWT = R21 − R11 = 0.7 − 0.5 = 0.2; F = max(R11 − R21) = −0.2
        // FWT = R12 − b2 = 0.2 − 0.2 = 0
        let m = gem_metrics(&[vec![0.5, 0.2], vec![0.7, 0.9]], Some(&[0.3, 0.2])).unwrap();
        assert!(close(m.bwt.unwrap(), 0.2));
        assert!(close(m.forgetting.unwrap(), -0.2));
        assert!(close(m.fwt.unwrap(), 0.0));
        // ACC = [0.5, (0.7 + 0.9) / 2 = 0.8]
        assert!(close(m.acc[1], 0.8));
    }

    #[test]
    fn single_task_gives_nulls() {
        let m = gem_metrics(&[vec![0.5]], Some(&[0.1])).unwrap();
        assert_eq!(m.acc, vec![0.5]);
        assert_eq!((m.bwt, m.fwt, m.forgetting), (None, None, None));
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"acc":[0.5],"bwt":null,"fwt":null,"forgetting":null}"#
        );
    }

    #[test]
    fn serde_round_trip() {
        let m = gem_metrics(&r3(), Some(&B3)).unwrap();
        let back: GemMetrics = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert_eq!(gem_metrics(&[], None), Err(MetricsError::Empty));
        let err = gem_metrics(&[vec![0.5, 0.2]], None).unwrap_err();
        assert_eq!(err.to_string(), "row 0 has 2 values, expected 1");
        let err = gem_metrics(&r3(), Some(&[0.1, 0.2])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "random_init has length 2, expected 3 (one value per task)"
        );
        assert!(!err.is_matrix_error());
        let err = gem_metrics(&r3(), Some(&[0.1, 1.5, 0.2])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "random_init value 1.5 at [1] is outside [0, 1]"
        );
        let err = gem_metrics(&r3(), Some(&[f64::NAN, 0.5, 0.2])).unwrap_err();
        assert!(matches!(
            err,
            MetricsError::RandomInitValue { index: 0, .. }
        ));
    }
}
