//! Video benches: quanta's video codec and the video anchors swept over their settings on the
//! same Y4M clips, every decoding compared with the source frame by frame.
//!
//! Input: a Y4M file (named `.y4m` or starting with `YUV4MPEG2 `), one setting (quanta's
//! quality, x264's CRF, MPEG-2's quantizer scale) and a scratch folder. Output: a
//! [`RunRecord`] whose rate is kbit/s over the clip's duration (`8 × bytes / seconds / 1000`,
//! seconds = frames / frame rate, headers included), whose quality ([`Quality::Video`]) holds the means over frames
//! of the 6:1:1 PSNR of Y, U and V and of SSIM-Y ([`compare_videos`]), and whose speeds are
//! frames per second. quanta codes in memory with one thread each way; the anchors run their
//! command-line tools single-threaded on the source file (`x264 --preset medium --tune psnr
//! --crf C`, `ffmpeg -c:v mpeg2video -q:v Q`) and are decoded back to 4:2:0 Y4M by ffmpeg.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::anchors::Anchor;
use super::record::{Coding, Quality, Rate, RunRecord, SourceInfo, SpeedUnit};
use super::sweep::MediaBench;
use super::tool::ToolFiles;
use super::{BenchConfig, Codec};
use crate::codec::video::{VideoEncoder, VideoEncoderConfig, VideoStreamDecoder};
use crate::error::{Error, Limits, Result};
use crate::media::y4m::{Y4mHeader, Y4mReader, Y4mWriter};
use crate::metrics::video::{compare_videos, VideoComparison};

/// Opens a Y4M file for reading.
fn open_y4m(path: &Path) -> Result<Y4mReader<std::io::BufReader<std::fs::File>>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io_path("open", path, e))?;
    let name = path.display().to_string();
    Y4mReader::new(std::io::BufReader::new(file), &name, &Limits::default())
}

/// A source clip: its header and length, read once.
#[derive(Debug, Clone)]
pub struct VideoSource {
    pub path: PathBuf,
    pub header: Y4mHeader,
    pub frames: u64,
}

impl VideoSource {
    /// Reads the whole clip once to check it and count its frames.
    pub fn read(path: &Path) -> Result<VideoSource> {
        let mut reader = open_y4m(path)?;
        let header = reader.header().clone();
        if header.frame_rate.0 == 0 || header.frame_rate.1 == 0 {
            return Err(Error::Media(format!(
                "{} has no usable frame rate ({}:{})",
                path.display(),
                header.frame_rate.0,
                header.frame_rate.1
            )));
        }
        while reader.next_frame()?.is_some() {}
        let frames = reader.frames_read();
        if frames == 0 {
            return Err(Error::Media(format!("{} holds no frames", path.display())));
        }
        Ok(VideoSource {
            path: path.to_path_buf(),
            header,
            frames,
        })
    }

    /// Duration in seconds: frames / frame rate.
    pub fn seconds(&self) -> f64 {
        let (num, den) = self.header.frame_rate;
        self.frames as f64 * f64::from(den) / f64::from(num)
    }
}

/// One coded clip, decoded and compared.
struct VideoCoded {
    coding: Coding,
    comparison: VideoComparison,
}

/// Codes `source` with quanta at `quality` in memory, one thread each way.
fn run_quanta(source: &VideoSource, quality: f64) -> Result<VideoCoded> {
    let config = VideoEncoderConfig {
        quality: quality.round().clamp(0.0, 100.0) as u8,
        threads: 1,
        lookahead: 0,
        ..VideoEncoderConfig::default()
    };
    let mut reader = open_y4m(&source.path)?;
    let start = Instant::now();
    let mut encoder = VideoEncoder::new(Vec::new(), &source.header, &config)?;
    encoder.encode_stream(|| reader.next_frame())?;
    let (stream, _) = encoder.finish()?;
    let encode_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut decoder = VideoStreamDecoder::new(stream.as_slice(), Limits::default(), 1)?;
    let mut writer = Y4mWriter::new(Vec::new(), source.header.clone())?;
    while let Some(decoded) = decoder.next_frame()? {
        if decoded.concealed {
            return Err(Error::InvalidStream(format!(
                "quanta could not decode its own video stream at quality {quality}: {}",
                decoded.problem.unwrap_or_else(|| "a frame was lost".into())
            )));
        }
        writer.write_frame(&decoded.frame)?;
    }
    let decode_seconds = start.elapsed().as_secs_f64();
    let decoded = writer.finish()?;
    let mut reference = open_y4m(&source.path)?;
    let mut distorted = Y4mReader::new(decoded.as_slice(), "quanta decoding", &Limits::default())?;
    let comparison = compare_videos(&mut reference, &mut distorted)?;
    Ok(VideoCoded {
        coding: Coding {
            bytes: stream.len() as u64,
            encode_seconds,
            decode_seconds,
        },
        comparison,
    })
}

