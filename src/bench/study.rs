//! The study of quantization versus approximation: every transform of the family under
//! every quantizer, swept over qualities on a set of pictures.
//!
//! Input: a [`StudyConfig`] (picture files or folders, qualities, transforms, quantizers,
//! worker count) and a progress callback. Output: a [`StudyReport`]: for every file and
//! combination of transform and [`Quantizer`], one run per quality (coded size, bits per
//! pixel, PSNR-YCbCr, SSIM-Y, encode time), and per combination its BD-rates against the
//! reference combination (the exact DCT under the codec's default quantizer, `rdo`) on
//! both metrics, averaged over files with the per-file range, its encode speed relative to
//! the exact DCT under the same quantizer, the largest sample error of every run, and the
//! transform's own figures from
//! [`analysis`](crate::transform::analysis). BD-rates follow [`bd`](super::bd): PCHIP on
//! log-rate, points off a curve's upper envelope dropped. [`pareto_front`] marks the
//! combinations no other one beats on both speed and BD-rate. With maximum errors in the
//! configuration the error-bounded coder ([`super::bounded`]) also codes every picture at
//! each N, so the report sets rate against largest error for both kinds of coder.
//!
//! Jobs (one file under one combination, all qualities) are spread over a bounded pool of
//! worker threads; each encode runs on one thread, so speeds are per core. The report is
//! the same whatever the worker count, timings aside. The library prints nothing.

use std::path::PathBuf;
use std::time::Instant;

use super::bd::{bd_outcome, select_points};
use super::bounded::{run_bounded, BoundedConfig, BoundedReport};
use super::lists::{collect_picture_files, RateWindow};
use super::metric::{measure, Metric};
use super::picture::run_quanta_with;
use super::pool::run_pool;
use super::record::{RunRecord, Speed, SpeedUnit};
use super::sweep::with_file;
use super::Codec;
use crate::codec::image::ImageEncoderConfig;
use crate::container::MediaKind;
use crate::error::{Error, Limits, Result};
use crate::media::image::read_picture;
use crate::metrics::BdMethod;
use crate::signal::Picture;
use crate::transform::analysis::{report as transform_report, TransformReport};
use crate::transform::TransformId;

/// AC rounding of the `deadzone` quantizer: levels round down unless the remainder
/// exceeds 0.7 of a step.
pub const DEADZONE_ROUNDING: f32 = 0.3;

/// The metrics of a study, in report order.
pub const STUDY_METRICS: [Metric; 2] = [Metric::PsnrYcbcr, Metric::SsimY];

/// The quality sweep of a study when none is given.
pub const STUDY_QUALITIES: [u8; 6] = [20, 35, 50, 65, 80, 90];

/// How coefficients are quantized: a preset of the image encoder's quantization settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantizer {
    /// Flat matrix, plain rounding, no RDO, no activity masking.
    Uniform,
    /// Flat matrix with a dead zone ([`DEADZONE_ROUNDING`]), no RDO, no masking.
    Deadzone,
    /// JPEG-weighted matrix and activity masking at their defaults, no RDO.
    Perceptual,
    /// The codec's defaults: weighted matrix, activity masking, dead zone and RDO.
    Rdo,
}

impl Quantizer {
    /// Every quantizer, from the plainest to the codec's default.
    pub const ALL: [Quantizer; 4] = [
        Quantizer::Uniform,
        Quantizer::Deadzone,
        Quantizer::Perceptual,
        Quantizer::Rdo,
    ];

