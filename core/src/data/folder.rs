//! User data in the *imagefolder* layout: one folder per class, and an
//! optional `metadata.jsonl` or `metadata.csv` with `file_name`, `text` and
//! `label`. Works on in-memory files so the browser (File objects) and the
//! CLI (a directory walk) share it. A bad file is reported by name and
//! skipped; the rest of the import goes on. Images are paired with captions
//! and classes in `pairing.rs`, metadata files read in
//! `metadata.rs`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use image::{ImageReader, Limits, Rgba, RgbaImage, imageops};

use super::prep::BACKGROUND;
use super::sample::{IMAGE_SIZE, Input, Modality, Sample};

pub use super::pairing::{
    FileContent, NO_CAPTION, Pair, ReadFile, is_image_name, pair_files, read_file,
};

/// Largest accepted image file.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Largest accepted image side in pixels.
pub const MAX_SIDE: u32 = 4096;
/// Leading bytes of an image file read for its header (a JPEG's size may
/// follow its EXIF block).
pub const HEADER_BYTES: usize = 256 * 1024;
/// Most files one import (a folder natively, one upload in the browser)
/// takes.
pub const MAX_FILES: usize = 20_000;
/// Most bytes one import reads, all files together.
pub const MAX_TOTAL_BYTES: u64 = 512 * 1024 * 1024;

/// Checks the pixel size an image file's header declares (`head`: the
/// file's first [`HEADER_BYTES`] or all of it) before anything decodes it,
/// so that a small file that would decode to gigabytes is refused first.
pub fn check_image_header(head: &[u8]) -> Result<(u32, u32), String> {
    let size = imagesize::blob_size(head)
        .map_err(|_| "not a readable image (its header gives no pixel size)".to_string())?;
    let (w, h) = (size.width, size.height);
    if w == 0 || h == 0 {
        return Err("the image is empty".into());
    }
    if w > MAX_SIDE as usize || h > MAX_SIDE as usize {
        return Err(format!(
            "the image is {w}×{h} pixels; the largest side allowed is {MAX_SIDE}"
        ));
    }
    Ok((w as u32, h as u32))
}

/// Which files of one upload (name, size in bytes) are read: the first
/// ones, in order, while they stay within [`MAX_FILES`] and
/// [`MAX_TOTAL_BYTES`] (files over [`MAX_FILE_BYTES`] do not count: they
/// are refused on their own). Gives how many are taken, and for the rest
/// one message that names every file left out.
pub fn admit_upload(files: &[(String, u64)]) -> (usize, Option<String>) {
    let mut total = 0u64;
    let mut taken = 0;
    for (i, (_, size)) in files.iter().enumerate() {
        let counted = if *size > MAX_FILE_BYTES as u64 {
            0
        } else {
            *size
        };
        if i >= MAX_FILES || total + counted > MAX_TOTAL_BYTES {
            break;
        }
        total += counted;
        taken = i + 1;
    }
    if taken == files.len() {
        return (taken, None);
    }
    let names: Vec<String> = files[taken..]
        .iter()
        .map(|(n, _)| format!("\"{}\"", escape(n)))
        .collect();
    let why = if taken >= MAX_FILES {
        format!("more than {MAX_FILES} files")
    } else {
        format!("more than {} MiB", MAX_TOTAL_BYTES >> 20)
    };
    let message = format!(
        "{} of {} files not read: one upload takes at most {MAX_FILES} files and {} MiB, and this one has {why}; left out: {}",
        files.len() - taken,
        files.len(),
        MAX_TOTAL_BYTES >> 20,
        names.join(", ")
    );
    (taken, Some(message))
}

/// Fewest samples a class needs: one is kept for testing.
pub const MIN_CLASS_SAMPLES: usize = 2;

/// One file of an import, its path relative to the dataset root.
#[derive(Debug, Clone)]
pub struct ImportFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// A problem with one file; the import went on without it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportIssue {
    pub file: String,
    pub problem: String,
}

/// Names and problems are printed escaped (see [`escape`]): one issue is
/// always one line, whatever a file is called.
impl std::fmt::Display for ImportIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", escape(&self.file), escape(&self.problem))
    }
}

