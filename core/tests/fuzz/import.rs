//! The imagefolder import: metadata parsing and pairing on random file sets.

use std::time::{Duration, Instant};

use palimpsest_core::data::IMAGE_BYTES;
use palimpsest_core::data::folder::{
    ImportFile, import_files, is_image_name, pair_files, read_file,
};
use proptest::prelude::*;
use proptest::sample::{Index, select};

use crate::image::{good_images, png_header};
use crate::{Mutation, check, fuzz, mutate, mutation};

const FOLDERS: &[&str] = &[
    "cat", "dog", "Cat", "ün i", "a\nb", "", ".", "..", "x/y", "w\\in", ".hidden", "日本",
    "sp ace ",
];
const NAMES: &[&str] = &[
    "a.png",
    "b.PNG",
    "c.jpg",
    "d.jpeg",
    "e.gif",
    "f.txt",
    "g",
    "..png",
    " .png",
    "\n.png",
    "é.png",
    "h.bmp",
    "i.webp",
    "metadata.csv",
    "notes.txt",
];
const LABELS: &[&str] = &["cat", "dog", "", "   ", "ghost", "日本", "a\nb", "Cat"];

/// What an image file holds.
#[derive(Debug, Clone)]
enum Content {
    Good(Index),
    Truncated(Index, Index),
    Empty,
    Text,
    Random(Vec<u8>),
    /// A PNG header declaring these sides.
    Forged(u32, u32),
    Mutated(Index, Vec<Mutation>),
}

fn content() -> impl Strategy<Value = Content> {
    prop_oneof![
        6 => any::<Index>().prop_map(Content::Good),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Content::Truncated(a, b)),
        1 => Just(Content::Empty),
        1 => Just(Content::Text),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Content::Random),
        1 => (prop_oneof![Just(20_000u32), Just(4097), Just(0), 1u32..64], prop_oneof![Just(20_000u32), 1u32..64])
            .prop_map(|(w, h)| Content::Forged(w, h)),
        1 => (any::<Index>(), prop::collection::vec(mutation(), 1..4))
            .prop_map(|(i, m)| Content::Mutated(i, m)),
    ]
}

fn bytes_of(c: &Content) -> Vec<u8> {
    let good = good_images();
    match c {
        Content::Good(i) => i.get(good).clone(),
        Content::Truncated(i, cut) => {
            let g = i.get(good);
            g[..cut.index(g.len())].to_vec()
        }
        Content::Empty => Vec::new(),
        Content::Text => b"this is not an image\n".to_vec(),
        Content::Random(b) => b.clone(),
        Content::Forged(w, h) => png_header(*w, *h),
        Content::Mutated(i, m) => mutate(i.get(good).clone(), m),
    }
}

/// One metadata row as generated: the file it names (an index into the
/// images, or a missing or odd name), a label, and how its text is written.
#[derive(Debug, Clone)]
struct RowSpec {
    target: Target,
    label: Option<&'static str>,
    /// The text across lines / with a comma and quotes (CSV), or plain.
    fancy: bool,
    duplicate: bool,
}