    /// The command-line and report name.
    pub fn name(self) -> &'static str {
        match self {
            Quantizer::Uniform => "uniform",
            Quantizer::Deadzone => "deadzone",
            Quantizer::Perceptual => "perceptual",
            Quantizer::Rdo => "rdo",
        }
    }

    /// Parses a name.
    pub fn from_name(name: &str) -> Result<Quantizer> {
        Quantizer::ALL
            .into_iter()
            .find(|q| q.name() == name)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "unknown quantizer '{name}' (known: uniform, deadzone, perceptual, rdo)"
                ))
            })
    }

    /// The encoder configuration of this quantizer with `transform` at `quality`; every
    /// other field is the default.
    pub fn config(self, transform: TransformId, quality: u8) -> ImageEncoderConfig {
        // Every member, the exact DCT included, in the 8×8 tile syntax: the one syntax
        // the whole family shares.
        let base = ImageEncoderConfig {
            quality,
            transform,
            block_coder: false,
            weighting: crate::codec::image::WEIGHTING_8X8,
            ..ImageEncoderConfig::default()
        };
        match self {
            Quantizer::Uniform => ImageEncoderConfig {
                weighting: 0.0,
                ac_rounding: 0.5,
                lambda: 0.0,
                activity_strength: 0.0,
                ..base
            },
            Quantizer::Deadzone => ImageEncoderConfig {
                weighting: 0.0,
                ac_rounding: DEADZONE_ROUNDING,
                lambda: 0.0,
                activity_strength: 0.0,
                ..base
            },
            Quantizer::Perceptual => ImageEncoderConfig {
                weighting: 1.0,
                lambda: 0.0,
                ..base
            },
            Quantizer::Rdo => base,
        }
    }
}

/// One transform under one quantizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Combination {
    pub transform: TransformId,
    pub quantizer: Quantizer,
}

impl Combination {
    /// The reference every BD-rate of a study is measured against.
    pub const REFERENCE: Combination = Combination {
        transform: TransformId::Dct,
        quantizer: Quantizer::Rdo,
    };

    /// "rdct/deadzone".
    pub fn label(self) -> String {
        format!("{}/{}", self.transform.name(), self.quantizer.name())
    }
}

/// What to study.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyConfig {
    /// Picture files or folders.
    pub inputs: Vec<PathBuf>,
    /// Qualities swept for every combination.
    pub qualities: Vec<u8>,
    /// Transforms studied; the exact DCT is always added if missing (it is the reference).
    pub transforms: Vec<TransformId>,
    /// Quantizers studied; `rdo` is always added if missing.
    pub quantizers: Vec<Quantizer>,
    /// Jobs run at once (0 = one per core).
    pub threads: usize,
    /// Maximum errors N at which the error-bounded coder also codes every picture (empty:
    /// no error-bounded runs).
    pub max_errors: Vec<u8>,
}

impl Default for StudyConfig {
    fn default() -> Self {
        StudyConfig {
            inputs: Vec::new(),
            qualities: STUDY_QUALITIES.to_vec(),
            transforms: TransformId::ALL.to_vec(),
            quantizers: Quantizer::ALL.to_vec(),
            threads: 0,
            max_errors: Vec::new(),
        }
    }
}

impl StudyConfig {
    /// Checks the configuration, naming the first thing that is wrong.
    pub fn validate(&self) -> Result<()> {
        if self.inputs.is_empty() {
            return Err(Error::InvalidArgument(
                "no input pictures (give a file or a folder)".into(),
            ));
        }
        if self.qualities.len() < 2 {
            return Err(Error::InvalidArgument(format!(
                "{} quality setting(s); a BD-rate needs at least 2",
                self.qualities.len()
            )));
        }
        if let Some(q) = self.qualities.iter().find(|&&q| q > 100) {
            return Err(Error::InvalidArgument(format!(
                "quality {q} (expected 0 to 100)"
            )));
        }
        Ok(())
    }

    /// The combinations studied, transform by transform, quantizer by quantizer, the
    /// reference included, without repeats.
    pub fn combinations(&self) -> Vec<Combination> {
        let mut transforms = vec![TransformId::Dct];
        transforms.extend(self.transforms.iter().filter(|&&t| t != TransformId::Dct));
        let mut quantizers: Vec<Quantizer> = Vec::new();
        for &q in self.quantizers.iter().chain(&[Quantizer::Rdo]) {
            if !quantizers.contains(&q) {
                quantizers.push(q);
            }
        }
        let mut out: Vec<Combination> = Vec::new();
        for &transform in &transforms {
            for &quantizer in &quantizers {
                let c = Combination {
                    transform,
                    quantizer,
                };
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }
}

/// The runs of one file under one combination, in quality order.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyRuns {
    pub combination: Combination,
    /// One record per quality; `setting` is the quality.
    pub runs: Vec<RunRecord>,
    /// Per run, the largest absolute error of any decoded sample (RGB or gray levels).
    pub max_errors: Vec<u32>,
}

/// Every run on one file.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyFile {
    pub name: String,
    pub width: usize,
    pub height: usize,
    /// In [`StudyConfig::combinations`] order.
    pub results: Vec<StudyRuns>,
}

