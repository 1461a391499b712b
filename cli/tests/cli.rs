//! Headless runs of the real binary.

use assert_cmd::Command;

fn palimpsest() -> Command {
    Command::cargo_bin("palimpsest").unwrap()
}

fn record(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `palimpsest run ARGS --epochs 1`, which must succeed; its run record.
fn one_epoch_record(args: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    palimpsest()
        .arg("run")
        .args(args)
        .args(["--epochs", "1", "--out"])
        .arg(&out)
        .assert()
        .success();
    record(&out)
}

#[test]
fn run_writes_a_record_and_prints_a_table() {
    let dir = tempfile::tempdir().unwrap();
    for scenario in ["entity", "relation"] {
        let out = dir.path().join(format!("{scenario}.json"));
        let assert = palimpsest()
            .args([
                "run",
                "--scenario",
                scenario,
                "--strategy",
                "mspt",
                "--epochs",
                "1",
                "--seed",
                "3",
                "--out",
            ])
            .arg(&out)
            .assert()
            .success();
        let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
        assert!(stdout.contains("A_T"), "{stdout}");
        assert!(stdout.contains("after 5"), "{stdout}");
        let r = record(&out);
        assert_eq!(r["version"], 1);
        assert_eq!(r["acc_matrix"].as_array().unwrap().len(), 5);
        assert_eq!(r["config"]["strategy"]["name"], "mspt");
        assert!(r["metrics"]["bwt"].is_number());
    }
    // compare the two records
    let assert = palimpsest()
        .arg("compare")
        .arg(dir.path().join("entity.json"))
        .arg(dir.path().join("relation.json"))
        .assert()
        .success();
    let table = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(table.contains("| entity | mspt | 1 |"), "{table}");
    assert!(table.contains("| relation | mspt | 1 |"), "{table}");

    // a record with a score out of range, under a name that holds a newline
    // and an escape code: refused in one line that names it escaped
    let mut bad = record(&dir.path().join("entity.json"));
    bad["acc_matrix"][0][0] = serde_json::json!(1.5);
    let forged = dir.path().join("x\nerror: all fine\u{1b}[31m.json");
    std::fs::write(&forged, bad.to_string()).unwrap();
    let assert = palimpsest().arg("compare").arg(&forged).assert().code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("outside [0, 1]"), "{err}");
    assert!(
        err.contains("x\\nerror") && err.contains("\\u{1b}"),
        "{err}"
    );
}

#[test]
fn ablation_is_recorded_and_bad_names_are_refused() {
    let r = one_epoch_record(&["--strategy", "mspt", "--ablate", "gm,ad"]);
    assert_eq!(r["config"]["strategy"]["gm"], false);
    assert_eq!(r["config"]["strategy"]["ad"], false);
    assert_eq!(r["config"]["strategy"]["mi"], true);
    let a = palimpsest()
        .args(["run", "--strategy", "mspt", "--ablate", "xyz"])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("xyz"));
    palimpsest()
        .args(["run", "--strategy", "nope"])
        .assert()
        .code(2);
    palimpsest()
        .args(["run", "--strategy", "replay", "--ablate", "gm"])
        .assert()
        .code(2);
    let a = palimpsest()
        .args(["run", "--unimodal-weight=-1"])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("unimodal weight"));
}

