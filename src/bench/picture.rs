//! Picture benches: quanta's image codec and the picture anchors at one setting on the same
//! picture, every decoding measured against the source.
//!
//! Input: a picture file (anything [`read_picture`] reads), one setting (quanta's quality, an
//! anchor's quality, quantizer or distance) and a scratch folder. Output: a [`RunRecord`]
//! whose rate is bits per pixel (`8 × bytes / (width × height)`, headers included), whose
//! quality is [`Quality::Picture`] ([`measure`]: PSNRs, SSIM-Y, SSIMULACRA2 when asked for)
//! and whose speeds are megapixels per second. quanta codes in memory with one thread each
//! way ([`run_quanta_with`], shared with the study); the anchors run their tools through
//! [`ToolFiles`] on a copy of the source written once per file in the format they read
//! (binary PNM for cjpeg, PNG for the others).

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::anchors::Anchor;
use super::metric::{measure, Metric};
use super::record::{Coding, Quality, Rate, RunRecord, SourceInfo, SpeedUnit};
use super::sweep::MediaBench;
use super::tool::ToolFiles;
use super::{BenchConfig, Codec};
use crate::codec::image::{decode_picture, encode_picture, ImageDecodeOptions, ImageEncoderConfig};
use crate::container::MediaKind;
use crate::error::{Error, Limits, Result};
use crate::media::image::{encode_picture_file, read_picture, PictureFormat};
use crate::signal::{Picture, PixelLayout};

/// One coded and decoded picture.
pub(crate) struct CodedPicture {
    pub coding: Coding,
    pub decoded: Picture,
}

impl CodedPicture {
    /// The record of this coding of `source`, measured as `quality`.
    pub(crate) fn record(
        &self,
        codec: Codec,
        setting: f64,
        source: &Picture,
        quality: Quality,
    ) -> Result<RunRecord> {
        let rate = Rate::bits_per_pixel(self.coding.bytes, source.width, source.height)?;
        let megapixels = source.pixels() as f64 / 1e6;
        Ok(RunRecord::new(
            (codec, setting),
            self.coding,
            rate,
            quality,
            (megapixels, SpeedUnit::MegapixelsPerSecond),
        ))
    }
}

/// Encodes and decodes with `config` in memory, one thread each (`config.threads` is
/// ignored).
pub(crate) fn run_quanta_with(
    picture: &Picture,
    config: &ImageEncoderConfig,
) -> Result<CodedPicture> {
    let config = ImageEncoderConfig {
        threads: 1,
        ..config.clone()
    };
    let mut stream = Vec::new();
    let start = Instant::now();
    encode_picture(picture, &config, &mut stream)?;
    let encode_seconds = start.elapsed().as_secs_f64();
    decode_own(
        stream,
        encode_seconds,
        &format!("quality {}", config.quality),
    )
}

/// Decodes a stream quanta just wrote, one thread, timed; damage or a missing end is an
/// error naming `setting`. Shared by the lossy runs and the error-bounded bench.
pub(crate) fn decode_own(
    stream: Vec<u8>,
    encode_seconds: f64,
    setting: &str,
) -> Result<CodedPicture> {
    let options = ImageDecodeOptions {
        threads: 1,
        ..ImageDecodeOptions::default()
    };
    let start = Instant::now();
    let decoded = decode_picture(stream.as_slice(), &options)?;
    let decode_seconds = start.elapsed().as_secs_f64();
    if !decoded.damage.is_empty() || !decoded.complete {
        return Err(Error::InvalidStream(format!(
            "quanta could not decode its own stream at {setting}: {}",
            decoded.damage.join("; ")
        )));
    }
    Ok(CodedPicture {
        coding: Coding {
            bytes: stream.len() as u64,
            encode_seconds,
            decode_seconds,
        },
        decoded: decoded.picture,
    })
}

/// The runs of one picture: quanta in memory, anchors from files written once.
pub struct PictureBench {
    picture: Picture,
    dir: PathBuf,
    with_ssimulacra2: bool,
    /// The anchors' input files written so far.
    written: Vec<(PictureFormat, PathBuf)>,
}

