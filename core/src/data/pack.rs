//! The bundled dataset pack: a compact binary file holding labelled images
//! (RGB, or one grey channel) with their names, tags and category hierarchy.
//!
//! The default pack, `public/openmoji-32.pack`, is built by
//! `tools/build_pack.py` from OpenMoji (CC BY-SA 4.0; see
//! `public/OPENMOJI-LICENSE.md`) and compiled into the crate, so nothing is
//! fetched at run time. The sketch pack, `public/quickdraw-32.pack`
//! (`tools/build_sketch_pack.py`; Quick, Draw! drawings, CC BY 4.0, see
//! `public/QUICKDRAW-LICENSE.md`), holds grey drawings of 15 of the same
//! classes, for the sketch modality.
//!
//! # Format, version 1 (integers little-endian)
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `PLMPPACK` |
//! | 4 | `u32` format version = 1 |
//! | 4 | `u32` header length `H` |
//! | `H` | UTF-8 JSON header: `source`, `licence`, `attribution`, `image_size`, `channels` (3 or 1), `modality` (optional: `image`, the default, `sketch` or `speech`), `tasks`, `items` |
//! | `N·S·S·C` | pixels, row-major, one image per item, in item order: RGB (`C` = 3) or grey (`C` = 1) |
//! | 4 | `u32` CRC-32 (IEEE) of every preceding byte |
//!
//! Decoding never panics and never allocates more than the input's size:
//! every length is checked against the bytes actually present before use.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The first eight bytes of every pack.
pub const MAGIC: &[u8; 8] = b"PLMPPACK";
/// The only format version this build reads.
pub const FORMAT_VERSION: u32 = 1;
/// Colour channels per pixel of a decoded image (RGB): a grey pack's
/// pixels are repeated into all three.
pub const CHANNELS: usize = 3;
/// The modalities a pack's images can be (the header's `modality`).
pub const PACK_MODALITIES: [&str; 3] = ["image", "sketch", "speech"];
/// Smallest accepted image side, in pixels.
pub const MIN_IMAGE_SIZE: usize = 8;
/// Largest accepted image side, in pixels.
pub const MAX_IMAGE_SIZE: usize = 128;

/// Magic + version + header length.
const PREAMBLE_LEN: usize = 8 + 4 + 4;
/// Trailing CRC-32.
const CHECKSUM_LEN: usize = 4;

/// One image of the pack with its metadata.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PackItem {
    /// Unicode code point(s), e.g. `"1F98A"`.
    pub hexcode: String,
    /// The emoji itself, e.g. `"🦊"`.
    pub emoji: String,
    /// Its name, e.g. `"fox"`.
    pub annotation: String,
    /// Unicode keywords (may be empty).
    pub tags: Vec<String>,
    /// OpenMoji's own keywords (may be empty).
    #[serde(default)]
    pub openmoji_tags: Vec<String>,
    /// Top-level category, e.g. `"animals-nature"`.
    pub group: String,
    /// Second-level category, e.g. `"animal-mammal"`; the class label.
    pub subgroup: String,
}

/// A decoded pack.
#[derive(Debug, Clone)]
pub struct Pack {
    /// Where the images come from, e.g. `"openmoji 17.0.0"`.
    pub source: String,
    /// Licence of the pack's content, e.g. `"CC BY-SA 4.0"`.
    pub licence: String,
    /// The credit line that must accompany the images.
    pub attribution: String,
    /// Side of every (square) image, in pixels.
    pub image_size: usize,
    /// Channels as stored: 3 (RGB) or 1 (grey, expanded to RGB in `pixels`).
    pub channels: usize,
    /// What the images are: `"image"` (pictures) or `"sketch"` (drawings).
    pub modality: String,
    /// The default task split: each task is a list of classes (subgroups).
    pub tasks: Vec<Vec<String>>,
    /// Image metadata, in pixel order.
    pub items: Vec<PackItem>,
    /// `items.len() * image_size * image_size * 3` bytes of RGB, row-major
    /// (whatever the stored channels).
    pub pixels: Vec<u8>,
}

