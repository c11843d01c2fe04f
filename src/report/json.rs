//! JSON of a bench: the configuration, every run, every BD-rate with the points it used, the
//! means, and the mean curves.
//!
//! Input: a [`BenchReport`]. Output: a pretty-printed JSON document whose `"schema"` is
//! [`SCHEMA`]; docs/BENCH.md describes every field and what changed from `quanta-bench/1`.
//! Every rate and speed carries its unit, and every run's quality is an object of its media
//! kind (`"kind": "picture" | "audio" | "video"`) holding only the figures of that kind. JSON
//! has no infinity, so an infinite value (the PSNR of identical pictures) is the string
//! `"inf"`; a value that does not exist is `null`. Field names and meanings change only with
//! a new schema name.

use serde_json::{json, Value};

use crate::bench::{
    BdOutcome, BenchReport, Codec, MediaKind, Quality, Rate, RunRecord, SourceInfo, Speed,
};
use crate::error::{Error, Result};
use crate::metrics::BdMethod;

/// The schema name and version written in every document.
pub const SCHEMA: &str = "quanta-bench/2";

/// A number, "inf"/"-inf", or null for none and NaN.
pub fn number(value: Option<f64>) -> Value {
    match value {
        Some(v) if v.is_finite() => json!(v),
        Some(v) if v.is_infinite() => json!(if v > 0.0 { "inf" } else { "-inf" }),
        _ => Value::Null,
    }
}

fn media_name(media: MediaKind) -> &'static str {
    match media {
        MediaKind::Image => "image",
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
    }
}

fn rate_value(rate: &Rate) -> Value {
    json!({"value": number(Some(rate.value)), "unit": rate.unit.name()})
}

fn timing_value(seconds: f64, speed: &Speed) -> Value {
    json!({
        "seconds": number(Some(seconds)),
        "speed": {"value": number(Some(speed.value)), "unit": speed.unit.name()},
    })
}

fn quality_value(quality: &Quality) -> Value {
    match quality {
        Quality::Picture {
            comparison: c,
            ssimulacra2,
        } => json!({
            "kind": "picture",
            "psnr_y": number(Some(c.psnr_y)),
            "psnr_cb": number(c.psnr_cb),
            "psnr_cr": number(c.psnr_cr),
            "psnr_ycbcr": number(Some(c.psnr_ycbcr)),
            "psnr_rgb": number(c.psnr_rgb),
            "ssim_y": number(Some(c.ssim_y)),
            "ssimulacra2": number(*ssimulacra2),
        }),
        Quality::Audio(a) => json!({
            "kind": "audio",
            "snr": number(Some(a.snr)),
            "segsnr": number(Some(a.segsnr)),
            "psnr": number(Some(a.psnr)),
        }),
        Quality::Video(v) => json!({
            "kind": "video",
            "psnr_y": number(Some(v.psnr_y)),
            "psnr_u": number(v.psnr_cb),
            "psnr_v": number(v.psnr_cr),
            "psnr_yuv": number(Some(v.psnr_yuv)),
            "ssim_y": number(Some(v.ssim_y)),
        }),
    }
}

/// A source's description as the bench JSON writes it (also in job records).
pub(crate) fn source_value(source: &SourceInfo) -> Value {
    match *source {
        SourceInfo::Picture { width, height } => {
            json!({"kind": "picture", "width": width, "height": height})
        }
        SourceInfo::Audio {
            sample_rate,
            channels,
            frames,
        } => json!({
            "kind": "audio",
            "sample_rate": sample_rate,
            "channels": channels,
            "frames": frames,
        }),
        SourceInfo::Video {
            width,
            height,
            frames,
            frame_rate,
        } => json!({
            "kind": "video",
            "width": width,
            "height": height,
            "frames": frames,
            "frame_rate": [frame_rate.0, frame_rate.1],
        }),
    }
}

fn run_value(report: &BenchReport, r: &RunRecord) -> Value {
    json!({
        "codec": r.codec.name(),
        "setting_name": report.config.setting_name(r.codec),
        "setting": r.setting,
        "bytes": r.bytes,
        "rate": rate_value(&r.rate),
        "encode": timing_value(r.encode_seconds, &r.encode_speed),
        "decode": timing_value(r.decode_seconds, &r.decode_speed),
        "quality": quality_value(&r.quality),
    })
}

