//! Log-mel features of a recording: the speech modality's input, computed
//! by this one module wherever a recording turns into features — the pack
//! builder (`palimpsest speech-features`), the CLI and the browser's
//! microphone path.
//!
//! A recording (mono samples in −1..1 at any rate from 16 kHz up) becomes a
//! grid of [`MELS`] × [`FRAMES`] log-powers: the voiced part (from the first
//! to the last 10 ms whose energy is within [`VOICED_DB`] of the loudest and
//! [`NOISE_MARGIN_DB`] above the noise floor) is
//! cut into [`FRAMES`] evenly spaced Hann windows of about [`WINDOW_S`]
//! (the FFT size is the next power of two), and each window's power
//! spectrum is summed through [`MELS`] triangular filters evenly spaced on
//! the mel scale between [`F_MIN`] and [`F_MAX`]. Spreading the frames over
//! the voiced part makes a word's grid independent of its speed and of the
//! silence around it. As a picture ([`LogMel::pixels`]), row 0 is the
//! highest band and the loudest cell is 255, [`DB_RANGE`] below it 0, so
//! the recording's gain does not matter either.

use std::sync::Arc;

use rand::Rng;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// Mel bands (the picture's rows).
pub const MELS: usize = 32;
/// Frames over the voiced part (the picture's columns).
pub const FRAMES: usize = 32;
/// The lowest band's lower edge, Hz.
pub const F_MIN: f32 = 60.0;
/// The highest band's upper edge, Hz (so a rate of 16 kHz covers it).
pub const F_MAX: f32 = 7600.0;
/// The shortest window, seconds; the FFT size is the next power of two.
pub const WINDOW_S: f32 = 0.025;
/// The lowest rate accepted, Hz: it must reach [`F_MAX`].
pub const MIN_SAMPLE_RATE: u32 = 16_000;
/// The span of a picture's grey levels below its loudest cell, dB.
pub const DB_RANGE: f32 = 80.0;
/// How far below the loudest 10 ms a stretch still counts as voiced, dB.
pub const VOICED_DB: f32 = 40.0;
/// How far above the noise floor (the quietest tenth of a recording's
/// 10 ms stretches) a stretch must be to count as voiced, dB.
pub const NOISE_MARGIN_DB: f32 = 6.0;
/// Within this much of the loudest 10 ms a stretch is voiced whatever the
/// noise floor, dB.
pub const SURELY_VOICED_DB: f32 = 12.0;
/// Below this mean power (about −100 dBFS) a recording is silent.
const SILENT_POWER: f32 = 1e-10;

/// The log-mel front end for one sample rate (its FFT plan, window and
/// filters), to reuse over many recordings.
pub struct LogMel {
    sample_rate: u32,
    n_fft: usize,
    fft: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    /// Per band, its FFT bins and their weights.
    filters: Vec<Vec<(usize, f32)>>,
}

fn hz_to_mel(f: f32) -> f32 {
    2595.0 * (1.0 + f / 700.0).log10()
}

fn mel_to_hz(m: f32) -> f32 {
    700.0 * (10f32.powf(m / 2595.0) - 1.0)
}

/// The centre frequency of every band, Hz, lowest first.
pub fn band_centres() -> Vec<f32> {
    edges()[1..=MELS].to_vec()
}

/// The `MELS + 2` band edges, Hz: evenly spaced in mel.
fn edges() -> Vec<f32> {
    let (lo, hi) = (hz_to_mel(F_MIN), hz_to_mel(F_MAX));
    (0..MELS + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f32 / (MELS + 1) as f32))
        .collect()
}

