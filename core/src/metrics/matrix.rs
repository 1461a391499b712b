//! Validation of score matrices (METRICS.md: `R` is T×T, scores in `[0, 1]`).

use super::MetricsError;

/// Checks that `m` is a non-empty square matrix of finite values in `[0, 1]`.
///
/// Problems are reported in row-major order, first one wins; e.g.
/// `"row 2 has 3 values, expected 4"` or `"value 1.3 at [1][0] is outside [0, 1]"`.
pub fn validate_matrix(m: &[Vec<f64>]) -> Result<(), MetricsError> {
    let t = m.len();
    if t == 0 {
        return Err(MetricsError::Empty);
    }
    for (row, values) in m.iter().enumerate() {
        if values.len() != t {
            return Err(MetricsError::RowLength {
                row,
                len: values.len(),
                expected: t,
            });
        }
        for (col, &value) in values.iter().enumerate() {
            if !value.is_finite() {
                return Err(MetricsError::NotFinite { row, col, value });
            }
            if !(0.0..=1.0).contains(&value) {
                return Err(MetricsError::OutOfRange { row, col, value });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(m: &[Vec<f64>]) -> String {
        validate_matrix(m).unwrap_err().to_string()
    }

    #[test]
    fn accepts_square_unit_matrices() {
        assert!(validate_matrix(&[vec![0.5]]).is_ok());
        assert!(validate_matrix(&[vec![0.0, 1.0], vec![1.0, 0.0]]).is_ok());
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(validate_matrix(&[]), Err(MetricsError::Empty));
    }

    #[test]
    fn rejects_ragged_and_non_square() {
        let ragged = [vec![0.1, 0.2, 0.3], vec![0.1, 0.2], vec![0.1, 0.2, 0.3]];
        assert_eq!(msg(&ragged), "row 1 has 2 values, expected 3");
        // 2 rows of 3: square-ness is judged against the row count.
        let wide = [vec![0.1, 0.2, 0.3], vec![0.1, 0.2, 0.3]];
        assert_eq!(msg(&wide), "row 0 has 3 values, expected 2");
        assert_eq!(msg(&[vec![]]), "row 0 has 0 values, expected 1");
    }

    #[test]
    fn rejects_non_finite() {
        let m = [vec![0.1, f64::NAN], vec![0.1, 0.2]];
        assert_eq!(msg(&m), "value NaN at [0][1] is not a finite number");
        let m = [vec![0.1, 0.2], vec![f64::INFINITY, 0.2]];
        assert_eq!(msg(&m), "value inf at [1][0] is not a finite number");
    }

    #[test]
    fn rejects_out_of_range() {
        let m = [vec![0.1, 0.2], vec![1.3, 0.2]];
        assert_eq!(msg(&m), "value 1.3 at [1][0] is outside [0, 1]");
        let m = [vec![0.1, -0.01], vec![0.5, 0.2]];
        assert_eq!(msg(&m), "value -0.01 at [0][1] is outside [0, 1]");
    }
}
