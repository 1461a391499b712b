//! The rows of an imagefolder's `metadata.jsonl` / `metadata.csv`: parsed
//! (JSON per line with serde_json, CSV with the `csv` crate), each placed
//! next to its metadata file, and every row either used by an image or
//! reported by file and line.
//!
//! As in Hugging Face's imagefolder, a row's `file_name` is relative to the
//! folder that holds the metadata file: `cat/metadata.csv` speaks only of
//! files under `cat/`, never of same-named files in other folders.

use std::collections::{BTreeMap, BTreeSet};

use super::folder::ImportIssue;

/// One row of a metadata file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// Where the row is: `path/metadata.csv:LINE`.
    pub at: String,
    /// `file_name` as written.
    pub file_name: String,
    pub text: Option<String>,
    /// Trimmed; `Some("")` when the row gives an empty or blank label.
    pub label: Option<String>,
}

fn issue(at: String, problem: impl Into<String>) -> ImportIssue {
    ImportIssue {
        file: at,
        problem: problem.into(),
    }
}

/// Byte offsets where each line starts; a line ends at `\n`, `\r\n` or a
/// lone `\r` (old Mac files), the terminators the `csv` crate accepts.
fn line_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut starts = vec![0];
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            starts.push(i + 1);
        }
    }
    starts
}

/// The 1-based line of a byte offset.
fn line_of(starts: &[usize], byte: usize) -> usize {
    starts.partition_point(|&s| s <= byte)
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Rows of a `metadata.jsonl`: one JSON object per line.
pub(crate) fn parse_jsonl(text: &str, file: &str) -> (Vec<Row>, Vec<ImportIssue>) {
    let text = strip_bom(text);
    let starts = line_starts(text);
    let mut rows = Vec::new();
    let mut issues = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        // a BOM may also open a line of files joined by `cat`
        let line = strip_bom(text[start..end].trim_end_matches(['\r', '\n']));
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{file}:{}", i + 1);
        let obj = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(obj)) => obj,
            Ok(_) => {
                issues.push(issue(at, "row is not a JSON object; ignored"));
                continue;
            }
            Err(e) => {
                issues.push(issue(at, format!("not valid JSON ({e}); ignored")));
                continue;
            }
        };
        let field = |k: &str| -> Result<Option<String>, String> {
            match obj.get(k) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("\"{k}\" is not a string; row ignored")),
            }
        };
        match (field("file_name"), field("text"), field("label")) {
            (Ok(Some(file_name)), Ok(text), Ok(label)) if !file_name.trim().is_empty() => rows
                .push(Row {
                    at,
                    file_name,
                    text,
                    label: label.map(|l| l.trim().to_string()),
                }),
            (Ok(None), ..) => issues.push(issue(at, "row has no \"file_name\"; ignored")),
            (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => issues.push(issue(at, e)),
            (Ok(Some(_)), ..) => issues.push(issue(at, "row has an empty file_name; ignored")),
        }
    }
    (rows, issues)
}

/// Where a quote opened by the CSV is never closed (the byte of the quote),
/// following the `csv` crate's default dialect: a quote opens a field only at
/// its start, `""` inside a quoted field is one quote, anything after the
/// closing quote is literal. The `csv` crate reads such a field to the end
/// of the file without complaint.
fn unclosed_quote(text: &str) -> Option<usize> {
    enum S {
        Start,
        Field,
        /// inside a quoted field opened at this byte
        Quoted(usize),
        /// just after a quote inside one: closing, or the first of `""`
        AfterQuote(usize),
    }
    let mut s = S::Start;
    for (i, c) in text.bytes().enumerate() {
        s = match s {
            S::Quoted(q) if c == b'"' => S::AfterQuote(q),
            S::Quoted(q) => S::Quoted(q),
            S::AfterQuote(q) if c == b'"' => S::Quoted(q),
            _ if matches!(c, b',' | b'\r' | b'\n') => S::Start,
            S::Start if c == b'"' => S::Quoted(i),
            _ => S::Field,
        };
    }
    match s {
        S::Quoted(q) => Some(q),
        _ => None,
    }
}