impl LogMel {
    pub fn new(sample_rate: u32) -> Result<LogMel, String> {
        if sample_rate < MIN_SAMPLE_RATE {
            return Err(format!(
                "a recording at {sample_rate} Hz: at least {MIN_SAMPLE_RATE} Hz is needed"
            ));
        }
        let sr = sample_rate as f32;
        let n_fft = ((WINDOW_S * sr).ceil() as usize).next_power_of_two();
        let window = (0..n_fft)
            .map(|i| {
                let x = std::f32::consts::PI * 2.0 * i as f32 / n_fft as f32;
                0.5 - 0.5 * x.cos()
            })
            .collect();
        let edges = edges();
        let bin_hz = sr / n_fft as f32;
        let filters = (0..MELS)
            .map(|b| {
                let (lo, mid, hi) = (edges[b], edges[b + 1], edges[b + 2]);
                (0..=n_fft / 2)
                    .filter_map(|k| {
                        let f = k as f32 * bin_hz;
                        let w = if f > lo && f <= mid {
                            (f - lo) / (mid - lo)
                        } else if f > mid && f < hi {
                            (hi - f) / (hi - mid)
                        } else {
                            0.0
                        };
                        (w > 0.0).then_some((k, w))
                    })
                    .collect()
            })
            .collect();
        Ok(LogMel {
            sample_rate,
            n_fft,
            fft: FftPlanner::new().plan_fft_forward(n_fft),
            window,
            filters,
        })
    }

    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The log-power grid of `pcm`, dB, `[MELS][FRAMES]` row-major with
    /// row 0 the lowest band. An empty, silent or non-finite recording is an
    /// error.
    pub fn features(&self, pcm: &[f32]) -> Result<Vec<f32>, String> {
        if pcm.is_empty() {
            return Err("the recording is empty".into());
        }
        if pcm.iter().any(|x| !x.is_finite()) {
            return Err("the recording holds a sample that is not a number".into());
        }
        let (start, end) = self.voiced(pcm)?;
        let mut grid = vec![0.0f32; MELS * FRAMES];
        let mut buf = vec![Complex::new(0.0f32, 0.0); self.n_fft];
        for t in 0..FRAMES {
            // frame centres from the voiced part's start to its end
            let centre = start as f64 + (end - start) as f64 * (t as f64 + 0.5) / FRAMES as f64;
            let first = centre.round() as i64 - (self.n_fft / 2) as i64;
            for (i, slot) in buf.iter_mut().enumerate() {
                let at = first + i as i64;
                let x = usize::try_from(at)
                    .ok()
                    .and_then(|a| pcm.get(a))
                    .copied()
                    .unwrap_or(0.0);
                *slot = Complex::new(x * self.window[i], 0.0);
            }
            self.fft.process(&mut buf);
            let scale = 1.0 / self.n_fft as f32;
            for (b, filter) in self.filters.iter().enumerate() {
                let power: f32 = filter
                    .iter()
                    .map(|&(k, w)| w * buf[k].norm_sqr() * scale)
                    .sum();
                grid[b * FRAMES + t] = 10.0 * power.max(1e-12).log10();
            }
        }
        Ok(grid)
    }

    /// The grid of [`LogMel::features`] as a grey picture, `MELS` rows of
    /// `FRAMES` bytes, row 0 the highest band: 255 at the loudest cell, 0 at
    /// [`DB_RANGE`] below it or lower.
    pub fn pixels(&self, pcm: &[f32]) -> Result<Vec<u8>, String> {
        let grid = self.features(pcm)?;
        let top = grid.iter().copied().fold(f32::MIN, f32::max);
        let mut out = Vec::with_capacity(MELS * FRAMES);
        for row in (0..MELS).rev() {
            for t in 0..FRAMES {
                let v = (grid[row * FRAMES + t] - (top - DB_RANGE)) / DB_RANGE;
                out.push((v.clamp(0.0, 1.0) * 255.0).round() as u8);
            }
        }
        Ok(out)
    }

    /// The voiced part of `pcm`, `start..end` in samples: from the first to
    /// the end of the last 10 ms stretch within [`VOICED_DB`] of the loudest.
    fn voiced(&self, pcm: &[f32]) -> Result<(usize, usize), String> {
        let hop = (self.sample_rate as usize / 100).max(1);
        let energy: Vec<f32> = pcm
            .chunks(hop)
            .map(|c| c.iter().map(|x| x * x).sum::<f32>() / c.len() as f32)
            .collect();
        let loudest = energy.iter().copied().fold(0.0f32, f32::max);
        if loudest < SILENT_POWER {
            return Err("the recording is silent".into());
        }
        // within VOICED_DB of the loudest, and clear of the noise floor
        // (the quietest tenth of the recording) by NOISE_MARGIN_DB
        let mut sorted = energy.clone();
        sorted.sort_by(f32::total_cmp);
        let noise = sorted[sorted.len() / 10];
        // — though a stretch within SURELY_VOICED_DB of the loudest always
        // counts (a recording without a pause has no noise floor to see)
        let floor = (loudest * 10f32.powf(-VOICED_DB / 10.0))
            .max(noise * 10f32.powf(NOISE_MARGIN_DB / 10.0))
            .min(loudest * 10f32.powf(-SURELY_VOICED_DB / 10.0));
        let first = energy.iter().position(|&e| e >= floor).unwrap_or(0);
        let last = energy.iter().rposition(|&e| e >= floor).unwrap_or(0);
        Ok((first * hop, ((last + 1) * hop).min(pcm.len())))
    }
}

