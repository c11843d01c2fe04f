//! Reports of the transform table and of the quantization-versus-approximation study:
//! markdown tables and JSON.
//!
//! Input: the [`TransformReport`]s of `transform::analysis` and, when pictures were coded, a
//! [`StudyReport`] from `bench::study`. Output: text for the caller to print or write. The
//! JSON documents carry the schemas [`TRANSFORMS_SCHEMA`] and [`STUDY_SCHEMA`], described
//! in docs/BENCH.md; non-finite numbers follow [`number`](super::json::number). BD-rates are
//! signed percentages against the reference combination (exact DCT, `rdo` quantizer):
//! negative means fewer bits at equal quality.

use serde_json::{json, Value};

use super::format_percent;
use super::json::number;
use crate::bench::study::{BdSpread, Combination, CombinationSummary, StudyReport, STUDY_METRICS};
use crate::bench::Metric;
use crate::error::{Error, Result};
use crate::transform::analysis::{TransformReport, RHO};

/// Schema of `quanta transforms --json`.
pub const TRANSFORMS_SCHEMA: &str = "quanta-transforms/1";
/// Schema of `quanta study --json`.
pub const STUDY_SCHEMA: &str = "quanta-study/1";

fn cost(c: &crate::transform::ArithmeticCost) -> String {
    format!("{}/{}/{}", c.additions, c.shifts, c.multiplications)
}

/// "+1.2% (-0.3 … +2.9)" for a spread over files.
fn spread(b: Option<&BdSpread>) -> String {
    match b {
        Some(b) if b.mean.is_some() => format!(
            "{} ({} … {})",
            format_percent(b.mean),
            format_percent(b.min),
            format_percent(b.max)
        ),
        _ => "n/a".into(),
    }
}

fn summary_bd(s: &CombinationSummary, metric: Metric) -> Option<&BdSpread> {
    s.bd.iter().find(|b| b.metric == metric)
}

/// The transform table; with a study, two more columns: BD-rate against the exact DCT
/// (mean over files, per-file range) on PSNR-YCbCr and SSIM-Y.
pub fn transforms_table(rows: &[TransformReport], study: Option<&StudyReport>) -> String {
    let mut out = String::from(
        "| transform | fwd cost a/s/m | inv cost a/s/m | gain dB | efficiency % | \
         orth. error | mean err | max err | ns/block |",
    );
    if study.is_some() {
        out.push_str(" BD PSNR-YCbCr | BD SSIM-Y |");
    }
    out.push_str("\n|---|---|---|---|---|---|---|---|---|");
    if study.is_some() {
        out.push_str("---|---|");
    }
    out.push('\n');
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {:.3} | {:.2} | {:.2e} | {:.3} | {:.0} | {:.0} |",
            row.name,
            cost(&row.forward_cost),
            cost(&row.inverse_cost),
            row.coding_gain_db,
            row.transform_efficiency_percent,
            row.orthogonality_error,
            row.round_trip.mean,
            row.round_trip.max,
            row.ns_per_block,
        ));
        if let Some(report) = study {
            let line = report
                .summaries
                .iter()
                .find(|s| s.combination.transform.name() == row.name);
            for metric in STUDY_METRICS {
                out.push_str(&format!(
                    " {} |",
                    spread(line.and_then(|s| summary_bd(s, metric)))
                ));
            }
        }
        out.push('\n');
    }
    out
}

/// The study table: one line per combination.
pub fn study_table(report: &StudyReport) -> String {
    let mut out = format!(
        "| transform | quantizer | BD PSNR-YCbCr vs {ref} | BD SSIM-Y vs {ref} | encode MP/s | \
         speed vs dct | ns/block | max err |\n|---|---|---|---|---|---|---|---|\n",
        ref = Combination::REFERENCE.label()
    );
    for s in &report.summaries {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {:.2} | {:.2} | {:.0} | {:.0} |\n",
            s.combination.transform.name(),
            s.combination.quantizer.name(),
            spread(summary_bd(s, Metric::PsnrYcbcr)),
            spread(summary_bd(s, Metric::SsimY)),
            s.encode_mpps,
            s.speed_ratio,
            s.ns_per_block,
            s.transform_max_error,
        ));
    }
    out
}

/// Per-file BD-rates of every combination for one metric: one column per file.
pub fn per_file_table(report: &StudyReport, metric: Metric) -> String {
    let mut out = String::from("| combination |");
    let mut rule = String::from("|---|");
    for f in &report.files {
        out.push_str(&format!(" {} |", f.name));
        rule.push_str("---|");
    }
    out.push('\n');
    out.push_str(&rule);
    out.push('\n');
    for s in &report.summaries {
        out.push_str(&format!("| {} |", s.combination.label()));
        if let Some(b) = summary_bd(s, metric) {
            for v in &b.per_file {
                out.push_str(&format!(" {} |", format_percent(*v)));
            }
        }
        out.push('\n');
    }
    out
}

fn transform_value(row: &TransformReport) -> Value {
    json!({
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "orthogonal": row.orthogonal,
        "forward_cost": row.forward_cost,
        "inverse_cost": row.inverse_cost,
        "coding_gain_db": number(Some(row.coding_gain_db)),
        "transform_efficiency_percent": number(Some(row.transform_efficiency_percent)),
        "orthogonality_error": number(Some(row.orthogonality_error)),
        "mean_error": number(Some(row.round_trip.mean)),
        "max_error": number(Some(row.round_trip.max)),
        "ns_per_block": number(Some(row.ns_per_block)),
    })
}

