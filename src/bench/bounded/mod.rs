//! The error-bounded bench: quanta's lossless and near-lossless coders against the lossless
//! and near-lossless coders people use, on the same files.
//!
//! Input: a [`BoundedConfig`] (picture or audio files and folders, the maximum errors N
//! swept by quanta, the [`BoundedAnchor`]s, the worker count) and a progress callback.
//! Output: a [`BoundedReport`]: for every file one [`BoundedRun`] per codec and setting:
//! the coded size, the rate (bits per pixel for pictures, bits per sample for audio), the
//! largest absolute error of any decoded sample against the source (measured, not taken
//! from the setting), the PSNR when the decode is not exact, and the encode and decode
//! times; [`BoundedReport::totals`] sums them per codec and setting over the files.
//!
//! quanta codes in memory with one thread each way; every anchor runs its installed
//! command-line tools on one thread in a scratch folder removed at the end
//! ([`picture`]: `cwebp -lossless -z 9`, `cjxl -d 0 -e 7`, `optipng -o2`, and JPEG-LS
//! through ffmpeg, whose `-pred` option sets the JPEG-LS NEAR bound 0, 1 or 2; [`audio`]:
//! `flac -5` and `flac -8`). A run whose measured error exceeds its bound is an error, so a
//! report never shows a size for a decode that broke its promise.

pub mod audio;
pub mod picture;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::Serialize;

use super::lists::collect_files;
use super::pool::run_pool;
use crate::container::MediaKind;
use crate::error::{Error, Result};

/// quanta's maximum errors when none are given (pictures).
pub const DEFAULT_MAX_ERRORS: [u8; 5] = [0, 1, 2, 4, 8];

/// A reference lossless or near-lossless coder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum BoundedAnchor {
    /// Lossless WebP: `cwebp -lossless -z 9`, decoded by dwebp.
    WebpLossless,
    /// Lossless JPEG XL: `cjxl -d 0 -e 7`, decoded by djxl.
    JxlLossless,
    /// PNG recompressed by `optipng -o2`.
    Png,
    /// JPEG-LS through ffmpeg, lossless (N = 0) and near-lossless (N = 1, 2).
    JpegLs,
    /// FLAC at levels 5 and 8 (audio).
    Flac,
}

/// Every bounded anchor, in report order.
pub const ALL_BOUNDED_ANCHORS: [BoundedAnchor; 5] = [
    BoundedAnchor::WebpLossless,
    BoundedAnchor::JxlLossless,
    BoundedAnchor::Png,
    BoundedAnchor::JpegLs,
    BoundedAnchor::Flac,
];

impl BoundedAnchor {
    /// The name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            BoundedAnchor::WebpLossless => "webp-lossless",
            BoundedAnchor::JxlLossless => "jxl-lossless",
            BoundedAnchor::Png => "png",
            BoundedAnchor::JpegLs => "jpegls",
            BoundedAnchor::Flac => "flac",
        }
    }

    /// The anchor of a command-line name.
    pub fn from_name(name: &str) -> Option<BoundedAnchor> {
        ALL_BOUNDED_ANCHORS.into_iter().find(|a| a.name() == name)
    }

    /// The media kind it codes.
    pub fn media(self) -> MediaKind {
        match self {
            BoundedAnchor::Flac => MediaKind::Audio,
            _ => MediaKind::Image,
        }
    }

    /// Its programs and the Debian package of each.
    pub fn programs(self) -> &'static [(&'static str, &'static str)] {
        match self {
            BoundedAnchor::WebpLossless => &[("cwebp", "webp"), ("dwebp", "webp")],
            BoundedAnchor::JxlLossless => &[("cjxl", "libjxl-tools"), ("djxl", "libjxl-tools")],
            BoundedAnchor::Png => &[("optipng", "optipng")],
            BoundedAnchor::JpegLs => &[("ffmpeg", "ffmpeg")],
            BoundedAnchor::Flac => &[("flac", "flac")],
        }
    }

    /// The settings it runs for the maximum errors asked of quanta: the bounds N it offers
    /// among them (lossless only but for JPEG-LS), or its levels (FLAC).
    pub fn settings(self, max_errors: &[u8]) -> Vec<u8> {
        match self {
            BoundedAnchor::Flac => vec![5, 8],
            BoundedAnchor::JpegLs => max_errors.iter().copied().filter(|&n| n <= 2).collect(),
            _ => vec![0],
        }
    }

    /// The largest error a decode at `setting` may show.
    pub fn bound(self, setting: u8) -> u8 {
        match self {
            BoundedAnchor::JpegLs => setting,
            _ => 0,
        }
    }
}