/// BD-rates of one combination against the reference for one metric, over files.
#[derive(Debug, Clone, PartialEq)]
pub struct BdSpread {
    pub metric: Metric,
    /// Arithmetic mean of the per-file BD-rates that exist, in percent.
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Per file, in file order (`None`: not available).
    pub per_file: Vec<Option<f64>>,
    /// Why a file has no BD-rate (file name, reason).
    pub missing: Vec<(String, String)>,
}

/// One line of the study table.
#[derive(Debug, Clone, PartialEq)]
pub struct CombinationSummary {
    pub combination: Combination,
    /// One per metric of [`STUDY_METRICS`].
    pub bd: Vec<BdSpread>,
    /// Megapixels per second encoded, over every file and quality (one thread).
    pub encode_mpps: f64,
    /// `encode_mpps` relative to the exact DCT under the same quantizer.
    pub speed_ratio: f64,
    /// Forward plus inverse 8×8 transform, nanoseconds per block.
    pub ns_per_block: f64,
    /// Largest round-trip error of the transform without quantization.
    pub transform_max_error: f64,
}

impl CombinationSummary {
    /// The mean BD-rate for `metric`, if measured.
    pub fn bd_mean(&self, metric: Metric) -> Option<f64> {
        self.bd
            .iter()
            .find(|b| b.metric == metric)
            .and_then(|b| b.mean)
    }
}

/// Everything a study produced.
#[derive(Debug, Clone)]
pub struct StudyReport {
    pub config: StudyConfig,
    pub files: Vec<StudyFile>,
    /// In [`StudyConfig::combinations`] order.
    pub summaries: Vec<CombinationSummary>,
    /// The figures of every transform studied, in combination order.
    pub transforms: Vec<TransformReport>,
    /// The error-bounded coder at each of [`StudyConfig::max_errors`] on the same files
    /// (`None` when none were asked for).
    pub bounded: Option<BoundedReport>,
    /// Wall-clock seconds of the whole study.
    pub elapsed_seconds: f64,
}

/// What a running study tells its caller.
#[derive(Debug, Clone, PartialEq)]
pub enum StudyProgress {
    /// The study starts: this many files and encode-decode runs in all.
    Started { files: usize, runs: usize },
    /// One encode and decode finished.
    RunDone {
        file: String,
        combination: Combination,
        quality: u8,
    },
}

/// Runs a study. `progress` is called from the worker threads.
pub fn run_study(
    config: &StudyConfig,
    progress: &(dyn Fn(&StudyProgress) + Sync),
) -> Result<StudyReport> {
    let start = Instant::now();
    config.validate()?;
    let paths = collect_picture_files(&config.inputs)?;
    let combinations = config.combinations();
    progress(&StudyProgress::Started {
        files: paths.len(),
        runs: paths.len() * combinations.len() * config.qualities.len(),
    });
    let pictures: Vec<(String, Picture)> = paths
        .iter()
        .map(|path| {
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into(),
            );
            read_picture(path, &Limits::default())
                .map(|p| (name, p))
                .map_err(|e| with_file(path, e))
        })
        .collect::<Result<_>>()?;
    let jobs: Vec<(usize, usize)> = (0..pictures.len())
        .flat_map(|f| (0..combinations.len()).map(move |c| (f, c)))
        .collect();
    let mut slots = run_pool(&jobs, config.threads, "quanta-study", |_, &(f, c), _| {
        let (name, picture) = &pictures[f];
        study_job(name, config, picture, combinations[c], progress)
            .map(Some)
            .map_err(|e| with_file(&paths[f], e))
    })?
    .into_iter();
    let mut files = Vec::with_capacity(pictures.len());
    for (name, picture) in &pictures {
        let results: Vec<StudyRuns> = slots.by_ref().take(combinations.len()).collect();
        files.push(StudyFile {
            name: name.clone(),
            width: picture.width,
            height: picture.height,
            results,
        });
    }
    let mut transforms: Vec<TransformReport> = Vec::new();
    for c in &combinations {
        if !transforms.iter().any(|t| t.id == c.transform.to_u8()) {
            transforms.push(transform_report(c.transform));
        }
    }
    let summaries = summarize(&files, &combinations, &transforms);
    let bounded = if config.max_errors.is_empty() {
        None
    } else {
        let bounded_config = BoundedConfig {
            inputs: paths.clone(),
            media: MediaKind::Image,
            max_errors: config.max_errors.clone(),
            anchors: Vec::new(),
            threads: config.threads,
        };
        Some(run_bounded(&bounded_config, &|_| {})?)
    };
    Ok(StudyReport {
        config: config.clone(),
        files,
        summaries,
        transforms,
        bounded,
        elapsed_seconds: start.elapsed().as_secs_f64(),
    })
}