#[derive(Debug, Clone)]
enum Target {
    Image(Index),
    Missing,
    Odd(&'static str),
}

#[derive(Debug, Clone)]
struct MetaSpec {
    /// Folder of the metadata file (an index into the images' folders, or the root).
    folder: Option<Index>,
    jsonl: bool,
    rows: Vec<RowSpec>,
    /// "\n", "\r\n" or "\r".
    eol: &'static str,
    bom: bool,
    /// Byte-level mutations of the finished file (then rows are not tracked).
    mutations: Vec<Mutation>,
}

fn row_spec() -> impl Strategy<Value = RowSpec> {
    (
        prop_oneof![
            6 => any::<Index>().prop_map(Target::Image),
            1 => Just(Target::Missing),
            1 => select(&["", "  ", "../out.png", "/abs.png", "cat/../cat/a.png", "./x.png"][..]).prop_map(Target::Odd),
        ],
        prop::option::of(select(LABELS)),
        any::<bool>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(target, label, fancy, duplicate)| RowSpec {
            target,
            label,
            fancy,
            duplicate,
        })
}

fn meta_spec() -> impl Strategy<Value = MetaSpec> {
    (
        prop::option::weighted(0.3, any::<Index>()),
        any::<bool>(),
        prop::collection::vec(row_spec(), 0..8),
        select(&["\n", "\r\n", "\r"][..]),
        prop::bool::weighted(0.2),
        prop_oneof![
            3 => Just(Vec::new()),
            1 => prop::collection::vec(meta_mutation(), 1..4),
        ],
    )
        .prop_map(|(folder, jsonl, rows, eol, bom, mutations)| MetaSpec {
            folder,
            jsonl,
            rows,
            eol,
            bom,
            mutations,
        })
}

/// Mutations that matter to CSV and JSON: quotes, line ends, separators,
/// braces, BOMs, plus random bytes.
fn meta_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), select(&["\"", "\n", "\r", ",", "{", "}", "\u{feff}", "\\", "\"\"", "\0"][..]))
            .prop_map(|(i, s)| Mutation::Insert(i, s.as_bytes().to_vec())),
        1 => mutation(),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    images: Vec<(&'static str, &'static str, Content)>,
    others: Vec<(&'static str, &'static str, Vec<u8>)>,
    metas: Vec<MetaSpec>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec((select(FOLDERS), select(NAMES), content()), 0..10),
        prop::collection::vec(
            (
                select(FOLDERS),
                select(&["x.txt", "a.txt", "readme", "metadata.jsonl"][..]),
                prop::collection::vec(any::<u8>(), 0..24),
            ),
            0..3,
        ),
        prop::collection::vec(meta_spec(), 0..3),
    )
        .prop_map(|(images, others, metas)| Case {
            images,
            others,
            metas,
        })
}

fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

/// A path as the import spells it: `/` separators, no `.` or empty parts,
/// `..` resolved; one that climbs out is kept as given.
fn norm(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.trim().split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return path.replace('\\', "/");
                }
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Line ends in `s`: `\n`, `\r\n` or a lone `\r`.
fn breaks(s: &str) -> usize {
    s.replace("\r\n", "\n").matches(['\n', '\r']).count()
}

/// A row written into a metadata file: where it starts, its text, and the
/// file it names (normalised as the import does).
struct Written {
    at: String,
    text: String,
    names: String,
}

/// The metadata file of `spec`: its path, bytes and the rows it holds
/// (none tracked once mutated at the byte level).
fn metadata(
    spec: &MetaSpec,
    n: usize,
    images: &[(String, Vec<u8>)],
) -> (String, Vec<u8>, Vec<Written>) {
    let folder = match spec.folder {
        Some(i) if !images.is_empty() => {
            let p = &i.get(images).0;
            p.rsplit_once('/')
                .map_or(String::new(), |(d, _)| d.to_string())
        }
        _ => String::new(),
    };
    let path = join(
        &folder,
        if spec.jsonl {
            "metadata.jsonl"
        } else {
            "metadata.csv"
        },
    );
    let shown = norm(&path);
    let dir = shown.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    let mut text = String::new();
    let mut line = 1;
    let mut written = Vec::new();
    if spec.bom {
        text.push('\u{feff}');
    }
    if !spec.jsonl {
        text.push_str("file_name,text,label");
        text.push_str(spec.eol);
        line += 1;
    }
    let mut rows: Vec<&RowSpec> = Vec::new();
    for r in &spec.rows {
        rows.push(r);
        if r.duplicate {
            rows.push(r);
        }
    }
    for (k, r) in rows.iter().enumerate() {
        let file_name = match &r.target {
            Target::Image(i) if !images.is_empty() => {
                let p = norm(&i.get(images).0);
                match p.strip_prefix(&format!("{dir}/")) {
                    Some(rel) => rel.to_string(),
                    None if dir.is_empty() => p,
                    None => format!("../{}", p.rsplit('/').next().unwrap_or(&p)),
                }
            }
            Target::Odd(s) => s.to_string(),
            _ => format!("missing{k}.png"),
        };
        let t = if r.fancy {
            format!("t{n}.{k}, \"quoted\"{}second line", spec.eol)
        } else {
            format!("t{n}.{k}")
        };
        let start = line;
        let before = text.len();
        if spec.jsonl {
            let mut obj = serde_json::json!({"file_name": file_name, "text": t});
            if let Some(l) = r.label {
                obj["label"] = l.into();
            }
            text.push_str(&obj.to_string());
        } else {
            let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            text.push_str(&format!(
                "{},{},{}",
                q(&file_name),
                q(&t),
                r.label.map(q).unwrap_or_default()
            ));
        }
        text.push_str(spec.eol);
        line += breaks(&text[before..]);
        written.push(Written {
            at: format!("{shown}:{start}"),
            text: t,
            names: norm(&format!("{dir}/{file_name}")),
        });
    }
    let bytes = mutate(text.into_bytes(), &spec.mutations);
    if !spec.mutations.is_empty() {
        written.clear();
    }
    (path, bytes, written)
}

