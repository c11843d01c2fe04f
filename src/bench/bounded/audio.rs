//! The error-bounded bench of one audio file: quanta's lossless mode, then FLAC at levels 5
//! and 8, each decode compared sample by sample with the source.
//!
//! The source is read as quanta reads it; its integer depth (16 or 24 bits) is the
//! smallest at which every sample is an integer, and errors are counted in units of that
//! depth. FLAC codes a WAV copy at that depth, written once.

use std::path::Path;

use super::{check_bound, compare_samples, file_size, run_tool, BoundedAnchor, BoundedCodec};
use super::{BoundedConfig, BoundedFile, BoundedRun};
use crate::bench::audio::{run_quanta_at, AudioSignal};
use crate::codec::audio::RateMode;
use crate::error::{Error, Result};
use crate::media::audio::PcmDepth;

/// Every run of the audio file at `path`, with scratch files in `dir`.
pub(super) fn bench_file(path: &Path, dir: &Path, config: &BoundedConfig) -> Result<BoundedFile> {
    let source = AudioSignal::read(path)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let depth = integer_depth(&source.samples).ok_or_else(|| {
        Error::Unsupported(format!(
            "{name}: the samples are not 16- or 24-bit integers, so nothing codes them losslessly"
        ))
    })?;
    let reference = to_integers(&source.samples, depth);
    let mut runs = vec![run_quanta(&source, depth, &reference)?];
    let wanted: Vec<BoundedAnchor> = config.anchors.clone();
    if !wanted.is_empty() {
        let input = dir.join("source.wav");
        write_wav(&source, depth, &input)?;
        for anchor in wanted {
            for level in anchor.settings(&config.max_errors) {
                runs.push(run_flac(anchor, level, &input, dir, depth, &reference)?);
            }
        }
    }
    for run in &runs {
        check_bound(&name, run)?;
    }
    Ok(BoundedFile {
        name,
        units: source.samples.len() as u64,
        runs,
    })
}

/// 16 or 24 when every sample is an integer at that depth, else `None`.
fn integer_depth(samples: &[f32]) -> Option<u32> {
    [16u32, 24].into_iter().find(|&bits| {
        let scale = (1u64 << (bits - 1)) as f64;
        samples.iter().all(|&s| {
            let v = f64::from(s) * scale;
            v == v.round() && v >= -scale && v < scale
        })
    })
}

fn to_integers(samples: &[f32], depth: u32) -> Vec<i32> {
    let scale = (1u64 << (depth - 1)) as f64;
    samples
        .iter()
        .map(|&s| (f64::from(s) * scale).round() as i32)
        .collect()
}

/// quanta's lossless mode in memory, one thread each way.
fn run_quanta(source: &AudioSignal, depth: u32, reference: &[i32]) -> Result<BoundedRun> {
    let coded = run_quanta_at(source, RateMode::Lossless, PcmDepth::Integer(depth))?;
    let (max_error, psnr) = compare_audio(reference, &coded.decoded, depth)?;
    Ok(BoundedRun {
        codec: BoundedCodec::Quanta,
        setting: 0,
        bound: 0,
        bytes: coded.coding.bytes,
        max_error,
        psnr,
        encode_seconds: coded.coding.encode_seconds,
        decode_seconds: coded.coding.decode_seconds,
    })
}

/// FLAC at `level` on the WAV copy `input`.
fn run_flac(
    anchor: BoundedAnchor,
    level: u8,
    input: &Path,
    dir: &Path,
    depth: u32,
    reference: &[i32],
) -> Result<BoundedRun> {
    if anchor != BoundedAnchor::Flac {
        return Err(Error::InvalidArgument(format!(
            "the {} anchor codes pictures, not audio",
            anchor.name()
        )));
    }
    let coded = dir.join(format!("flac_{level}.flac"));
    let decoded = dir.join(format!("flac_{level}_decoded.wav"));
    let p = |path: &Path| path.display().to_string();
    let encode_args = vec![
        "-s".to_string(),
        "-f".to_string(),
        format!("-{level}"),
        p(input),
        "-o".to_string(),
        p(&coded),
    ];
    let encode_seconds = run_tool(anchor, "flac", &encode_args)?;
    let bytes = file_size(&coded)?;
    let decode_args = vec![
        "-s".to_string(),
        "-f".to_string(),
        "-d".to_string(),
        p(&coded),
        "-o".to_string(),
        p(&decoded),
    ];
    let decode_seconds = run_tool(anchor, "flac", &decode_args)?;
    let back = AudioSignal::read(&decoded)?;
    let (max_error, psnr) = compare_audio(reference, &back.samples, depth)?;
    let _ = std::fs::remove_file(&coded);
    let _ = std::fs::remove_file(&decoded);
    Ok(BoundedRun {
        codec: BoundedCodec::Anchor(anchor),
        setting: level,
        bound: 0,
        bytes,
        max_error,
        psnr,
        encode_seconds,
        decode_seconds,
    })
}

fn compare_audio(reference: &[i32], decoded: &[f32], depth: u32) -> Result<(u32, Option<f64>)> {
    if decoded.len() != reference.len() {
        return Err(Error::InvalidStream(format!(
            "the decode holds {} samples, its source {}",
            decoded.len(),
            reference.len()
        )));
    }
    let peak = (1u64 << (depth - 1)) as f64;
    let back: Vec<i32> = decoded
        .iter()
        .map(|&s| (f64::from(s) * peak).round().clamp(-peak, peak - 1.0) as i32)
        .collect();
    Ok(compare_samples(reference, &back, peak))
}

/// Writes `source` as an integer WAV of `depth` bits.
fn write_wav(source: &AudioSignal, depth: u32, path: &Path) -> Result<()> {
    let spec = hound::WavSpec {
        channels: source.channels as u16,
        sample_rate: source.rate,
        bits_per_sample: depth as u16,
        sample_format: hound::SampleFormat::Int,
    };
    let wav_error = |e: hound::Error| Error::Media(format!("{}: {e}", path.display()));
    let mut writer = hound::WavWriter::create(path, spec).map_err(wav_error)?;
    for v in to_integers(&source.samples, depth) {
        writer.write_sample(v).map_err(wav_error)?;
    }
    writer.finalize().map_err(wav_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_the_smallest_exact_one() {
        assert_eq!(integer_depth(&[0.0, 0.5, -1.0, 3.0 / 32768.0]), Some(16));
        assert_eq!(integer_depth(&[0.0, 5.0 / 8_388_608.0]), Some(24));
        assert_eq!(integer_depth(&[0.1]), None);
        assert_eq!(to_integers(&[-1.0, 3.0 / 32768.0], 16), vec![-32768, 3]);
    }

    #[test]
    fn quanta_lossless_audio_is_exact() {
        let samples: Vec<f32> = (0..9000)
            .map(|i| ((i * 37 % 2001) as f32 - 1000.0) / 32768.0)
            .collect();
        let source = AudioSignal {
            rate: 44100,
            channels: 2,
            samples,
        };
        let reference = to_integers(&source.samples, 16);
        let run = run_quanta(&source, 16, &reference).unwrap();
        assert_eq!((run.max_error, run.psnr), (0, None));
        assert!(run.bytes > 0 && run.bytes < 2 * 9000);
        let mut off = vec![0.0f32; 9000];
        off[3] = 2.0 / 32768.0;
        let (worst, psnr) = compare_audio(&vec![0; 9000], &off, 16).unwrap();
        assert_eq!(worst, 2);
        assert!(psnr.is_some());
        assert!(compare_audio(&reference, &off[..10], 16).is_err());
    }
}
