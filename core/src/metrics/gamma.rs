//! MSPT gradient modulation (MSPT §4.2 "Balanced Multimodal Learning
//! Dynamics", eqs. 5–8; after Peng et al. 2022, OGM-GE).
//!
//! With s_i^t, s_i^v the true-class softmax probabilities of the text and
//! image unimodal heads for sample i (eq. 5), the contribution ratio over a
//! mini-batch B_n is γ_n^t = Σ_{i∈B_n} s_i^t / Σ_{i∈B_n} s_i^v (eq. 6), the
//! modulation coefficient is g_n^t = 1 − tanh(α·γ_n^t) if γ_n^t > 1, else 1
//! (eq. 7), and G^t(k) = Avg_n(g_n^t) over task k (eq. 8). Eq. 9 scales the
//! visual encoder's SGD step by g_n^t on task 1 and by G^t(k−1) on task k > 1.

/// Lower bound of the denominator of [`gamma`], guarding division by zero.
pub const GAMMA_EPSILON: f64 = 1e-8;

/// γ = Σ s_text / Σ s_image (MSPT eq. 6), the denominator being at least
/// [`GAMMA_EPSILON`]. The slices hold per-sample true-class probabilities of
/// one batch (eq. 5); they need not have equal length. Empty text → 0.
pub fn gamma(s_text: &[f64], s_image: &[f64]) -> f64 {
    let text: f64 = s_text.iter().sum();
    let image: f64 = s_image.iter().sum();
    text / image.max(GAMMA_EPSILON)
}

/// g = 1 − tanh(α·γ) if γ > 1, else 1 (MSPT eq. 7), for α > 0.
///
/// Always in (0, 1]: computed as 2e^{−2αγ} / (1 + e^{−2αγ}) (equal to
/// 1 − tanh(αγ) without cancellation) and floored at `f64::MIN_POSITIVE`.
/// A non-positive or NaN α·γ (misconfigured α, NaN γ) gives 1 (no modulation).
pub fn gm_coefficient(gamma: f64, alpha: f64) -> f64 {
    let x = alpha * gamma;
    if !(gamma > 1.0 && x > 0.0) {
        return 1.0;
    }
    let e = (-2.0 * x).exp();
    (2.0 * e / (1.0 + e)).max(f64::MIN_POSITIVE)
}

/// G(k) = Avg_n(g_n) (MSPT eq. 8), the mean coefficient over a task's steps;
/// 1 (no modulation) when there were none.
pub fn averaged_coefficient(g: &[f64]) -> f64 {
    super::mean(g).unwrap_or(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn gamma_by_hand() {
        // (0.9 + 0.7) / (0.2 + 0.3) = 1.6 / 0.5 = 3.2
        assert!(close(gamma(&[0.9, 0.7], &[0.2, 0.3]), 3.2));
        // (0.2 + 0.2) / (0.4 + 0.4) = 0.5
        assert!(close(gamma(&[0.2, 0.2], &[0.4, 0.4]), 0.5));
        // Zero image mass: divided by epsilon, finite.
        assert!(close(gamma(&[0.5], &[0.0]), 0.5 / GAMMA_EPSILON));
        assert_eq!(gamma(&[], &[]), 0.0);
    }

    #[test]
    fn coefficient_is_one_when_gamma_at_most_one() {
        for g in [0.0, 0.3, 1.0] {
            assert_eq!(gm_coefficient(g, 0.5), 1.0);
        }
        assert_eq!(gm_coefficient(f64::NAN, 0.5), 1.0);
        assert_eq!(gm_coefficient(2.0, 0.0), 1.0);
    }

    #[test]
    fn coefficient_by_hand_when_gamma_above_one() {
        // γ = 3.2, α = 0.5: αγ = 1.6, 1 − tanh(1.6) = 2 / (1 + e^3.2)
        //   = 2 / (1 + 24.53253) = 0.0783314…
        let g = gm_coefficient(3.2, 0.5);
        assert!(close(g, 1.0 - 1.6f64.tanh()));
        assert!((g - 0.0783314).abs() < 1e-6);
        // γ = 1.5, α = 1: 1 − tanh(1.5) = 2 / (1 + e^3) = 0.0948517…
        assert!((gm_coefficient(1.5, 1.0) - 0.0948517).abs() < 1e-6);
    }

    #[test]
    fn coefficient_always_in_unit_interval() {
        for gamma in [1.0 + 1e-9, 1.1, 2.0, 10.0, 50.0, 1e3, 1e8, f64::INFINITY] {
            for alpha in [0.01, 0.1, 1.0, 5.0, 100.0] {
                let g = gm_coefficient(gamma, alpha);
                assert!(g > 0.0 && g <= 1.0, "g({gamma}, {alpha}) = {g}");
                // Matches 1 − tanh where that is not lost to cancellation.
                let naive = 1.0 - (alpha * gamma).tanh();
                assert!((g - naive).abs() < 1e-15, "g={g} naive={naive}");
            }
        }
        // Where naive 1 − tanh(30) rounds to 0, the stable form stays positive.
        assert!(gm_coefficient(30.0, 1.0) > 0.0);
    }

    #[test]
    fn averaged_coefficient_by_hand() {
        // (1 + 0.5 + 0.3) / 3 = 0.6
        assert!(close(averaged_coefficient(&[1.0, 0.5, 0.3]), 0.6));
        assert_eq!(averaged_coefficient(&[]), 1.0);
    }
}
