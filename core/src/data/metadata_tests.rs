//! Metadata rows: each failure a user's CSV or JSONL can hold, read the way
//! the `csv` crate and serde_json read it, and reported by file and line.

use super::*;
use crate::data::IMAGE_BYTES;
use crate::data::folder::{FileContent, Pair, ReadFile, pair_files};

fn image(path: &str) -> ReadFile {
    ReadFile {
        path: path.into(),
        content: FileContent::Image(Ok(vec![9; IMAGE_BYTES])),
    }
}

fn text(path: &str, s: &str) -> ReadFile {
    ReadFile {
        path: path.into(),
        content: FileContent::Bytes(s.as_bytes().to_vec()),
    }
}

/// Pairs the files; the pairs by file, and the issues as printed.
fn pair(files: &[ReadFile]) -> (BTreeMap<String, Pair>, Vec<String>) {
    let (pairs, issues) = pair_files(files);
    let pairs = pairs.into_iter().map(|p| (p.file.clone(), p)).collect();
    (pairs, issues.iter().map(ToString::to_string).collect())
}

fn caption<'a>(pairs: &'a BTreeMap<String, Pair>, file: &str) -> Option<&'a str> {
    pairs[file].text.as_deref()
}

#[test]
fn a_quoted_field_across_lines_is_one_field_and_later_rows_keep_their_lines() {
    let csv = "file_name,text,label\n\
               a.png,\"two\nlines, and \"\"quotes\"\"\",x\n\
               b.png,plain,x\n\
               c.png,too,many,fields\n";
    let (rows, issues) = parse_csv(csv, "m.csv");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].at, "m.csv:2");
    assert_eq!(rows[0].text.as_deref(), Some("two\nlines, and \"quotes\""));
    assert_eq!(rows[1].at, "m.csv:4", "the row after the two-line field");
    let issues: Vec<String> = issues.iter().map(ToString::to_string).collect();
    assert_eq!(
        issues,
        ["m.csv:5: row has 4 fields, the header 3; row ignored"]
    );
}

#[test]
fn an_unterminated_quote_is_reported_where_its_row_starts() {
    let csv = "file_name,text\na.png,fine\nb.png,\"never closed\nc.png,swallowed\n";
    let (rows, issues) = parse_csv(csv, "m.csv");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].file_name, "a.png");
    assert_eq!(issues.len(), 1);
    assert_eq!(
        issues[0].to_string(),
        "m.csv:3: the quote opened on line 3 is never closed; lines 3 to 4 are ignored"
    );
    // the header itself left open: nothing is read, one report
    let (rows, issues) = parse_csv("\"file_name,text\na.png,x\n", "h.csv");
    assert!(rows.is_empty());
    assert_eq!(issues.len(), 1);
    assert!(issues[0].to_string().starts_with("h.csv:1: the quote"));
}

#[test]
fn the_quote_scan_agrees_with_the_csv_crate() {
    // (input, fields of the csv crate's one record, whether a quote is open)
    for (input, fields, open) in [
        ("a\"b,c", vec!["a\"b", "c"], false),
        ("\"a\"\"b\",c", vec!["a\"b", "c"], false),
        ("\"a\"b\"c,d", vec!["ab\"c", "d"], false),
        ("x,\"abc", vec!["x", "abc"], true),
        ("x,\"a\"\"", vec!["x", "a\""], true),
        ("\"\"", vec![""], false),
    ] {
        let rec = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(input.as_bytes())
            .records()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(rec.iter().collect::<Vec<_>>(), fields, "{input}");
        assert_eq!(unclosed_quote(input).is_some(), open, "{input}");
    }
}

