//! The folder walk of `palimpsest run --scenario DIR`, through the real
//! binary: links that loop, FIFOs and devices, unreadable folders, limits.
#![cfg(unix)]

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

/// Ample for a one-epoch run of ten images; a walk that hangs fails here.
const TIMEOUT: Duration = Duration::from_secs(300);

fn png(v: u8) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(16, 16, image::Rgb([v, 255 - v, v / 2]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// `cats/` and `dogs/`, five distinct images each.
fn dataset() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (c, base) in [("cats", 20u8), ("dogs", 200)] {
        std::fs::create_dir(dir.path().join(c)).unwrap();
        for i in 0..5u8 {
            let path = dir.path().join(c).join(format!("{i}.png"));
            std::fs::write(path, png(base + i * 5)).unwrap();
        }
    }
    dir
}

fn run_args(data: &Path, out: &Path) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = [
        "run",
        "--strategy",
        "finetune",
        "--epochs",
        "1",
        "--classes-per-task",
        "1",
        "--scenario",
    ]
    .map(Into::into)
    .to_vec();
    args.extend([data.into(), "--out".into(), out.into()]);
    args
}

/// Runs on `data`; the output and the record it wrote.
fn run(data: &Path) -> (Output, serde_json::Value) {
    let out = data.join("run.json");
    let output = Command::cargo_bin("palimpsest")
        .unwrap()
        .args(run_args(data, &out))
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    record(output, &out)
}

fn record(output: Output, out: &Path) -> (Output, serde_json::Value) {
    assert!(output.status.success(), "{}", stderr(&output));
    let r = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    (output, r)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Each class's task holds its five images once: train is three augmented
/// copies of the images not kept for testing, test the rest.
fn assert_five_images_per_class(r: &serde_json::Value) {
    let tasks = r["tasks"].as_array().unwrap();
    let classes: Vec<&str> = tasks
        .iter()
        .map(|t| t["classes"][0].as_str().unwrap())
        .collect();
    assert_eq!(classes, ["cats", "dogs"]);
    for t in tasks {
        let (train, test) = (
            t["train_size"].as_u64().unwrap(),
            t["test_size"].as_u64().unwrap(),
        );
        assert_eq!(train % 3, 0, "{t}");
        assert_eq!(train / 3 + test, 5, "an image read twice: {t}");
    }
}

#[test]
fn a_link_to_the_parent_reads_nothing_twice() {
    let data = dataset();
    symlink("..", data.path().join("cats/up")).unwrap();
    let (output, r) = run(data.path());
    let err = stderr(&output);
    assert!(
        err.contains("warning: cats/up: a link to a folder already read"),
        "{err}"
    );
    assert!(!err.contains("cats/up/"), "read through the link: {err}");
    assert_five_images_per_class(&r);
}

#[test]
fn two_links_to_the_folder_itself_end() {
    let data = dataset();
    symlink(".", data.path().join("a")).unwrap();
    symlink(".", data.path().join("b")).unwrap();
    let (output, r) = run(data.path());
    let err = stderr(&output);
    for link in ["a", "b"] {
        assert!(
            err.contains(&format!(
                "warning: {link}: a link to a folder already read (the imported folder itself)"
            )),
            "{err}"
        );
    }
    assert_five_images_per_class(&r);
}

#[test]
fn fifos_and_devices_are_skipped_and_names_printed_escaped() {
    let data = dataset();
    let fifo = data.path().join("cats/pipe.png");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    symlink("/dev/zero", data.path().join("dogs/zero.png")).unwrap();
    std::fs::write(data.path().join("dogs/x\n\u{1b}[31mforged.md"), "hi").unwrap();
    let (output, r) = run(data.path());
    let err = stderr(&output);
    assert!(
        err.contains("warning: cats/pipe.png: a FIFO, not a regular file; skipped"),
        "{err}"
    );
    assert!(
        err.contains("warning: dogs/zero.png: a device, not a regular file; skipped"),
        "{err}"
    );
    assert!(
        err.contains("warning: dogs/x\\n\\u{1b}[31mforged.md: not an image file"),
        "{err}"
    );
    assert!(!err.contains('\u{1b}'), "{err}");
    assert!(
        err.lines()
            .filter(|l| l.contains("forged"))
            .all(|l| l.starts_with("warning: dogs/x")),
        "{err}"
    );
    assert_five_images_per_class(&r);
}

/// How to run the binary without the power to read an unreadable folder:
/// directly, or as `nobody` through setpriv when the tests run as root
/// (root reads a folder whatever its mode): the command's prefix, or why
/// neither works here.
fn unprivileged(locked: &Path) -> Result<Vec<String>, String> {
    if std::fs::read_dir(locked).is_err() {
        return Ok(Vec::new());
    }
    let bin: PathBuf = assert_cmd::cargo::cargo_bin("palimpsest");
    let setpriv = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ]
    .map(String::from)
    .to_vec();
    let probe = std::process::Command::new(&setpriv[0])
        .args(&setpriv[1..])
        .arg(&bin)
        .arg("list")
        .output();
    match probe {
        Ok(o) if o.status.success() => Ok(setpriv),
        Ok(o) => Err(format!(
            "running as root, and the binary does not run as nobody through setpriv: {}",
            stderr(&o).trim()
        )),
        Err(e) => Err(format!("running as root, and no setpriv to drop it: {e}")),
    }
}

