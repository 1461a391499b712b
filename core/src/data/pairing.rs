//! Pairing the files of an import: images with their captions (metadata
//! rows or `.txt` files) and their classes (a label or the folder). Shared
//! by the CLI, which decodes images itself ([`read_file`]), and the browser,
//! which hands over pixels it decoded.

use std::collections::{BTreeMap, BTreeSet};

use super::folder::{ImportFile, ImportIssue, decode_image};
use super::metadata::{Table, normalize};

/// A path in one spelling (see [`normalize`]); one that climbs out of the
/// root is kept as given, so it matches no metadata row.
fn norm(path: &str) -> String {
    normalize(path).unwrap_or_else(|| path.replace('\\', "/"))
}

/// A file of an import once read. The CLI decodes images with the `image`
/// crate ([`read_file`]); the browser decodes them itself and hands over the
/// pixels, or the reason it could not.
#[derive(Debug, Clone)]
pub struct ReadFile {
    pub path: String,
    pub content: FileContent,
}

#[derive(Debug, Clone)]
pub enum FileContent {
    /// `IMAGE_BYTES` of RGB, or why the file is not a usable image.
    Image(Result<Vec<u8>, String>),
    /// Anything else, raw (metadata, caption `.txt` files, stray files).
    Bytes(Vec<u8>),
    /// A file that could not be read, or was too large to read, and why.
    Unread(String),
}

/// An image with its caption and, when the layout gives one, its class.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Pair {
    pub file: String,
    pub image: Vec<u8>,
    pub text: Option<String>,
    pub label: Option<String>,
}

/// What an image without a caption is told: it is used, without text.
pub const NO_CAPTION: &str = "no caption: the image is used without text";

/// Whether a file name looks like an image the importer reads.
pub fn is_image_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"]
        .iter()
        .any(|e| n.ends_with(e))
}

/// Reads one file natively: images are decoded, the rest kept as bytes.
pub fn read_file(f: &ImportFile) -> ReadFile {
    let content = if is_image_name(&f.path) {
        FileContent::Image(decode_image(&f.bytes))
    } else {
        FileContent::Bytes(f.bytes.clone())
    };
    ReadFile {
        path: f.path.clone(),
        content,
    }
}

fn stem(path: &str) -> &str {
    match path.rsplit_once('.') {
        Some((s, ext)) if !ext.contains('/') => s,
        _ => path,
    }
}

