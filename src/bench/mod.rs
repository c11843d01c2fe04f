//! Rate-distortion benchmarking: quanta against reference codecs on the same inputs.
//!
//! Input: a [`BenchConfig`] (input files or folders, the media kind, quanta's quality sweep,
//! the anchors, the metrics, the BD method and rate window, the worker count) and a progress
//! callback. Output: a [`BenchReport`]: for every file, one [`RunRecord`] per codec and
//! setting (coded size, bits per pixel, every quality figure, encode and decode time and
//! speed), and the Bjøntegaard delta rates of quanta against each anchor per file and
//! averaged over files ([`bd`]), following the method of the JVET/AOM common test
//! conditions: PCHIP on log-rate by default, VCEG-M33's cubic on request.
//!
//! [`run_bench`] codes each file with quanta ([`sweep`]) and with each anchor's installed
//! command-line tools ([`anchors`]) in a scratch folder that is removed when the run ends,
//! whether it succeeds or not. Files are spread over a bounded pool of worker threads; each
//! encode and decode runs single-threaded, so timings compare like with like, and the report
//! is the same whatever the number of workers (timings aside). The library prints nothing:
//! progress goes to the caller's callback. Only pictures are implemented; audio and video
//! slot in through [`MediaKind`] and per-kind anchors, with `bitrates` as their sweep.

pub mod anchors;
pub mod bd;
pub mod lists;
pub mod metric;
pub mod study;
pub mod sweep;

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::metrics::BdMethod;

pub use crate::container::MediaKind;
pub use anchors::{Anchor, ALL_ANCHORS};
pub use bd::{BdEntry, BdMean, BdOutcome, BdSummary, MeanCurve, PointUse};
pub use lists::RateWindow;
pub use metric::{Metric, Quality, ALL_METRICS, DEFAULT_METRICS};
pub use sweep::run_bench;

/// quanta's quality sweep when none is given.
pub const DEFAULT_QUALITIES: [u8; 10] = [10, 20, 30, 40, 50, 60, 70, 80, 90, 95];

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
        if self.media != MediaKind::Image {
            return Err(Error::Unsupported(format!(
                "benchmarking {:?} is not implemented yet (pictures only)",
                self.media
            )));
        }
        if !self.bitrates.is_empty() {
            return Err(Error::InvalidArgument(
                "bitrates apply to audio and video; pictures are swept by quality \
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

    /// The settings swept for one codec.
    pub fn settings(&self, codec: Codec) -> Vec<f64> {
        match codec {
            Codec::Quanta => self.qualities.iter().map(|&q| f64::from(q)).collect(),
            Codec::Anchor(a) => a.default_settings(),
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

    /// What the codec's setting means ("quality", "quantizer", "distance").
    pub fn setting_name(self) -> &'static str {
        match self {
            Codec::Quanta => "quality",
            Codec::Anchor(a) => a.setting_name(),
        }
    }
}

/// One encode and decode of one file by one codec at one setting.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub codec: Codec,
    /// The codec's setting (see [`Codec::setting_name`]).
    pub setting: f64,
    /// Coded size in bytes, headers included.
    pub bytes: u64,
    /// Bits per pixel: `8 * bytes / (width * height)`.
    pub bpp: f64,
    pub quality: Quality,
    /// Wall-clock seconds of the encode (for anchors: the encoder process).
    pub encode_seconds: f64,
    /// Wall-clock seconds of the decode.
    pub decode_seconds: f64,
    /// Megapixels per second encoded.
    pub encode_mpps: f64,
    /// Megapixels per second decoded.
    pub decode_mpps: f64,
}

/// The runs of one input file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileResult {
    pub path: PathBuf,
    /// The file name, as reports show it.
    pub name: String,
    pub width: usize,
    pub height: usize,
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