#[test]
fn cr_only_line_endings_are_rows_with_their_own_line_numbers() {
    let csv = "file_name,text\ra.png,one\r\rb.png,two\rc.png\r";
    let (rows, issues) = parse_csv(csv, "m.csv");
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.at.as_str(), r.text.as_deref().unwrap()))
        .collect();
    assert_eq!(got, [("m.csv:2", "one"), ("m.csv:4", "two")]);
    assert_eq!(issues.len(), 1);
    assert!(
        issues[0]
            .to_string()
            .starts_with("m.csv:5: row has 1 fields")
    );
    let jsonl = "{\"file_name\": \"a.png\"}\r{\"file_name\": \"b.png\"}\rnope\r";
    let (rows, issues) = parse_jsonl(jsonl, "m.jsonl");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].at, "m.jsonl:2");
    assert!(
        issues[0]
            .to_string()
            .starts_with("m.jsonl:3: not valid JSON")
    );
}

#[test]
fn a_bom_opening_the_file_does_not_cost_its_first_line() {
    let (rows, issues) = parse_csv("\u{feff}file_name,text\na.png,x\n", "m.csv");
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(rows[0].file_name, "a.png");
    let jsonl = "\u{feff}{\"file_name\": \"a.png\", \"text\": \"first\"}\n\
                 \u{feff}{\"file_name\": \"b.png\"}\n";
    let (rows, issues) = parse_jsonl(jsonl, "m.jsonl");
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].text.as_deref(), Some("first"));
}

#[test]
fn jsonl_rows_of_the_wrong_shape_are_reported_by_line() {
    let jsonl = "[1, 2]\n{\"text\": \"no name\"}\n{\"file_name\": \"a.png\", \"label\": 3}\n\n\
                 {\"file_name\": \"b.png\", \"text\": null, \"extra\": 1}\n\
                 {\"file_name\": \" \"}\n";
    let (rows, issues) = parse_jsonl(jsonl, "m.jsonl");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].at.as_str(), rows[0].text.as_ref()),
        ("m.jsonl:5", None)
    );
    let issues: Vec<String> = issues.iter().map(ToString::to_string).collect();
    assert_eq!(
        issues,
        [
            "m.jsonl:1: row is not a JSON object; ignored",
            "m.jsonl:2: row has no \"file_name\"; ignored",
            "m.jsonl:3: \"label\" is not a string; row ignored",
            "m.jsonl:6: row has an empty file_name; ignored",
        ]
    );
}

#[test]
fn a_duplicate_row_is_reported_and_the_first_one_kept() {
    let files = [
        text(
            "metadata.csv",
            "file_name,text,label\ncat/a.png,first,cat\ncat/a.png,second,dog\n",
        ),
        text(
            "cat/metadata.jsonl",
            "{\"file_name\": \"a.png\", \"text\": \"third\"}\n",
        ),
        image("cat/a.png"),
        image("dog/b.png"),
    ];
    let (pairs, issues) = pair(&files);
    assert_eq!(caption(&pairs, "cat/a.png"), Some("first"));
    assert_eq!(pairs["cat/a.png"].label.as_deref(), Some("cat"));
    assert!(
        issues.contains(
            &"metadata.csv:3: a second row for \"cat/a.png\" (the first is metadata.csv:2); \
          this one is ignored"
                .to_string()
        )
    );
    assert!(
        issues.contains(
            &"cat/metadata.jsonl:1: a second row for \"cat/a.png\" (the first is metadata.csv:2); \
          this one is ignored"
                .to_string()
        )
    );
    assert_eq!(issues.len(), 3, "{issues:?}"); // and dog/b.png has no caption
}

#[test]
fn metadata_in_a_class_folder_speaks_only_of_that_folder() {
    let files = [
        text("data/cat/metadata.csv", "file_name,text\na.png,a cat\n"),
        image("data/cat/a.png"),
        image("data/dog/a.png"),
    ];
    let (pairs, issues) = pair(&files);
    assert_eq!(caption(&pairs, "data/cat/a.png"), Some("a cat"));
    assert_eq!(caption(&pairs, "data/dog/a.png"), None);
    assert_eq!(
        issues,
        ["data/dog/a.png: no caption: the image is used without text"]
    );
    // a root metadata file names files by their path under it
    let files = [
        text(
            "data/metadata.jsonl",
            "{\"file_name\": \"./dog/a.png\", \"text\": \"a dog\"}\n",
        ),
        image("data/cat/a.png"),
        image("data/dog/a.png"),
    ];
    let (pairs, _) = pair(&files);
    assert_eq!(caption(&pairs, "data/dog/a.png"), Some("a dog"));
    assert_eq!(caption(&pairs, "data/cat/a.png"), None);
}

