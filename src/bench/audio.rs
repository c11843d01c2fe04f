//! Audio benches: quanta's audio codec and the audio anchors swept over bitrates on the same
//! audio files, the decoded signals aligned to the source and measured in SNR terms.
//!
//! Input: an audio file (anything [`read_audio_file`] reads), a bitrate in kbit/s and a
//! scratch folder. Output: a [`RunRecord`] whose rate is the actual kbit/s of the coded file
//! (`8 × bytes / seconds / 1000`, headers included), whose quality is [`Quality::Audio`] (the
//! SNR, the segmental SNR and the PSNR of the decoded signal against the source) and whose
//! speeds are millions of sample frames per second.
//! quanta codes in memory with one thread; the anchors run their command-line tools on a
//! 16-bit WAV copy of the source (opusenc/opusdec at the source rate, oggenc/oggdec, ffmpeg's
//! AAC, lame). Codecs add delay, so every decoding is aligned first: the lag that maximises the
//! cross-correlation of the mono downmixes over the first five seconds (searched within ±4096
//! samples, computed with FFTs) is removed, and the result is
//! trimmed or padded with silence to the source's length.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rustfft::num_complex::Complex;
use rustfft::FftPlanner;

use super::anchors::Anchor;
use super::record::{AudioQuality, Coding, Quality, Rate, RunRecord, SourceInfo, SpeedUnit};
use super::sweep::MediaBench;
use super::tool::ToolFiles;
use super::{BenchConfig, Codec};
use crate::codec::audio::{
    decode_audio, encode_audio, AudioDecodeOptions, AudioEncoderConfig, RateMode,
};
use crate::error::{Error, Result};
use crate::media::audio::{read_audio_file, MemorySource, PcmDepth};
use crate::metrics::audio::{audio_psnr, segmental_snr, snr};

/// The largest lag searched when aligning a decoding, in samples.
pub const MAX_LAG: usize = 4096;

/// A source signal: interleaved samples.
#[derive(Debug, Clone)]
pub struct AudioSignal {
    pub rate: u32,
    pub channels: usize,
    pub samples: Vec<f32>,
}

impl AudioSignal {
    /// Reads a whole audio file.
    pub fn read(path: &Path) -> Result<AudioSignal> {
        let (rate, channels, samples) = read_audio_file(path)?;
        if rate == 0 || channels == 0 || samples.is_empty() {
            return Err(Error::Media(format!(
                "{} holds no audio samples",
                path.display()
            )));
        }
        Ok(AudioSignal {
            rate,
            channels,
            samples,
        })
    }

