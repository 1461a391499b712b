//! `palimpsest metrics FILE` (or `-` for stdin): GEM metrics of a score matrix
//! (METRICS.md § `palimpsest metrics`).
//!
//! Reads `{"matrix": [[...], ...], "random_init": [...]}` (`random_init`
//! optional, extra fields ignored), or a run record (its `acc_matrix` and
//! `random_init`), and writes one JSON line
//! `{"acc":[...],"bwt":x,"fwt":x|null,"forgetting":x}`. Every error is one
//! line naming the problem; the caller prints it to stderr and exits with 2.

use std::io::Write;

use palimpsest_core::metrics::gem_metrics;
use palimpsest_core::run::record::MAX_RECORD_BYTES;
use serde::Deserialize;
use serde_json::error::Category;

use crate::files::{io_message, read_capped};

/// The input document. Unknown fields are allowed (they are ignored).
#[derive(Deserialize)]
struct Input {
    matrix: Vec<Vec<f64>>,
    #[serde(default)]
    random_init: Option<Vec<f64>>,
}

/// A run record (`palimpsest run --out`): its accuracy matrix is the input.
#[derive(Deserialize)]
struct Record {
    acc_matrix: Vec<Vec<f64>>,
    #[serde(default)]
    random_init: Option<Vec<f64>>,
}

/// Runs the command on `path` (`"-"` = stdin), writing the result line to `out`.
pub fn run(path: &str, out: &mut impl Write) -> Result<(), String> {
    let text = read_capped(path, MAX_RECORD_BYTES)?;
    let line = metrics_line(&text)?;
    writeln!(out, "{line}").map_err(|e| format!("cannot write output: {}", io_message(&e)))
}

/// Computes the output line (without newline) from the input text.
fn metrics_line(text: &str) -> Result<String, String> {
    // serde would also accept a struct written as an array; insist on an object.
    if !text.trim_start().starts_with('{') {
        serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| json_message(&e))?;
        return Err("invalid metrics input: expected a JSON object with a \"matrix\" field".into());
    }
    let input: Input = match serde_json::from_str(text) {
        Ok(input) => input,
        // a run record gives its accuracy matrix
        Err(e) => match serde_json::from_str::<Record>(text) {
            Ok(r) => Input {
                matrix: r.acc_matrix,
                random_init: r.random_init,
            },
            Err(_) => return Err(json_message(&e)),
        },
    };
    let metrics = gem_metrics(&input.matrix, input.random_init.as_deref()).map_err(|e| {
        if e.is_matrix_error() {
            format!("matrix: {e}")
        } else {
            e.to_string()
        }
    })?;
    serde_json::to_string(&metrics).map_err(|e| format!("cannot encode metrics: {e}"))
}

