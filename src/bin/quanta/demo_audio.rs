//! The audio half of `quanta demo`: encodes the bundled audio samples at a few bitrates,
//! decodes them and prints bitrate, SNR and speed.

use std::path::Path;
use std::time::Instant;

use quanta::codec::audio::{
    decode_audio, encode_audio, AudioDecodeOptions, AudioEncoderConfig, RateMode,
};
use quanta::media::audio::{read_audio_file, MemorySource};
use quanta::metrics::{segmental_snr, snr};
use quanta::{Error, Result};

/// Audio files in `dir` (FLAC and WAV), sorted.
fn audio_samples(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io_path("list", dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "flac" || e == "wav"))
        .collect();
    files.sort();
    Ok(files)
}

/// Prints the audio table for the samples in `dir`; returns how many files it coded.
pub fn run(dir: &Path, threads: usize) -> Result<usize> {
    let files = audio_samples(dir)?;
    if files.is_empty() {
        return Ok(0);
    }
    println!("\n## Audio\n");
    println!("| file | target kb/s | actual kb/s | SNR (dB) | seg. SNR (dB) | encode × realtime |");
    println!("|---|---:|---:|---:|---:|---:|");
    for path in &files {
        let (rate, channels, samples) = read_audio_file(path)?;
        let frames = samples.len() / channels.max(1);
        let seconds = frames as f64 / rate as f64;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let bitrates: &[f64] = if rate < 16_000 {
            &[16.0, 32.0]
        } else {
            &[48.0, 96.0, 128.0]
        };
        for &kbps in bitrates {
            let config = AudioEncoderConfig {
                rate: RateMode::Bitrate(kbps),
                threads,
                ..AudioEncoderConfig::default()
            };
            let source = MemorySource::new(rate, channels, samples.clone());
            let mut stream = Vec::new();
            let start = Instant::now();
            let outcome = encode_audio(source, &config, &mut stream)?;
            let encode_seconds = start.elapsed().as_secs_f64();
            let mut decoded = Vec::with_capacity(samples.len());
            let options = AudioDecodeOptions {
                threads,
                ..AudioDecodeOptions::default()
            };
            decode_audio(stream.as_slice(), &options, |block| {
                decoded.extend_from_slice(block);
                Ok(())
            })?;
            let actual = outcome.bytes as f64 * 8.0 / seconds / 1000.0;
            println!(
                "| {name} | {kbps:.0} | {actual:.1} | {:.2} | {:.2} | {:.0} |",
                snr(&samples, &decoded)?,
                segmental_snr(&samples, &decoded, channels, rate)?,
                seconds / encode_seconds
            );
        }
    }
    Ok(files.len())
}
