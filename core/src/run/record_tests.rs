//! The one record reader: what it takes and what it refuses.

use serde_json::{Value, json};

use super::*;

/// A committed record (stored without its config and timings, which are
/// put back here).
fn good() -> Value {
    let mut v: Value =
        serde_json::from_str(include_str!("../../tests/records/finetune.json")).unwrap();
    v["config"] = serde_json::to_value(crate::run::RunConfig::default()).unwrap();
    v["timing"] = serde_json::to_value(Timing::default()).unwrap();
    v
}

fn refused(v: &Value) -> String {
    RunRecord::parse(&v.to_string()).unwrap_err()
}

#[test]
fn a_committed_record_passes_and_a_stopped_run_too() {
    let r = RunRecord::parse(&good().to_string()).unwrap();
    assert_eq!(r.measured.acc_matrix.len(), 5);
    // a run stopped after task 2 of 5 (diverged): two rows, five columns
    let mut v = good();
    for key in ["acc_matrix", "f1_matrix", "A", "U"] {
        v[key].as_array_mut().unwrap().truncate(2);
    }
    v["metrics"]["acc"].as_array_mut().unwrap().truncate(2);
    RunRecord::parse(&v.to_string()).unwrap();
}

#[test]
fn every_broken_part_is_named() {
    type Break = fn(&mut Value);
    let cases: Vec<(Break, &str)> = vec![
        (|v| v["version"] = json!(2), "record version 2"),
        (|v| v["acc_matrix"][1][2] = json!(1.5), "outside [0, 1]"),
        (|v| v["A"][0] = json!(-0.1), "outside [0, 1]"),
        (|v| v["acc_matrix"][1][2] = Value::Null, "not a run record"),
        (
            |v| {
                v["acc_matrix"][0].as_array_mut().unwrap().pop();
            },
            "acc_matrix row 0 has 4 values, expected 5",
        ),
        (
            |v| {
                v["U"].as_array_mut().unwrap().pop();
            },
            "U has 4 values",
        ),
        (
            |v| {
                v["f1_matrix"].as_array_mut().unwrap().pop();
            },
            "f1_matrix has 4 rows",
        ),
        (|v| v["tasks"] = json!([]), "0 tasks"),
        (
            |v| v["random_init"] = json!([0.1]),
            "random_init has 1 values",
        ),
    ];
    for (break_it, want) in cases {
        let mut v = good();
        break_it(&mut v);
        let e = refused(&v);
        assert!(e.contains(want), "wanted {want:?}, got {e:?}");
    }
    // JSON has no infinity: a number too large for f64 is not a record
    let inf = good().to_string().replacen("\"A\":[", "\"A\":[1e400,", 1);
    assert_ne!(inf, good().to_string());
    assert!(RunRecord::parse(&inf).is_err());
    let e = RunRecord::parse("{\"version\": 1, ").unwrap_err();
    assert!(e.starts_with("not a run record"), "{e}");
}

#[test]
fn a_record_over_the_size_limit_is_refused_before_parsing() {
    let huge = " ".repeat(MAX_RECORD_BYTES as usize + 1);
    let e = RunRecord::parse(&huge).unwrap_err();
    assert!(e.contains("MiB a run record may have"), "{e}");
}

#[test]
fn modality_gains_are_read_when_they_follow_from_the_matrix() {
    let mut v = good();
    let acc: Vec<Vec<f64>> = serde_json::from_value(v["acc_matrix"].clone()).unwrap();
    let experts = (0..5)
        .map(|i| crate::metrics::Expert {
            modalities: vec!["image".into()],
            accuracy: 0.5 + 0.1 * i as f64,
        })
        .collect();
    let gains = crate::metrics::modality_gains(&acc, experts).unwrap();
    v["modality_gains"] = serde_json::to_value(&gains).unwrap();
    let r = RunRecord::parse(&v.to_string()).unwrap();
    assert_eq!(r.modality_gains, Some(gains.clone()));
    // a record from before the forgetting was split reads, and gets it
    let mut older = v.clone();
    let fields = older["modality_gains"].as_object_mut().unwrap();
    fields.remove("intra_forgetting");
    fields.remove("inter_forgetting");
    assert_eq!(
        RunRecord::parse(&older.to_string()).unwrap().modality_gains,
        Some(gains)
    );
    // gains that the matrix and experts do not give, or an expert above 1
    let mut bad = v.clone();
    bad["modality_gains"]["fwrg"][0] = json!(99.0);
    assert!(refused(&bad).contains("do not follow from acc_matrix"));
    let mut bad = v.clone();
    bad["modality_gains"]["experts"]
        .as_array_mut()
        .unwrap()
        .pop();
    assert!(refused(&bad).contains("do not follow"));
    let mut bad = v.clone();
    bad["modality_gains"]["inter_forgetting"] = json!(3.0);
    assert!(refused(&bad).contains("do not follow"));
    let mut bad = v;
    bad["modality_gains"]["experts"][0]["accuracy"] = json!(1.5);
    assert!(refused(&bad).contains("expert's accuracy of 1.5"));
}