/// Pairs images with their captions — from `metadata.jsonl`/`.csv`, or from
/// a `.txt` file of the same name — and with a class: the metadata's label,
/// else the image's folder. A metadata row speaks of files under its own
/// folder (see [`super::metadata`]); a row that is broken, repeats an image,
/// names no image or gives an empty label is reported by file and line. A
/// metadata label that names no class folder (when there are class folders)
/// is reported and the image skipped; an image without a caption is kept
/// without text and reported.
pub fn pair_files(files: &[ReadFile]) -> (Vec<Pair>, Vec<ImportIssue>) {
    let mut issues = Vec::new();
    let mut meta = Table::default();
    let mut captions = BTreeMap::new();
    // metadata nearest the root first, then in path order: which of two
    // rows for one image is kept never depends on the order files arrived in
    let mut sorted: Vec<(String, &ReadFile)> = files.iter().map(|f| (norm(&f.path), f)).collect();
    sorted.sort_by_cached_key(|(name, _)| (name.matches('/').count(), name.clone()));
    for (name, f) in sorted {
        let base = name.rsplit('/').next().unwrap_or(&name);
        let FileContent::Bytes(bytes) = &f.content else {
            continue;
        };
        let is_meta = base == "metadata.jsonl" || base == "metadata.csv";
        let is_caption = base.to_ascii_lowercase().ends_with(".txt");
        if !is_meta && !is_caption {
            continue;
        }
        match std::str::from_utf8(bytes) {
            Ok(text) if is_meta => meta.add(&name, text, &mut issues),
            Ok(text) => {
                captions.insert(stem(&name).to_string(), text.trim().to_string());
            }
            Err(_) => issues.push(ImportIssue {
                file: name.clone(),
                problem: "is not UTF-8 text".into(),
            }),
        }
    }
    let image_paths: Vec<String> = files
        .iter()
        .filter(|f| matches!(f.content, FileContent::Image(_)))
        .map(|f| norm(&f.path))
        .collect();
    let folders: BTreeSet<String> = image_paths
        .iter()
        .filter_map(|p| {
            p.rsplit_once('/')
                .map(|(d, _)| d.rsplit('/').next().unwrap_or(d).to_string())
        })
        .collect();
    let image_stems: BTreeSet<&str> = image_paths.iter().map(|p| stem(p)).collect();
    let mut pairs = Vec::new();
    for f in files {
        let name = norm(&f.path);
        let base = name.rsplit('/').next().unwrap_or(&name).to_string();
        if base.starts_with('.') || base == "metadata.jsonl" || base == "metadata.csv" {
            continue;
        }
        let pixels = match &f.content {
            FileContent::Image(px) => px,
            FileContent::Bytes(_) if base.to_ascii_lowercase().ends_with(".txt") => {
                if !image_stems.contains(stem(&name)) {
                    issues.push(ImportIssue {
                        file: name.clone(),
                        problem: "caption file without an image of the same name".into(),
                    });
                }
                continue;
            }
            FileContent::Unread(why) => {
                issues.push(ImportIssue {
                    file: name,
                    problem: format!("{why}; not read"),
                });
                continue;
            }
            FileContent::Bytes(_) => {
                issues.push(ImportIssue {
                    file: name,
                    problem: "not an image file (expected .png, .jpg, .jpeg, .gif, .bmp or .webp)"
                        .into(),
                });
                continue;
            }
        };
        let row = meta.take(&name);
        let folder = name
            .rsplit_once('/')
            .map(|(d, _)| d.rsplit('/').next().unwrap_or(d).to_string());
        let label = match (row.as_ref().and_then(|r| r.label.as_ref()), folder) {
            (Some(l), folder) if l.is_empty() => {
                let at = row.as_ref().map_or(name.clone(), |r| r.at.clone());
                let Some(folder) = folder else {
                    issues.push(ImportIssue {
                        file: at,
                        problem: format!("empty label for \"{name}\"; the image is left out"),
                    });
                    continue;
                };
                issues.push(ImportIssue {
                    file: at,
                    problem: format!(
                        "empty label for \"{name}\"; its folder \"{folder}\" gives the class"
                    ),
                });
                Some(folder)
            }
            (Some(l), _) if folders.is_empty() || folders.contains(l) => Some(l.clone()),
            (Some(l), _) => {
                issues.push(ImportIssue {
                    file: name,
                    problem: format!("label \"{l}\" names no class folder"),
                });
                continue;
            }
            (None, folder) => folder,
        };
        let image = match pixels {
            Ok(px) if px.len() == super::IMAGE_BYTES => px.clone(),
            Ok(px) => {
                issues.push(ImportIssue {
                    file: name,
                    problem: format!(
                        "decoded to {} bytes instead of {}",
                        px.len(),
                        super::IMAGE_BYTES
                    ),
                });
                continue;
            }
            Err(problem) => {
                issues.push(ImportIssue {
                    file: name,
                    problem: problem.clone(),
                });
                continue;
            }
        };
        let text = row
            .and_then(|r| r.text)
            .or_else(|| captions.get(stem(&name)).cloned())
            .filter(|t| !t.trim().is_empty());
        if text.is_none() {
            issues.push(ImportIssue {
                file: name.clone(),
                problem: NO_CAPTION.into(),
            });
        }
        pairs.push(Pair {
            file: name,
            image,
            text,
            label,
        });
    }
    let names: BTreeSet<String> = files.iter().map(|f| norm(&f.path)).collect();
    meta.report_unused(&names, &mut issues);
    (pairs, issues)
}
