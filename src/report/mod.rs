//! Reports of a bench: markdown tables, CSV, JSON and rate-distortion plots.
//!
//! Input: a [`BenchReport`](crate::bench::BenchReport). Output: text or bytes for the caller to
//! print or write ([`table`]: markdown, [`csv`]: one row per run, [`json`]: everything, with
//! the schema of docs/BENCH.md, [`plot`]: PNG or SVG); nothing here prints or touches files.
//! Numbers follow one convention everywhere: an infinite PSNR (identical pictures) is "inf", a
//! missing value is empty in CSV, `null` in JSON and "n/a" in tables, and a BD-rate is a signed
//! percentage (negative: quanta needs fewer bits than the anchor at equal quality).

pub mod bounded;
pub mod csv;
pub mod json;
pub mod pareto;
pub mod plot;
pub mod study;
pub mod table;

use crate::bench::{MediaKind, Metric};

/// The rate axis of a bench of `media`: bits per pixel for pictures, kbit/s otherwise.
pub fn rate_label(media: MediaKind) -> &'static str {
    match media {
        MediaKind::Image => "bits per pixel",
        MediaKind::Audio | MediaKind::Video => "kbit/s",
    }
}

/// The short rate unit of a bench of `media` ("bpp" or "kb/s").
pub fn rate_unit(media: MediaKind) -> &'static str {
    match media {
        MediaKind::Image => "bpp",
        MediaKind::Audio | MediaKind::Video => "kb/s",
    }
}

/// The speed columns' unit of a bench of `media`: frames per second for video, megapixels
/// (audio: millions of sample frames) per second otherwise.
pub fn speed_unit(media: MediaKind) -> &'static str {
    match media {
        MediaKind::Video => "frames/s",
        MediaKind::Image | MediaKind::Audio => "MP/s",
    }
}

/// A metric value with the metric's decimals; "inf" for infinity, "n/a" for none.
pub fn format_value(metric: Metric, value: Option<f64>) -> String {
    match value {
        None => "n/a".to_string(),
        Some(v) if v.is_infinite() && v > 0.0 => "inf".to_string(),
        Some(v) if v.is_infinite() => "-inf".to_string(),
        Some(v) => format!("{v:.*}", metric.decimals()),
    }
}

/// A codec setting as given: "75", "0.5".
pub fn format_setting(setting: f64) -> String {
    format!("{setting}")
}

/// A signed percentage with one decimal ("-12.3%", "+4.0%"), or "n/a".
pub fn format_percent(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:+.1}%"),
        _ => "n/a".to_string(),
    }
}

/// A speed in megapixels per second with a precision that suits its size.
pub fn format_speed(mpps: f64) -> String {
    if !mpps.is_finite() {
        "inf".to_string()
    } else if mpps >= 100.0 {
        format!("{mpps:.0}")
    } else if mpps >= 10.0 {
        format!("{mpps:.1}")
    } else {
        format!("{mpps:.2}")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bench::bd::tests::run;
    use crate::bench::bd::{mean_curves, summarize};
    use crate::bench::{
        Anchor, BenchConfig, BenchReport, Codec, FileResult, RateWindow, SourceInfo,
    };

    /// A small two-file report with quanta and jpeg, one BD-rate not available.
    pub(crate) fn sample_report() -> BenchReport {
        let jpeg = Codec::Anchor(Anchor::Jpeg);
        let file = |name: &str, shift: f64| FileResult {
            path: format!("/pictures/{name}").into(),
            name: name.into(),
            source: SourceInfo::Picture {
                width: 10,
                height: 10,
            },
            runs: vec![
                run(Codec::Quanta, 20.0, 0.25, 30.0 + shift, 0.85),
                run(Codec::Quanta, 50.0, 0.5, 33.0 + shift, 0.9),
                run(Codec::Quanta, 100.0, 1.0, f64::INFINITY, 1.0),
                run(jpeg, 20.0, 0.5, 30.0, 0.8),
                run(jpeg, 50.0, 1.0, 33.0, 0.88),
                run(jpeg, 80.0, 2.0, 36.0, 0.93),
            ],
        };
        let files = vec![file("a, b.png", 0.0), file("c.png", 10.0)];
        let config = BenchConfig {
            inputs: vec!["/pictures".into()],
            qualities: vec![20, 50, 100],
            anchors: vec![Anchor::Jpeg],
            window: RateWindow::new(None, Some(3.0)).unwrap(),
            threads: 2,
            ..BenchConfig::default()
        };
        BenchReport {
            bd: summarize(&files, &config),
            curves: mean_curves(&files, &config),
            config,
            files,
            elapsed_seconds: 1.5,
        }
    }

    #[test]
    fn number_formats() {
        assert_eq!(format_value(Metric::PsnrY, Some(f64::INFINITY)), "inf");
        assert_eq!(format_value(Metric::PsnrY, Some(31.456)), "31.46");
        assert_eq!(format_value(Metric::SsimY, Some(0.912345)), "0.9123");
        assert_eq!(format_value(Metric::SsimY, None), "n/a");
        assert_eq!(format_setting(75.0), "75");
        assert_eq!(format_setting(0.5), "0.5");
        assert_eq!(format_percent(Some(-12.345)), "-12.3%");
        assert_eq!(format_percent(Some(4.0)), "+4.0%");
        assert_eq!(format_percent(None), "n/a");
        assert_eq!(format_speed(123.4), "123");
        assert_eq!(format_speed(12.34), "12.3");
        assert_eq!(format_speed(1.234), "1.23");
    }
}