/// The report as a JSON value.
pub fn to_value(report: &BenchReport) -> Value {
    let config = &report.config;
    let anchors: Vec<Value> = config
        .anchors
        .iter()
        .map(|&a| {
            json!({
                "name": a.name(),
                "encoder": a.encoder(),
                "decoder": a.decoder(),
                "setting": a.setting_name(),
                "settings": config.settings(Codec::Anchor(a)),
            })
        })
        .collect();
    let files: Vec<Value> = report
        .files
        .iter()
        .map(|f| {
            let runs: Vec<Value> = f.runs.iter().map(|r| run_value(report, r)).collect();
            json!({
                "file": f.name,
                "path": f.path.display().to_string(),
                "source": source_value(&f.source),
                "runs": runs,
            })
        })
        .collect();
    let bd_rates: Vec<Value> = report
        .bd
        .entries
        .iter()
        .map(|e| {
            let (value, reason) = match &e.outcome {
                BdOutcome::Value(v) => (number(Some(*v)), Value::Null),
                BdOutcome::NotAvailable(r) => (Value::Null, json!(r)),
            };
            let points: Vec<Value> = e
                .points
                .iter()
                .map(|p| {
                    json!({
                        "codec": p.codec.name(),
                        "setting": p.setting,
                        "rate": number(Some(p.rate)),
                        "value": number(p.value),
                        "used": p.excluded.is_none(),
                        "excluded": p.excluded,
                    })
                })
                .collect();
            json!({
                "file": e.file,
                "anchor": e.anchor.name(),
                "metric": e.metric.name(),
                "bd_rate": value,
                "reason": reason,
                "points": points,
            })
        })
        .collect();
    let bd_means: Vec<Value> = report
        .bd
        .means
        .iter()
        .map(|m| {
            json!({
                "anchor": m.anchor.name(),
                "metric": m.metric.name(),
                "mean": number(m.mean),
                "min": number(m.min),
                "max": number(m.max),
                "files_used": m.files_used,
                "files_total": m.files_total,
            })
        })
        .collect();
    let curves: Vec<Value> = report
        .curves
        .iter()
        .map(|c| {
            let points: Vec<Value> = c
                .points
                .iter()
                .map(|p| json!({"setting": p.setting, "rate": p.rate, "value": p.value}))
                .collect();
            json!({"codec": c.codec.name(), "metric": c.metric.name(), "points": points})
        })
        .collect();
    json!({
        "schema": SCHEMA,
        "quanta_version": env!("CARGO_PKG_VERSION"),
        "media": media_name(config.media),
        "rate_unit": config.rate_unit().name(),
        "config": {
            "inputs": config.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "qualities": config.qualities,
            "bitrates": config.bitrates,
            "anchors": anchors,
            "metrics": config.metrics.iter().map(|m| m.name()).collect::<Vec<_>>(),
            "bd_method": match config.bd_method {
                BdMethod::Pchip => "pchip",
                BdMethod::Cubic => "cubic",
            },
            "rate_window": {
                "min": config.window.min_bpp,
                "max": config.window.max_bpp,
                "unit": config.rate_unit().name(),
            },
            "threads": config.threads,
        },
        "elapsed_seconds": number(Some(report.elapsed_seconds)),
        "files": files,
        "bd_rates": bd_rates,
        "bd_means": bd_means,
        "mean_curves": curves,
    })
}

/// The report as pretty-printed JSON text, with a final line break.
pub fn to_json(report: &BenchReport) -> Result<String> {
    let mut text = serde_json::to_string_pretty(&to_value(report))
        .map_err(|e| Error::InvalidArgument(format!("cannot format the bench as JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_report;

    #[test]
    fn document_shape() {
        let text = to_json(&sample_report()).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["schema"], SCHEMA);
        assert_eq!(v["media"], "image");
        assert_eq!(v["config"]["bd_method"], "pchip");
        assert_eq!(v["rate_unit"], "bpp");
        assert_eq!(v["config"]["rate_window"]["max"], 3.0);
        assert!(v["config"]["rate_window"]["min"].is_null());
        assert_eq!(v["files"][0]["source"]["kind"], "picture");
        assert_eq!(v["files"][0]["source"]["width"], 10);
        assert_eq!(v["config"]["anchors"][0]["encoder"], "cjpeg");
        let runs = &v["files"][0]["runs"];
        assert_eq!(runs.as_array().unwrap().len(), 6);
        assert_eq!(runs[0]["rate"]["value"], 0.25);
        assert_eq!(runs[0]["rate"]["unit"], "bpp");
        assert_eq!(runs[0]["encode"]["speed"]["unit"], "MP/s");
        assert_eq!(runs[0]["decode"]["seconds"], 0.005);
        assert_eq!(runs[3]["setting_name"], "quality");
        assert_eq!(runs[2]["quality"]["kind"], "picture");
        assert_eq!(runs[2]["quality"]["psnr_ycbcr"], "inf");
        assert!(runs[0]["quality"]["ssimulacra2"].is_null());
        assert!(runs[0]["quality"].get("snr").is_none());
        let bd = v["bd_rates"].as_array().unwrap();
        assert_eq!(bd.len(), 4);
        assert!((bd[0]["bd_rate"].as_f64().unwrap() + 50.0).abs() < 1e-9);
        assert!(bd[0]["reason"].is_null());
        assert!(bd[1]["bd_rate"].is_null());
        assert!(bd[1]["reason"].as_str().unwrap().contains("overlap"));
        assert_eq!(bd[0]["points"][2]["used"], false);
        assert_eq!(bd[0]["points"][1]["rate"], 0.5);
        assert_eq!(bd[0]["points"][2]["excluded"], "infinite (lossless)");
        assert_eq!(v["bd_means"][0]["files_used"], 1);
        assert_eq!(v["mean_curves"][0]["codec"], "quanta");
        assert_eq!(v["mean_curves"][0]["points"][0]["rate"], 0.25);
    }
}