/// `s` with control characters, Unicode line separators and direction
/// overrides written as Rust escapes (`\n`, `\u{1b}`, `\u{202e}`), so a
/// file name cannot start a new line, colour the terminal or reorder what
/// is printed after it.
pub fn escape(s: &str) -> Cow<'_, str> {
    let hidden = |c: char| {
        matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    if !s.chars().any(|c| c.is_control() || hidden(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else if hidden(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// What an import produced: samples per class name (labels are assigned when
/// the classes enter a stream), and the issues met on the way.
#[derive(Debug, Default)]
pub struct Import {
    pub classes: BTreeMap<String, Vec<Sample>>,
    pub issues: Vec<ImportIssue>,
}

impl Import {
    pub fn len(&self) -> usize {
        self.classes.values().map(Vec::len).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Decodes any supported image to `IMAGE_SIZE`² RGB, compositing transparency
/// on the white background. The header is checked first, as the browser's
/// upload does ([`check_image_header`]): a file is refused in the same words
/// whichever of the two reads it.
pub fn decode_image(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(format!(
            "file is {} bytes, larger than the {} byte limit",
            bytes.len(),
            MAX_FILE_BYTES
        ));
    }
    check_image_header(&bytes[..bytes.len().min(HEADER_BYTES)])?;
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("cannot read: {e}"))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    if reader.format().is_none() {
        return Err("not a PNG or JPEG image".into());
    }
    let img = reader
        .decode()
        .map_err(|e| format!("not a readable image ({e})"))?;
    let small = imageops::resize(
        &img.to_rgba8(),
        IMAGE_SIZE as u32,
        IMAGE_SIZE as u32,
        imageops::FilterType::Triangle,
    );
    Ok(flatten(&small))
}

fn flatten(img: &RgbaImage) -> Vec<u8> {
    let bg = f32::from(BACKGROUND);
    img.pixels()
        .flat_map(|Rgba([r, g, b, a])| {
            let a = f32::from(*a) / 255.0;
            [*r, *g, *b].map(|c| (f32::from(c) * a + bg * (1.0 - a)).round() as u8)
        })
        .collect()
}

/// Imports an imagefolder (see [`pair_files`]). Images directly under the
/// root need a `label` in the metadata.
pub fn import_files(files: &[ImportFile]) -> Import {
    let read: Vec<ReadFile> = files.iter().map(read_file).collect();
    let (pairs, issues) = pair_files(&read);
    let mut imp = Import {
        issues,
        ..Import::default()
    };
    for p in pairs {
        let Some(label) = p.label else {
            imp.issues.push(ImportIssue {
                file: p.file,
                problem: "no label: put it in a class folder or give it a label in metadata".into(),
            });
            continue;
        };
        imp.classes
            .entry(label)
            .or_default()
            .push(Sample::image_text(Some(p.image), p.text, 0));
    }
    for (class, samples) in &imp.classes {
        if let Some(problem) = too_few(class, samples.len()) {
            imp.issues.push(ImportIssue {
                file: class.clone(),
                problem,
            });
        }
    }
    imp
}

/// Why a class of `n` usable images is left out, when it is: the CLI's
/// import and the browser's upload say it alike.
pub fn too_few(class: &str, n: usize) -> Option<String> {
    (n < MIN_CLASS_SAMPLES).then(|| {
        format!(
            "class \"{class}\" has {n} usable image(s) and is left out: \
             a class needs {MIN_CLASS_SAMPLES} or more (one is kept for testing)"
        )
    })
}

/// Turns an import into a task stream: classes in name order,
/// `classes_per_task` per task, a seeded 70/30 split per class, and
/// augmented copies of the training images.
pub fn folder_scenario(
    imp: &Import,
    name: &str,
    seed: u64,
    classes_per_task: usize,
) -> Result<super::Scenario, String> {
    use super::scenario::Task;
    let usable: Vec<(&String, &Vec<Sample>)> = imp
        .classes
        .iter()
        .filter(|(_, v)| v.len() >= MIN_CLASS_SAMPLES)
        .collect();
    if usable.is_empty() {
        return Err(format!(
            "{name}: no class has the two or more readable images a train/test split needs"
        ));
    }
    let mut class_names = Vec::new();
    let mut tasks = Vec::new();
    for (t, chunk) in usable.chunks(classes_per_task.max(1)).enumerate() {
        let mut task = Task {
            index: t + 1,
            classes: Vec::new(),
            modalities: vec![super::Modality::Image, super::Modality::Text],
            train: Vec::new(),
            test: Vec::new(),
        };
        for (class, samples) in chunk {
            let label = class_names.len();
            class_names.push((*class).clone());
            add_class(&mut task, class, samples, label, seed, |_| FOLDER_COPIES);
        }
        tasks.push(task);
    }
    Ok(super::Scenario {
        name: name.to_string(),
        class_names,
        tasks,
        none_class: None,
    })
}

/// Augmented copies of each training image of an imported folder's class.
const FOLDER_COPIES: usize = 3;
/// Most copies of each training image of a class added to a stream.
const MAX_ADDED_COPIES: usize = 100;

/// Puts one class into a task: a seeded 70/30 split, and `copies(n)`
/// augmented copies of each of its `n` training images.
fn add_class(
    task: &mut super::Task,
    class: &str,
    samples: &[Sample],
    label: usize,
    seed: u64,
    copies: impl Fn(usize) -> usize,
) {
    use super::prep::augment;
    use super::scenario::{rng_for, split};
    task.classes.push(label);
    let mut rng = rng_for(seed, &format!("folder/{class}"));
    let (train, test) = split(samples, 0.3, &mut rng);
    for _ in 0..copies(train.len()) {
        for s in &train {
            let mut copy = Sample { label, ..s.clone() };
            if let Some(px) = s.image() {
                let px = augment(px, &mut rng, 2, 0.1);
                copy = copy.with(Modality::Image, Input::Pixels(px));
            }
            task.train.push(copy);
        }
    }
    task.test
        .extend(test.into_iter().map(|s| Sample { label, ..s }));
}

/// Appends the user's new classes to a stream as one new task (the browser's
/// "add class"). Each class needs two or more samples (one to test on) and a
/// name the stream does not use yet. A class's training images are copied
/// (augmented) until it has about as many training samples as the stream's
/// classes have on average — ten pictures against a stream's hundreds
/// would otherwise train for a step or two and never be predicted — at
/// least [`FOLDER_COPIES`] and at most [`MAX_ADDED_COPIES`] copies. Returns
/// the new task's index.
pub fn append_task(
    scenario: &mut super::Scenario,
    classes: &[(String, Vec<Sample>)],
    seed: u64,
) -> Result<usize, String> {
    if classes.is_empty() {
        return Err("no class to add".into());
    }
    for (i, (name, samples)) in classes.iter().enumerate() {
        let name = name.trim();
        if name.is_empty() {
            return Err("a new class needs a name".into());
        }
        if scenario
            .class_names
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name))
            || classes[..i]
                .iter()
                .any(|(c, _)| c.trim().eq_ignore_ascii_case(name))
        {
            return Err(format!("a class named \"{name}\" already exists"));
        }
        if samples.len() < MIN_CLASS_SAMPLES {
            return Err(format!(
                "class \"{name}\" has {} sample(s); it needs at least 2 (one is kept for testing)",
                samples.len()
            ));
        }
    }
    let index = scenario.tasks.len() + 1;
    let mut task = super::Task {
        index,
        classes: Vec::new(),
        modalities: vec![super::Modality::Image, super::Modality::Text],
        train: Vec::new(),
        test: Vec::new(),
    };
    let per_class = {
        let (samples, classes) = scenario
            .tasks
            .iter()
            .fold((0, 0), |(s, c), t| (s + t.train.len(), c + t.classes.len()));
        samples as f64 / classes.max(1) as f64
    };
    let copies = |train: usize| {
        ((per_class / train.max(1) as f64).round() as usize).clamp(FOLDER_COPIES, MAX_ADDED_COPIES)
    };
    for (name, samples) in classes {
        let label = scenario.class_names.len();
        scenario.class_names.push(name.trim().to_string());
        add_class(&mut task, name.trim(), samples, label, seed, copies);
    }
    scenario.tasks.push(task);
    scenario.validate()?;
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(r: u8, g: u8, b: u8) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(40, 30, image::Rgb([r, g, b]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn file(path: &str, bytes: Vec<u8>) -> ImportFile {
        ImportFile {
            path: path.into(),
            bytes,
        }
    }

    #[test]
    fn imports_folders_with_jsonl_captions_and_reports_bad_files() {
        let meta = r#"{"file_name": "cat/a.png", "text": "a grey cat"}
{"file_name": "dog/b.png", "text": "a happy dog", "label": "dog"}
{"file_name": "dog/c.png", "text": "wolf?", "label": "wolf"}
not json
"#;
        let files = vec![
            file("metadata.jsonl", meta.as_bytes().to_vec()),
            file("cat/a.png", png(100, 100, 100)),
            file("dog/b.png", png(200, 150, 0)),
            file("dog/c.png", png(1, 2, 3)),
            file("dog/broken.png", b"\x89PNG\r\n\x1a\n garbage".to_vec()),
            file("cat/nocaption.png", png(90, 90, 90)),
            file("cat/notes.txt", b"hello".to_vec()),
        ];
        let imp = import_files(&files);
        assert_eq!(imp.classes.len(), 2);
        assert_eq!(imp.classes["cat"].len(), 2);
        assert_eq!(imp.classes["dog"].len(), 1);
        assert_eq!(imp.classes["cat"][0].text(), Some("a grey cat"));
        let px = imp.classes["dog"][0].image().unwrap();
        assert_eq!(px.len(), IMAGE_SIZE * IMAGE_SIZE * 3);
        assert_eq!(&px[..3], &[200, 150, 0]);
        let problems: Vec<String> = imp.issues.iter().map(|i| i.to_string()).collect();
        let has = |s: &str| problems.iter().any(|p| p.contains(s));
        assert!(has("dog/broken.png: not a readable image"), "{problems:?}");
        assert!(
            has("dog/c.png: label \"wolf\" names no class folder"),
            "{problems:?}"
        );
        assert!(has("cat/nocaption.png: no caption"), "{problems:?}");
        assert!(
            has("cat/notes.txt: caption file without an image"),
            "{problems:?}"
        );
        assert!(has("metadata.jsonl:4: not valid JSON"), "{problems:?}");
        assert!(
            has("dog: class \"dog\" has 1 usable image(s) and is left out"),
            "{problems:?}"
        );
        assert_eq!(problems.len(), 6, "{problems:?}");
    }

    #[test]
    fn txt_captions_pair_by_name_and_pixels_from_the_browser_are_taken_as_is() {
        let px = vec![7u8; crate::data::IMAGE_BYTES];
        let files = vec![
            ReadFile {
                path: "up/fox.png".into(),
                content: FileContent::Image(Ok(px.clone())),
            },
            ReadFile {
                path: "up/fox.txt".into(),
                content: FileContent::Bytes(b" a red fox \n".to_vec()),
            },
            ReadFile {
                path: "bad.jpg".into(),
                content: FileContent::Image(Err("not a readable image".into())),
            },
            ReadFile {
                path: "odd.png".into(),
                content: FileContent::Image(Ok(vec![1, 2, 3])),
            },
            ReadFile {
                path: "notes.md".into(),
                content: FileContent::Bytes(b"# hi".to_vec()),
            },
        ];
        let (pairs, issues) = pair_files(&files);
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].text.as_deref(), Some("a red fox"));
        assert_eq!(pairs[0].label.as_deref(), Some("up"));
        assert_eq!(pairs[0].image, px);
        let problems: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            problems,
            [
                "bad.jpg: not a readable image",
                "odd.png: decoded to 3 bytes instead of 3072",
                "notes.md: not an image file (expected .png, .jpg, .jpeg, .gif, .bmp or .webp)"
            ]
        );
    }

    #[test]
    fn csv_metadata_with_quotes_and_flat_layout() {
        let meta = "file_name,text,label\n\"a.png\",\"red, round\",apple\nb.png,a leaf,\n";
        let files = vec![
            file("metadata.csv", meta.as_bytes().to_vec()),
            file("a.png", png(255, 0, 0)),
            file("b.png", png(0, 255, 0)),
        ];
        let imp = import_files(&files);
        assert_eq!(imp.classes["apple"][0].text(), Some("red, round"));
        let problems: Vec<String> = imp.issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            problems,
            [
                "metadata.csv:3: empty label for \"b.png\"; the image is left out",
                "apple: class \"apple\" has 1 usable image(s) and is left out: \
                 a class needs 2 or more (one is kept for testing)"
            ]
        );
    }

    #[test]
    fn empty_truncated_and_huge_inputs_are_errors_not_panics() {
        assert!(decode_image(&[]).is_err());
        let good = png(1, 2, 3);
        // cuts inside the signature, the header and the image data
        for cut in [1, 8, 20, 40, good.len() / 2] {
            assert!(decode_image(&good[..cut]).is_err(), "prefix {cut} decoded");
        }
        assert!(decode_image(&vec![0u8; MAX_FILE_BYTES + 1]).is_err());
        assert!(import_files(&[]).is_empty());
    }

    #[test]
    fn folder_scenario_splits_classes_into_tasks() {
        let mut files = Vec::new();
        for (c, v) in [("a", 10u8), ("b", 80), ("c", 160)] {
            for i in 0..4 {
                files.push(file(&format!("{c}/{i}.png"), png(v, v, i)));
            }
        }
        files.push(file("d/only.png", png(1, 1, 1)));
        let imp = import_files(&files);
        let problems: Vec<String> = imp
            .issues
            .iter()
            .map(|i| i.to_string())
            .filter(|p| !p.contains("no caption"))
            .collect();
        assert_eq!(
            problems,
            ["d: class \"d\" has 1 usable image(s) and is left out: \
              a class needs 2 or more (one is kept for testing)"],
            "a class too small is named"
        );
        let s = folder_scenario(&imp, "mine", 1, 2).unwrap();
        s.validate().unwrap();
        assert_eq!(s.class_names, ["a", "b", "c"]);
        assert_eq!(s.tasks.len(), 2);
        assert_eq!(s.tasks[1].classes, [2]);
        assert_eq!(s.tasks[0].test.len(), 2);
        assert!(folder_scenario(&Import::default(), "none", 1, 2).is_err());
    }

    #[test]
    fn an_added_class_is_copied_up_to_the_streams_class_size() {
        use crate::data::entity::{EntityOptions, teaching_scenario};
        let mut s = teaching_scenario(crate::data::pack::bundled(), 1, &EntityOptions::default());
        let per_class = s.tasks.iter().map(|t| t.train.len()).sum::<usize>() as f64
            / s.tasks.iter().map(|t| t.classes.len()).sum::<usize>() as f64;
        let ten: Vec<Sample> = s.tasks[0].test[..10]
            .iter()
            .map(|x| Sample {
                label: 0,
                ..x.clone()
            })
            .collect();
        append_task(&mut s, &[("mine".to_string(), ten)], 1).unwrap();
        let added = s.tasks.last().unwrap();
        // 7 training pictures (3 held out), each copied to about the mean
        assert_eq!(added.test.len(), 3);
        let copies = added.train.len() / 7;
        assert_eq!(added.train.len(), copies * 7);
        assert!(
            (copies as f64 - per_class / 7.0).abs() <= 0.5,
            "{copies} copies, {per_class} a class"
        );
        assert!(copies > FOLDER_COPIES);
    }

    #[test]
    fn append_task_adds_named_classes_after_the_stream() {
        let sample = |v: u8| {
            Sample::image_text(
                Some(vec![v; IMAGE_SIZE * IMAGE_SIZE * 3]),
                Some(format!("thing {v}")),
                0,
            )
        };
        let mut files = Vec::new();
        for i in 0..3 {
            files.push(file(&format!("a/{i}.png"), png(10, 10, i)));
        }
        let mut s = folder_scenario(&import_files(&files), "mine", 1, 2).unwrap();
        let new = vec![("kiwi".to_string(), vec![sample(1), sample(2), sample(3)])];
        assert_eq!(append_task(&mut s, &new, 1), Ok(2));
        assert_eq!(s.class_names, ["a", "kiwi"]);
        assert_eq!(s.tasks[1].classes, [1]);
        assert!(s.tasks[1].test.iter().all(|x| x.label == 1));
        assert_eq!(s.tasks[1].train.len(), 6);
        let dup = vec![("KIWI".to_string(), vec![sample(1), sample(2)])];
        assert!(
            append_task(&mut s, &dup, 1)
                .unwrap_err()
                .contains("already exists")
        );
        let few = vec![("lime".to_string(), vec![sample(1)])];
        assert!(
            append_task(&mut s, &few, 1)
                .unwrap_err()
                .contains("at least 2")
        );
        let unnamed = vec![(" ".to_string(), vec![sample(1), sample(2)])];
        assert!(append_task(&mut s, &unnamed, 1).is_err());
        assert_eq!(
            s.tasks.len(),
            2,
            "failed additions leave the stream as it was"
        );
    }

    #[test]
    fn transparency_is_composited_on_white() {
        let img = RgbaImage::from_pixel(4, 4, Rgba([0, 0, 0, 0]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        let px = decode_image(&out.into_inner()).unwrap();
        assert!(px.iter().all(|&v| v == 255));
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    /// A PNG's signature and IHDR declaring `w`×`h` (nothing decodable after).
    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    #[test]
    fn an_image_header_is_checked_before_decoding() {
        assert_eq!(check_image_header(&png_header(64, 48)), Ok((64, 48)));
        let e = check_image_header(&png_header(20_000, 20_000)).unwrap_err();
        assert_eq!(
            e,
            "the image is 20000×20000 pixels; the largest side allowed is 4096"
        );
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&[0x10, 0x27, 0x01, 0x00]); // 10000 × 1
        gif.extend_from_slice(&[0; 16]);
        let e = check_image_header(&gif).unwrap_err();
        assert!(e.contains("10000×1"), "{e}");
        assert_eq!(
            check_image_header(&png_header(0, 5)),
            Err("the image is empty".into())
        );
        for junk in [&b""[..], b"hello", b"\x89PNG"] {
            assert!(
                check_image_header(junk)
                    .unwrap_err()
                    .contains("no pixel size")
            );
        }
    }

    /// Found building the bad-input corpus (tests/corpus): the CLI refused
    /// a PNG declaring 20000×20000 pixels in the `image` crate's words
    /// ("limits are exceeded"), and an empty file or text named `.png` as
    /// "not a PNG or JPEG image", where the browser's upload names the
    /// size, or says "not a readable image".
    #[test]
    fn the_decoder_refuses_a_header_as_the_upload_does() {
        for head in [
            png_header(20_000, 20_000),
            png_header(0, 5),
            b"hello".to_vec(),
            Vec::new(),
        ] {
            assert_eq!(
                decode_image(&head),
                check_image_header(&head).map(|_| vec![])
            );
        }
        let e = decode_image(b"this is text, not an image").unwrap_err();
        assert!(e.starts_with("not a readable image"), "{e}");
    }

    #[test]
    fn an_upload_over_its_limits_names_every_file_left_out() {
        let small: Vec<(String, u64)> = (0..3).map(|i| (format!("f{i}.png"), 10)).collect();
        assert_eq!(admit_upload(&small), (3, None));
        // by count
        let many: Vec<(String, u64)> = (0..MAX_FILES + 2)
            .map(|i| (format!("f{i}.png"), 1))
            .collect();
        let (n, msg) = admit_upload(&many);
        assert_eq!(n, MAX_FILES);
        let msg = msg.unwrap();
        assert!(msg.starts_with("2 of 20002 files not read"), "{msg}");
        assert!(msg.contains("\"f20000.png\", \"f20001.png\""), "{msg}");
        // by bytes: a file over the per-file limit is not counted (it is
        // refused on its own), the one that passes the total is left out
        let mb = 1 << 20;
        let mut big: Vec<(String, u64)> = (0..60).map(|i| (format!("b{i}\n"), 9 * mb)).collect();
        big.insert(0, ("huge.bin".into(), 100 * mb));
        let (n, msg) = admit_upload(&big);
        assert_eq!(n, 1 + 56, "56 files of 9 MiB fit in 512 MiB");
        let msg = msg.unwrap();
        assert!(msg.contains("more than 512 MiB"), "{msg}");
        assert!(msg.contains("\"b56\\n\""), "names escaped: {msg}");
        assert!(!msg.contains("huge.bin"));
    }

    #[test]
    fn an_unread_file_is_one_issue_naming_it() {
        let files = vec![ReadFile {
            path: "cats/notes.csv".into(),
            content: FileContent::Unread("the file is 11.0 MB, larger than the 10 MB limit".into()),
        }];
        let (pairs, issues) = pair_files(&files);
        assert!(pairs.is_empty());
        assert_eq!(issues.len(), 1);
        assert_eq!(
            issues[0].to_string(),
            "cats/notes.csv: the file is 11.0 MB, larger than the 10 MB limit; not read"
        );
    }
}