impl PictureBench {
    /// The anchors' input file in `format`, written on first use.
    fn input_file(&mut self, format: PictureFormat) -> Result<PathBuf> {
        if let Some((_, path)) = self.written.iter().find(|(f, _)| *f == format) {
            return Ok(path.clone());
        }
        let (extension, bytes) = match format {
            PictureFormat::Ppm => ("pnm", binary_pnm(&self.picture)),
            _ => ("png", encode_picture_file(&self.picture, format)?),
        };
        let path = self.dir.join(format!("source.{extension}"));
        std::fs::write(&path, bytes).map_err(|e| Error::io_path("write", &path, e))?;
        self.written.push((format, path.clone()));
        Ok(path)
    }

    fn measured(&self, codec: Codec, setting: f64, coded: &CodedPicture) -> Result<RunRecord> {
        let quality = measure(&self.picture, &coded.decoded, self.with_ssimulacra2)?;
        coded.record(codec, setting, &self.picture, quality)
    }
}

impl MediaBench for PictureBench {
    fn prepare(path: &Path, dir: &Path, config: &BenchConfig) -> Result<PictureBench> {
        Ok(PictureBench {
            picture: read_picture(path, &Limits::default())?,
            dir: dir.to_path_buf(),
            with_ssimulacra2: config.metrics.contains(&Metric::Ssimulacra2),
            written: Vec::new(),
        })
    }

    fn source(&self) -> SourceInfo {
        SourceInfo::Picture {
            width: self.picture.width,
            height: self.picture.height,
        }
    }

    fn run_quanta(&mut self, setting: f64) -> Result<RunRecord> {
        let config = ImageEncoderConfig {
            quality: setting.round().clamp(0.0, 100.0) as u8,
            ..ImageEncoderConfig::default()
        };
        let coded = run_quanta_with(&self.picture, &config)?;
        self.measured(Codec::Quanta, setting, &coded)
    }

    fn run_anchor(&mut self, anchor: Anchor, setting: f64) -> Result<RunRecord> {
        anchor.check_setting(setting)?;
        if anchor.media() != MediaKind::Image {
            return Err(Error::InvalidArgument(format!(
                "the {} anchor codes {:?}, not pictures",
                anchor.name(),
                anchor.media()
            )));
        }
        let input = self.input_file(input_format(anchor))?;
        let files = ToolFiles::new(&self.dir, anchor, setting);
        let coding = files.run(
            anchor,
            &encode_args(anchor, setting, &input, &files.coded),
            &decode_args(anchor, &files.coded, &files.decoded),
        )?;
        let decoded = read_picture(&files.decoded, &Limits::default())?;
        let source = &self.picture;
        if (decoded.width, decoded.height) != (source.width, source.height) {
            return Err(Error::Media(format!(
                "{} decoded a {}x{} picture from a {}x{} input",
                anchor.decoder(),
                decoded.width,
                decoded.height,
                source.width,
                source.height
            )));
        }
        let coded = CodedPicture { coding, decoded };
        self.measured(Codec::Anchor(anchor), setting, &coded)
    }
}

/// The encoder's arguments of a picture anchor at `setting`.
fn encode_args(anchor: Anchor, setting: f64, input: &Path, output: &Path) -> Vec<String> {
    let path = |p: &Path| p.display().to_string();
    match anchor {
        Anchor::Jpeg => vec![
            "-optimize".into(),
            "-quality".into(),
            format!("{}", setting.round()),
            "-sample".into(),
            "2x2".into(),
            "-outfile".into(),
            path(output),
            path(input),
        ],
        Anchor::Webp => vec![
            "-quiet".into(),
            "-q".into(),
            format!("{setting}"),
            path(input),
            "-o".into(),
            path(output),
        ],
        Anchor::Avif => vec![
            "-j".into(),
            "1".into(),
            "-s".into(),
            "6".into(),
            "-y".into(),
            "420".into(),
            "--min".into(),
            format!("{}", setting.round()),
            "--max".into(),
            format!("{}", setting.round()),
            path(input),
            path(output),
        ],
        Anchor::Jxl => vec![
            "--quiet".into(),
            "--num_threads=0".into(),
            "-e".into(),
            "7".into(),
            "-d".into(),
            format!("{setting}"),
            path(input),
            path(output),
        ],
        // Not a picture anchor: `run_anchor` refuses it before building arguments.
        _ => Vec::new(),
    }
}