/// Rows of a `metadata.csv`: a header with `file_name` and optionally
/// `text` and `label` (other columns are ignored), then one row per image.
/// A quoted field may span lines; a row is reported at the line it starts on.
pub(crate) fn parse_csv(text: &str, file: &str) -> (Vec<Row>, Vec<ImportIssue>) {
    let text = strip_bom(text);
    let starts = line_starts(text);
    let mut issues = Vec::new();
    let mut records = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    for result in reader.records() {
        match result {
            Ok(rec) => {
                // the position is where the previous record ended: skip the
                // blank lines csv skips to find the row's own first line
                let from = rec.position().map_or(0, |p| p.byte() as usize);
                let skipped = text[from..]
                    .bytes()
                    .take_while(|c| matches!(c, b'\r' | b'\n'))
                    .count();
                records.push((line_of(&starts, from + skipped), rec));
            }
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| line_of(&starts, p.byte() as usize));
                issues.push(issue(
                    format!("{file}:{line}"),
                    format!("not readable CSV ({e}); ignored"),
                ));
            }
        }
    }
    if let Some(q) = unclosed_quote(text) {
        // the open field ran to the end of the file: its row is the last one
        if let Some((line, _)) = records.pop() {
            let quote_line = line_of(&starts, q);
            let last = line_of(&starts, text.len().saturating_sub(1)).max(quote_line);
            issues.push(issue(
                format!("{file}:{line}"),
                format!(
                    "the quote opened on line {quote_line} is never closed; \
                     lines {line} to {last} are ignored"
                ),
            ));
        }
    }
    let mut records = records.into_iter();
    let Some((header_line, header)) = records.next() else {
        return (Vec::new(), issues);
    };
    let header: Vec<&str> = header.iter().map(str::trim).collect();
    let mut col = |n: &str| {
        let mut at = header.iter().enumerate().filter(|(_, h)| **h == n);
        let first = at.next().map(|(i, _)| i);
        if at.next().is_some() {
            issues.push(issue(
                format!("{file}:{header_line}"),
                format!("header names \"{n}\" twice; the first is used"),
            ));
        }
        first
    };
    let (fc, tc, lc) = (col("file_name"), col("text"), col("label"));
    let Some(fc) = fc else {
        issues.push(issue(
            format!("{file}:{header_line}"),
            "header has no \"file_name\" column; the file is ignored",
        ));
        return (Vec::new(), issues);
    };
    let mut rows = Vec::new();
    for (line, rec) in records {
        let at = format!("{file}:{line}");
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != header.len() {
            issues.push(issue(
                at,
                format!(
                    "row has {} fields, the header {}; row ignored",
                    rec.len(),
                    header.len()
                ),
            ));
            continue;
        }
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::to_string);
        let file_name = get(Some(fc)).unwrap_or_default();
        if file_name.trim().is_empty() {
            issues.push(issue(at, "row has an empty file_name; ignored"));
            continue;
        }
        rows.push(Row {
            at,
            file_name,
            text: get(tc).filter(|t| !t.is_empty()),
            label: get(lc).map(|l| l.trim().to_string()),
        });
    }
    (rows, issues)
}

/// A path relative to the import's root in one spelling: `/` separators,
/// no `.` or empty parts, `..` resolved; `None` when it climbs out.
pub(crate) fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.trim().split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The metadata of one import: rows by the file they describe, and which
/// rows an image has taken.
#[derive(Debug, Default)]
pub(crate) struct Table {
    rows: BTreeMap<String, Row>,
    used: BTreeSet<String>,
}

impl Table {
    /// Reads one metadata file (`path` is normalised; `text` its contents).
    pub fn add(&mut self, path: &str, text: &str, issues: &mut Vec<ImportIssue>) {
        let (rows, found) = if path.ends_with(".jsonl") {
            parse_jsonl(text, path)
        } else {
            parse_csv(text, path)
        };
        issues.extend(found);
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        for row in rows {
            let key = normalize(&format!("{dir}/{}", row.file_name)).filter(|k| !k.is_empty());
            let Some(key) = key else {
                issues.push(issue(
                    row.at,
                    format!(
                        "file_name \"{}\" points outside the imported folder; row ignored",
                        row.file_name
                    ),
                ));
                continue;
            };
            match self.rows.get(&key) {
                Some(first) => issues.push(issue(
                    row.at,
                    format!(
                        "a second row for \"{key}\" (the first is {}); this one is ignored",
                        first.at
                    ),
                )),
                None => {
                    self.rows.insert(key, row);
                }
            }
        }
    }

    /// The row for an image (its normalised path), marked as used.
    pub fn take(&mut self, image: &str) -> Option<Row> {
        let row = self.rows.get(image)?.clone();
        self.used.insert(image.to_string());
        Some(row)
    }

    /// Reports every row no image took: it names a file that is missing, or
    /// one that is not an image the import reads.
    pub fn report_unused(&self, files: &BTreeSet<String>, issues: &mut Vec<ImportIssue>) {
        for (key, row) in &self.rows {
            if self.used.contains(key) {
                continue;
            }
            let problem = if files.contains(key) {
                format!("names \"{key}\", which is not an image the import reads; row ignored")
            } else {
                format!("names \"{key}\", which is not among the imported files; row ignored")
            };
            issues.push(issue(row.at.clone(), problem));
        }
    }
}

#[cfg(test)]
#[path = "metadata_tests.rs"]
mod tests;