/// Why a byte string is not a valid pack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    #[error("pack too short: {len} bytes, a pack has at least {min}")]
    TooShort { len: usize, min: usize },
    #[error("not a Palimpsest pack (bad magic bytes)")]
    BadMagic,
    #[error("unsupported pack format version {0} (this build reads version {FORMAT_VERSION})")]
    UnsupportedVersion(u32),
    #[error(
        "pack checksum mismatch: stored {stored:08x}, computed {computed:08x} (file corrupt or truncated)"
    )]
    Checksum { stored: u32, computed: u32 },
    #[error("pack header claims {claimed} bytes but only {available} are present")]
    HeaderTooLong { claimed: u64, available: usize },
    #[error("bad pack header: {0}")]
    BadHeader(String),
    #[error("pack pixel data has {found} bytes, the header implies {expected}")]
    SizeMismatch { expected: u64, found: usize },
}

/// The JSON header as stored. Sizes are `u64` so that a huge claim is
/// reported as an error on every target instead of failing to parse.
#[derive(Deserialize)]
struct Header {
    source: String,
    licence: String,
    attribution: String,
    image_size: u64,
    channels: u64,
    #[serde(default = "image_modality")]
    modality: String,
    tasks: Vec<Vec<String>>,
    items: Vec<PackItem>,
}

fn image_modality() -> String {
    "image".into()
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let end = at.checked_add(4)?;
    let b: [u8; 4] = bytes.get(at..end)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

impl Pack {
    /// Decodes a pack, checking its magic, version, checksum, header and
    /// sizes. Garbage input yields an error, never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Pack, PackError> {
        let min = PREAMBLE_LEN + CHECKSUM_LEN;
        if bytes.len() < min {
            return Err(PackError::TooShort {
                len: bytes.len(),
                min,
            });
        }
        if &bytes[..MAGIC.len()] != MAGIC {
            return Err(PackError::BadMagic);
        }
        let too_short = PackError::TooShort {
            len: bytes.len(),
            min,
        };
        let version = read_u32(bytes, 8).ok_or_else(|| too_short.clone())?;
        if version != FORMAT_VERSION {
            return Err(PackError::UnsupportedVersion(version));
        }

        let body_len = bytes.len() - CHECKSUM_LEN;
        let (body, _) = bytes.split_at(body_len);
        let stored = read_u32(bytes, body_len).ok_or_else(|| too_short.clone())?;
        let computed = crc32fast::hash(body);
        if stored != computed {
            return Err(PackError::Checksum { stored, computed });
        }

        let header_len = read_u32(body, 12).ok_or(too_short)?;
        let available = body_len - PREAMBLE_LEN;
        let header_end = usize::try_from(header_len)
            .ok()
            .filter(|&h| h <= available)
            .and_then(|h| PREAMBLE_LEN.checked_add(h))
            .ok_or(PackError::HeaderTooLong {
                claimed: u64::from(header_len),
                available,
            })?;
        let header: Header = serde_json::from_slice(&body[PREAMBLE_LEN..header_end])
            .map_err(|e| PackError::BadHeader(e.to_string()))?;

        let channels = match header.channels {
            3 => 3,
            1 => 1,
            c => {
                return Err(PackError::BadHeader(format!(
                    "channels is {c}, must be 3 (RGB) or 1 (grey)"
                )));
            }
        };
        if !PACK_MODALITIES.contains(&header.modality.as_str()) {
            return Err(PackError::BadHeader(format!(
                "modality is {:?}, must be one of {}",
                header.modality,
                PACK_MODALITIES.join(", ")
            )));
        }
        let image_size = usize::try_from(header.image_size)
            .ok()
            .filter(|s| (MIN_IMAGE_SIZE..=MAX_IMAGE_SIZE).contains(s))
            .ok_or_else(|| {
                PackError::BadHeader(format!(
                    "image_size is {}, must be between {MIN_IMAGE_SIZE} and {MAX_IMAGE_SIZE}",
                    header.image_size
                ))
            })?;
        validate_tasks(&header.tasks, &header.items)?;

        let pixels = &body[header_end..];
        let expected = (image_size as u64)
            .checked_mul(image_size as u64)
            .and_then(|p| p.checked_mul(channels))
            .and_then(|p| p.checked_mul(header.items.len() as u64));
        if expected != Some(pixels.len() as u64) {
            return Err(PackError::SizeMismatch {
                expected: expected.unwrap_or(u64::MAX),
                found: pixels.len(),
            });
        }

        Ok(Pack {
            source: header.source,
            licence: header.licence,
            attribution: header.attribution,
            image_size,
            channels: channels as usize,
            modality: header.modality,
            tasks: header.tasks,
            items: header.items,
            pixels: if channels == 1 {
                pixels.iter().flat_map(|&v| [v; CHANNELS]).collect()
            } else {
                pixels.to_vec()
            },
        })
    }

    /// Bytes in one image: `image_size * image_size * 3`.
    pub fn image_len(&self) -> usize {
        self.image_size * self.image_size * CHANNELS
    }

    /// The RGB pixels of item `i`, row-major, `image_size² × 3` bytes.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.image_len();
        &self.pixels[i * n..(i + 1) * n]
    }

    /// Number of items (images).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the pack holds no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

