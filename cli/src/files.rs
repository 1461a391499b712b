//! The files a command reads and writes: inputs read up to a size limit,
//! outputs checked before the work starts and written whole or not at all.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The text of `path` (`-`: stdin), refused past `cap` bytes without
/// reading further. I/O errors read "cannot read NAME: …".
pub fn read_capped(path: &str, cap: u64) -> Result<String, String> {
    let (name, reader): (&str, Box<dyn Read>) = if path == "-" {
        ("stdin", Box::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(path)
            .map_err(|e| format!("cannot read {path}: {}", io_message(&e)))?;
        (path, Box::new(f))
    };
    let mut text = String::new();
    reader
        .take(cap + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read {name}: {}", io_message(&e)))?;
    if text.len() as u64 > cap {
        return Err(format!(
            "{name} is over the {} MiB this command reads",
            cap >> 20
        ));
    }
    Ok(text)
}

/// The I/O error's text without the trailing " (os error N)".
pub fn io_message(e: &std::io::Error) -> String {
    let full = e.to_string();
    match e.raw_os_error() {
        Some(code) => full
            .strip_suffix(&format!(" (os error {code})"))
            .unwrap_or(&full)
            .to_string(),
        None => full,
    }
}

/// Refuses, before any work, an output path whose folder does not exist or
/// that names a folder.
pub fn check_out(path: &str) -> Result<(), String> {
    let p = Path::new(path);
    if p.is_dir() {
        return Err(format!("cannot write {path}: it is a folder"));
    }
    let parent = folder_of(p);
    if !parent.is_dir() {
        return Err(format!(
            "cannot write {path}: the folder {} does not exist",
            parent.display()
        ));
    }
    Ok(())
}

fn folder_of(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`: a reader sees the old file or the new one, never half of one.
pub fn write_atomic(path: &str, bytes: &[u8]) -> Result<(), String> {
    let p = Path::new(path);
    let name = p
        .file_name()
        .ok_or_else(|| format!("cannot write {path}: no file name"))?;
    let tmp = folder_of(p).join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, p)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {path}: {e}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_folder_refused_and_atomic_write_replaces() {
        let dir = std::env::temp_dir().join(format!("palimpsest-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("nope").join("r.json");
        let err = check_out(missing.to_str().unwrap()).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
        assert!(
            check_out(dir.to_str().unwrap())
                .unwrap_err()
                .contains("folder")
        );
        let file = dir.join("r.json");
        let f = file.to_str().unwrap();
        check_out(f).unwrap();
        write_atomic(f, b"one").unwrap();
        write_atomic(f, b"two").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        // nothing left beside it
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        // reading stops past the cap
        assert_eq!(read_capped(f, 3).unwrap(), "two");
        let e = read_capped(f, 2).unwrap_err();
        assert!(e.contains("is over the"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
