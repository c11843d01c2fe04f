//! BD-rates of quanta against each anchor, per file and averaged, and mean rate-quality
//! curves over files.
//!
//! Input: the [`FileResult`]s of a bench and its [`BenchConfig`] (metrics, anchors, BD method,
//! rate window). Output: a [`BdSummary`] and [`MeanCurve`]s.
//!
//! For each file, metric and anchor, each codec's curve is made of its runs as `(bits per
//! pixel, metric value)` points, keeping only those that (1) have a finite value (a lossless
//! run has an infinite PSNR), (2) lie inside the rate window, and (3) lie on the curve's upper
//! envelope: sorted by rate, a point is kept only if its quality beats every point of lower or
//! equal rate, so the curve rises strictly as [`bd_rate`] requires (a dominated setting, one
//! that another setting beats at fewer bits, is dropped). Every point is listed in the entry
//! with whether it was used and why not. Then [`bd_rate`] gives the mean rate difference of
//! quanta at equal quality, in percent (negative: quanta needs fewer bits). Too few points, or
//! quality ranges that do not overlap, give [`BdOutcome::NotAvailable`] with the reason; the
//! rest of the bench is unaffected. The mean over files is the arithmetic mean of the per-file
//! BD-rates that are available, as the common test conditions average per-sequence figures;
//! the report says how many files it covers.
//!
//! A mean curve is, for each setting of a codec, the mean bits per pixel and mean metric value
//! over all files (a setting where some file has no finite value is left out).

use super::anchors::Anchor;
use super::lists::RateWindow;
use super::metric::Metric;
use super::{BenchConfig, Codec, FileResult, RunRecord};
use crate::error::Error;
use crate::metrics::{bd_rate, BdMethod};

/// A BD-rate, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum BdOutcome {
    /// Percent rate difference of quanta against the anchor at equal quality.
    Value(f64),
    /// Not computable, with the reason.
    NotAvailable(String),
}

impl BdOutcome {
    /// The value, if there is one.
    pub fn value(&self) -> Option<f64> {
        match self {
            BdOutcome::Value(v) => Some(*v),
            BdOutcome::NotAvailable(_) => None,
        }
    }
}

/// One run seen by a BD-rate: whether it entered the curve, and why not.
#[derive(Debug, Clone, PartialEq)]
pub struct PointUse {
    pub codec: Codec,
    pub setting: f64,
    /// The run's rate (bits per pixel, or kbit/s for audio and video).
    pub rate: f64,
    /// The metric's value (`None` when it was not measured).
    pub value: Option<f64>,
    /// `None` when the point was used; otherwise why it was left out.
    pub excluded: Option<String>,
}

/// The BD-rate of quanta against one anchor on one file for one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct BdEntry {
    pub file: String,
    pub anchor: Anchor,
    pub metric: Metric,
    pub outcome: BdOutcome,
    /// quanta's runs, then the anchor's.
    pub points: Vec<PointUse>,
}

/// The BD-rates of quanta against one anchor for one metric over all files.
#[derive(Debug, Clone, PartialEq)]
pub struct BdMean {
    pub anchor: Anchor,
    pub metric: Metric,
    /// Arithmetic mean of the available per-file BD-rates, in percent.
    pub mean: Option<f64>,
    /// Smallest and largest per-file BD-rate.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Files with a BD-rate, and files in all.
    pub files_used: usize,
    pub files_total: usize,
}

/// All BD-rates of a bench.
#[derive(Debug, Clone, PartialEq)]
pub struct BdSummary {
    pub method: BdMethod,
    pub window: RateWindow,
    /// Metric by metric, anchor by anchor, file by file.
    pub entries: Vec<BdEntry>,
    /// Metric by metric, anchor by anchor.
    pub means: Vec<BdMean>,
}

/// One point of a mean curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    pub setting: f64,
    /// Mean rate over files (bits per pixel, or kbit/s for audio and video).
    pub rate: f64,
    pub value: f64,
}

/// A codec's rate-quality curve for one metric, averaged over files.
#[derive(Debug, Clone, PartialEq)]
pub struct MeanCurve {
    pub codec: Codec,
    pub metric: Metric,
    /// In sweep order.
    pub points: Vec<CurvePoint>,
}

fn min_points(method: BdMethod) -> usize {
    match method {
        BdMethod::Pchip => 2,
        BdMethod::Cubic => 4,
    }
}

