//! `palimpsest speech-features`: the log-mel pictures of recordings, for
//! the speech pack (`tools/build_speech_pack.py` synthesises the words and
//! writes the pack around these bytes). The features come from
//! `palimpsest_core::data::logmel`, the module the browser's microphone
//! path uses too.

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use palimpsest_core::data::folder::escape;
use palimpsest_core::data::logmel::{FRAMES, LogMel, MELS, roughen};
use palimpsest_core::data::scenario::rng_for;

use crate::files::{check_out, write_atomic};

#[derive(Args)]
pub struct SpeechArgs {
    /// A text file naming one WAV file a line (mono or the first channel;
    /// 16-bit, 24-bit, 32-bit or float; 16 kHz or more).
    #[arg(long)]
    list: String,
    /// Where the pictures go: for each listed file in order, `copies`
    /// pictures of 32×32 bytes (the first from the file as it is).
    #[arg(long)]
    out: String,
    /// Pictures per file: the first clean, the others roughened (a gain and
    /// white noise drawn from the seed and the file's line).
    #[arg(long, default_value_t = 1)]
    copies: usize,
    /// Roughen every picture, the first one too.
    #[arg(long)]
    rough: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// The samples of a WAV file's first channel in −1..1, and its rate.
pub fn read_wav(path: &str) -> Result<(Vec<f32>, u32), String> {
    let named = |e: hound::Error| format!("{}: {e}", escape(path));
    let mut reader = hound::WavReader::open(path).map_err(named)?;
    let spec = reader.spec();
    let channels = spec.channels.max(1) as usize;
    let all: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>(),
        hound::SampleFormat::Int => {
            let full = (1i64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 / full))
                .collect::<Result<_, _>>()
        }
    }
    .map_err(named)?;
    Ok((
        all.into_iter().step_by(channels).collect(),
        spec.sample_rate,
    ))
}

pub fn run(args: SpeechArgs) -> Result<(), String> {
    if args.copies == 0 {
        return Err("--copies must be at least 1".into());
    }
    check_out(&args.out)?;
    let list =
        std::fs::read_to_string(&args.list).map_err(|e| format!("{}: {e}", escape(&args.list)))?;
    let files: Vec<&str> = list.lines().filter(|l| !l.trim().is_empty()).collect();
    if files.is_empty() {
        return Err(format!("{} names no file", escape(&args.list)));
    }
    let bar = ProgressBar::new(files.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} recordings {eta}")
            .expect("a valid template"),
    );
    let mut front: Option<LogMel> = None;
    let mut out = Vec::with_capacity(files.len() * args.copies * MELS * FRAMES);
    for (line, path) in files.iter().enumerate() {
        let (pcm, rate) = read_wav(path)?;
        if front.as_ref().is_none_or(|f| f.sample_rate() != rate) {
            front = Some(LogMel::new(rate).map_err(|e| format!("{}: {e}", escape(path)))?);
        }
        let front = front.as_ref().expect("made above");
        let named = |e: String| format!("{}: {e}", escape(path));
        let mut rough = args.copies;
        if !args.rough {
            out.extend(front.pixels(&pcm).map_err(named)?);
            rough -= 1;
        }
        let mut rng = rng_for(args.seed, &format!("speech/{line}"));
        for _ in 0..rough {
            out.extend(front.pixels(&roughen(&pcm, &mut rng)).map_err(named)?);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    write_atomic(&args.out, &out)?;
    eprintln!(
        "{} pictures of {} recordings written to {}",
        files.len() * args.copies,
        files.len(),
        escape(&args.out)
    );
    Ok(())
}