/// The decoder's arguments of a picture anchor, writing the decoded picture to `output`.
fn decode_args(anchor: Anchor, input: &Path, output: &Path) -> Vec<String> {
    let path = |p: &Path| p.display().to_string();
    match anchor {
        Anchor::Jpeg => vec!["-outfile".into(), path(output), path(input)],
        Anchor::Webp => vec![
            "-quiet".into(),
            path(input),
            "-ppm".into(),
            "-o".into(),
            path(output),
        ],
        Anchor::Avif => vec!["-j".into(), "1".into(), path(input), path(output)],
        // djxl's 0 means "the machine default", unlike cjxl's.
        Anchor::Jxl => vec!["--num_threads=1".into(), path(input), path(output)],
        // Not a picture anchor: `run_anchor` refuses it before building arguments.
        _ => Vec::new(),
    }
}

/// The picture format the encoder reads (cjpeg reads PNM, not PNG).
fn input_format(anchor: Anchor) -> PictureFormat {
    match anchor {
        Anchor::Jpeg => PictureFormat::Ppm,
        _ => PictureFormat::Png,
    }
}

/// A binary PPM (P6) or PGM (P5) file of a picture, the input every cjpeg reads.
fn binary_pnm(picture: &Picture) -> Vec<u8> {
    let magic = match picture.layout {
        PixelLayout::Rgb => "P6",
        PixelLayout::Gray => "P5",
    };
    let mut out = format!("{magic}\n{} {}\n255\n", picture.width, picture.height).into_bytes();
    out.extend_from_slice(&picture.data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pnm_header() {
        let gray = Picture::new(2, 1, PixelLayout::Gray, vec![7, 9]).unwrap();
        assert_eq!(binary_pnm(&gray), b"P5\n2 1\n255\n\x07\x09");
        let rgb = Picture::new(1, 1, PixelLayout::Rgb, vec![1, 2, 3]).unwrap();
        assert_eq!(binary_pnm(&rgb), b"P6\n1 1\n255\n\x01\x02\x03");
    }

    #[test]
    fn jpeg_arguments_ask_for_optimized_420() {
        let args = encode_args(
            Anchor::Jpeg,
            75.0,
            Path::new("in.pnm"),
            Path::new("out.jpg"),
        );
        assert_eq!(
            args.join(" "),
            "-optimize -quality 75 -sample 2x2 -outfile out.jpg in.pnm"
        );
    }

    #[test]
    fn quanta_runs_are_rated_in_bits_per_pixel_and_megapixels() {
        let data: Vec<u8> = (0..40 * 24 * 3).map(|i| ((i * 7) % 251) as u8).collect();
        let picture = Picture::new(40, 24, PixelLayout::Rgb, data).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut bench = PictureBench {
            picture,
            dir: dir.path().to_path_buf(),
            with_ssimulacra2: false,
            written: Vec::new(),
        };
        let low = bench.run_quanta(20.0).unwrap();
        let high = bench.run_quanta(90.0).unwrap();
        assert_eq!(low.rate.value, 8.0 * low.bytes as f64 / (40.0 * 24.0));
        assert!(low.rate.value < high.rate.value);
        assert_eq!(high.encode_speed.unit, SpeedUnit::MegapixelsPerSecond);
        let psnr = |r: &RunRecord| Metric::PsnrYcbcr.value(&r.quality).unwrap();
        assert!(psnr(&low) < psnr(&high), "{} {}", psnr(&low), psnr(&high));
        assert_eq!(Metric::Snr.value(&low.quality), None);
        assert_eq!(
            bench.source(),
            SourceInfo::Picture {
                width: 40,
                height: 24
            }
        );
    }
}