    /// Sample frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels
    }

    /// Duration in seconds.
    pub fn seconds(&self) -> f64 {
        self.frames() as f64 / f64::from(self.rate)
    }

    /// Writes the signal as a 16-bit PCM WAV file.
    fn write_wav(&self, path: &Path) -> Result<()> {
        let spec = hound::WavSpec {
            channels: self.channels as u16,
            sample_rate: self.rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let wav_error = |e: hound::Error| Error::Media(format!("{}: {e}", path.display()));
        let mut writer = hound::WavWriter::create(path, spec).map_err(wav_error)?;
        for &s in &self.samples {
            let v = (f64::from(s) * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
            writer.write_sample(v).map_err(wav_error)?;
        }
        writer.finalize().map_err(wav_error)
    }
}

/// One coded and decoded signal, before alignment.
pub(crate) struct AudioCoded {
    pub coding: Coding,
    pub decoded: Vec<f32>,
}

/// Codes `source` with quanta at `kbps` in memory, one thread each way.
fn run_quanta(source: &AudioSignal, kbps: f64) -> Result<AudioCoded> {
    run_quanta_at(source, RateMode::Bitrate(kbps), PcmDepth::Unknown)
}

/// Codes `source` with quanta at `rate` in memory, one thread each way, the input
/// announced at `depth` (the lossless mode needs its integer depth); shared with the
/// error-bounded bench.
pub(crate) fn run_quanta_at(
    source: &AudioSignal,
    rate: RateMode,
    depth: PcmDepth,
) -> Result<AudioCoded> {
    let config = AudioEncoderConfig {
        rate,
        threads: 1,
        ..AudioEncoderConfig::default()
    };
    let input =
        MemorySource::new(source.rate, source.channels, source.samples.clone()).with_depth(depth);
    let mut stream = Vec::new();
    let start = Instant::now();
    encode_audio(input, &config, &mut stream)?;
    let encode_seconds = start.elapsed().as_secs_f64();
    let options = AudioDecodeOptions {
        threads: 1,
        ..AudioDecodeOptions::default()
    };
    let mut decoded = Vec::with_capacity(source.samples.len());
    let start = Instant::now();
    let report = decode_audio(stream.as_slice(), &options, |s| {
        decoded.extend_from_slice(s);
        Ok(())
    })?;
    let decode_seconds = start.elapsed().as_secs_f64();
    if !report.damage.is_empty() {
        return Err(Error::InvalidStream(format!(
            "quanta could not decode its own audio stream ({:?}): {}",
            config.rate,
            report.damage.join("; ")
        )));
    }
    Ok(AudioCoded {
        coding: Coding {
            bytes: stream.len() as u64,
            encode_seconds,
            decode_seconds,
        },
        decoded,
    })
}

/// The encoder's arguments of an audio anchor at `kbps` for a source at `rate` Hz (lame
/// would otherwise resample low bitrates to a lower rate).
fn encode_args(anchor: Anchor, kbps: f64, rate: u32, input: &Path, output: &Path) -> Vec<String> {
    let (i, o) = (input.display().to_string(), output.display().to_string());
    let k = format!("{}", kbps.round());
    let khz = format!("{}", f64::from(rate) / 1000.0);
    let words: Vec<&str> = match anchor {
        Anchor::Opus => vec!["--quiet", "--bitrate", &k, &i, &o],
        Anchor::Vorbis => vec!["--quiet", "-b", &k, "-o", &o, &i],
        Anchor::Mp3 => vec!["--quiet", "-b", &k, "--resample", &khz, &i, &o],
        _ => {
            let bitrate = format!("{k}k");
            let words = [
                "-nostdin", "-y", "-v", "error", "-threads", "1", "-i", &i, "-c:a", "aac", "-b:a",
                &bitrate, &o,
            ];
            return words.iter().map(|w| w.to_string()).collect();
        }
    };
    words.iter().map(|w| w.to_string()).collect()
}

/// The decoder's arguments of an audio anchor, writing a WAV file at `rate` Hz.
fn decode_args(anchor: Anchor, rate: u32, input: &Path, output: &Path) -> Vec<String> {
    let (i, o) = (input.display().to_string(), output.display().to_string());
    let r = rate.to_string();
    let words: Vec<&str> = match anchor {
        Anchor::Opus => vec!["--quiet", "--rate", &r, &i, &o],
        Anchor::Vorbis => vec!["--quiet", "-o", &o, &i],
        Anchor::Mp3 => vec!["--quiet", "--decode", &i, &o],
        _ => vec![
            "-nostdin",
            "-y",
            "-v",
            "error",
            "-threads",
            "1",
            "-i",
            &i,
            "-c:a",
            "pcm_s16le",
            &o,
        ],
    };
    words.iter().map(|w| w.to_string()).collect()
}

/// Codes the WAV copy `input` of `source` with an audio anchor at `kbps` in `dir`.
fn run_anchor(
    anchor: Anchor,
    source: &AudioSignal,
    input: &Path,
    dir: &Path,
    kbps: f64,
) -> Result<AudioCoded> {
    anchor.check_setting(kbps)?;
    let files = ToolFiles::new(dir, anchor, kbps);
    let coding = files.run(
        anchor,
        &encode_args(anchor, kbps, source.rate, input, &files.coded),
        &decode_args(anchor, source.rate, &files.coded, &files.decoded),
    )?;
    let (rate, channels, decoded) = read_audio_file(&files.decoded)?;
    if (rate, channels) != (source.rate, source.channels) {
        return Err(Error::Media(format!(
            "{} decoded {channels} channel(s) at {rate} Hz from {} channel(s) at {} Hz",
            anchor.decoder(),
            source.channels,
            source.rate
        )));
    }
    Ok(AudioCoded { coding, decoded })
}

/// The mono downmix of the first `frames` frames (fewer if the signal is shorter).
fn downmix(samples: &[f32], channels: usize, frames: usize) -> Vec<f64> {
    samples
        .chunks_exact(channels)
        .take(frames)
        .map(|f| f.iter().map(|&s| f64::from(s)).sum::<f64>() / channels as f64)
        .collect()
}

/// The delay of `decoded` against `source` in frames: `decoded[t + lag] ≈ source[t]`, the
/// lag within ±[`MAX_LAG`] that maximises the cross-correlation of the mono downmixes over
/// the first five seconds (computed with FFTs; the smallest lag wins a tie).
pub fn estimate_lag(source: &[f32], decoded: &[f32], channels: usize, rate: u32) -> isize {
    let frames = (rate as usize * 5).max(1);
    let a = downmix(source, channels, frames);
    let b = downmix(decoded, channels, frames + MAX_LAG);
    let n = (a.len() + b.len()).max(2).next_power_of_two();
    let mut planner = FftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(n);
    let spectrum = |x: &[f64]| {
        let mut buf: Vec<Complex<f64>> = x.iter().map(|&v| Complex::new(v, 0.0)).collect();
        buf.resize(n, Complex::new(0.0, 0.0));
        forward.process(&mut buf);
        buf
    };
    let (fa, fb) = (spectrum(&a), spectrum(&b));
    let mut product: Vec<Complex<f64>> = fa.iter().zip(&fb).map(|(x, y)| x.conj() * y).collect();
    planner.plan_fft_inverse(n).process(&mut product);
    let reach = MAX_LAG as isize;
    let mut best: (isize, f64) = (0, f64::NEG_INFINITY);
    for lag in -reach..=reach {
        let index = lag.rem_euclid(n as isize) as usize;
        let c = product[index].re;
        if c > best.1 || (c == best.1 && lag.abs() < best.0.abs()) {
            best = (lag, c);
        }
    }
    best.0
}

/// `decoded` shifted by `lag` frames and trimmed or padded with silence to `frames` frames.
pub fn align(decoded: &[f32], channels: usize, lag: isize, frames: usize) -> Vec<f32> {
    let available = (decoded.len() / channels) as isize;
    let mut out = vec![0.0f32; frames * channels];
    for (t, frame) in out.chunks_exact_mut(channels).enumerate() {
        let from = t as isize + lag;
        if (0..available).contains(&from) {
            let at = from as usize * channels;
            frame.copy_from_slice(&decoded[at..at + channels]);
        }
    }
    out
}

/// Measures an aligned decoding against the source.
pub fn measure_audio(source: &AudioSignal, aligned: &[f32]) -> Result<Quality> {
    Ok(Quality::Audio(AudioQuality {
        snr: snr(&source.samples, aligned)?,
        segsnr: segmental_snr(&source.samples, aligned, source.channels, source.rate)?,
        psnr: audio_psnr(&source.samples, aligned)?,
    }))
}

/// The runs of one audio source: quanta in memory, anchors from a 16-bit WAV copy written
/// once.
pub struct AudioBench {
    source: AudioSignal,
    dir: PathBuf,
    input: Option<PathBuf>,
}

impl AudioBench {
    /// Prepares the runs of `source` with scratch files in `dir` (which must exist).
    pub fn new(source: AudioSignal, dir: &Path) -> AudioBench {
        AudioBench {
            source,
            dir: dir.to_path_buf(),
            input: None,
        }
    }

    /// The source as the anchors read it, written on first use.
    fn anchor_input(&mut self) -> Result<PathBuf> {
        if let Some(path) = &self.input {
            return Ok(path.clone());
        }
        let path = self.dir.join("source.wav");
        self.source.write_wav(&path)?;
        self.input = Some(path.clone());
        Ok(path)
    }

    /// Aligns and measures one coding, and rates it.
    fn measured(&self, codec: Codec, kbps: f64, coded: &AudioCoded) -> Result<RunRecord> {
        let source = &self.source;
        let lag = estimate_lag(
            &source.samples,
            &coded.decoded,
            source.channels,
            source.rate,
        );
        let aligned = align(&coded.decoded, source.channels, lag, source.frames());
        let mega_frames = source.frames() as f64 / 1e6;
        Ok(RunRecord::new(
            (codec, kbps),
            coded.coding,
            Rate::kbit_per_second(coded.coding.bytes, source.seconds()),
            measure_audio(source, &aligned)?,
            (mega_frames, SpeedUnit::MegaSampleFramesPerSecond),
        ))
    }
}

impl MediaBench for AudioBench {
    fn prepare(path: &Path, dir: &Path, _config: &BenchConfig) -> Result<AudioBench> {
        Ok(AudioBench::new(AudioSignal::read(path)?, dir))
    }

    fn source(&self) -> SourceInfo {
        SourceInfo::Audio {
            sample_rate: self.source.rate,
            channels: self.source.channels,
            frames: self.source.frames(),
        }
    }

    fn run_quanta(&mut self, kbps: f64) -> Result<RunRecord> {
        let coded = run_quanta(&self.source, kbps)?;
        self.measured(Codec::Quanta, kbps, &coded)
    }

    fn run_anchor(&mut self, anchor: Anchor, kbps: f64) -> Result<RunRecord> {
        let input = self.anchor_input()?;
        let coded = run_anchor(anchor, &self.source, &input, &self.dir, kbps)?;
        self.measured(Codec::Anchor(anchor), kbps, &coded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(frames: usize, channels: usize) -> Vec<f32> {
        let mut state = 7u32;
        (0..frames * channels)
            .map(|i| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let noise = ((state >> 16) as f32 / 65536.0 - 0.5) * 0.1;
                let t = (i / channels) as f32 / 48000.0;
                0.4 * (t * 440.0 * std::f32::consts::TAU).sin() + noise
            })
            .collect()
    }

    #[test]
    fn lag_is_found_and_removed() {
        let source = tone(24000, 2);
        for delay in [0usize, 3, 312, 1105, 4000] {
            let mut delayed = vec![0.0f32; delay * 2];
            delayed.extend_from_slice(&source);
            let lag = estimate_lag(&source, &delayed, 2, 48000);
            assert_eq!(lag, delay as isize);
            let aligned = align(&delayed, 2, lag, 24000);
            assert_eq!(aligned, source);
        }
        let early = &source[2 * 200..];
        assert_eq!(estimate_lag(&source, early, 2, 48000), -200);
        let aligned = align(early, 2, -200, 24000);
        assert_eq!(aligned.len(), source.len());
        assert_eq!(&aligned[400..], &source[400..]);
    }

    #[test]
    fn quanta_runs_measure_and_rate() {
        let signal = AudioSignal {
            rate: 48000,
            channels: 2,
            samples: tone(48000, 2),
        };
        let dir = tempfile::tempdir().unwrap();
        let mut bench = AudioBench::new(signal, dir.path());
        let low = bench.run_quanta(48.0).unwrap();
        let high = bench.run_quanta(128.0).unwrap();
        assert!(low.rate.value < high.rate.value, "{low:?} {high:?}");
        assert_eq!(low.rate.value, 8.0 * low.bytes as f64 / 1.0 / 1000.0);
        assert_eq!(low.encode_speed.unit, SpeedUnit::MegaSampleFramesPerSecond);
        let snr = |r: &RunRecord| crate::bench::Metric::Snr.value(&r.quality).unwrap();
        assert!(snr(&low) < snr(&high) && snr(&low) > 5.0, "{}", snr(&low));
    }

    #[test]
    fn anchor_arguments() {
        let (i, o) = (Path::new("in.wav"), Path::new("out.opus"));
        assert_eq!(
            encode_args(Anchor::Opus, 64.0, 48000, i, o).join(" "),
            "--quiet --bitrate 64 in.wav out.opus"
        );
        assert!(encode_args(Anchor::Aac, 96.0, 48000, i, o).contains(&"96k".to_string()));
        assert!(encode_args(Anchor::Mp3, 64.0, 44100, i, o).contains(&"44.1".to_string()));
        assert!(decode_args(Anchor::Opus, 44100, o, i).contains(&"44100".to_string()));
    }
}