#[test]
fn a_row_naming_no_image_is_reported() {
    let files = [
        text(
            "metadata.csv",
            "file_name,text\ncat/a.png,here\ncat/gone.png,missing\nnotes.md,not an image\n\
             ../../etc/passwd,outside\n",
        ),
        image("cat/a.png"),
        text("notes.md", "# hi"),
    ];
    let (pairs, issues) = pair(&files);
    assert_eq!(caption(&pairs, "cat/a.png"), Some("here"));
    for expected in [
        "metadata.csv:3: names \"cat/gone.png\", which is not among the imported files; \
         row ignored",
        "metadata.csv:4: names \"notes.md\", which is not an image the import reads; row ignored",
        "metadata.csv:5: file_name \"../../etc/passwd\" points outside the imported folder; \
         row ignored",
    ] {
        assert!(issues.contains(&expected.to_string()), "{issues:?}");
    }
}

#[test]
fn empty_or_blank_labels_are_reported_and_never_a_class() {
    let files = [
        text(
            "metadata.jsonl",
            "{\"file_name\": \"cat/a.png\", \"text\": \"x\", \"label\": \"\"}\n\
             {\"file_name\": \"b.png\", \"text\": \"y\", \"label\": \"   \"}\n\
             {\"file_name\": \"c.png\", \"text\": \"z\", \"label\": \" kiwi \"}\n",
        ),
        image("cat/a.png"),
        image("b.png"),
        image("c.png"),
    ];
    let (pairs, issues) = pair(&files);
    assert_eq!(pairs["cat/a.png"].label.as_deref(), Some("cat"));
    assert!(!pairs.contains_key("b.png"), "a blank label is no class");
    assert!(
        pairs
            .values()
            .all(|p| p.label.as_deref().is_some_and(|l| !l.trim().is_empty()))
    );
    assert_eq!(
        issues,
        [
            "metadata.jsonl:1: empty label for \"cat/a.png\"; its folder \"cat\" gives the class",
            "metadata.jsonl:2: empty label for \"b.png\"; the image is left out",
            "c.png: label \"kiwi\" names no class folder",
        ]
    );
    // the same through a CSV's empty cell
    let files = [
        text("metadata.csv", "file_name,text,label\nb.png,y,\n"),
        image("b.png"),
    ];
    let (pairs, issues) = pair(&files);
    assert!(pairs.is_empty());
    assert_eq!(
        issues,
        ["metadata.csv:2: empty label for \"b.png\"; the image is left out"]
    );
}

#[test]
fn names_in_issues_are_printed_escaped() {
    let evil = "a\nwarning: forged line\u{1b}[31m\u{202e}.md";
    let files = [
        text(evil, "x"),
        text("metadata.csv", "file_name,text\n\"x\ny.png\",caption\n"),
    ];
    let (_, issues) = pair(&files);
    assert_eq!(issues.len(), 2, "{issues:?}");
    for i in &issues {
        assert!(
            !i.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{i:?}"
        );
    }
    assert!(
        issues.contains(
            &"a\\nwarning: forged line\\u{1b}[31m\\u{202e}.md: not an image file \
          (expected .png, .jpg, .jpeg, .gif, .bmp or .webp)"
                .to_string()
        )
    );
    assert!(
        issues[1].starts_with("metadata.csv:2: names \"x\\ny.png\""),
        "{issues:?}"
    );
}

#[test]
fn paths_are_normalised_and_may_not_climb_out() {
    assert_eq!(normalize("./a//b/../c.png").as_deref(), Some("a/c.png"));
    assert_eq!(normalize("a\\b.png").as_deref(), Some("a/b.png"));
    assert_eq!(normalize("a/../../b.png"), None);
    assert_eq!(line_starts("a\r\nb\rc\n"), [0, 3, 5, 7]);
}