/// Gain of [`roughen`], dB: drawn evenly from this range.
pub const GAIN_DB: (f32, f32) = (-12.0, 6.0);
/// Signal-to-noise ratio of [`roughen`]'s white noise, dB.
pub const SNR_DB: (f32, f32) = (10.0, 40.0);

/// `pcm` as a rougher recording might give it: scaled by a gain drawn from
/// [`GAIN_DB`] and with white noise at a signal-to-noise ratio drawn from
/// [`SNR_DB`] (against the mean power of the whole clip), clipped to −1..1.
pub fn roughen(pcm: &[f32], rng: &mut impl Rng) -> Vec<f32> {
    let gain = 10f32.powf(rng.random_range(GAIN_DB.0..=GAIN_DB.1) / 20.0);
    let snr = rng.random_range(SNR_DB.0..=SNR_DB.1);
    let power = pcm.iter().map(|x| x * x).sum::<f32>() / pcm.len().max(1) as f32;
    // uniform noise of amplitude a has power a²/3
    let amplitude = (3.0 * power * 10f32.powf(-snr / 10.0)).sqrt();
    pcm.iter()
        .map(|&x| ((x + amplitude * rng.random_range(-1.0f32..=1.0)) * gain).clamp(-1.0, 1.0))
        .collect()
}

/// A synthetic "word" of `sample_rate` (0.6 s: a glide from 300 to 1200 Hz,
/// then two tones together, with 0.1 s of silence around it), on which
/// the native build's grid is committed (`core/tests/records/logmel.json`)
/// and the browser's is checked against it.
pub fn reference_word(sample_rate: u32) -> Vec<f32> {
    let sr = sample_rate as f64;
    let n = |s: f64| (s * sr) as usize;
    let mut out = vec![0.0f32; n(0.1)];
    let glide = n(0.3);
    let mut phase = 0.0f64;
    for i in 0..glide {
        let hz = 300.0 + 900.0 * i as f64 / glide as f64;
        phase += 2.0 * std::f64::consts::PI * hz / sr;
        out.push((0.5 * phase.sin()) as f32);
    }
    for i in 0..n(0.3) {
        let t = i as f64 / sr;
        let x = 0.3 * (2.0 * std::f64::consts::PI * 700.0 * t).sin()
            + 0.2 * (2.0 * std::f64::consts::PI * 2900.0 * t).sin();
        out.push(x as f32);
    }
    out.extend(vec![0.0; n(0.1)]);
    out
}

