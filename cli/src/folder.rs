//! Reading an imagefolder from disk into the core's in-memory import.
//!
//! The walk reads regular files only (a FIFO would block it, a device such
//! as /dev/zero never ends), follows symbolic links but enters no folder and
//! reads no file twice (known by device and inode, so a link to `..` or to
//! `.` adds nothing and ends), and stops at limits on files, folders and
//! bytes. A folder or file it cannot read is reported and skipped.
//! Everything is looked at before anything is read: a limit is met before
//! a byte is spent on it.

use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

use palimpsest_core::data::folder::{
    Import, ImportFile, ImportIssue, MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, escape,
    import_files,
};
use palimpsest_core::run::BUNDLED_SCENARIOS;

/// Most folders one import enters. (Most files — any entry that is not a
/// folder, links included — and most bytes: core's `MAX_FILES` and
/// `MAX_TOTAL_BYTES`, which the browser's uploads share.)
pub const MAX_FOLDERS: usize = 5_000;

/// Where a file or folder lives, whatever path led to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Id(u64, u64);

#[cfg(unix)]
fn id_of(_: &Path, m: &Metadata) -> Id {
    use std::os::unix::fs::MetadataExt;
    Id(m.dev(), m.ino())
}

/// Without inodes: the canonical path stands in for one.
#[cfg(not(unix))]
fn id_of(path: &Path, _: &Metadata) -> Id {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .hash(&mut h);
    Id(0, h.finish())
}

/// What kind of thing a path that is neither a file nor a folder is.
fn kind(m: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = m.file_type();
        if t.is_fifo() {
            return "a FIFO";
        } else if t.is_socket() {
            return "a socket";
        } else if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    let _ = m;
    "not a regular file"
}

/// Opens a file that was a regular file when the walk looked: without
/// blocking, should it have been swapped for a FIFO since.
fn open(path: &Path) -> std::io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// A file the walk will read.
struct Planned {
    path: PathBuf,
    rel: String,
    id: Id,
}

#[derive(Default)]
struct Walk {
    /// Folders entered, with the path they were entered by.
    dirs: HashMap<Id, String>,
    /// Files planned (or refused), with the path they were found at first.
    seen: HashMap<Id, String>,
    planned: Vec<Planned>,
    issues: Vec<ImportIssue>,
    files: usize,
    bytes: u64,
}

fn issue(file: &str, problem: impl Into<String>) -> ImportIssue {
    ImportIssue {
        file: if file.is_empty() {
            ".".into()
        } else {
            file.into()
        },
        problem: problem.into(),
    }
}

fn join(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_string()
    } else {
        format!("{rel}/{name}")
    }
}

impl Walk {
    /// Counts one more file, failing past the limit.
    fn count_file(&mut self, root: &str) -> Result<(), String> {
        self.files += 1;
        if self.files > MAX_FILES {
            return Err(format!(
                "{root}: more than {MAX_FILES} files, the limit for one import (MAX_FILES); \
                 import a smaller folder"
            ));
        }
        Ok(())
    }

    /// Plans one file found at `rel` (`m` follows links): refused when it is
    /// not a regular file, already planned, or too large.
    fn file(&mut self, path: PathBuf, rel: String, m: &Metadata, root: &str) -> Result<(), String> {
        if !m.is_file() {
            self.issues.push(issue(
                &rel,
                format!("{}, not a regular file; skipped", kind(m)),
            ));
            return Ok(());
        }
        let id = id_of(&path, m);
        if let Some(first) = self.seen.get(&id) {
            let problem = format!("the same file as \"{first}\" (a link), read once");
            self.issues.push(issue(&rel, problem));
            return Ok(());
        }
        self.seen.insert(id, rel.clone());
        if m.len() > MAX_FILE_BYTES as u64 {
            self.issues.push(issue(
                &rel,
                format!(
                    "file is {} bytes, larger than the {MAX_FILE_BYTES} byte limit",
                    m.len()
                ),
            ));
            return Ok(());
        }
        self.bytes += m.len();
        if self.bytes > MAX_TOTAL_BYTES {
            return Err(total_error(root));
        }
        self.planned.push(Planned { path, rel, id });
        Ok(())
    }
}

fn total_error(root: &str) -> String {
    format!(
        "{root}: its files add up to more than {MAX_TOTAL_BYTES} bytes ({} MiB), the limit \
         for one import (MAX_TOTAL_BYTES); import a smaller folder",
        MAX_TOTAL_BYTES >> 20
    )
}