/// The encoder's arguments of a video anchor at `setting`.
fn encode_args(anchor: Anchor, setting: f64, input: &Path, output: &Path) -> Vec<String> {
    let (i, o) = (input.display().to_string(), output.display().to_string());
    let s = format!("{}", setting.round());
    let words: Vec<&str> = match anchor {
        Anchor::X264 => vec![
            "--quiet",
            "--threads",
            "1",
            "--preset",
            "medium",
            "--tune",
            "psnr",
            "--crf",
            &s,
            "-o",
            &o,
            &i,
        ],
        Anchor::X265 => vec![
            "-nostdin",
            "-y",
            "-v",
            "error",
            "-i",
            &i,
            "-c:v",
            "libx265",
            "-preset",
            "medium",
            "-x265-params",
            "log-level=error:pools=1:frame-threads=1",
            "-crf",
            &s,
            &o,
        ],
        _ => vec![
            "-nostdin",
            "-y",
            "-v",
            "error",
            "-threads",
            "1",
            "-i",
            &i,
            "-c:v",
            "mpeg2video",
            "-q:v",
            &s,
            &o,
        ],
    };
    words.iter().map(|w| w.to_string()).collect()
}

/// ffmpeg's arguments decoding a video anchor's file to 4:2:0 Y4M.
fn decode_args(input: &Path, output: &Path) -> Vec<String> {
    let (i, o) = (input.display().to_string(), output.display().to_string());
    let words = [
        "-nostdin",
        "-y",
        "-v",
        "error",
        "-threads",
        "1",
        "-i",
        &i,
        "-f",
        "yuv4mpegpipe",
        "-pix_fmt",
        "yuv420p",
        &o,
    ];
    words.iter().map(|w| w.to_string()).collect()
}

/// Codes the Y4M file `input` of `source` with a video anchor at `setting` in `dir`.
fn run_anchor(
    anchor: Anchor,
    source: &VideoSource,
    input: &Path,
    dir: &Path,
    setting: f64,
) -> Result<VideoCoded> {
    anchor.check_setting(setting)?;
    let files = ToolFiles::new(dir, anchor, setting);
    let coding = files.run(
        anchor,
        &encode_args(anchor, setting, input, &files.coded),
        &decode_args(&files.coded, &files.decoded),
    )?;
    let mut reference = open_y4m(&source.path)?;
    let mut distorted = open_y4m(&files.decoded)?;
    let comparison = compare_videos(&mut reference, &mut distorted)
        .map_err(|e| Error::Media(format!("{}'s decoding: {e}", anchor.name())))?;
    Ok(VideoCoded { coding, comparison })
}

/// The runs of one clip: quanta in memory, anchors from the source file (or a copy named
/// `.y4m`).
pub struct VideoBench {
    source: VideoSource,
    dir: PathBuf,
    input: Option<PathBuf>,
}

impl VideoBench {
    /// Prepares the runs of `source` with scratch files in `dir` (which must exist).
    pub fn new(source: VideoSource, dir: &Path) -> VideoBench {
        VideoBench {
            source,
            dir: dir.to_path_buf(),
            input: None,
        }
    }

    /// The source as a file the anchors read: itself when named `.y4m` (x264 picks its
    /// input format by extension), else a copy so named.
    fn anchor_input(&mut self) -> Result<PathBuf> {
        if let Some(path) = &self.input {
            return Ok(path.clone());
        }
        let path = &self.source.path;
        let named = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("y4m"));
        let input = if named {
            path.clone()
        } else {
            let copy = self.dir.join("source.y4m");
            std::fs::copy(path, &copy).map_err(|e| Error::io_path("copy", path, e))?;
            copy
        };
        self.input = Some(input.clone());
        Ok(input)
    }

    /// Rates one coding.
    fn record(&self, codec: Codec, setting: f64, coded: VideoCoded) -> RunRecord {
        RunRecord::new(
            (codec, setting),
            coded.coding,
            Rate::kbit_per_second(coded.coding.bytes, self.source.seconds()),
            Quality::Video(coded.comparison),
            (self.source.frames as f64, SpeedUnit::FramesPerSecond),
        )
    }
}