#[test]
fn gpu_backend_without_a_gpu_build_is_a_clear_error() {
    let a = palimpsest()
        .args(["run", "--backend", "wgpu", "--epochs", "1"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("GPU") && err.lines().count() == 1, "{err}");
}

#[test]
fn metrics_command_reads_files_and_stdin() {
    let a = palimpsest()
        .args(["metrics", "-"])
        .write_stdin(r#"{"matrix": [[0.9, 0.1], [0.5, 0.8]], "random_init": [0.1, 0.2]}"#)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    // ACC = [0.9, 0.65], BWT = 0.5 − 0.9, FWT = 0.1 − 0.2, F = 0.9 − 0.5
    assert!((v["acc"][1].as_f64().unwrap() - 0.65).abs() < 1e-12);
    assert!((v["bwt"].as_f64().unwrap() + 0.4).abs() < 1e-12);
    assert!((v["fwt"].as_f64().unwrap() + 0.1).abs() < 1e-12);
    assert!((v["forgetting"].as_f64().unwrap() - 0.4).abs() < 1e-12);
    for bad in [
        r#"{"matrix": [[0.9, 0.1]]}"#,
        r#"{"matrix": [[1.5]]}"#,
        "not json",
        "",
    ] {
        let a = palimpsest()
            .args(["metrics", "-"])
            .write_stdin(bad)
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert_eq!(err.trim_end().lines().count(), 1, "{bad}: {err}");
        assert!(!err.contains("panicked"));
    }
    palimpsest()
        .args(["metrics", "/nonexistent/run.json"])
        .assert()
        .code(2);
}

#[test]
fn list_shows_strategies_and_defaults() {
    let a = palimpsest().arg("list").assert().success();
    let s = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    for name in [
        "finetune", "joint", "replay", "ewc", "lwf", "mspt", "teaching", "entity", "relation",
    ] {
        assert!(s.contains(name), "{name}");
    }
}

fn png(v: u8) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(16, 16, image::Rgb([v, 255 - v, v / 2]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn imagefolder_runs_and_names_the_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut meta = String::new();
    for (c, base) in [("cats", 20u8), ("dogs", 200)] {
        std::fs::create_dir(dir.path().join(c)).unwrap();
        for i in 0..5u8 {
            std::fs::write(
                dir.path().join(c).join(format!("{i}.png")),
                png(base + i * 5),
            )
            .unwrap();
            meta.push_str(&format!(
                "{{\"file_name\": \"{c}/{i}.png\", \"text\": \"a {c} number {i}\"}}\n"
            ));
        }
    }
    std::fs::write(dir.path().join("cats/broken.png"), b"not a png").unwrap();
    std::fs::write(dir.path().join("metadata.jsonl"), meta).unwrap();
    let out = dir.path().join("run.json");
    let a = palimpsest()
        .args([
            "run",
            "--strategy",
            "finetune",
            "--epochs",
            "2",
            "--classes-per-task",
            "1",
            "--scenario",
        ])
        .arg(dir.path())
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("cats/broken.png"), "{err}");
    let r = record(&out);
    assert_eq!(r["tasks"].as_array().unwrap().len(), 2);
    assert_eq!(r["tasks"][0]["classes"][0], "cats");
    palimpsest()
        .args(["run", "--scenario", "/nonexistent/folder"])
        .assert()
        .code(2);
}

#[test]
fn the_modality_scenario_runs_image_text_then_sketches_then_speech_with_an_encoder_each() {
    let r = one_epoch_record(&[
        "--scenario",
        "modality",
        "--strategy",
        "replay",
        "--set",
        "modality.classes=3",
        "--set",
        "entity.train_copies=1",
        "--set",
        "modality.sketch_copies=1",
        "--no-experts",
    ]);
    assert!(r["modality_gains"].is_null());
    let modalities = |t: usize| r["tasks"][t]["modalities"].clone();
    assert_eq!(modalities(0), serde_json::json!(["image", "text"]));
    assert_eq!(modalities(1), serde_json::json!(["sketch"]));
    assert_eq!(modalities(2), serde_json::json!(["speech"]));
    assert_eq!(r["tasks"][1]["classes"], r["tasks"][0]["classes"]);
    assert_eq!(r["tasks"][2]["classes"], r["tasks"][0]["classes"]);
    assert_eq!(r["config"]["modality"]["classes"], 3);
    let encoders: Vec<&str> = r["config"]["model"]["encoders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["modality"].as_str().unwrap())
        .collect();
    assert_eq!(encoders, ["image", "text", "sketch", "speech"]);
    assert_eq!(r["acc_matrix"].as_array().unwrap().len(), 3);
    // out of range: one line naming the setting
    let a = palimpsest()
        .args([
            "run",
            "--scenario",
            "modality",
            "--set",
            "modality.classes=99",
        ])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("modality.classes"), "{err}");
}

#[test]
fn mera_and_mode_on_a_modality_stream_turn_on_the_fusion_stage_they_need() {
    let small = [
        "--scenario",
        "modality-sketch",
        "--epochs",
        "1",
        "--set",
        "modality.classes=3",
        "--set",
        "entity.train_copies=1",
        "--set",
        "modality.sketch_copies=1",
        "--no-experts",
    ];
    for strategy in ["mera", "mode"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run.json");
        let a = palimpsest()
            .args(["run", "--strategy", strategy])
            .args(small)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(
            err.contains(&format!("{strategy} needs the fusion stage")),
            "{err}"
        );
        let r = record(&out);
        assert_eq!(r["config"]["model"]["fusion"], true);
        assert_eq!(r["acc_matrix"].as_array().unwrap().len(), 2);
        // set off by hand: refused, naming the setting
        let a = palimpsest()
            .args(["run", "--strategy", strategy])
            .args(small)
            .args(["--set", "model.fusion=false"])
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(err.contains("model.fusion=true"), "{err}");
    }
    // a strategy that does not need it leaves it off, and says nothing
    let a = palimpsest()
        .args(["run", "--strategy", "finetune"])
        .args(small)
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(!err.contains("fusion"), "{err}");
}

#[test]
fn a_modality_run_is_measured_against_experts_trained_once() {
    let dir = tempfile::tempdir().unwrap();
    let experts = dir.path().join("experts");
    let run = |strategy: &str, out: &str| {
        let out = dir.path().join(out);
        let a = palimpsest()
            .args([
                "run",
                "--scenario",
                "modality-sketch",
                "--strategy",
                strategy,
                "--epochs",
                "1",
            ])
            .args([
                "--set",
                "modality.classes=3",
                "--set",
                "entity.train_copies=1",
            ])
            .args([
                "--set",
                "modality.sketch_copies=1",
                "--set",
                "model.fusion=true",
            ])
            .arg("--experts")
            .arg(&experts)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
        (record(&out), stderr, stdout)
    };
    let (finetune, err, out) = run("finetune", "finetune.json");
    assert!(
        err.contains("expert for task 2 (sketch): training it"),
        "{err}"
    );
    assert!(out.contains("FwRG") && out.contains("BwRG"), "{out}");
    let g = &finetune["modality_gains"];
    assert_eq!(g["experts"][1]["modalities"], serde_json::json!(["sketch"]));
    assert_eq!(g["bwrg"].as_array().unwrap().len(), 2);
    assert_eq!(std::fs::read_dir(&experts).unwrap().count(), 2);
    // another strategy on the same config and seed reuses them
    let (mera, err, _) = run("mera", "mera.json");
    assert!(err.contains("expert for task 1 (image + text):"), "{err}");
    assert!(!err.contains("training it"), "{err}");
    assert_eq!(mera["modality_gains"]["experts"], g["experts"]);
    // and compare shows the gains of both
    let a = palimpsest()
        .arg("compare")
        .arg(dir.path().join("finetune.json"))
        .arg(dir.path().join("mera.json"))
        .assert()
        .success();
    let table = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(table.contains("BwRG (%)"), "{table}");
    // two tasks of different modalities: what task 1 loses is inter-modal
    assert!(g["intra_forgetting"].is_null());
    assert!(g["inter_forgetting"].is_number());
    assert!(out.contains("inter-modal"), "{out}");
    assert!(
        table.contains("| modality-sketch | mera 10% | 1 |"),
        "{table}"
    );
}

#[test]
fn params_and_settings_reach_the_record() {
    let r = one_epoch_record(&[
        "--strategy",
        "replay",
        "--param",
        "herding=true",
        "--param",
        "memory_per_class=1",
        "--set",
        "entity.noise.replace_all=0",
    ]);
    assert_eq!(r["config"]["strategy"]["herding"], true);
    assert_eq!(r["config"]["strategy"]["memory_per_class"], 1);
    assert_eq!(r["config"]["entity"]["noise"]["replace_all"], 0.0);
    for bad in [
        ["--set", "entity.noise.nope=1"],
        ["--set", "epochs=many"],
        ["--param", "herding=maybe"],
    ] {
        let a = palimpsest().arg("run").args(bad).assert().code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(err.contains(bad[0]) && err.lines().count() == 1, "{err}");
    }
    // out of range: refused before anything is built, in one line naming
    // the setting, its value and its range (these panicked or exhausted
    // memory before)
    for (args, named) in [
        (
            ["--set", "entity.noise.replace_all=2"],
            "entity.noise.replace_all = 2",
        ),
        (
            ["--set", "model.tokenizer.vocab=3"],
            "model.tokenizer.vocab = 3",
        ),
        (
            ["--set", "model.d_model=4000000"],
            "model.d_model = 4000000",
        ),
        (["--param", "temperature=0"], "strategy.lwf.temperature = 0"),
    ] {
        let a = palimpsest()
            .args(["run", "--strategy", "lwf"])
            .args(args)
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(
            err.contains(named) && err.contains("must lie in") && err.lines().count() == 1,
            "{err}"
        );
    }
}

/// A run whose task 2 diverges twice (its loss made NaN through the
/// `PALIMPSEST_DIVERGE_AT` hook: no setting within its range diverges):
/// one warning line for the retry at half the learning rate, then exit 2
/// with "diverged at task 2, step 2" — and the record of task 1 is written,
/// holds no null or NaN where a number belongs, and `metrics` and
/// `compare` read it.
#[test]
fn a_diverging_run_warns_once_then_stops_and_keeps_a_readable_record() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.json");
    let a = palimpsest()
        .env("PALIMPSEST_DIVERGE_AT", "2:2,2:2")
        .args([
            "run",
            "--strategy",
            "replay",
            "--epochs",
            "1",
            "--set",
            "entity.train_copies=1",
            "--set",
            "entity.test_copies=1",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].contains("diverged at task 2, step 2") && warnings[0].contains("halved"),
        "{err}"
    );
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with("error: diverged at task 2, step 2") && last.contains("stopped"),
        "{err}"
    );
    let r = record(&out);
    assert_eq!(r["acc_matrix"].as_array().unwrap().len(), 1);
    assert_eq!(r["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(r["divergences"].as_array().unwrap().len(), 2);
    assert_eq!(r["divergences"][1]["retried"], false);
    assert_eq!(r["divergences"][1]["lr"], 0.0005);
    assert!(
        r["loss"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["loss"].is_number())
    );
    assert!(
        r["gamma"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["gamma"].is_number())
    );
    let m = palimpsest().arg("metrics").arg(&out).assert().success();
    let line = String::from_utf8_lossy(&m.get_output().stdout).to_string();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["acc"].as_array().unwrap().len(), 1);
    palimpsest().arg("compare").arg(&out).assert().success();
    // a bad hook value is one clear line, before anything trains
    let a = palimpsest()
        .env("PALIMPSEST_DIVERGE_AT", "soon")
        .args(["run", "--epochs", "1"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("PALIMPSEST_DIVERGE_AT") && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn baselines_print_a_table_and_follow_the_settings() {
    let out = palimpsest()
        .args(["baselines", "--scenario", "entity", "--seed", "1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    let row = |name: &str| -> Vec<f64> {
        let line = table.lines().find(|l| l.contains(name)).unwrap();
        line.split('|')
            .skip(2)
            .take(2)
            .map(|c| c.trim().parse().unwrap())
            .collect()
    };
    let (pixels, words) = (row("1-NN"), row("naive Bayes"));
    // 20 classes: chance is 5 %; neither baseline solves the stream
    assert!(table.contains("| chance | 5.0 |"), "{table}");
    for v in pixels.iter().chain(&words) {
        assert!(*v > 5.0 && *v < 90.0, "{table}");
    }
    let noisy = palimpsest()
        .args(["baselines", "--seed", "1", "--set", "entity.captions=noisy"])
        .output()
        .unwrap();
    let noisy = String::from_utf8(noisy.stdout).unwrap();
    assert_ne!(noisy, table, "the caption setting reaches the stream");
    let bad = palimpsest()
        .args(["baselines", "--set", "entity.natural.name=2"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8(bad.stderr).unwrap();
    assert!(
        err.contains("entity.natural.name = 2") && err.contains("out of range"),
        "{err}"
    );
}

#[test]
fn pretrain_writes_weights_that_a_run_starts_from_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let weights = dir.path().join("w.bin");
    let rec = dir.path().join("pretrain.json");
    let assert = palimpsest()
        .args([
            "pretrain",
            "--epochs",
            "1",
            "--set",
            "entity.train_copies=1",
            "--out",
        ])
        .arg(&weights)
        .arg("--record")
        .arg(&rec)
        .assert()
        .success();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("none in a default stream"), "{err}");
    assert!(err.contains("rows start from"), "{err}");
    let r = record(&rec);
    assert_eq!(r["config"]["scenario"], "pretrain-pool");
    assert_eq!(r["acc_matrix"].as_array().unwrap().len(), 1);
    let bytes = std::fs::read(&weights).unwrap();
    assert_eq!(&bytes[..8], b"PLMPWGTS");
    // the same command gives the same bytes
    let again = dir.path().join("w2.bin");
    palimpsest()
        .args([
            "pretrain",
            "--epochs",
            "1",
            "--set",
            "entity.train_copies=1",
        ])
        .arg("--out")
        .arg(&again)
        .assert()
        .success();
    assert!(
        std::fs::read(&again).unwrap() == bytes,
        "pretraining is not reproducible"
    );

    let out = dir.path().join("run.json");
    palimpsest()
        .args(["run", "--strategy", "finetune", "--epochs", "1"])
        .args(["--init", "pretrained", "--encoder-lr", "0.5", "--weights"])
        .arg(&weights)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let run = record(&out);
    for e in run["config"]["model"]["encoders"].as_array().unwrap() {
        assert_eq!(e["init"], "pretrained");
        assert_eq!(e["lr"], 0.5);
    }

    // truncated, foreign: one clear line each, exit 2, no record
    let cut = dir.path().join("cut.bin");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let foreign = dir.path().join("foreign.bin");
    std::fs::write(&foreign, b"GIF89a and so on, not weights").unwrap();
    for (file, want) in [
        (&cut, "checksum"),
        (&foreign, "not a Palimpsest weights file"),
    ] {
        let none = dir.path().join("none.json");
        let assert = palimpsest()
            .args(["run", "--epochs", "1", "--init", "pretrained", "--weights"])
            .arg(file)
            .arg("--out")
            .arg(&none)
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(err.contains(want), "{err}");
        assert!(!none.exists());
    }
    // an output folder that does not exist is refused before any training
    let assert = palimpsest()
        .args(["pretrain", "--out", "/nonexistent-dir/w.bin"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("does not exist"), "{err}");
    // a teacher file that is not one, or a distillation weight out of range,
    // is one line naming it, before any training
    let out = dir.path().join("taught.bin");
    let bad_teacher = dir.path().join("teacher.tsv");
    std::fs::write(&bad_teacher, "1F170\t0.5 0.5\n").unwrap();
    let cases: [(&[&str], &str); 3] = [
        (
            &["--teacher", bad_teacher.to_str().unwrap()],
            "no features for pool item",
        ),
        (
            &["--teacher", "/nonexistent/t.tsv"],
            "cannot read the teacher's features",
        ),
        (
            &["--distill-weight=-1"],
            "--distill-weight -1 is not a finite number",
        ),
    ];
    for (args, want) in cases {
        let assert = palimpsest()
            .args(["pretrain", "--out", out.to_str().unwrap()])
            .args(args)
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!out.exists());
    }
}

/// The bench's smoke (bench/run.sh runs it for real): it trains a few
/// steps of the model the settings describe and writes what
/// bench/torch_step.py reads; timings are not judged.
#[test]
fn bench_times_the_configured_model_and_writes_what_the_torch_copy_reads() {
    let dir = tempfile::tempdir().unwrap();
    let bench = |args: &[&str], name: &str| {
        let out = dir.path().join(name);
        let assert = palimpsest()
            .args(["bench", "--steps", "2", "--warmup", "1", "--out"])
            .arg(&out)
            .args(args)
            .assert()
            .success();
        let text = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
        assert!(text.contains("ms a step"), "{text}");
        record(&out)
    };
    let base = bench(&[], "base.json");
    let r = &base["report"];
    assert_eq!(r["step_ms"].as_array().unwrap().len(), 2);
    assert_eq!(r["batch"], 32);
    assert_eq!(r["image_size"], 32);
    assert_eq!(r["chunks"], serde_json::json!([4]));
    assert_eq!(base["config"]["strategy"]["name"], "finetune");
    assert_eq!(base["config"]["model"]["d_model"], 64);
    assert!(r["flops_per_step"].as_f64().unwrap() > 1e8);
    assert!(base["threads"].as_u64().unwrap() >= 1);
    // the model follows the settings: half the width, fewer parameters
    let narrow = bench(
        &[
            "--set",
            "model.d_model=32",
            "--set",
            "model.d_ff=64",
            "--tasks",
            "2",
        ],
        "narrow.json",
    );
    assert_eq!(narrow["config"]["model"]["d_model"], 32);
    assert_eq!(narrow["report"]["chunks"], serde_json::json!([4, 4]));
    assert!(narrow["report"]["params"].as_u64() < r["params"].as_u64());
    let a = palimpsest()
        .args(["bench", "--steps", "1", "--tasks", "9"])
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("1 to 5 tasks"), "{err}");
}

/// A 16-bit WAV of a `hz` tone, 0.4 s at 22 050 Hz, with silence around.
fn tone_wav(path: &std::path::Path, hz: f32) -> Vec<f32> {
    let sr = 22_050u32;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: sr,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut pcm = Vec::new();
    for i in 0..(sr as usize) / 2 {
        let t = i as f32 / sr as f32;
        let x = if (0.05..0.45).contains(&t) {
            0.5 * (2.0 * std::f32::consts::PI * hz * t).sin()
        } else {
            0.0
        };
        let q = (x * 32767.0).round() as i16;
        w.write_sample(q).unwrap();
        pcm.push(q as f32 / 32768.0);
    }
    w.finalize().unwrap();
    pcm
}

#[test]
fn speech_features_writes_the_log_mel_pictures_and_names_a_bad_recording() {
    use palimpsest_core::data::logmel::LogMel;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.wav"), dir.path().join("b.wav"));
    let pcm = tone_wav(&a, 440.0);
    tone_wav(&b, 1800.0);
    let list = dir.path().join("list.txt");
    std::fs::write(&list, format!("{}\n{}\n", a.display(), b.display())).unwrap();
    let out = dir.path().join("f.bin");
    palimpsest()
        .args(["speech-features", "--copies", "3", "--list"])
        .arg(&list)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(bytes.len(), 2 * 3 * 1024);
    // the first picture is the file as it is, through the core's module
    let want = LogMel::new(22_050).unwrap().pixels(&pcm).unwrap();
    assert_eq!(&bytes[..1024], &want[..]);
    // the other copies are roughened, each differently
    assert_ne!(&bytes[..1024], &bytes[1024..2048]);
    assert_ne!(&bytes[1024..2048], &bytes[2048..3072]);
    assert_ne!(&bytes[..1024], &bytes[3072..4096]);
    // --rough: every picture roughened, the first being the same draw as
    // the first roughened copy above
    let rough = dir.path().join("r.bin");
    palimpsest()
        .args(["speech-features", "--rough", "--list"])
        .arg(&list)
        .arg("--out")
        .arg(&rough)
        .assert()
        .success();
    let r = std::fs::read(&rough).unwrap();
    assert_eq!(r.len(), 2 * 1024);
    assert_eq!(&r[..1024], &bytes[1024..2048]);
    assert_eq!(&r[1024..], &bytes[4096..5120]);

    // a file that is no WAV: named, and nothing written
    let bad = dir.path().join("bad.wav");
    std::fs::write(&bad, b"not a wav").unwrap();
    std::fs::write(&list, format!("{}\n{}\n", a.display(), bad.display())).unwrap();
    let out2 = dir.path().join("g.bin");
    let assert = palimpsest()
        .args(["speech-features", "--list"])
        .arg(&list)
        .arg("--out")
        .arg(&out2)
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("bad.wav"), "{err}");
    assert!(!out2.exists());
}

#[test]
fn run_prints_the_final_models_confusion_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    let assert = palimpsest()
        .args(["run", "--scenario", "entity", "--strategy", "finetune"])
        .args(["--epochs", "1", "--confusion", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let r = record(&out);
    let names: Vec<&str> = r["class_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let table = stdout
        .split_once("confusion on every test set")
        .unwrap_or_else(|| panic!("no confusion matrix in {stdout}"))
        .1;
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(2)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), names.len(), "{table}");
    let (mut right, mut total) = (0, 0);
    for (c, (row, name)) in rows.iter().zip(&names).enumerate() {
        // name (one word or more), index, a count per class, the share right
        let counts: Vec<usize> = row[row.len() - 2 - names.len()..row.len() - 2]
            .iter()
            .map(|v| v.parse().unwrap())
            .collect();
        assert_eq!(row[..row.len() - 3 - names.len()].join(" "), *name);
        assert_eq!(row[row.len() - 3 - names.len()], c.to_string());
        right += counts[c];
        total += counts.iter().sum::<usize>();
    }
    // every test sample counted once, and the diagonal is the final A_T
    assert!(total > 0);
    let a_t = r["A"].as_array().unwrap().last().unwrap().as_f64().unwrap();
    let from_matrix = right as f64 / total as f64;
    assert!(
        (a_t - from_matrix).abs() < 1e-9,
        "A_T {a_t} against {from_matrix}"
    );
}

/// The teaching stream trains through the binary: five tasks of two
/// classes each, named in the record.
#[test]
fn the_teaching_stream_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.json");
    palimpsest()
        .args(["run", "--scenario", "teaching", "--strategy", "finetune"])
        .args(["--epochs", "1", "--seed", "2", "--out"])
        .arg(&out)
        .assert()
        .success();
    let r = record(&out);
    assert_eq!(r["config"]["scenario"], "teaching");
    let tasks = r["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 5);
    assert!(
        tasks
            .iter()
            .all(|t| t["classes"].as_array().unwrap().len() == 2)
    );
}

/// A learning rate within the accepted range that makes the loss blow up
/// (finite, hundreds of times the first step's) is caught: a warning, then
/// one line that says what happened and what to try, exit status 2, and a
/// record that holds no collapsed task.
#[test]
fn a_loss_that_blows_up_is_named_with_what_to_try() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let assert = palimpsest()
        .args(["run", "--scenario", "teaching", "--strategy", "finetune"])
        .args(["--epochs", "1", "--lr", "10", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("warning: diverged at task 1")
                && l.contains("its loss blew up from")),
        "{err}"
    );
    let last = lines.last().unwrap();
    assert!(
        last.starts_with("error: diverged at task 1")
            && last.contains("blew up")
            && last.ends_with("Try a smaller learning rate (the default is 0.001)"),
        "{err}"
    );
    let r = record(&out);
    assert_eq!(r["acc_matrix"].as_array().unwrap().len(), 0);
    assert_eq!(r["divergences"][1]["cause"]["kind"], "blew_up");
}
