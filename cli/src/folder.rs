//! Reading an imagefolder from disk into the core's in-memory import.

use std::path::Path;

use palimpsest_core::data::folder::{Import, ImportFile, MAX_FILE_BYTES, import_files};

/// Reads every file under `root` (recursively, hidden ones skipped) and
/// imports them; a file that cannot be read becomes an issue, not an abort.
pub fn import_dir(root: &Path) -> Result<Import, String> {
    if !root.is_dir() {
        return Err(format!(
            "{}: not a directory (and not a bundled scenario: entity, relation)",
            root.display()
        ));
    }
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            match std::fs::metadata(&path) {
                Ok(m) if m.len() as usize > MAX_FILE_BYTES => unreadable.push((
                    rel,
                    format!(
                        "file is {} bytes, larger than the {MAX_FILE_BYTES} byte limit",
                        m.len()
                    ),
                )),
                _ => match std::fs::read(&path) {
                    Ok(bytes) => files.push(ImportFile { path: rel, bytes }),
                    Err(e) => unreadable.push((rel, format!("cannot read: {e}"))),
                },
            }
        }
    }
    let mut imp = import_files(&files);
    for (file, problem) in unreadable {
        imp.issues
            .push(palimpsest_core::data::folder::ImportIssue { file, problem });
    }
    Ok(imp)
}
