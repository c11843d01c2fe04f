//! Rate-distortion benchmarking: quanta against reference codecs on the same inputs.
//!
//! Input: a [`BenchConfig`] (input files or folders, the media kind, quanta's quality sweep,
//! the anchors, the metrics, the BD method and rate window, the worker count) and a progress
//! callback. Output: a [`BenchReport`]: for every file, one [`RunRecord`] per codec and
//! setting (coded size, rate and speeds with their units, the quality figures of the media
//! kind, encode and decode time; [`record`]), and the Bjøntegaard delta rates of quanta against each anchor per file and
//! averaged over files ([`bd`]), following the method of the JVET/AOM common test
//! conditions: PCHIP on log-rate by default, VCEG-M33's cubic on request.
//!
//! [`run_bench`] ([`sweep`]) codes each file with quanta and with each anchor's installed
//! command-line tools ([`anchors`], run by [`tool`]) in a scratch folder that is removed when
//! the run ends, whether it succeeds or not. One [`MediaBench`] per media kind reads a file
//! and runs one codec at one setting: pictures ([`picture`]), audio ([`audio`]: `bitrates`
//! in kbit/s for quanta and every audio anchor, rates in kbit/s) and Y4M video ([`video`]:
//! `qualities` for quanta, each anchor's own settings such as x264's CRF; rates in kbit/s
//! over the clip's duration, speeds in frames per second). Files are spread over the worker
//! pool ([`pool`], shared with the [`study`]); each encode and decode runs single-threaded,
//! so timings compare like with like, and the report is the same whatever the number of
//! workers (timings aside). The library prints nothing: progress goes to the caller's
//! callback. [`jobs`] cuts the same bench into one job per run, to spread over machines,
//! and merges the records back into the same report.

pub mod anchors;
pub mod audio;
pub mod bd;
pub mod bounded;
pub mod jobs;
pub mod lists;
pub mod metric;
pub mod picture;
pub mod pool;
pub mod record;
pub mod study;
pub mod sweep;
pub mod tool;
pub mod video;

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::metrics::BdMethod;

pub use crate::container::MediaKind;
pub use anchors::{Anchor, ALL_ANCHORS};
pub use bd::{BdEntry, BdMean, BdOutcome, BdSummary, MeanCurve, PointUse};
pub use lists::RateWindow;
pub use metric::{
    Metric, ALL_METRICS, DEFAULT_AUDIO_METRICS, DEFAULT_METRICS, DEFAULT_VIDEO_METRICS,
};
pub use record::{AudioQuality, Quality, Rate, RateUnit, RunRecord, SourceInfo, Speed, SpeedUnit};
pub use sweep::{run_bench, MediaBench};

/// quanta's quality sweep when none is given.
pub const DEFAULT_QUALITIES: [u8; 10] = [10, 20, 30, 40, 50, 60, 70, 80, 90, 95];

/// quanta's quality sweep of a video bench when none is given.
pub const DEFAULT_VIDEO_QUALITIES: [u8; 5] = [30, 45, 60, 75, 90];

/// The bitrate sweep (kbit/s) of an audio bench when none is given.
pub const DEFAULT_BITRATES: [f64; 4] = [48.0, 64.0, 96.0, 128.0];

/// What to benchmark and how.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchConfig {
    /// Files or folders of inputs.
    pub inputs: Vec<PathBuf>,
    /// The kind of media benchmarked.
    pub media: MediaKind,
    /// quanta's quality settings (pictures).
    pub qualities: Vec<u8>,
    /// Target bitrates in kbit/s (audio and video only; must be empty for pictures).
    pub bitrates: Vec<f64>,
    /// Reference codecs run on the same inputs.
    pub anchors: Vec<Anchor>,
    /// Metrics reported and used for BD-rates.
    pub metrics: Vec<Metric>,
    /// Interpolation of the BD-rate curves.
    pub bd_method: BdMethod,
    /// Only points inside this window enter the BD-rates.
    pub window: RateWindow,
    /// Files coded at once (0 = one per core).
    pub threads: usize,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            inputs: Vec::new(),
            media: MediaKind::Image,
            qualities: DEFAULT_QUALITIES.to_vec(),
            bitrates: Vec::new(),
            anchors: Vec::new(),
            metrics: DEFAULT_METRICS.to_vec(),
            bd_method: BdMethod::Pchip,
            window: RateWindow::default(),
            threads: 0,
        }
    }
}

