//! MERA's modality gains (METRICS.md): RG_m, BwRG and FwRG.

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

    #[test]
    fn backward_relative_gain_by_hand() {
        // (50 + 120 + 85) / 3 = 255 / 3 = 85
        assert!((backward_relative_gain(&[50.0, 120.0, 85.0]).unwrap() - 85.0).abs() < 1e-12);
        assert_eq!(backward_relative_gain(&[]), None);
    }
}