/// Picks a codec's curve points for one metric (see the module docs); returns the curve,
/// sorted by rate, and the use of every run.
pub fn select_points<'a>(
    runs: impl Iterator<Item = &'a RunRecord>,
    metric: Metric,
    window: &RateWindow,
) -> (Vec<(f64, f64)>, Vec<PointUse>) {
    let mut uses: Vec<PointUse> = runs
        .map(|r| {
            let value = metric.value(&r.quality);
            let excluded = match value {
                None => Some("not measured".to_string()),
                Some(v) if !v.is_finite() => Some("infinite (lossless)".to_string()),
                Some(_) => window.exclusion(r.rate.value),
            };
            PointUse {
                codec: r.codec,
                setting: r.setting,
                rate: r.rate.value,
                value,
                excluded,
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..uses.len())
        .filter(|&i| uses[i].excluded.is_none())
        .collect();
    let value_of = |u: &PointUse| u.value.unwrap_or(f64::NEG_INFINITY);
    order.sort_by(|&a, &b| {
        uses[a]
            .rate
            .total_cmp(&uses[b].rate)
            .then(value_of(&uses[b]).total_cmp(&value_of(&uses[a])))
    });
    let mut curve = Vec::new();
    let mut best = f64::NEG_INFINITY;
    for i in order {
        let v = value_of(&uses[i]);
        if v > best {
            best = v;
            curve.push((uses[i].rate, v));
        } else {
            uses[i].excluded =
                Some("dominated (another setting scores higher at fewer bits)".into());
        }
    }
    (curve, uses)
}

/// BD-rate of `test` (quanta) against `anchor`, or why there is none.
pub(crate) fn bd_outcome(
    anchor: &[(f64, f64)],
    test: &[(f64, f64)],
    anchor_name: &str,
    method: BdMethod,
) -> BdOutcome {
    let needed = min_points(method);
    for (name, curve) in [("quanta", test), (anchor_name, anchor)] {
        if curve.len() < needed {
            return BdOutcome::NotAvailable(format!(
                "{name} has {} usable point(s), {} interpolation needs {needed}",
                curve.len(),
                match method {
                    BdMethod::Pchip => "PCHIP",
                    BdMethod::Cubic => "cubic",
                }
            ));
        }
    }
    let range = |c: &[(f64, f64)]| {
        let lo = c.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let hi = c.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    };
    let (t_lo, t_hi) = range(test);
    let (a_lo, a_hi) = range(anchor);
    if t_lo.max(a_lo) >= t_hi.min(a_hi) {
        return BdOutcome::NotAvailable(format!(
            "quality ranges do not overlap (quanta {t_lo:.4}–{t_hi:.4}, {anchor_name} \
             {a_lo:.4}–{a_hi:.4})"
        ));
    }
    match bd_rate(anchor, test, method) {
        Ok(v) if v.is_finite() => BdOutcome::Value(v),
        Ok(v) => BdOutcome::NotAvailable(format!("BD-rate is {v}")),
        Err(Error::InvalidArgument(m)) => BdOutcome::NotAvailable(m),
        Err(e) => BdOutcome::NotAvailable(e.to_string()),
    }
}

/// Every BD-rate of a bench.
pub fn summarize(files: &[FileResult], config: &BenchConfig) -> BdSummary {
    let mut entries = Vec::new();
    let mut means = Vec::new();
    for &metric in &config.metrics {
        for &anchor in &config.anchors {
            let mut values = Vec::new();
            for file in files {
                let (test, mut points) =
                    select_points(file.runs_of(Codec::Quanta), metric, &config.window);
                let (reference, anchor_points) =
                    select_points(file.runs_of(Codec::Anchor(anchor)), metric, &config.window);
                points.extend(anchor_points);
                let outcome = bd_outcome(&reference, &test, anchor.name(), config.bd_method);
                values.extend(outcome.value());
                entries.push(BdEntry {
                    file: file.name.clone(),
                    anchor,
                    metric,
                    outcome,
                    points,
                });
            }
            means.push(BdMean {
                anchor,
                metric,
                mean: (!values.is_empty())
                    .then(|| values.iter().sum::<f64>() / values.len() as f64),
                min: values.iter().copied().reduce(f64::min),
                max: values.iter().copied().reduce(f64::max),
                files_used: values.len(),
                files_total: files.len(),
            });
        }
    }
    BdSummary {
        method: config.bd_method,
        window: config.window,
        entries,
        means,
    }
}

/// Mean curves over files, codec by codec, metric by metric.
pub fn mean_curves(files: &[FileResult], config: &BenchConfig) -> Vec<MeanCurve> {
    let mut out = Vec::new();
    if files.is_empty() {
        return out;
    }
    for codec in config.codecs() {
        let settings = config.settings(codec);
        for &metric in &config.metrics {
            let mut points = Vec::new();
            for (i, &setting) in settings.iter().enumerate() {
                let runs: Vec<&RunRecord> = files
                    .iter()
                    .filter_map(|f| f.runs_of(codec).nth(i))
                    .collect();
                let values: Vec<f64> = runs
                    .iter()
                    .filter_map(|r| metric.value(&r.quality))
                    .filter(|v| v.is_finite())
                    .collect();
                if runs.len() != files.len() || values.len() != files.len() {
                    continue;
                }
                let n = files.len() as f64;
                points.push(CurvePoint {
                    setting,
                    rate: runs.iter().map(|r| r.rate.value).sum::<f64>() / n,
                    value: values.iter().sum::<f64>() / n,
                });
            }
            out.push(MeanCurve {
                codec,
                metric,
                points,
            });
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bench::record::{Quality, Rate, RateUnit, SourceInfo, Speed, SpeedUnit};
    use crate::metrics::PictureComparison;

    /// A run whose PSNR-YCbCr is `psnr` and SSIM-Y is `ssim`.
    pub(crate) fn run(codec: Codec, setting: f64, bpp: f64, psnr: f64, ssim: f64) -> RunRecord {
        RunRecord {
            codec,
            setting,
            bytes: (bpp * 1000.0) as u64,
            rate: Rate {
                value: bpp,
                unit: RateUnit::BitsPerPixel,
            },
            quality: Quality::Picture {
                comparison: PictureComparison {
                    width: 10,
                    height: 10,
                    psnr_y: psnr,
                    psnr_cb: Some(psnr + 2.0),
                    psnr_cr: Some(psnr + 3.0),
                    psnr_ycbcr: psnr,
                    psnr_rgb: Some(psnr - 1.0),
                    ssim_y: ssim,
                },
                ssimulacra2: None,
            },
            encode_seconds: 0.01,
            decode_seconds: 0.005,
            encode_speed: Speed {
                value: 1.0,
                unit: SpeedUnit::MegapixelsPerSecond,
            },
            decode_speed: Speed {
                value: 2.0,
                unit: SpeedUnit::MegapixelsPerSecond,
            },
        }
    }

    fn file(name: &str, runs: Vec<RunRecord>) -> FileResult {
        FileResult {
            path: name.into(),
            name: name.into(),
            source: SourceInfo::Picture {
                width: 10,
                height: 10,
            },
            runs,
        }
    }

    const JPEG: Codec = Codec::Anchor(Anchor::Jpeg);

    #[test]
    fn window_lossless_and_dominated_points_are_left_out() {
        let runs = [
            run(Codec::Quanta, 10.0, 0.2, 28.0, 0.8),
            run(Codec::Quanta, 30.0, 0.5, 31.0, 0.9),
            run(Codec::Quanta, 40.0, 0.6, 30.5, 0.91),
            run(Codec::Quanta, 60.0, 1.0, 34.0, 0.95),
            run(Codec::Quanta, 100.0, 2.0, f64::INFINITY, 1.0),
            run(Codec::Quanta, 99.0, 4.0, 50.0, 0.999),
        ];
        let window = RateWindow::new(Some(0.3), Some(3.0)).unwrap();
        let (curve, uses) = select_points(runs.iter(), Metric::PsnrYcbcr, &window);
        assert_eq!(curve, vec![(0.5, 31.0), (1.0, 34.0)]);
        let reasons: Vec<Option<&str>> = uses.iter().map(|u| u.excluded.as_deref()).collect();
        assert_eq!(reasons[0], Some("below 0.3 bpp"));
        assert_eq!(reasons[1], None);
        assert!(reasons[2].is_some_and(|r| r.starts_with("dominated")));
        assert_eq!(reasons[3], None);
        assert_eq!(reasons[4], Some("infinite (lossless)"));
        assert_eq!(reasons[5], Some("above 3 bpp"));
        // SSIM rises at 0.6 bpp, so that point stays for SSIM.
        let (curve, _) = select_points(runs.iter(), Metric::SsimY, &window);
        assert_eq!(curve.len(), 4);
        let (_, uses) = select_points(runs.iter(), Metric::Ssimulacra2, &window);
        assert!(uses
            .iter()
            .all(|u| u.excluded.as_deref() == Some("not measured")));
    }

    #[test]
    fn bd_rates_per_file_and_mean_with_reasons() {
        // quanta needs half jpeg's rate for the same PSNR on file a: BD-rate -50 %.
        let a = file(
            "a.png",
            vec![
                run(Codec::Quanta, 20.0, 0.25, 30.0, 0.85),
                run(Codec::Quanta, 50.0, 0.5, 33.0, 0.9),
                run(Codec::Quanta, 80.0, 1.0, 36.0, 0.95),
                run(JPEG, 20.0, 0.5, 30.0, 0.8),
                run(JPEG, 50.0, 1.0, 33.0, 0.88),
                run(JPEG, 80.0, 2.0, 36.0, 0.93),
            ],
        );
        // On file b the curves do not overlap in PSNR.
        let b = file(
            "b.png",
            vec![
                run(Codec::Quanta, 20.0, 0.25, 40.0, 0.85),
                run(Codec::Quanta, 50.0, 0.5, 42.0, 0.9),
                run(Codec::Quanta, 80.0, 1.0, 44.0, 0.95),
                run(JPEG, 20.0, 0.5, 30.0, 0.8),
                run(JPEG, 50.0, 1.0, 33.0, 0.88),
                run(JPEG, 80.0, 2.0, 36.0, 0.93),
            ],
        );
        let config = BenchConfig {
            qualities: vec![20, 50, 80],
            anchors: vec![Anchor::Jpeg],
            ..BenchConfig::default()
        };
        let summary = summarize(&[a, b], &config);
        assert_eq!(summary.entries.len(), 4);
        let psnr_a = &summary.entries[0];
        assert_eq!(
            (psnr_a.file.as_str(), psnr_a.metric),
            ("a.png", Metric::PsnrYcbcr)
        );
        let v = psnr_a.outcome.value().unwrap();
        assert!((v + 50.0).abs() < 1e-9, "{v}");
        assert_eq!(psnr_a.points.len(), 6);
        match &summary.entries[1].outcome {
            BdOutcome::NotAvailable(reason) => {
                assert!(reason.contains("do not overlap"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        let mean = &summary.means[0];
        assert_eq!((mean.files_used, mean.files_total), (1, 2));
        assert!((mean.mean.unwrap() + 50.0).abs() < 1e-9);
        // Cubic needs four points per curve.
        let cubic = summarize(
            &summary_files(),
            &BenchConfig {
                bd_method: BdMethod::Cubic,
                ..config.clone()
            },
        );
        match &cubic.entries[0].outcome {
            BdOutcome::NotAvailable(reason) => assert!(reason.contains("needs 4"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    fn summary_files() -> Vec<FileResult> {
        vec![file(
            "c.png",
            vec![
                run(Codec::Quanta, 20.0, 0.25, 30.0, 0.85),
                run(Codec::Quanta, 50.0, 0.5, 33.0, 0.9),
                run(JPEG, 20.0, 0.5, 30.0, 0.8),
                run(JPEG, 50.0, 1.0, 33.0, 0.88),
            ],
        )]
    }

    #[test]
    fn mean_curves_average_over_files() {
        let files = vec![
            file(
                "a.png",
                vec![
                    run(Codec::Quanta, 20.0, 0.2, 30.0, 0.8),
                    run(Codec::Quanta, 90.0, 2.0, 40.0, 0.98),
                ],
            ),
            file(
                "b.png",
                vec![
                    run(Codec::Quanta, 20.0, 0.4, 32.0, 0.9),
                    run(Codec::Quanta, 90.0, 3.0, f64::INFINITY, 1.0),
                ],
            ),
        ];
        let config = BenchConfig {
            qualities: vec![20, 90],
            ..BenchConfig::default()
        };
        let curves = mean_curves(&files, &config);
        assert_eq!(curves.len(), 2);
        let psnr = &curves[0];
        assert_eq!(psnr.metric, Metric::PsnrYcbcr);
        assert_eq!(psnr.points.len(), 1);
        assert!((psnr.points[0].rate - 0.3).abs() < 1e-12);
        assert!((psnr.points[0].value - 31.0).abs() < 1e-12);
        let ssim = &curves[1];
        assert_eq!(ssim.points.len(), 2);
        assert!((ssim.points[1].value - 0.99).abs() < 1e-12);
    }
}