/// The codec of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum BoundedCodec {
    Quanta,
    Anchor(BoundedAnchor),
}

impl BoundedCodec {
    pub fn name(self) -> &'static str {
        match self {
            BoundedCodec::Quanta => "quanta",
            BoundedCodec::Anchor(a) => a.name(),
        }
    }
}

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundedConfig {
    /// Files or folders of inputs.
    pub inputs: Vec<PathBuf>,
    /// Pictures or audio.
    pub media: MediaKind,
    /// quanta's maximum errors (pictures: 0 to 32; audio: only 0, lossless).
    pub max_errors: Vec<u8>,
    pub anchors: Vec<BoundedAnchor>,
    /// Files coded at once (0 = one per core).
    pub threads: usize,
}

impl BoundedConfig {
    /// Checks the configuration, naming the first thing that is wrong.
    pub fn validate(&self) -> Result<()> {
        if self.media == MediaKind::Video {
            return Err(Error::InvalidArgument(
                "the error-bounded bench takes pictures or audio, not video".into(),
            ));
        }
        if self.max_errors.is_empty() {
            return Err(Error::InvalidArgument(
                "the maximum-error list is empty (give at least one N)".into(),
            ));
        }
        if let Some(n) = self.max_errors.iter().find(|&&n| n > 32) {
            return Err(Error::InvalidArgument(format!(
                "maximum error {n} is out of range (0 to 32)"
            )));
        }
        if self.media == MediaKind::Audio && self.max_errors != [0] {
            return Err(Error::InvalidArgument(
                "audio is coded lossless only: the maximum error of audio must be 0".into(),
            ));
        }
        if let Some(a) = self.anchors.iter().find(|a| a.media() != self.media) {
            return Err(Error::InvalidArgument(format!(
                "the {} anchor codes {}, but the inputs are {}",
                a.name(),
                media_noun(a.media()),
                media_noun(self.media)
            )));
        }
        Ok(())
    }
}

fn media_noun(media: MediaKind) -> &'static str {
    match media {
        MediaKind::Image => "pictures",
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
    }
}

/// One encode and decode of one file by one codec at one setting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoundedRun {
    pub codec: BoundedCodec,
    /// quanta's and JPEG-LS's maximum error N, or FLAC's level.
    pub setting: u8,
    /// The error bound the setting promises.
    pub bound: u8,
    /// Coded bytes, headers included.
    pub bytes: u64,
    /// Largest absolute difference of any decoded sample from its source, in sample units
    /// (8-bit levels for pictures, the source's integer scale for audio).
    pub max_error: u32,
    /// PSNR in dB over every sample; `None` when the decode is exact.
    pub psnr: Option<f64>,
    pub encode_seconds: f64,
    pub decode_seconds: f64,
}

/// The runs of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoundedFile {
    pub name: String,
    /// Pixels (pictures) or samples over every channel (audio): what the rate counts per.
    pub units: u64,
    pub runs: Vec<BoundedRun>,
}

/// The sums of one codec at one setting over every file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoundedTotal {
    pub codec: BoundedCodec,
    pub setting: u8,
    pub bound: u8,
    pub bytes: u64,
    /// Bits per pixel or per sample over all files.
    pub rate: f64,
    /// The largest error of any file.
    pub max_error: u32,
    /// The mean of the files' PSNRs, `None` when every decode is exact.
    pub mean_psnr: Option<f64>,
    /// Million units (pixels or samples) per second of encode and of decode.
    pub encode_speed: f64,
    pub decode_speed: f64,
}

/// The whole bench.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoundedReport {
    /// "image" or "audio".
    pub media: &'static str,
    /// "bits/pixel" or "bits/sample".
    pub rate_unit: &'static str,
    pub files: Vec<BoundedFile>,
    pub elapsed_seconds: f64,
}