/// "invalid JSON at line L column C: ..." for syntax errors, "invalid metrics
/// input at line L column C: ..." for well-formed JSON of the wrong shape.
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let location = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&location).unwrap_or(&full);
    let what = match e.classify() {
        Category::Data => "invalid metrics input",
        _ => "invalid JSON",
    };
    format!("{what}{location}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Writes `content` to a fresh temp file, runs the command on it and
    /// returns (result, output).
    fn run_on(content: &str) -> (Result<(), String>, String) {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "palimpsest-metrics-test-{}-{n}.json",
            std::process::id()
        ));
        std::fs::write(&path, content).unwrap();
        let mut out = Vec::new();
        let result = run(path.to_str().unwrap(), &mut out);
        std::fs::remove_file(&path).unwrap();
        (result, String::from_utf8(out).unwrap())
    }

    fn error_of(content: &str) -> String {
        let (result, out) = run_on(content);
        assert!(out.is_empty(), "nothing is written on error");
        let err = result.unwrap_err();
        assert!(!err.contains('\n'), "one line: {err:?}");
        err
    }

    #[test]
    fn good_file_gives_one_json_line() {
        // Same matrix as core's gem tests: ACC = [0.8, 0.75, 2.05/3],
        // BWT = −0.25, FWT = 0.075, F = 0.25.
        let (result, out) = run_on(
            r#"{"matrix": [[0.8, 0.1, 0.2], [0.6, 0.9, 0.3], [0.5, 0.7, 0.85]],
                "random_init": [0.1, 0.15, 0.1]}"#,
        );
        result.unwrap();
        assert!(out.ends_with('\n') && out.lines().count() == 1);
        assert!(out.starts_with(r#"{"acc":["#));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 4);
        let num = |k: &str| v[k].as_f64().unwrap();
        let acc: Vec<f64> = v["acc"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert_eq!(acc.len(), 3);
        assert!(close(acc[0], 0.8) && close(acc[1], 0.75) && close(acc[2], 2.05 / 3.0));
        assert!(close(num("bwt"), -0.25));
        assert!(close(num("fwt"), 0.075));
        assert!(close(num("forgetting"), 0.25));
    }

    #[test]
    fn without_random_init_fwt_is_null_and_extra_fields_are_ignored() {
        let (result, out) =
            run_on(r#"{"version": 1, "matrix": [[0.5, 0.2], [0.7, 0.9]], "random_init": null}"#);
        result.unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v["fwt"].is_null());
        assert!((v["bwt"].as_f64().unwrap() - 0.2).abs() < 1e-12);
    }

    #[test]
    fn a_run_record_gives_its_accuracy_matrix() {
        let (result, out) = run_on(
            r#"{"version": 1, "acc_matrix": [[0.5, 0.2], [0.7, 0.9]], "random_init": [0.1, 0.1]}"#,
        );
        result.unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!((v["bwt"].as_f64().unwrap() - 0.2).abs() < 1e-12);
        assert!((v["fwt"].as_f64().unwrap() - 0.1).abs() < 1e-12);
    }

    #[test]
    fn single_task_gives_nulls() {
        let (result, out) = run_on(r#"{"matrix": [[0.5]]}"#);
        result.unwrap();
        assert_eq!(
            out,
            "{\"acc\":[0.5],\"bwt\":null,\"fwt\":null,\"forgetting\":null}\n"
        );
    }

    #[test]
    fn malformed_json() {
        let err = error_of(r#"{"matrix": [[0.5,]]}"#);
        assert!(err.starts_with("invalid JSON at line 1 column "), "{err}");
        let err = error_of("");
        assert!(
            err.starts_with("invalid JSON at line 1 column 0: EOF"),
            "{err}"
        );
    }

    #[test]
    fn wrong_shape_json() {
        let err = error_of(r#"{"random_init": [0.1]}"#);
        assert!(err.starts_with("invalid metrics input at line 1"), "{err}");
        assert!(err.ends_with("missing field `matrix`"), "{err}");
        let err = error_of(r#"{"matrix": [[0.5, "x"], [0.1, 0.2]]}"#);
        assert!(err.contains("invalid type: string \"x\""), "{err}");
        // An array would deserialize as the struct's fields in order: rejected.
        assert_eq!(
            error_of("[[[0.5]]]"),
            r#"invalid metrics input: expected a JSON object with a "matrix" field"#
        );
        assert!(error_of("[[0.5]").starts_with("invalid JSON at line 1 column 6: "));
    }

    #[test]
    fn non_square_and_empty_matrices() {
        assert_eq!(
            error_of(r#"{"matrix": [[0.1, 0.2, 0.3], [0.1, 0.2], [0.1, 0.2, 0.3]]}"#),
            "matrix: row 1 has 2 values, expected 3"
        );
        assert_eq!(
            error_of(r#"{"matrix": [[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]]}"#),
            "matrix: row 0 has 3 values, expected 2"
        );
        assert_eq!(
            error_of(r#"{"matrix": []}"#),
            "matrix: no rows (need at least one task)"
        );
    }

    #[test]
    fn out_of_range_values() {
        assert_eq!(
            error_of(r#"{"matrix": [[0.1, 0.2], [1.3, 0.2]]}"#),
            "matrix: value 1.3 at [1][0] is outside [0, 1]"
        );
        assert_eq!(
            error_of(r#"{"matrix": [[0.1, 0.2], [0.3, 0.2]], "random_init": [0.1]}"#),
            "random_init has length 1, expected 2 (one value per task)"
        );
        assert_eq!(
            error_of(r#"{"matrix": [[0.1, 0.2], [0.3, 0.2]], "random_init": [0.1, -2]}"#),
            "random_init value -2 at [1] is outside [0, 1]"
        );
    }

    #[test]
    fn missing_file() {
        let path = std::env::temp_dir().join("palimpsest-metrics-test-does-not-exist.json");
        let path = path.to_str().unwrap();
        let mut out = Vec::new();
        let err = run(path, &mut out).unwrap_err();
        assert_eq!(
            err,
            format!("cannot read {path}: No such file or directory")
        );
        assert!(out.is_empty());
    }
}