fn spread_value(b: &BdSpread, files: &[String]) -> Value {
    json!({
        "metric": b.metric.name(),
        "mean": number(b.mean),
        "min": number(b.min),
        "max": number(b.max),
        "per_file": files.iter().zip(&b.per_file)
            .map(|(f, v)| json!({"file": f, "bd_rate": number(*v)}))
            .collect::<Vec<_>>(),
        "missing": b.missing.iter()
            .map(|(f, r)| json!({"file": f, "reason": r}))
            .collect::<Vec<_>>(),
    })
}

fn study_config_value(report: &StudyReport) -> Value {
    json!({
        "inputs": report.config.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "qualities": report.config.qualities,
        "threads": report.config.threads,
        "reference": {
            "transform": Combination::REFERENCE.transform.name(),
            "quantizer": Combination::REFERENCE.quantizer.name(),
        },
        "bd_method": "pchip",
        "metrics": STUDY_METRICS.iter().map(|m| m.name()).collect::<Vec<_>>(),
    })
}

fn file_names(report: &StudyReport) -> Vec<String> {
    report.files.iter().map(|f| f.name.clone()).collect()
}

fn pretty(value: &Value, what: &str) -> Result<String> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::InvalidArgument(format!("cannot format the {what} as JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// The transform table as JSON (schema [`TRANSFORMS_SCHEMA`]).
pub fn transforms_json(rows: &[TransformReport], study: Option<&StudyReport>) -> Result<String> {
    let names = study.map(file_names).unwrap_or_default();
    let members: Vec<Value> = rows
        .iter()
        .map(|row| {
            let mut v = transform_value(row);
            let bd: Value = match study.and_then(|r| {
                r.summaries
                    .iter()
                    .find(|s| s.combination.transform.name() == row.name)
            }) {
                Some(s) => s.bd.iter().map(|b| spread_value(b, &names)).collect(),
                None => Value::Null,
            };
            v["bd_rates"] = bd;
            v
        })
        .collect();
    let images = study.map(|r| {
        json!({
            "config": study_config_value(r),
            "files": file_names(r),
            "elapsed_seconds": r.elapsed_seconds,
        })
    });
    pretty(
        &json!({
            "schema": TRANSFORMS_SCHEMA,
            "quanta_version": env!("CARGO_PKG_VERSION"),
            "rho": RHO,
            "members": members,
            "images": images,
        }),
        "transform table",
    )
}

/// The study as JSON (schema [`STUDY_SCHEMA`]).
pub fn study_json(report: &StudyReport) -> Result<String> {
    let names = file_names(report);
    let combinations: Vec<Value> = report
        .summaries
        .iter()
        .map(|s| {
            json!({
                "transform": s.combination.transform.name(),
                "quantizer": s.combination.quantizer.name(),
                "bd_rates": s.bd.iter().map(|b| spread_value(b, &names)).collect::<Vec<_>>(),
                "encode_mpps": number(Some(s.encode_mpps)),
                "speed_ratio": number(Some(s.speed_ratio)),
                "ns_per_block": number(Some(s.ns_per_block)),
                "transform_max_error": number(Some(s.transform_max_error)),
            })
        })
        .collect();
    let files: Vec<Value> = report
        .files
        .iter()
        .map(|f| {
            json!({
                "file": f.name,
                "width": f.width,
                "height": f.height,
                "results": f.results.iter().map(|r| json!({
                    "transform": r.combination.transform.name(),
                    "quantizer": r.combination.quantizer.name(),
                    "runs": r.runs.iter().zip(&r.max_errors).map(|(run, max_error)| json!({
                        "quality": run.setting,
                        "max_error": max_error,
                        "bytes": run.bytes,
                        "bpp": run.rate.value,
                        "psnr_ycbcr": number(Metric::PsnrYcbcr.value(&run.quality)),
                        "ssim_y": number(Metric::SsimY.value(&run.quality)),
                        "encode_seconds": run.encode_seconds,
                        "decode_seconds": run.decode_seconds,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    pretty(
        &json!({
            "schema": STUDY_SCHEMA,
            "quanta_version": env!("CARGO_PKG_VERSION"),
            "config": study_config_value(report),
            "elapsed_seconds": report.elapsed_seconds,
            "transforms": report.transforms.iter().map(transform_value).collect::<Vec<_>>(),
            "combinations": combinations,
            "files": files,
            "bounded": match &report.bounded {
                Some(b) => serde_json::to_value(b).map_err(|e| Error::Media(format!(
                    "cannot write the study as JSON: {e}"
                )))?,
                None => Value::Null,
            },
        }),
        "study",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::analysis::transform_table;

    #[test]
    fn transform_table_has_a_line_per_member() {
        let rows = transform_table();
        let text = transforms_table(&rows, None);
        assert_eq!(text.lines().count(), 2 + rows.len());
        for row in &rows {
            assert!(text.contains(&format!("| {} |", row.name)), "{text}");
        }
        let doc: Value = serde_json::from_str(&transforms_json(&rows, None).unwrap()).unwrap();
        assert_eq!(doc["schema"], TRANSFORMS_SCHEMA);
        let members = doc["members"].as_array().unwrap();
        assert_eq!(members.len(), crate::transform::TransformId::ALL.len());
        for m in members {
            assert!(m["coding_gain_db"].is_number(), "{m}");
            assert!(m["forward_cost"]["additions"].is_number(), "{m}");
            assert!(m["bd_rates"].is_null());
        }
        assert!(doc["images"].is_null());
    }
}