impl BoundedReport {
    /// Per codec and setting, in the order of the first file's runs.
    pub fn totals(&self) -> Vec<BoundedTotal> {
        let mut keys: Vec<(BoundedCodec, u8, u8)> = Vec::new();
        for run in self.files.iter().flat_map(|f| &f.runs) {
            if !keys.contains(&(run.codec, run.setting, run.bound)) {
                keys.push((run.codec, run.setting, run.bound));
            }
        }
        keys.into_iter()
            .map(|(codec, setting, bound)| {
                let mut total = BoundedTotal {
                    codec,
                    setting,
                    bound,
                    bytes: 0,
                    rate: 0.0,
                    max_error: 0,
                    mean_psnr: None,
                    encode_speed: 0.0,
                    decode_speed: 0.0,
                };
                let (mut units, mut enc, mut dec) = (0u64, 0.0, 0.0);
                let mut psnrs = Vec::new();
                for file in &self.files {
                    let found = file
                        .runs
                        .iter()
                        .find(|r| (r.codec, r.setting) == (codec, setting));
                    if let Some(run) = found {
                        total.bytes += run.bytes;
                        total.max_error = total.max_error.max(run.max_error);
                        units += file.units;
                        enc += run.encode_seconds;
                        dec += run.decode_seconds;
                        psnrs.extend(run.psnr);
                    }
                }
                total.rate = 8.0 * total.bytes as f64 / units.max(1) as f64;
                if !psnrs.is_empty() {
                    total.mean_psnr = Some(psnrs.iter().sum::<f64>() / psnrs.len() as f64);
                }
                total.encode_speed = units as f64 / 1e6 / enc.max(1e-9);
                total.decode_speed = units as f64 / 1e6 / dec.max(1e-9);
                total
            })
            .collect()
    }
}

/// Progress of a bench.
#[derive(Debug, Clone, PartialEq)]
pub enum BoundedProgress {
    /// The files are known.
    Started { files: usize },
    /// One file's runs are done.
    FileDone { name: String },
}

/// Runs every file through quanta and every anchor.
pub fn run_bounded(
    config: &BoundedConfig,
    progress: &(dyn Fn(&BoundedProgress) + Sync),
) -> Result<BoundedReport> {
    config.validate()?;
    for anchor in &config.anchors {
        check_programs(*anchor)?;
    }
    let files = collect_files(&config.inputs, config.media)?;
    progress(&BoundedProgress::Started { files: files.len() });
    let start = Instant::now();
    let scratch = tempfile::tempdir()
        .map_err(|e| Error::io("cannot make a scratch folder for the bench", e))?;
    let results = run_pool(
        &files,
        config.threads,
        "bounded bench",
        |index, path, cancelled: &AtomicBool| {
            if cancelled.load(Ordering::Relaxed) {
                return Ok(None);
            }
            let dir = scratch.path().join(format!("file{index}"));
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::io_path("create the scratch folder", &dir, e))?;
            let file = match config.media {
                MediaKind::Audio => audio::bench_file(path, &dir, config)?,
                _ => picture::bench_file(path, &dir, config)?,
            };
            let _ = std::fs::remove_dir_all(&dir);
            progress(&BoundedProgress::FileDone {
                name: file.name.clone(),
            });
            Ok(Some(file))
        },
    )?;
    Ok(BoundedReport {
        media: match config.media {
            MediaKind::Audio => "audio",
            _ => "image",
        },
        rate_unit: match config.media {
            MediaKind::Audio => "bits/sample",
            _ => "bits/pixel",
        },
        files: results,
        elapsed_seconds: start.elapsed().as_secs_f64(),
    })
}

/// An error naming the package to install when one of the anchor's programs is missing.
fn check_programs(anchor: BoundedAnchor) -> Result<()> {
    for (program, package) in anchor.programs() {
        if super::anchors::find_program(program).is_none() {
            return Err(missing(anchor, program, package));
        }
    }
    Ok(())
}

fn missing(anchor: BoundedAnchor, program: &str, package: &str) -> Error {
    Error::Unsupported(format!(
        "the {} anchor needs {program}, which is not installed (install the Debian package \
         {package}: apt-get install {package})",
        anchor.name()
    ))
}

/// Runs one program of `anchor` to its end and returns its wall-clock seconds; a failure
/// quotes its last words.
fn run_tool(anchor: BoundedAnchor, program: &str, args: &[String]) -> Result<f64> {
    let start = Instant::now();
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                let package = anchor
                    .programs()
                    .iter()
                    .find(|(p, _)| *p == program)
                    .map_or("?", |(_, package)| *package);
                missing(anchor, program, package)
            } else {
                Error::io(format!("cannot run {program}"), e)
            }
        })?;
    let seconds = start.elapsed().as_secs_f64();
    if output.status.success() {
        return Ok(seconds);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last: Vec<&str> = stderr.lines().rev().take(3).collect();
    Err(Error::Media(format!(
        "{program} {} failed ({}): {}",
        args.join(" "),
        output.status,
        last.into_iter().rev().collect::<Vec<_>>().join(" / ")
    )))
}

/// The size of a file the tool wrote.
fn file_size(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .map_err(|e| Error::io_path("read the size of", path, e))?
        .len())
}

