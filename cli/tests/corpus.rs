//! The bad-input corpus (tests/corpus, expectations in its expect.json)
//! through the real binary: each case is imported by a run of the smallest
//! model for one epoch. No panic, the exit status expected, every expected
//! problem reported, and the classes and images that remain.

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus")
}

/// A one-epoch run of a model small enough that the import dominates.
const TINY: &[&str] = &[
    "run",
    "--strategy",
    "finetune",
    "--epochs",
    "1",
    "--batch-size",
    "8",
    "--classes-per-task",
    "2",
    "--init",
    "scratch",
    "--set",
    "model.d_model=16",
    "--set",
    "model.heads=2",
    "--set",
    "model.d_ff=16",
    "--set",
    "model.layers=1",
    "--set",
    "model.tokenizer.vocab=256",
];

/// The images a class left out for having too few holds, summed over the
/// warnings that say so (`class "x" has N usable image(s) and is left out`).
fn left_out(stderr: &str) -> usize {
    stderr
        .lines()
        .filter(|l| l.contains("usable image(s) and is left out"))
        .map(|l| {
            let n = l.split(" has ").nth(1).and_then(|r| r.split(' ').next());
            n.and_then(|n| n.parse::<usize>().ok())
                .unwrap_or_else(|| panic!("no count in {l}"))
        })
        .sum()
}

fn count(case: &Value, key: &str) -> usize {
    case[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} in {case}")) as usize
}

#[test]
fn every_corpus_case_is_imported_as_expect_json_says() {
    let expect: Value =
        serde_json::from_str(&std::fs::read_to_string(corpus().join("expect.json")).unwrap())
            .unwrap();
    let cases = expect["cases"].as_array().unwrap();
    let folders = std::fs::read_dir(corpus())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert_eq!(
        cases.len(),
        folders,
        "a case folder without expectations, or the reverse"
    );
    let out_dir = tempfile::tempdir().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let out = out_dir.path().join(format!("{name}.json"));
        let output = Command::cargo_bin("palimpsest")
            .unwrap()
            .args(TINY)
            .arg("--scenario")
            .arg(corpus().join(name))
            .arg("--out")
            .arg(&out)
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        let problems: Vec<&str> = stderr
            .lines()
            .filter_map(|l| l.strip_prefix("warning: "))
            .collect();
        for m in case["messages"].as_array().unwrap() {
            let m = m.as_str().unwrap();
            assert!(
                problems.iter().any(|p| p.contains(m)),
                "{name}: no problem says {m:?}: {stderr}"
            );
        }
        for m in case["absent"].as_array().unwrap() {
            let m = m.as_str().unwrap();
            assert!(
                !problems.iter().any(|p| p.contains(m)),
                "{name}: a problem says {m:?}: {stderr}"
            );
        }
        let ok = case["ok"].as_bool().unwrap();
        let (classes, images) = if ok {
            assert!(output.status.success(), "{name}: {stderr}");
            let record: Value =
                serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
            let tasks = record["tasks"].as_array().unwrap();
            let classes: usize = tasks
                .iter()
                .map(|t| t["classes"].as_array().unwrap().len())
                .sum();
            // a task's training set holds three augmented copies of each
            // training image
            let images: usize = tasks
                .iter()
                .map(|t| {
                    let train = t["train_size"].as_u64().unwrap() as usize;
                    assert_eq!(train % 3, 0, "{name}: {t}");
                    train / 3 + t["test_size"].as_u64().unwrap() as usize
                })
                .sum();
            (classes, images)
        } else {
            assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
            assert!(stderr.contains("error: "), "{name}: {stderr}");
            assert!(!out.exists(), "{name}: a record was written");
            (0, 0)
        };
        assert_eq!(classes, count(case, "classes"), "{name}: classes");
        assert_eq!(images, count(case, "images"), "{name}: images");
        assert_eq!(
            images + left_out(&stderr),
            count(case, "pairs"),
            "{name}: pairs"
        );
    }
}