impl BenchConfig {
    /// Checks the configuration, naming the first thing that is wrong.
    pub fn validate(&self) -> Result<()> {
        match self.media {
            MediaKind::Image => {}
            MediaKind::Audio => return self.validate_audio(),
            MediaKind::Video => {}
        }
        if !self.bitrates.is_empty() {
            return Err(Error::InvalidArgument(
                "bitrates apply to audio; pictures and video are swept by quality \
                 (use --quality instead of --bitrate)"
                    .into(),
            ));
        }
        if self.qualities.is_empty() {
            return Err(Error::InvalidArgument(
                "the quality list is empty (give at least one quality)".into(),
            ));
        }
        if let Some(q) = self.qualities.iter().find(|&&q| q > 100) {
            return Err(Error::InvalidArgument(format!(
                "quality {q} (expected 0 to 100)"
            )));
        }
        if self.metrics.is_empty() {
            return Err(Error::InvalidArgument(
                "the metric list is empty (give at least one metric)".into(),
            ));
        }
        self.check_kinds()
    }

    /// Checks an audio bench: a bitrate sweep, audio metrics and anchors.
    fn validate_audio(&self) -> Result<()> {
        if self.bitrates.is_empty() {
            return Err(Error::InvalidArgument(
                "the bitrate list is empty (give at least one bitrate in kbit/s)".into(),
            ));
        }
        if let Some(b) = self
            .bitrates
            .iter()
            .find(|&&b| !(b.is_finite() && (6.0..=512.0).contains(&b)))
        {
            return Err(Error::InvalidArgument(format!(
                "bitrate {b} kbit/s (expected 6 to 512)"
            )));
        }
        if self.metrics.is_empty() {
            return Err(Error::InvalidArgument(
                "the metric list is empty (give at least one metric)".into(),
            ));
        }
        self.check_kinds()
    }

    /// Checks that every metric and anchor measures or codes this bench's kind of media.
    fn check_kinds(&self) -> Result<()> {
        for metric in &self.metrics {
            if !metric.measures(self.media) {
                return Err(Error::InvalidArgument(format!(
                    "the {} metric measures {:?}, not {:?}",
                    metric.name(),
                    metric.media(),
                    self.media
                )));
            }
        }
        for anchor in &self.anchors {
            if anchor.media() != self.media {
                return Err(Error::InvalidArgument(format!(
                    "the {} anchor codes {:?}, not {:?}",
                    anchor.name(),
                    anchor.media(),
                    self.media
                )));
            }
        }
        RateWindow::new(self.window.min_bpp, self.window.max_bpp)?;
        Ok(())
    }

    /// The codecs of a run, quanta first, then the anchors in the order given.
    pub fn codecs(&self) -> Vec<Codec> {
        let mut out = vec![Codec::Quanta];
        out.extend(self.anchors.iter().map(|&a| Codec::Anchor(a)));
        out
    }

    /// What a codec's setting means in this bench: "bitrate" for every codec of an audio
    /// bench, the codec's own setting otherwise ([`Codec::setting_name`]).
    pub fn setting_name(&self, codec: Codec) -> &'static str {
        match self.media {
            MediaKind::Audio => "bitrate",
            _ => codec.setting_name(),
        }
    }

    /// The unit of this bench's rates: bits per pixel for pictures, kbit/s otherwise.
    pub fn rate_unit(&self) -> RateUnit {
        match self.media {
            MediaKind::Image => RateUnit::BitsPerPixel,
            MediaKind::Audio | MediaKind::Video => RateUnit::KbitPerSecond,
        }
    }

    /// The settings swept for one codec.
    pub fn settings(&self, codec: Codec) -> Vec<f64> {
        match (self.media, codec) {
            (MediaKind::Audio, _) => self.bitrates.clone(),
            (_, Codec::Quanta) => self.qualities.iter().map(|&q| f64::from(q)).collect(),
            (_, Codec::Anchor(a)) => a.default_settings(),
        }
    }
}

/// A codec of the bench: quanta itself or one of the anchors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Codec {
    Quanta,
    Anchor(Anchor),
}

impl Codec {
    /// "quanta", "jpeg", "webp", ...
    pub fn name(self) -> &'static str {
        match self {
            Codec::Quanta => "quanta",
            Codec::Anchor(a) => a.name(),
        }
    }

    /// What the codec's setting means ("quality", "quantizer", "distance", "bitrate").
    pub fn setting_name(self) -> &'static str {
        match self {
            Codec::Quanta => "quality",
            Codec::Anchor(a) => a.setting_name(),
        }
    }
}

