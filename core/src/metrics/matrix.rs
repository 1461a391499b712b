//! Validation of score matrices (METRICS.md: `R` is T×T, scores in `[0, 1]`).

use super::MetricsError;

/// A short fingerprint of a score matrix: 8 hex digits of the FNV-1a hash
/// of its values' bits, row by row. Two runs with the same matrix (the
/// same config and seed on the CPU) show the same hash, so a room can
/// check that everyone got the same numbers; any other matrix almost
/// surely shows another.
pub fn matrix_hash(m: &[Vec<f64>]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for row in m {
        eat(&(row.len() as u64).to_le_bytes());
        for v in row {
            eat(&v.to_bits().to_le_bytes());
        }
    }
    format!("{:08x}", (h >> 32) ^ (h & 0xffff_ffff))
}

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

#[cfg(test)]
mod hash_tests {
    use super::matrix_hash;

    #[test]
    fn the_hash_is_short_stable_and_tells_matrices_apart() {
        let a = vec![vec![0.9, 0.1], vec![0.05, 0.8]];
        assert_eq!(matrix_hash(&a), matrix_hash(&a.clone()));
        assert_eq!(matrix_hash(&a).len(), 8);
        assert!(matrix_hash(&a).chars().all(|c| c.is_ascii_hexdigit()));
        let mut b = a.clone();
        b[1][1] = 0.8000000000000001;
        assert_ne!(matrix_hash(&a), matrix_hash(&b), "one bit of one value");
        // the same values in another shape
        assert_ne!(matrix_hash(&[vec![0.9, 0.1, 0.05, 0.8]]), matrix_hash(&a));
        // pinned: the CLI and the page print this for the same matrix
        assert_eq!(
            matrix_hash(&[]),
            "cbf29ce4"
                .chars()
                .zip("84222325".chars())
                .map(|(x, y)| {
                    let v = x.to_digit(16).unwrap() ^ y.to_digit(16).unwrap();
                    char::from_digit(v, 16).unwrap()
                })
                .collect::<String>()
        );
    }
}