/// Codes one picture under one combination at every quality.
fn study_job(
    name: &str,
    config: &StudyConfig,
    picture: &Picture,
    combination: Combination,
    progress: &(dyn Fn(&StudyProgress) + Sync),
) -> Result<StudyRuns> {
    let mut runs = Vec::with_capacity(config.qualities.len());
    let mut max_errors = Vec::with_capacity(config.qualities.len());
    for &quality in &config.qualities {
        let encoder = combination.quantizer.config(combination.transform, quality);
        let coded = run_quanta_with(picture, &encoder)?;
        let measured = measure(picture, &coded.decoded, false)?;
        max_errors.push(largest_error(picture, &coded.decoded));
        runs.push(coded.record(Codec::Quanta, f64::from(quality), picture, measured)?);
        progress(&StudyProgress::RunDone {
            file: name.to_string(),
            combination,
            quality,
        });
    }
    Ok(StudyRuns {
        combination,
        runs,
        max_errors,
    })
}

/// The largest absolute difference of any sample of `decoded` from `source` (same layout).
fn largest_error(source: &Picture, decoded: &Picture) -> u32 {
    source
        .data
        .iter()
        .zip(&decoded.data)
        .map(|(&a, &b)| u32::from(a.abs_diff(b)))
        .max()
        .unwrap_or(0)
}

/// The runs of `combination` on `file`.
fn runs_of(file: &StudyFile, combination: Combination) -> &[RunRecord] {
    file.results
        .iter()
        .find(|r| r.combination == combination)
        .map_or(&[], |r| r.runs.as_slice())
}

/// Encode megapixels per second of a combination over every file and quality.
fn encode_speed(files: &[StudyFile], combination: Combination) -> f64 {
    let (mut megapixels, mut seconds) = (0.0, 0.0);
    for file in files {
        for run in runs_of(file, combination) {
            megapixels += (file.width * file.height) as f64 / 1e6;
            seconds += run.encode_seconds;
        }
    }
    Speed::new(megapixels, seconds, SpeedUnit::MegapixelsPerSecond).value
}

/// BD-rates of `test` against `reference`, file by file, for one metric.
pub fn bd_spread(
    files: &[StudyFile],
    reference: Combination,
    test: Combination,
    metric: Metric,
) -> BdSpread {
    let window = RateWindow::default();
    let mut per_file = Vec::with_capacity(files.len());
    let mut missing = Vec::new();
    for file in files {
        let (anchor, _) = select_points(runs_of(file, reference).iter(), metric, &window);
        let (curve, _) = select_points(runs_of(file, test).iter(), metric, &window);
        let outcome = bd_outcome(&anchor, &curve, &reference.label(), BdMethod::Pchip);
        if let super::BdOutcome::NotAvailable(reason) = &outcome {
            missing.push((file.name.clone(), reason.clone()));
        }
        per_file.push(outcome.value());
    }
    let values: Vec<f64> = per_file.iter().flatten().copied().collect();
    BdSpread {
        metric,
        mean: (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64),
        min: values.iter().copied().reduce(f64::min),
        max: values.iter().copied().reduce(f64::max),
        per_file,
        missing,
    }
}