/// Largest absolute difference and PSNR (`None` when exact) of `decoded` against `source`,
/// both on a scale whose peak is `peak`.
fn compare_samples(source: &[i32], decoded: &[i32], peak: f64) -> (u32, Option<f64>) {
    let mut worst = 0u32;
    let mut squares = 0f64;
    for (&a, &b) in source.iter().zip(decoded) {
        let d = (a - b).unsigned_abs();
        worst = worst.max(d);
        squares += f64::from(d) * f64::from(d);
    }
    if worst == 0 {
        return (0, None);
    }
    let mse = squares / source.len().max(1) as f64;
    (worst, Some(10.0 * (peak * peak / mse).log10()))
}

/// An error when a run's measured error exceeds what its setting promises.
fn check_bound(file: &str, run: &BoundedRun) -> Result<()> {
    if run.max_error > u32::from(run.bound) {
        return Err(Error::InvalidStream(format!(
            "{file}: {} at setting {} decoded with an error of {} (its bound is {})",
            run.codec.name(),
            run.setting,
            run.max_error,
            run.bound
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(codec: BoundedCodec, setting: u8, bytes: u64, max_error: u32) -> BoundedRun {
        BoundedRun {
            codec,
            setting,
            bound: setting,
            bytes,
            max_error,
            psnr: (max_error > 0).then_some(50.0 - f64::from(setting)),
            encode_seconds: 0.5,
            decode_seconds: 0.25,
        }
    }

    #[test]
    fn totals_sum_bytes_and_keep_the_worst_error() {
        let report = BoundedReport {
            media: "image",
            rate_unit: "bits/pixel",
            files: vec![
                BoundedFile {
                    name: "a".into(),
                    units: 1000,
                    runs: vec![
                        run(BoundedCodec::Quanta, 0, 500, 0),
                        run(BoundedCodec::Quanta, 2, 200, 2),
                    ],
                },
                BoundedFile {
                    name: "b".into(),
                    units: 3000,
                    runs: vec![
                        run(BoundedCodec::Quanta, 0, 1500, 0),
                        run(BoundedCodec::Quanta, 2, 600, 1),
                    ],
                },
            ],
            elapsed_seconds: 1.0,
        };
        let totals = report.totals();
        assert_eq!(totals.len(), 2);
        assert_eq!(totals[0].bytes, 2000);
        assert_eq!(totals[0].rate, 8.0 * 2000.0 / 4000.0);
        assert_eq!(totals[0].mean_psnr, None);
        assert_eq!(totals[1].max_error, 2);
        assert_eq!(totals[1].mean_psnr, Some(48.0));
        // 4000 units in 0.5 s of decode.
        assert!((totals[1].decode_speed - 0.008).abs() < 1e-12);
    }

    #[test]
    fn comparison_and_bound() {
        assert_eq!(compare_samples(&[1, 2, 3], &[1, 2, 3], 255.0), (0, None));
        let (worst, psnr) = compare_samples(&[0, 10, 20, 30], &[1, 10, 18, 30], 255.0);
        assert_eq!(worst, 2);
        // MSE = (1 + 4) / 4.
        let expected = 10.0 * (255.0f64 * 255.0 / 1.25).log10();
        assert!((psnr.unwrap() - expected).abs() < 1e-9);
        let broken = run(BoundedCodec::Quanta, 1, 10, 3);
        let err = check_bound("x.png", &broken).unwrap_err().to_string();
        assert!(err.contains("x.png") && err.contains("error of 3"), "{err}");
        assert!(check_bound("x.png", &run(BoundedCodec::Quanta, 2, 10, 2)).is_ok());
    }

    #[test]
    fn configuration_errors_name_the_problem() {
        let config = BoundedConfig {
            inputs: vec!["a.wav".into()],
            media: MediaKind::Audio,
            max_errors: vec![0, 2],
            anchors: vec![BoundedAnchor::Flac],
            threads: 1,
        };
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("lossless only"));
        let mixed = BoundedConfig {
            media: MediaKind::Image,
            max_errors: vec![0],
            ..config
        };
        let err = mixed.validate().unwrap_err().to_string();
        assert!(err.contains("flac anchor codes audio"), "{err}");
        assert_eq!(
            BoundedAnchor::JpegLs.settings(&[0, 1, 2, 4, 8]),
            vec![0, 1, 2]
        );
        assert_eq!(BoundedAnchor::WebpLossless.settings(&[4]), vec![0]);
        assert_eq!(
            BoundedAnchor::from_name("jxl-lossless"),
            Some(BoundedAnchor::JxlLossless)
        );
        assert_eq!(BoundedAnchor::from_name("jxl"), None);
    }
}
