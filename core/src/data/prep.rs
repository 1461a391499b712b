//! Image preparation: resizing, pasting, and the train-time augmentations.

use image::{RgbImage, imageops};
use rand::Rng;

use super::sample::{IMAGE_BYTES, IMAGE_SIZE};

/// Background colour of every canvas: the pack's images are composited on white.
pub const BACKGROUND: u8 = 255;

/// Resizes a square RGB image (`side`×`side`) to `new_side`×`new_side`.
pub fn resize_square(rgb: &[u8], side: usize, new_side: usize) -> Vec<u8> {
    let img = RgbImage::from_raw(side as u32, side as u32, rgb.to_vec())
        .expect("resize_square: buffer does not match its side");
    imageops::resize(
        &img,
        new_side as u32,
        new_side as u32,
        imageops::FilterType::Triangle,
    )
    .into_raw()
}

/// A white `IMAGE_SIZE`² canvas.
pub fn blank_canvas() -> Vec<u8> {
    vec![BACKGROUND; IMAGE_BYTES]
}

/// Pastes a square `side`² RGB image with its top-left corner at (x, y);
/// pixels that fall outside the canvas are clipped. White source pixels are
/// treated as transparent, so overlapping entities stay visible.
pub fn paste(canvas: &mut [u8], img: &[u8], side: usize, x: i32, y: i32) {
    for sy in 0..side {
        for sx in 0..side {
            let (cx, cy) = (x + sx as i32, y + sy as i32);
            if cx < 0 || cy < 0 || cx >= IMAGE_SIZE as i32 || cy >= IMAGE_SIZE as i32 {
                continue;
            }
            let s = (sy * side + sx) * 3;
            let px = &img[s..s + 3];
            if px.iter().all(|&v| v >= 250) {
                continue;
            }
            let c = (cy as usize * IMAGE_SIZE + cx as usize) * 3;
            canvas[c..c + 3].copy_from_slice(px);
        }
    }
}

/// Shifts the image by (dx, dy) pixels, filling with the background.
pub fn shift(rgb: &[u8], dx: i32, dy: i32) -> Vec<u8> {
    let mut out = blank_canvas();
    paste(&mut out, rgb, IMAGE_SIZE, dx, dy);
    out
}

/// Random shift of up to `max_shift` pixels and a brightness/contrast jitter
/// of up to ±`jitter` (a fraction), both drawn from `rng`.
pub fn augment(rgb: &[u8], rng: &mut impl Rng, max_shift: i32, jitter: f32) -> Vec<u8> {
    let dx = rng.random_range(-max_shift..=max_shift);
    let dy = rng.random_range(-max_shift..=max_shift);
    let mut out = shift(rgb, dx, dy);
    let scale = 1.0 + rng.random_range(-jitter..=jitter);
    let offset = rng.random_range(-jitter..=jitter) * 64.0;
    for v in &mut out {
        *v = (*v as f32 * scale + offset).clamp(0.0, 255.0) as u8;
    }
    out
}

/// Shifts the picture by up to `max_dx` columns and `max_dy` rows (drawn
/// from `rng`), repeating its edge instead of filling with white: for a
/// spoken word's log-mel picture, where white is loud, a little time shift
/// and pitch shift without a loud band at the border.
pub fn shift_repeating_edges(rgb: &[u8], rng: &mut impl Rng, max_dx: i32, max_dy: i32) -> Vec<u8> {
    let dx = rng.random_range(-max_dx..=max_dx);
    let dy = rng.random_range(-max_dy..=max_dy);
    let last = IMAGE_SIZE as i32 - 1;
    let mut out = vec![0; IMAGE_BYTES];
    for y in 0..IMAGE_SIZE {
        let sy = (y as i32 - dy).clamp(0, last) as usize;
        for x in 0..IMAGE_SIZE {
            let sx = (x as i32 - dx).clamp(0, last) as usize;
            let (d, s) = ((y * IMAGE_SIZE + x) * 3, (sy * IMAGE_SIZE + sx) * 3);
            out[d..d + 3].copy_from_slice(&rgb[s..s + 3]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn red_square(side: usize) -> Vec<u8> {
        (0..side * side).flat_map(|_| [200u8, 10, 10]).collect()
    }

    #[test]
    fn paste_clips_outside_the_canvas() {
        let mut c = blank_canvas();
        paste(&mut c, &red_square(8), 8, -4, 28);
        // visible part: x 0..4, y 28..32
        let at = |x: usize, y: usize| c[(y * IMAGE_SIZE + x) * 3];
        assert_eq!(at(0, 31), 200);
        assert_eq!(at(3, 28), 200);
        assert_eq!(at(4, 28), BACKGROUND);
        assert_eq!(at(0, 27), BACKGROUND);
    }

    #[test]
    fn resize_keeps_colour_of_uniform_image() {
        let small = resize_square(&red_square(32), 32, 12);
        assert_eq!(small.len(), 12 * 12 * 3);
        assert!(small.chunks(3).all(|p| p == [200, 10, 10]));
    }

    #[test]
    fn augment_is_deterministic_for_a_seed() {
        let img = shift(&red_square(32), 0, 0);
        let a = augment(&img, &mut rand_chacha::ChaCha8Rng::seed_from_u64(3), 2, 0.1);
        let b = augment(&img, &mut rand_chacha::ChaCha8Rng::seed_from_u64(3), 2, 0.1);
        assert_eq!(a, b);
        assert_eq!(a.len(), IMAGE_BYTES);
    }

    #[test]
    fn an_edge_repeating_shift_brings_in_no_white() {
        // a dark picture with one bright column at the left edge
        let mut img = vec![10u8; IMAGE_BYTES];
        for y in 0..IMAGE_SIZE {
            img[y * IMAGE_SIZE * 3..y * IMAGE_SIZE * 3 + 3].fill(250);
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut moved = false;
        for _ in 0..20 {
            let out = shift_repeating_edges(&img, &mut rng, 2, 1);
            assert_eq!(out.len(), IMAGE_BYTES);
            // every value is one of the picture's own: nothing white added
            assert!(out.iter().all(|&v| v == 10 || v == 250));
            // the right edge stays dark (a shift right repeats the bright
            // column, a shift left repeats the dark one)
            assert!((0..IMAGE_SIZE).all(|y| out[(y * IMAGE_SIZE + IMAGE_SIZE - 1) * 3] == 10));
            moved |= out != img;
        }
        assert!(moved, "twenty draws never shifted");
    }
}
