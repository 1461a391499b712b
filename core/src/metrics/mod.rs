//! Continual-learning metrics, as specified in `spec/METRICS.md`.
//!
//! * [`validate_matrix`] checks a score matrix `R` (T×T, values in `[0, 1]`).
//! * [`gem_metrics`] computes ACC_k, BWT, FWT (GEM, Lopez-Paz & Ranzato 2017)
//!   and forgetting F (Chaudhry et al. 2018).
//! * [`accuracy`], [`micro_f1`], [`micro_f1_excluding`], [`macro_f1`] score
//!   predictions (MSPT's A_k and U_k are micro-F1 scores); [`confusion`]
//!   counts them by true and predicted class.
//! * [`relative_gain`], [`backward_relative_gain`] are MERA's RG_m / BwRG / FwRG;
//!   [`modality_gains`] gives them all for a run against its experts.
//! * [`Baselines`]: 1-NN on pixels and naive Bayes on captions, the trivial
//!   baselines a model must beat on the same stream.
//! * [`gamma`], [`gm_coefficient`], [`averaged_coefficient`] are MSPT's
//!   gradient-modulation quantities (eqs. 6–8).
//!
//! Tasks are numbered 1..T in the formulas; Rust slices and error messages use
//! 0-based positions (`R[k][j]` with task `k + 1`, `j + 1`).

mod baselines;
mod f1;
mod gamma;
mod gem;
mod matrix;
mod modality;

pub use baselines::Baselines;
pub use f1::{accuracy, confusion, macro_f1, micro_f1, micro_f1_excluding};
pub use gamma::{GAMMA_EPSILON, averaged_coefficient, gamma, gm_coefficient};
pub use gem::{GemMetrics, gem_metrics};
pub use matrix::{matrix_hash, validate_matrix};
pub use modality::{Expert, ModalityGains, backward_relative_gain, modality_gains, relative_gain};

/// Why a score matrix or a `random_init` vector was rejected.
///
/// Positions are 0-based (JSON array positions). The matrix variants do not
/// name their subject (a caller may prefix `"matrix: "`); the `random_init`
/// variants do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// The matrix has no rows (T would be 0).
    #[error("no rows (need at least one task)")]
    Empty,
    /// A row's length differs from the number of rows T (ragged or non-square).
    #[error("row {row} has {len} values, expected {expected}")]
    RowLength {
        row: usize,
        len: usize,
        expected: usize,
    },
    /// A matrix entry is NaN or infinite.
    #[error("value {value} at [{row}][{col}] is not a finite number")]
    NotFinite { row: usize, col: usize, value: f64 },
    /// A matrix entry lies outside `[0, 1]`.
    #[error("value {value} at [{row}][{col}] is outside [0, 1]")]
    OutOfRange { row: usize, col: usize, value: f64 },
    /// `random_init` does not have one value per task.
    #[error("random_init has length {len}, expected {expected} (one value per task)")]
    RandomInitLength { len: usize, expected: usize },
    /// A `random_init` entry is NaN, infinite or outside `[0, 1]`.
    #[error("random_init value {value} at [{index}] is outside [0, 1]")]
    RandomInitValue { index: usize, value: f64 },
}

impl MetricsError {
    /// True for problems with the matrix itself (as opposed to `random_init`).
    pub fn is_matrix_error(&self) -> bool {
        !matches!(
            self,
            Self::RandomInitLength { .. } | Self::RandomInitValue { .. }
        )
    }
}

/// Mean of a slice, `None` when empty.
pub(crate) fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}