/// Looks at every entry under `root`, hidden ones skipped: folders reached
/// through links only after every real folder, and files reached through
/// links only at the end, so that a file is named by its real path when it
/// has one.
fn walk(root: &Path, shown: &str) -> Result<Walk, String> {
    let mut w = Walk::default();
    let mut real = vec![(root.to_path_buf(), String::new())];
    let mut linked_dirs: Vec<(PathBuf, String)> = Vec::new();
    let mut linked_files: Vec<(PathBuf, String)> = Vec::new();
    loop {
        let (dir, rel) = match real.pop() {
            Some(next) => next,
            None => {
                // popped in name order
                linked_dirs.sort_by(|a, b| b.1.cmp(&a.1));
                match linked_dirs.pop() {
                    Some(next) => next,
                    None => break,
                }
            }
        };
        let m = match fs::metadata(&dir) {
            Ok(m) => m,
            Err(e) => {
                w.issues
                    .push(issue(&rel, format!("cannot read folder: {e}; skipped")));
                continue;
            }
        };
        let id = id_of(&dir, &m);
        if let Some(first) = w.dirs.get(&id) {
            let first = if first.is_empty() {
                "the imported folder itself".to_string()
            } else {
                format!("\"{first}\"")
            };
            w.issues.push(issue(
                &rel,
                format!("a link to a folder already read ({first}); skipped"),
            ));
            continue;
        }
        w.dirs.insert(id, rel.clone());
        if w.dirs.len() > MAX_FOLDERS {
            return Err(format!(
                "{shown}: more than {MAX_FOLDERS} folders, the limit for one import \
                 (MAX_FOLDERS); import a smaller folder"
            ));
        }
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if rel.is_empty() => return Err(format!("{shown}: cannot read: {e}")),
            Err(e) => {
                w.issues
                    .push(issue(&rel, format!("cannot read folder: {e}; skipped")));
                continue;
            }
        };
        let mut list = Vec::new();
        for entry in entries {
            match entry {
                Ok(e) => list.push(e),
                Err(e) => w.issues.push(issue(
                    &rel,
                    format!("cannot read an entry of the folder: {e}"),
                )),
            }
        }
        list.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in list {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let child = join(&rel, &name);
            let t = match entry.file_type() {
                Ok(t) => t,
                Err(e) => {
                    w.issues.push(issue(&child, format!("cannot read: {e}")));
                    continue;
                }
            };
            if t.is_dir() {
                subdirs.push((path, child));
                continue;
            }
            w.count_file(shown)?;
            if t.is_symlink() {
                match fs::metadata(&path) {
                    Ok(m) if m.is_dir() => linked_dirs.push((path, child)),
                    Ok(_) => linked_files.push((path, child)),
                    Err(e) => w.issues.push(issue(
                        &child,
                        format!("a link that leads nowhere ({e}); skipped"),
                    )),
                }
                continue;
            }
            match entry.metadata() {
                Ok(m) => w.file(path, child, &m, shown)?,
                Err(e) => w.issues.push(issue(&child, format!("cannot read: {e}"))),
            }
        }
        // popped in name order
        real.extend(subdirs.into_iter().rev());
    }
    for (path, rel) in linked_files {
        match fs::metadata(&path) {
            Ok(m) => w.file(path, rel, &m, shown)?,
            Err(e) => w.issues.push(issue(&rel, format!("cannot read: {e}"))),
        }
    }
    Ok(w)
}

/// Reads one planned file: it must still be the regular file the walk saw,
/// and no larger than the limit.
fn read(p: &Planned) -> Result<Vec<u8>, String> {
    let file = open(&p.path).map_err(|e| format!("cannot read: {e}"))?;
    let m = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !m.is_file() || id_of(&p.path, &m) != p.id {
        return Err("changed while the folder was read; skipped".into());
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(format!(
            "file grew past the {MAX_FILE_BYTES} byte limit while the folder was read"
        ));
    }
    Ok(bytes)
}

/// Reads every file under `root` (see the module's notes) and imports
/// them; a file or folder that cannot be read becomes an issue, not an
/// abort. Errors: `root` is not a readable folder, or a limit was passed.
/// The import a run of `scenario` needs: none for a bundled scenario, else
/// the folder it names, its issues printed as warnings.
pub fn import_for(scenario: &str) -> Result<Option<Import>, String> {
    match scenario {
        name if BUNDLED_SCENARIOS.contains(&name) => Ok(None),
        path => {
            let imp = import_dir(Path::new(path))?;
            for issue in &imp.issues {
                eprintln!("warning: {issue}");
            }
            Ok(Some(imp))
        }
    }
}

pub fn import_dir(root: &Path) -> Result<Import, String> {
    let shown = escape(&root.display().to_string()).into_owned();
    if !root.is_dir() {
        return Err(format!(
            "{shown}: not a directory (and not a bundled scenario: {})",
            BUNDLED_SCENARIOS.join(", ")
        ));
    }
    let walk = walk(root, &shown)?;
    let mut issues = walk.issues;
    let mut files = Vec::with_capacity(walk.planned.len());
    let mut total = 0u64;
    for p in &walk.planned {
        match read(p) {
            Ok(bytes) => {
                total += bytes.len() as u64;
                if total > MAX_TOTAL_BYTES {
                    return Err(total_error(&shown));
                }
                files.push(ImportFile {
                    path: p.rel.clone(),
                    bytes,
                });
            }
            Err(problem) => issues.push(issue(&p.rel, problem)),
        }
    }
    let mut imp = import_files(&files);
    issues.append(&mut imp.issues);
    imp.issues = issues;
    Ok(imp)
}
