//! The image decoder and the header check, on random and mutated images.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use palimpsest_core::data::IMAGE_BYTES;
use palimpsest_core::data::folder::{MAX_SIDE, check_image_header, decode_image};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::{Mutation, check, fuzz, mutate, mutation};

/// Most time one image may take, header check and decode together.
const PER_IMAGE: Duration = Duration::from_secs(2);

fn encoded(img: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A 24-bit BMP of `w`×`h` pixels (the workspace's `image` reads PNG and
/// JPEG only, so it is written by hand).
fn bmp(w: u32, h: u32) -> Vec<u8> {
    let row = (w * 3).div_ceil(4) * 4;
    let size = 54 + row * h;
    let mut b = b"BM".to_vec();
    for v in [size, 0, 54, 40, w, h] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    for v in [0u32, row * h, 2835, 2835, 0, 0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for y in 0..h {
        for x in 0..row {
            b.push((x * 7 + y * 13) as u8);
        }
    }
    b
}

/// A 1×1 GIF.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00\
,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// Small valid images: PNGs (RGB, RGBA, grey), JPEGs, a GIF and a BMP.
pub fn good_images() -> &'static Vec<Vec<u8>> {
    static GOOD: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    GOOD.get_or_init(|| {
        use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
        let rgb = |w, h| {
            DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
                Rgb([(x * 9) as u8, (y * 5) as u8, ((x + y) * 3) as u8])
            }))
        };
        vec![
            encoded(rgb(8, 8), ImageFormat::Png),
            encoded(rgb(40, 30), ImageFormat::Png),
            encoded(
                DynamicImage::ImageRgba8(RgbaImage::from_pixel(5, 7, Rgba([10, 200, 30, 90]))),
                ImageFormat::Png,
            ),
            encoded(
                DynamicImage::ImageLuma8(rgb(9, 4).to_luma8()),
                ImageFormat::Png,
            ),
            encoded(rgb(16, 16), ImageFormat::Jpeg),
            encoded(rgb(33, 17), ImageFormat::Jpeg),
            GIF.to_vec(),
            bmp(3, 2),
        ]
    })
}

/// A PNG's signature and IHDR declaring `w`×`h` (nothing decodable after).
pub fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    b
}

/// A valid image of each format whose header is rewritten to declare
/// `w`×`h`, the rest of the file kept.
fn forged(format: usize, w: u16, h: u16) -> Vec<u8> {
    let good = good_images();
    let (w32, h32) = (u32::from(w), u32::from(h));
    match format % 4 {
        0 => {
            let mut b = good[1].clone();
            b[16..20].copy_from_slice(&w32.to_be_bytes());
            b[20..24].copy_from_slice(&h32.to_be_bytes());
            b
        }
        1 => {
            let mut b = good[4].clone();
            let sof = b
                .windows(2)
                .position(|m| m == [0xff, 0xc0])
                .expect("a baseline JPEG");
            b[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
            b[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
            b
        }
        2 => {
            let mut b = GIF.to_vec();
            b[6..8].copy_from_slice(&w.to_le_bytes());
            b[8..10].copy_from_slice(&h.to_le_bytes());
            b
        }
        _ => {
            let mut b = bmp(3, 2);
            b[18..22].copy_from_slice(&w32.to_le_bytes());
            b[22..26].copy_from_slice(&h32.to_le_bytes());
            b
        }
    }
}

#[derive(Debug, Clone)]
enum Input {
    Random(Vec<u8>),
    Mutated(Index, Vec<Mutation>),
    /// A format (PNG, JPEG, GIF, BMP) and the sides its header declares.
    Forged(usize, u16, u16),
    /// The same within the largest size allowed: the decoder gets the
    /// file, and must be done with it in time.
    Allowed(usize, u16, u16),
}

fn input() -> impl Strategy<Value = Input> {
    let side = prop_oneof![Just(20_000u16), Just(4097), Just(u16::MAX), 4097u16..];
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..512).prop_map(Input::Random),
        4 => (any::<Index>(), prop::collection::vec(mutation(), 1..6)).prop_map(|(i, m)| Input::Mutated(i, m)),
        1 => (0usize..4, side, 1u16..64, any::<bool>())
            .prop_map(|(f, big, small, wide)| if wide { Input::Forged(f, big, small) } else { Input::Forged(f, small, big) }),
        1 => (0usize..4, prop_oneof![Just(MAX_SIDE as u16), Just(MAX_SIDE as u16 - 1), 1u16..=MAX_SIDE as u16], prop_oneof![Just(MAX_SIDE as u16), 1u16..=MAX_SIDE as u16])
            .prop_map(|(f, w, h)| Input::Allowed(f, w, h)),
    ]
}

#[test]
fn image_decoder() {
    fuzz("image_decoder", 400, input(), |input| {
        let bytes = match &input {
            Input::Random(b) => b.clone(),
            Input::Mutated(i, m) => mutate(i.get(good_images()).clone(), m),
            Input::Forged(f, w, h) | Input::Allowed(f, w, h) => forged(*f, *w, *h),
        };
        let started = Instant::now();
        let header = check_image_header(&bytes);
        let decoded = decode_image(&bytes);
        let took = started.elapsed();
        check!(took < PER_IMAGE, "{} bytes took {took:?}", bytes.len());
        if let Ok(px) = &decoded {
            check!(px.len() == IMAGE_BYTES, "decoded to {} bytes", px.len());
        }
        if let Ok((w, h)) = header {
            check!(
                (1..=MAX_SIDE).contains(&w) && (1..=MAX_SIDE).contains(&h),
                "header passed {w}×{h}"
            );
        }
        if let Input::Forged(_, w, h) = input {
            let e = header.err().unwrap_or_default();
            check!(
                e.contains(&format!("{w}×{h}")) && e.contains("largest side allowed"),
                "a header declaring {w}×{h}: {e:?}"
            );
            check!(decoded.is_err(), "an image declaring {w}×{h} decoded");
        }
        Ok(())
    });
}