/// The runs of one input file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileResult {
    pub path: PathBuf,
    /// The file name, as reports show it.
    pub name: String,
    /// What the file holds (picture size, audio rate and length, video size and length).
    pub source: SourceInfo,
    /// Every run, codec by codec in [`BenchConfig::codecs`] order, settings in sweep order.
    pub runs: Vec<RunRecord>,
}

impl FileResult {
    /// The runs of one codec, in sweep order.
    pub fn runs_of(&self, codec: Codec) -> impl Iterator<Item = &RunRecord> {
        self.runs.iter().filter(move |r| r.codec == codec)
    }
}

/// Everything a bench produced.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    pub config: BenchConfig,
    pub files: Vec<FileResult>,
    pub bd: BdSummary,
    /// Mean curves over all files, per codec and metric, for plots.
    pub curves: Vec<MeanCurve>,
    /// Wall-clock seconds of the whole bench.
    pub elapsed_seconds: f64,
}

/// What a running bench tells its caller.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The bench starts: this many files, this many encode-decode runs in all.
    Started { files: usize, runs: usize },
    /// One run finished.
    RunDone {
        file: String,
        codec: Codec,
        setting: f64,
    },
    /// Every run of one file finished.
    FileDone { file: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_problem() {
        let ok = BenchConfig::default();
        ok.validate().unwrap();
        let bitrates = BenchConfig {
            bitrates: vec![64.0],
            ..BenchConfig::default()
        };
        let err = bitrates.validate().unwrap_err().to_string();
        assert!(err.contains("--quality"), "{err}");
        let audio = BenchConfig {
            media: MediaKind::Audio,
            ..BenchConfig::default()
        };
        assert!(audio.validate().is_err());
        let audio = BenchConfig {
            media: MediaKind::Audio,
            bitrates: DEFAULT_BITRATES.to_vec(),
            metrics: DEFAULT_AUDIO_METRICS.to_vec(),
            anchors: vec![Anchor::Opus],
            ..BenchConfig::default()
        };
        audio.validate().unwrap();
        assert_eq!(audio.settings(Codec::Anchor(Anchor::Opus)).len(), 4);
        let mixed = BenchConfig {
            anchors: vec![Anchor::Jpeg],
            ..audio.clone()
        };
        assert!(mixed.validate().is_err());
        let empty = BenchConfig {
            qualities: vec![],
            ..BenchConfig::default()
        };
        assert!(empty.validate().is_err());
        let no_metric = BenchConfig {
            metrics: vec![],
            ..BenchConfig::default()
        };
        assert!(no_metric.validate().is_err());
    }

    #[test]
    fn video_validation() {
        let video = BenchConfig {
            media: MediaKind::Video,
            qualities: DEFAULT_VIDEO_QUALITIES.to_vec(),
            metrics: DEFAULT_VIDEO_METRICS.to_vec(),
            anchors: vec![Anchor::X264, Anchor::Mpeg2],
            ..BenchConfig::default()
        };
        video.validate().unwrap();
        assert_eq!(video.settings(Codec::Quanta).len(), 5);
        assert_eq!(video.settings(Codec::Anchor(Anchor::X264)).len(), 5);
        let bitrates = BenchConfig {
            bitrates: vec![500.0],
            ..video.clone()
        };
        assert!(bitrates.validate().is_err());
        let mixed = BenchConfig {
            anchors: vec![Anchor::Jpeg],
            ..video.clone()
        };
        assert!(mixed.validate().is_err());
        let audio_metric = BenchConfig {
            metrics: vec![Metric::Snr],
            ..video
        };
        assert!(audio_metric.validate().is_err());
    }

    #[test]
    fn codecs_and_settings() {
        let config = BenchConfig {
            qualities: vec![30, 60],
            anchors: vec![Anchor::Webp, Anchor::Jpeg],
            ..BenchConfig::default()
        };
        assert_eq!(
            config.codecs(),
            vec![
                Codec::Quanta,
                Codec::Anchor(Anchor::Webp),
                Codec::Anchor(Anchor::Jpeg)
            ]
        );
        assert_eq!(config.settings(Codec::Quanta), vec![30.0, 60.0]);
        assert_eq!(config.settings(Codec::Anchor(Anchor::Avif)).len(), 10);
        assert_eq!(Codec::Anchor(Anchor::Jxl).setting_name(), "distance");
    }
}