/// Where two pictures of [`LogMel::pixels`] part: `None` when each pixel is
/// within one grey level and every frame's brightest row is the same;
/// otherwise what differs. The FFT's kernels and the maths library differ
/// between builds (x86 and wasm) in the last bits, no more.
pub fn compare_pixels(got: &[u8], want: &[u8]) -> Option<String> {
    if got.len() != want.len() {
        return Some(format!("{} pixels, expected {}", got.len(), want.len()));
    }
    if let Some(i) = (0..got.len()).find(|&i| got[i].abs_diff(want[i]) > 1) {
        return Some(format!("pixel {i}: {} against {}", got[i], want[i]));
    }
    let brightest = |p: &[u8], t: usize| {
        (0..MELS)
            .max_by_key(|&r| (p[r * FRAMES + t], std::cmp::Reverse(r)))
            .unwrap_or(0)
    };
    (0..FRAMES)
        .find(|&t| brightest(got, t) != brightest(want, t))
        .map(|t| {
            format!(
                "frame {t}: brightest row {} against {}",
                brightest(got, t),
                brightest(want, t)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f32, sr: u32, seconds: f32, amplitude: f32) -> Vec<f32> {
        let n = (sr as f32 * seconds) as usize;
        (0..n)
            .map(|i| amplitude * (2.0 * std::f32::consts::PI * hz * i as f32 / sr as f32).sin())
            .collect()
    }

    /// The band whose centre is nearest `hz`.
    fn nearest_band(hz: f32) -> usize {
        let centres = band_centres();
        (0..MELS)
            .min_by(|&a, &b| (centres[a] - hz).abs().total_cmp(&(centres[b] - hz).abs()))
            .unwrap()
    }

    /// The loudest band of frame `t` of a grid.
    fn peak(grid: &[f32], t: usize) -> usize {
        (0..MELS)
            .max_by(|&a, &b| grid[a * FRAMES + t].total_cmp(&grid[b * FRAMES + t]))
            .unwrap()
    }

    #[test]
    fn a_tone_peaks_in_the_band_around_its_frequency_at_every_rate() {
        for sr in [16_000, 22_050, 44_100, 48_000] {
            let lm = LogMel::new(sr).unwrap();
            for hz in [300.0, 1000.0, 3000.0] {
                let grid = lm.features(&tone(hz, sr, 0.5, 0.5)).unwrap();
                for t in 0..FRAMES {
                    assert_eq!(
                        peak(&grid, t),
                        nearest_band(hz),
                        "{hz} Hz at {sr} Hz, frame {t}"
                    );
                }
            }
        }
    }

    /// Two tones one after the other, with or without silence around them:
    /// the frames follow the voiced part, so the grids agree.
    #[test]
    fn the_frames_spread_over_the_voiced_part_only() {
        let sr = 16_000;
        let lm = LogMel::new(sr).unwrap();
        let mut word = tone(500.0, sr, 0.3, 0.5);
        word.extend(tone(2500.0, sr, 0.3, 0.5));
        let mut padded = vec![0.0; sr as usize / 2];
        padded.extend(&word);
        padded.extend(vec![0.0; sr as usize]);
        for pcm in [&word, &padded] {
            let grid = lm.features(pcm).unwrap();
            assert_eq!(peak(&grid, 2), nearest_band(500.0));
            assert_eq!(peak(&grid, FRAMES - 3), nearest_band(2500.0));
        }
        let (a, b) = (lm.pixels(&word).unwrap(), lm.pixels(&padded).unwrap());
        let differ = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| x.abs_diff(**y) > 2)
            .count();
        assert!(differ <= 2 * MELS, "{differ} pixels differ");
    }

    #[test]
    fn the_picture_does_not_depend_on_the_gain() {
        let lm = LogMel::new(22_050).unwrap();
        let mut pcm = tone(700.0, 22_050, 0.4, 0.8);
        pcm.extend(tone(1800.0, 22_050, 0.2, 0.3));
        let quiet: Vec<f32> = pcm.iter().map(|x| x * 0.05).collect();
        let (a, b) = (lm.pixels(&pcm).unwrap(), lm.pixels(&quiet).unwrap());
        assert_eq!(a.len(), MELS * FRAMES);
        assert!(a.iter().zip(&b).all(|(x, y)| x.abs_diff(*y) <= 1));
        assert_eq!(*a.iter().max().unwrap(), 255);
        // row 0 is the highest band: a low tone lights the bottom rows
        let low = lm.pixels(&tone(200.0, 22_050, 0.3, 0.5)).unwrap();
        let row = |r: usize| {
            low[r * FRAMES..(r + 1) * FRAMES]
                .iter()
                .map(|&p| p as u32)
                .sum::<u32>()
        };
        assert!(row(MELS - 1 - nearest_band(200.0)) > row(0));
    }

    /// Roughened copies differ from the clean one but keep its shape: the
    /// glide's and the tones' bands stay the brightest.
    #[test]
    fn a_roughened_recording_keeps_its_picture_s_shape() {
        use rand::SeedableRng;
        let sr = 22_050;
        let lm = LogMel::new(sr).unwrap();
        let word = reference_word(sr);
        let clean = lm.features(&word).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for _ in 0..5 {
            let rough = roughen(&word, &mut rng);
            assert_ne!(rough, word);
            assert!(rough.iter().all(|x| (-1.0..=1.0).contains(x)));
            let grid = lm.features(&rough).unwrap();
            for t in [3, 8, 20, 26] {
                let (a, b) = (peak(&grid, t), peak(&clean, t));
                assert!(a.abs_diff(b) <= 1, "frame {t}: band {a} against {b}");
            }
        }
    }

    #[test]
    fn bad_recordings_are_named_errors() {
        assert!(LogMel::new(8_000).err().unwrap().contains("16000"));
        let lm = LogMel::new(16_000).unwrap();
        assert!(lm.features(&[]).unwrap_err().contains("empty"));
        assert!(lm.features(&[0.0; 4000]).unwrap_err().contains("silent"));
        let mut nan = tone(440.0, 16_000, 0.1, 0.5);
        nan[7] = f32::NAN;
        assert!(lm.features(&nan).unwrap_err().contains("not a number"));
        // a click shorter than one window is still a grid
        let mut click = vec![0.0; 100];
        click[50] = 1.0;
        assert_eq!(lm.pixels(&click).unwrap().len(), MELS * FRAMES);
    }
}