fn validate_tasks(tasks: &[Vec<String>], items: &[PackItem]) -> Result<(), PackError> {
    if tasks.is_empty() {
        return Err(PackError::BadHeader("no tasks".into()));
    }
    let subgroups: HashSet<&str> = items.iter().map(|it| it.subgroup.as_str()).collect();
    let mut seen = HashSet::new();
    for (t, task) in tasks.iter().enumerate() {
        if task.is_empty() {
            return Err(PackError::BadHeader(format!("task {t} has no classes")));
        }
        for class in task {
            if !seen.insert(class.as_str()) {
                return Err(PackError::BadHeader(format!(
                    "class {class:?} appears in more than one place in the tasks"
                )));
            }
            if !subgroups.contains(class.as_str()) {
                return Err(PackError::BadHeader(format!(
                    "class {class:?} of task {t} has no items"
                )));
            }
        }
    }
    Ok(())
}

static BUNDLED_BYTES: &[u8] = include_bytes!("../../../public/openmoji-32.pack");

/// The pack compiled into the crate (OpenMoji, 32×32), decoded on first use.
///
/// # Panics
/// Only if the bundled file is corrupt, which the unit tests rule out.
pub fn bundled() -> &'static Pack {
    static PACK: OnceLock<Pack> = OnceLock::new();
    PACK.get_or_init(|| {
        Pack::decode(BUNDLED_BYTES)
            .unwrap_or_else(|e| panic!("bundled pack public/openmoji-32.pack is corrupt: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Builds a pack from a header value and pixel bytes, with a correct checksum.
    fn encode(header: &serde_json::Value, pixels: &[u8]) -> Vec<u8> {
        encode_raw(header.to_string().as_bytes(), pixels)
    }

    fn encode_raw(header: &[u8], pixels: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(header);
        out.extend_from_slice(pixels);
        with_crc(out)
    }

    fn with_crc(mut body: Vec<u8>) -> Vec<u8> {
        let crc = crc32fast::hash(&body);
        body.extend_from_slice(&crc.to_le_bytes());
        body
    }

    fn item(hexcode: &str, subgroup: &str) -> serde_json::Value {
        json!({
            "hexcode": hexcode, "emoji": "x", "annotation": format!("item {hexcode}"),
            "tags": ["a", "b"], "openmoji_tags": [], "group": "g", "subgroup": subgroup
        })
    }

    /// 2 tasks × 2 classes, 5 items of 8×8 RGB.
    fn small_header() -> serde_json::Value {
        json!({
            "source": "test", "licence": "CC0", "attribution": "nobody",
            "image_size": 8, "channels": 3,
            "tasks": [["a", "b"], ["c", "d"]],
            "items": [item("1", "a"), item("2", "b"), item("3", "c"), item("4", "d"), item("5", "d")]
        })
    }

    fn small_pixels() -> Vec<u8> {
        (0..5 * 8 * 8 * 3).map(|i| (i % 251) as u8).collect()
    }

    fn small_pack() -> Vec<u8> {
        encode(&small_header(), &small_pixels())
    }

    fn header_error(header: serde_json::Value, pixels: &[u8]) -> PackError {
        Pack::decode(&encode(&header, pixels)).unwrap_err()
    }

    #[test]
    fn crc_is_ieee() {
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn bundled_pack_decodes() {
        let pack = bundled();
        assert_eq!(pack.image_size, 32);
        assert_eq!(pack.licence, "CC BY-SA 4.0");
        assert_eq!(
            pack.attribution,
            "OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0"
        );
        assert!(pack.source.starts_with("openmoji "));
        assert_eq!(pack.tasks.len(), 5);
        for task in &pack.tasks {
            assert_eq!(task.len(), 4);
            for class in task {
                let n = pack.items.iter().filter(|it| &it.subgroup == class).count();
                assert!(n >= 20, "class {class} has only {n} items");
            }
        }
        assert!(!pack.is_empty());
        assert_eq!(pack.pixels.len(), pack.len() * 32 * 32 * 3);
        assert_eq!(pack.image(pack.len() - 1).len(), 32 * 32 * 3);
        let fox = pack.items.iter().find(|it| it.hexcode == "1F98A").unwrap();
        assert_eq!((fox.emoji.as_str(), fox.annotation.as_str()), ("🦊", "fox"));
        assert_eq!(fox.tags, ["animal", "face"]);
        assert_eq!(fox.subgroup, "animal-mammal");
    }

    #[test]
    fn small_pack_round_trips() {
        let pack = Pack::decode(&small_pack()).unwrap();
        assert_eq!(pack.source, "test");
        assert_eq!(pack.image_size, 8);
        assert_eq!(pack.len(), 5);
        assert_eq!(pack.tasks, vec![vec!["a", "b"], vec!["c", "d"]]);
        assert_eq!(pack.items[2].hexcode, "3");
        assert_eq!(pack.items[2].tags, ["a", "b"]);
        let px = small_pixels();
        assert_eq!(pack.pixels, px);
        assert_eq!(pack.image(1), &px[192..384]);
    }

    #[test]
    fn openmoji_tags_default_to_empty() {
        let mut h = small_header();
        h["items"][0]
            .as_object_mut()
            .unwrap()
            .remove("openmoji_tags");
        let pack = Pack::decode(&encode(&h, &small_pixels())).unwrap();
        assert!(pack.items[0].openmoji_tags.is_empty());
    }

    #[test]
    fn empty_input_is_an_error() {
        assert!(matches!(
            Pack::decode(&[]),
            Err(PackError::TooShort { len: 0, .. })
        ));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = small_pack();
        for len in 0..bytes.len() {
            assert!(
                Pack::decode(&bytes[..len]).is_err(),
                "prefix of {len} bytes"
            );
        }
        assert!(Pack::decode(&bytes).is_ok());
    }

    #[test]
    fn every_flipped_byte_is_an_error() {
        let bytes = small_pack();
        for i in 0..bytes.len() {
            for mask in [0x01u8, 0x80, 0xFF] {
                let mut b = bytes.clone();
                b[i] ^= mask;
                let err = Pack::decode(&b).unwrap_err();
                if i >= 12 {
                    assert!(matches!(err, PackError::Checksum { .. }), "byte {i}: {err}");
                }
            }
        }
    }

    #[test]
    fn garbage_is_an_error() {
        // A deterministic xorshift stream of garbage of many lengths, with and
        // without a valid preamble and checksum.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        };
        for len in [1usize, 7, 19, 20, 21, 64, 1000, 5000] {
            let junk: Vec<u8> = (0..len).map(|_| next()).collect();
            assert!(Pack::decode(&junk).is_err());
            let mut framed = Vec::new();
            framed.extend_from_slice(MAGIC);
            framed.extend_from_slice(&1u32.to_le_bytes());
            framed.extend_from_slice(&junk);
            assert!(Pack::decode(&with_crc(framed)).is_err());
            assert!(Pack::decode(&encode_raw(&junk, &junk)).is_err());
        }
        assert_eq!(
            Pack::decode(b"NOTAPACK\x01\0\0\0\0\0\0\0\0\0\0\0").unwrap_err(),
            PackError::BadMagic
        );
    }

    #[test]
    fn wrong_version_is_an_error() {
        let mut b = small_pack();
        b[8] = 2;
        assert_eq!(
            Pack::decode(&b).unwrap_err(),
            PackError::UnsupportedVersion(2)
        );
    }

    #[test]
    fn huge_header_length_is_an_error() {
        for claimed in [u32::MAX, 1 << 31, 1_000_000] {
            let mut body = Vec::new();
            body.extend_from_slice(MAGIC);
            body.extend_from_slice(&1u32.to_le_bytes());
            body.extend_from_slice(&claimed.to_le_bytes());
            body.extend_from_slice(b"{}");
            let err = Pack::decode(&with_crc(body)).unwrap_err();
            assert!(
                matches!(err, PackError::HeaderTooLong { claimed: c, available: 2 } if c == u64::from(claimed)),
                "{err}"
            );
        }
    }

    #[test]
    fn huge_claimed_sizes_are_errors() {
        let px = small_pixels();
        for size in [0u64, 7, 129, 1 << 20, 1_000_000_000_000, u64::MAX] {
            let mut h = small_header();
            h["image_size"] = json!(size);
            assert!(matches!(header_error(h, &px), PackError::BadHeader(_)));
        }
        // Many items but no pixels for them.
        let mut h = small_header();
        let items: Vec<_> = (0..10_000).map(|i| item(&i.to_string(), "a")).collect();
        h["items"].as_array_mut().unwrap().extend(items);
        assert!(matches!(
            header_error(h, &px),
            PackError::SizeMismatch { expected, found } if expected == 10_005 * 192 && found == px.len()
        ));
    }

    #[test]
    fn pixel_length_must_match() {
        let px = small_pixels();
        for len in [0, px.len() - 1, px.len() + 1, px.len() * 2] {
            let pixels: Vec<u8> = px.iter().copied().cycle().take(len).collect();
            assert!(matches!(
                header_error(small_header(), &pixels),
                PackError::SizeMismatch { expected: 960, .. }
            ));
        }
    }

    #[test]
    fn invalid_headers_are_errors() {
        let px = small_pixels();
        let bad = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut h = small_header();
            f(&mut h);
            header_error(h, &px)
        };
        let cases: Vec<(&str, PackError)> = vec![
            ("channels", bad(&|h| h["channels"] = json!(4))),
            ("two channels", bad(&|h| h["channels"] = json!(2))),
            ("modality", bad(&|h| h["modality"] = json!("smell"))),
            ("no tasks", bad(&|h| h["tasks"] = json!([]))),
            ("empty task", bad(&|h| h["tasks"] = json!([["a", "b"], []]))),
            ("class w/o items", bad(&|h| h["tasks"][1][0] = json!("zzz"))),
            ("dup class", bad(&|h| h["tasks"][1][0] = json!("a"))),
            (
                "missing field",
                bad(&|h| {
                    h.as_object_mut().unwrap().remove("licence");
                }),
            ),
            ("wrong type", bad(&|h| h["image_size"] = json!("32"))),
            ("negative", bad(&|h| h["image_size"] = json!(-32))),
            (
                "item field",
                bad(&|h| h["items"][0]["tags"] = json!("a, b")),
            ),
        ];
        for (what, err) in cases {
            assert!(matches!(err, PackError::BadHeader(_)), "{what}: {err}");
        }
        for raw in [&b"not json"[..], b"", b"\xFF\xFE{}", b"[1,2,3]", b"null"] {
            assert!(matches!(
                Pack::decode(&encode_raw(raw, &px)).unwrap_err(),
                PackError::BadHeader(_)
            ));
        }
    }

    #[test]
    fn a_grey_pack_decodes_to_rgb() {
        let mut h = small_header();
        h["channels"] = json!(1);
        h["modality"] = json!("sketch");
        let grey: Vec<u8> = (0..5 * 8 * 8).map(|i| (i * 7 % 256) as u8).collect();
        let pack = Pack::decode(&encode(&h, &grey)).unwrap();
        assert_eq!((pack.channels, pack.modality.as_str()), (1, "sketch"));
        assert_eq!(pack.image_len(), 8 * 8 * 3);
        let img = pack.image(2);
        for (p, rgb) in img.chunks(3).enumerate() {
            assert_eq!(rgb, [grey[2 * 64 + p]; 3]);
        }
        // RGB-sized pixels under a grey header do not fit.
        assert!(matches!(
            Pack::decode(&encode(&h, &small_pixels())).unwrap_err(),
            PackError::SizeMismatch { .. }
        ));
        // Today's packs, without the field, are images.
        let pack = Pack::decode(&small_pack()).unwrap();
        assert_eq!((pack.channels, pack.modality.as_str()), (3, "image"));
    }

    /// The sketch pack in `public/`: 200 drawings for each of 15 classes of
    /// the bundled pack, centred, dark ink on white.
    #[test]
    fn the_sketch_pack_decodes() {
        let bytes = include_bytes!("../../../public/quickdraw-32.pack");
        let pack = Pack::decode(bytes).unwrap();
        assert_eq!((pack.channels, pack.modality.as_str()), (1, "sketch"));
        assert_eq!((pack.image_size, pack.licence.as_str()), (32, "CC BY 4.0"));
        assert_eq!(pack.tasks.len(), 1);
        let classes = &pack.tasks[0];
        assert_eq!(classes.len(), 15);
        let bundled_classes: Vec<&String> = bundled().tasks.iter().flatten().collect();
        for class in classes {
            assert!(bundled_classes.contains(&class), "{class}");
            let n = pack.items.iter().filter(|it| &it.subgroup == class).count();
            assert_eq!(n, 200, "{class}");
        }
        let cats = |class: &str| -> HashSet<&str> {
            pack.items
                .iter()
                .filter(|it| it.subgroup == class)
                .map(|it| it.annotation.as_str())
                .collect()
        };
        assert!(classes.iter().all(|c| cats(c).len() >= 3));
        assert!(cats("animal-mammal").contains("zebra"));
        for i in 0..pack.len() {
            let img = pack.image(i);
            // White background, some ink, the ink's box centred.
            assert_eq!(img[0], 255, "item {i}");
            let inked: Vec<usize> = (0..32 * 32).filter(|&p| img[p * 3] < 255).collect();
            assert!(!inked.is_empty(), "item {i} is blank");
            let (rows, cols): (Vec<usize>, Vec<usize>) =
                inked.iter().map(|&p| (p / 32, p % 32)).unzip();
            let centre = |v: &[usize]| v.iter().min().unwrap() + v.iter().max().unwrap();
            assert!((28..=34).contains(&centre(&rows)), "item {i}");
            assert!((28..=34).contains(&centre(&cols)), "item {i}");
        }
    }
}