#[test]
fn an_unreadable_folder_is_reported_and_skipped() {
    let data = dataset();
    let secret = data.path().join("secret");
    std::fs::create_dir(&secret).unwrap();
    for i in 0..3u8 {
        std::fs::write(secret.join(format!("{i}.png")), png(i * 40)).unwrap();
    }
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let restore = || std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o755));
    let prefix = match unprivileged(&secret) {
        Ok(prefix) => prefix,
        Err(why) => {
            restore().unwrap();
            println!("skipped: {why}; chmod 000 cannot make a folder unreadable here");
            return;
        }
    };
    // as nobody: the dataset readable, the record writable
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("palimpsest");
    let out = data.path().join("run.json");
    let mut cmd = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    let output = cmd
        .args(run_args(data.path(), &out))
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    restore().unwrap();
    let (output, r) = record(output, &out);
    let err = stderr(&output);
    assert!(
        err.contains("warning: secret: cannot read folder: Permission denied"),
        "{err}"
    );
    assert_five_images_per_class(&r);
}

/// One line on stderr, exit 2, and no training.
fn refused(data: &Path) -> String {
    let output = Command::cargo_bin("palimpsest")
        .unwrap()
        .args(run_args(data, &data.join("run.json")))
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(!data.join("run.json").exists());
    let err = stderr(&output);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

#[test]
fn limits_on_files_folders_and_bytes_refuse_the_import_before_reading() {
    // 20001 empty files: one more than MAX_FILES
    let data = dataset();
    let many = data.path().join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..20_001 - 10 {
        std::fs::File::create(many.join(format!("{i}.png"))).unwrap();
    }
    let err = refused(data.path());
    assert!(
        err.contains("more than 20000 files, the limit for one import (MAX_FILES)"),
        "{err}"
    );
    // 5001 folders
    let data = dataset();
    for i in 0..5_001 - 2 {
        std::fs::create_dir(data.path().join(format!("d{i}"))).unwrap();
    }
    let err = refused(data.path());
    assert!(
        err.contains("more than 5000 folders, the limit for one import (MAX_FOLDERS)"),
        "{err}"
    );
    // 52 sparse files of 10 MiB (the per-file limit): 520 MiB in all, over
    // the 512 MiB MAX_TOTAL_BYTES, refused from their sizes (no disk used,
    // nothing read)
    let data = dataset();
    for i in 0..52 {
        let f = std::fs::File::create(data.path().join(format!("cats/big{i}.png"))).unwrap();
        f.set_len(10 * 1024 * 1024).unwrap();
    }
    let err = refused(data.path());
    assert!(
        err.contains("more than 536870912 bytes (512 MiB), the limit for one import"),
        "{err}"
    );
}