#[test]
fn metadata_and_pairing() {
    fuzz("metadata_and_pairing", 1000, case(), |case| {
        let images: Vec<(String, Vec<u8>)> = case
            .images
            .iter()
            .map(|(f, n, c)| (join(f, n), bytes_of(c)))
            .collect();
        let mut files: Vec<ImportFile> = images
            .iter()
            .map(|(p, b)| ImportFile {
                path: p.clone(),
                bytes: b.clone(),
            })
            .collect();
        for (f, n, b) in &case.others {
            files.push(ImportFile {
                path: join(f, n),
                bytes: b.clone(),
            });
        }
        let mut rows = Vec::new();
        for (n, spec) in case.metas.iter().enumerate() {
            let (path, bytes, written) = metadata(spec, n, &images);
            // the first metadata file of a folder is the one tracked
            if files.iter().any(|f| norm(&f.path) == norm(&path)) {
                continue;
            }
            files.push(ImportFile { path, bytes });
            rows.extend(written);
        }
        let started = Instant::now();
        let read: Vec<_> = files.iter().map(read_file).collect();
        let (pairs, issues) = pair_files(&read);
        let imp = import_files(&files);
        check!(
            started.elapsed() < Duration::from_secs(10),
            "the import took {:?}",
            started.elapsed()
        );
        let reported = |name: &str| {
            issues
                .iter()
                .any(|i| i.file == name || i.problem.contains(&format!("\"{name}\"")))
        };
        // every image file is paired or reported by name
        for f in &files {
            let name = norm(&f.path);
            let base = name.rsplit('/').next().unwrap_or(&name);
            if !is_image_name(&f.path) || base.starts_with('.') || base.starts_with("metadata.") {
                continue;
            }
            let paired = pairs.iter().any(|p| p.file == name);
            check!(
                paired || reported(&name),
                "{name:?} neither paired nor reported: {issues:?}"
            );
        }
        for p in &pairs {
            check!(
                p.image.len() == IMAGE_BYTES,
                "{}: {} bytes",
                p.file,
                p.image.len()
            );
        }
        // every tracked metadata row is used by an image or reported
        for w in &rows {
            let used = pairs
                .iter()
                .any(|p| p.text.as_deref() == Some(w.text.as_str()));
            check!(
                used || issues.iter().any(|i| i.file == w.at) || reported(&w.names),
                "row {} ({:?} → {:?}) neither used nor reported: {issues:?}",
                w.at,
                w.text,
                w.names
            );
        }
        // every issue at a metadata line names a line of that file (of
        // the longest, should two files share the path)
        for i in &issues {
            let lines = |f: &ImportFile| {
                f.bytes
                    .iter()
                    .filter(|&&b| b == b'\n' || b == b'\r')
                    .count()
                    + 1
            };
            if let Some((file, line)) = i.file.rsplit_once(':')
                && let Ok(line) = line.parse::<usize>()
                && let Some(lines) = files
                    .iter()
                    .filter(|f| norm(&f.path) == file)
                    .map(lines)
                    .max()
            {
                check!(
                    line >= 1 && line <= lines,
                    "{} names line {line} of {lines}",
                    i.file
                );
            }
        }
        // the import keeps each labelled pair once, in its class
        let labelled = pairs.iter().filter(|p| p.label.is_some()).count();
        check!(
            imp.len() == labelled,
            "{} samples from {labelled} labelled pairs",
            imp.len()
        );
        for (class, samples) in &imp.classes {
            check!(
                samples.len() >= 2 || imp.issues.iter().any(|i| &i.file == class),
                "class {class:?} of {} sample(s) not reported",
                samples.len()
            );
        }
        Ok(())
    });
}