impl MediaBench for VideoBench {
    fn prepare(path: &Path, dir: &Path, _config: &BenchConfig) -> Result<VideoBench> {
        Ok(VideoBench::new(VideoSource::read(path)?, dir))
    }

    fn source(&self) -> SourceInfo {
        let header = &self.source.header;
        SourceInfo::Video {
            width: header.width as usize,
            height: header.height as usize,
            frames: self.source.frames,
            frame_rate: header.frame_rate,
        }
    }

    fn run_quanta(&mut self, setting: f64) -> Result<RunRecord> {
        let coded = run_quanta(&self.source, setting)?;
        Ok(self.record(Codec::Quanta, setting, coded))
    }

    fn run_anchor(&mut self, anchor: Anchor, setting: f64) -> Result<RunRecord> {
        let input = self.anchor_input()?;
        let coded = run_anchor(anchor, &self.source, &input, &self.dir, setting)?;
        Ok(self.record(Codec::Anchor(anchor), setting, coded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::lists::collect_files;
    use crate::container::MediaKind;
    use crate::media::probe::source_media;
    use crate::media::y4m::{ChromaFormat, YuvFrame};

    fn write_clip(path: &Path, frames: usize) {
        let header = Y4mHeader::new(48, 32, ChromaFormat::Yuv420Jpeg, (25, 1));
        let mut writer = Y4mWriter::new(Vec::new(), header).unwrap();
        for t in 0..frames {
            let mut frame = YuvFrame::filled(48, 32, ChromaFormat::Yuv420Jpeg, 128);
            for (i, v) in frame.planes[0].data.iter_mut().enumerate() {
                *v = ((i % 48) * 4 + (i / 48) * 2 + t * 5) as u8;
            }
            writer.write_frame(&frame).unwrap();
        }
        std::fs::write(path, writer.finish().unwrap()).unwrap();
    }

    #[test]
    fn bench_video_quanta_runs_measure_and_rate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.y4m");
        write_clip(&path, 4);
        assert_eq!(source_media(&path), Some(MediaKind::Video));
        let source = VideoSource::read(&path).unwrap();
        assert_eq!(source.frames, 4);
        assert!((source.seconds() - 0.16).abs() < 1e-12);
        let mut bench = VideoBench::new(source, dir.path());
        let low = bench.run_quanta(30.0).unwrap();
        let high = bench.run_quanta(90.0).unwrap();
        assert!(low.rate.value < high.rate.value, "{low:?} {high:?}");
        assert_eq!(high.encode_speed.unit, SpeedUnit::FramesPerSecond);
        let psnr = |r: &RunRecord| crate::bench::Metric::PsnrYuv.value(&r.quality).unwrap();
        assert!(
            psnr(&low) < psnr(&high) && psnr(&low) > 20.0,
            "{}",
            psnr(&low)
        );
        let rate = 8.0 * high.bytes as f64 / 0.16 / 1000.0;
        assert!((high.rate.value - rate).abs() < 1e-9);
    }

    #[test]
    fn bench_video_inputs_and_arguments() {
        let dir = tempfile::tempdir().unwrap();
        let named = dir.path().join("clip.raw");
        write_clip(&named, 1);
        assert_eq!(source_media(&named), Some(MediaKind::Video));
        assert_eq!(source_media(&dir.path().join("missing.bin")), None);
        let found = collect_files(&[dir.path().into()], MediaKind::Video).unwrap();
        assert_eq!(found.len(), 1);
        let (i, o) = (Path::new("in.y4m"), Path::new("out.264"));
        assert_eq!(
            encode_args(Anchor::X264, 23.0, i, o).join(" "),
            "--quiet --threads 1 --preset medium --tune psnr --crf 23 -o out.264 in.y4m"
        );
        let mpeg2 = encode_args(Anchor::Mpeg2, 7.0, i, Path::new("out.m2v")).join(" ");
        assert!(mpeg2.ends_with("-c:v mpeg2video -q:v 7 out.m2v"), "{mpeg2}");
        assert!(decode_args(o, i)
            .join(" ")
            .contains("-f yuv4mpegpipe -pix_fmt yuv420p"));
    }
}