fn summarize(
    files: &[StudyFile],
    combinations: &[Combination],
    transforms: &[TransformReport],
) -> Vec<CombinationSummary> {
    combinations
        .iter()
        .map(|&combination| {
            let encode_mpps = encode_speed(files, combination);
            let exact = encode_speed(
                files,
                Combination {
                    transform: TransformId::Dct,
                    quantizer: combination.quantizer,
                },
            );
            let figures = transforms
                .iter()
                .find(|t| t.id == combination.transform.to_u8());
            CombinationSummary {
                combination,
                bd: STUDY_METRICS
                    .iter()
                    .map(|&m| bd_spread(files, Combination::REFERENCE, combination, m))
                    .collect(),
                encode_mpps,
                speed_ratio: if exact.is_finite() && exact > 0.0 {
                    encode_mpps / exact
                } else {
                    f64::NAN
                },
                ns_per_block: figures.map_or(f64::NAN, |t| t.ns_per_block),
                transform_max_error: figures.map_or(f64::NAN, |t| t.round_trip.max),
            }
        })
        .collect()
}

/// The Pareto front of points `(speed, cost)`, where more speed and less cost are better:
/// `true` for each point that no other point matches or beats on both and beats on one.
/// Points with a non-finite coordinate are never on the front and dominate nothing.
pub fn pareto_front(points: &[(f64, f64)]) -> Vec<bool> {
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    points
        .iter()
        .map(|p| {
            finite(p)
                && !points
                    .iter()
                    .any(|q| finite(q) && q.0 >= p.0 && q.1 <= p.1 && (q.0 > p.0 || q.1 < p.1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantizer_presets() {
        let uniform = Quantizer::Uniform.config(TransformId::Rdct, 40);
        assert_eq!(uniform.transform, TransformId::Rdct);
        assert_eq!(uniform.quality, 40);
        assert_eq!(
            (uniform.weighting, uniform.ac_rounding, uniform.lambda),
            (0.0, 0.5, 0.0)
        );
        assert_eq!(uniform.activity_strength, 0.0);
        let deadzone = Quantizer::Deadzone.config(TransformId::Dct, 50);
        assert_eq!(deadzone.ac_rounding, DEADZONE_ROUNDING);
        assert_eq!((deadzone.weighting, deadzone.lambda), (0.0, 0.0));
        let defaults = ImageEncoderConfig::default();
        let perceptual = Quantizer::Perceptual.config(TransformId::Dct, 50);
        assert_eq!((perceptual.weighting, perceptual.lambda), (1.0, 0.0));
        assert_eq!(perceptual.activity_strength, defaults.activity_strength);
        assert_eq!(perceptual.ac_rounding, defaults.ac_rounding);
        let rdo = Quantizer::Rdo.config(TransformId::Dct, defaults.quality);
        let defaults_8x8 = ImageEncoderConfig {
            block_coder: false,
            weighting: crate::codec::image::WEIGHTING_8X8,
            ..defaults.clone()
        };
        assert_eq!(rdo, defaults_8x8);
        for q in Quantizer::ALL {
            assert_eq!(Quantizer::from_name(q.name()).ok(), Some(q));
            assert!(q.config(TransformId::Wht, 10).validate().is_ok());
        }
        let err = Quantizer::from_name("trellis").unwrap_err().to_string();
        assert!(err.contains("trellis") && err.contains("deadzone"), "{err}");
    }

    #[test]
    fn combinations_always_hold_the_reference() {
        let config = StudyConfig {
            transforms: vec![TransformId::Wht, TransformId::Wht],
            quantizers: vec![Quantizer::Uniform],
            ..StudyConfig::default()
        };
        let labels: Vec<String> = config.combinations().iter().map(|c| c.label()).collect();
        assert_eq!(labels, ["dct/uniform", "dct/rdo", "wht/uniform", "wht/rdo"]);
        assert_eq!(StudyConfig::default().combinations().len(), 36);
        let short = StudyConfig {
            inputs: vec!["a".into()],
            qualities: vec![50],
            ..StudyConfig::default()
        };
        assert!(short.validate().unwrap_err().to_string().contains("2"));
    }

    #[test]
    fn pareto_front_keeps_the_undominated() {
        let points = [
            (10.0, 5.0),      // front: fastest
            (5.0, 0.0),       // front: best
            (8.0, 1.0),       // front
            (7.0, 2.0),       // beaten by (8, 1)
            (5.0, 0.0),       // a tie with a front point stays on it
            (f64::NAN, -9.0), // not measured
            (1.0, 9.0),       // beaten by everything
        ];
        assert_eq!(
            pareto_front(&points),
            [true, true, true, false, true, false, false]
        );
        assert!(pareto_front(&[]).is_empty());
    }
}
