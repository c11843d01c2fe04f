//! Markdown tables of a bench, as `quanta bench` and `quanta demo` print them.
//!
//! Input: a [`BenchReport`]. Output: GitHub-flavoured markdown text: [`runs_table`] (one row
//! per file, codec and setting: bits per pixel, every metric of the bench, encode and decode
//! speed), [`bd_table`] (BD-rates of quanta against each anchor per metric, one row per file,
//! then the mean, its file count and the per-file range, with the reason for every "n/a") and
//! [`points_used`] (which settings entered the BD-rates). Columns are padded to line up in a
//! terminal.

use super::{format_percent, format_setting, format_speed, format_value};
use crate::bench::{BdOutcome, BenchReport, Codec};

/// Lays out a markdown table; `right[i]` right-aligns column `i`.
pub fn markdown(header: &[String], right: &[bool], rows: &[Vec<String>]) -> String {
    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count().max(3)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::from("|");
        for (i, width) in widths.iter().enumerate() {
            let cell = cells.get(i).map_or("", String::as_str);
            let pad = width.saturating_sub(cell.chars().count());
            if right.get(i).copied().unwrap_or(false) {
                out.push_str(&format!(" {}{cell} |", " ".repeat(pad)));
            } else {
                out.push_str(&format!(" {cell}{} |", " ".repeat(pad)));
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(header);
    out.push('|');
    for (i, width) in widths.iter().enumerate() {
        if right.get(i).copied().unwrap_or(false) {
            out.push_str(&format!(" {}: |", "-".repeat(width - 1)));
        } else {
            out.push_str(&format!(" {} |", "-".repeat(*width)));
        }
    }
    out.push('\n');
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

/// One row per run: file, codec, setting, bits per pixel, the bench's metrics, speeds.
pub fn runs_table(report: &BenchReport) -> String {
    let metrics = &report.config.metrics;
    let unit = super::rate_unit(report.config.media);
    let mut header: Vec<String> = ["file", "codec", "setting", unit]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(metrics.iter().map(|m| m.label().to_string()));
    let speed = super::speed_unit(report.config.media);
    header.push(format!("enc {speed}"));
    header.push(format!("dec {speed}"));
    let mut right = vec![false, false, true, true];
    right.extend(std::iter::repeat_n(true, metrics.len() + 2));
    let mut rows = Vec::new();
    for file in &report.files {
        for run in &file.runs {
            let short = match run.codec.setting_name() {
                "quality" => "q",
                "quantizer" => "qp",
                "distance" => "d",
                other => other,
            };
            let setting = format!("{short} {}", format_setting(run.setting));
            let mut row = vec![
                file.name.clone(),
                run.codec.name().to_string(),
                setting,
                format!("{:.3}", run.rate.value),
            ];
            row.extend(
                metrics
                    .iter()
                    .map(|&m| format_value(m, m.value(&run.quality))),
            );
            row.push(format_speed(run.encode_speed.value));
            row.push(format_speed(run.decode_speed.value));
            rows.push(row);
        }
    }
    markdown(&header, &right, &rows)
}

/// BD-rates of quanta against each anchor, per metric: one row per file, then the mean over
/// the files that have one, how many they are, and the per-file range. "n/a" cells are
/// numbered and explained below the table. Empty when the bench had no anchors.
pub fn bd_table(report: &BenchReport) -> String {
    let bd = &report.bd;
    if report.config.anchors.is_empty() {
        return String::new();
    }
    let pairs: Vec<_> = report
        .config
        .anchors
        .iter()
        .flat_map(|&a| report.config.metrics.iter().map(move |&m| (a, m)))
        .collect();
    let mut header = vec!["file".to_string()];
    header.extend(
        pairs
            .iter()
            .map(|(a, m)| format!("vs {} {}", a.name(), m.label())),
    );
    let mut right = vec![false];
    right.extend(std::iter::repeat_n(true, pairs.len()));
    let mut notes = Vec::new();
    let mut rows = Vec::new();
    for file in &report.files {
        let mut row = vec![file.name.clone()];
        for &(anchor, metric) in &pairs {
            let entry = bd
                .entries
                .iter()
                .find(|e| e.file == file.name && e.anchor == anchor && e.metric == metric);
            row.push(match entry.map(|e| &e.outcome) {
                Some(BdOutcome::Value(v)) => format_percent(Some(*v)),
                Some(BdOutcome::NotAvailable(reason)) => {
                    notes.push(format!(
                        "{}: {} vs {} ({}): {reason}",
                        notes.len() + 1,
                        file.name,
                        anchor.name(),
                        metric.name()
                    ));
                    format!("n/a [{}]", notes.len())
                }
                None => "n/a".to_string(),
            });
        }
        rows.push(row);
    }
    let mean_of = |f: &dyn Fn(&crate::bench::BdMean) -> String| {
        pairs
            .iter()
            .map(|&(a, m)| {
                bd.means
                    .iter()
                    .find(|x| x.anchor == a && x.metric == m)
                    .map_or_else(|| "n/a".to_string(), f)
            })
            .collect::<Vec<_>>()
    };
    let mut mean = vec!["**mean**".to_string()];
    mean.extend(mean_of(&|x| format!("**{}**", format_percent(x.mean))));
    let mut used = vec!["files".to_string()];
    used.extend(mean_of(&|x| format!("{}/{}", x.files_used, x.files_total)));
    let mut range = vec!["range".to_string()];
    range.extend(mean_of(&|x| match (x.min, x.max) {
        (Some(lo), Some(hi)) => format!(
            "{} … {}",
            format_percent(Some(lo)),
            format_percent(Some(hi))
        ),
        _ => "n/a".to_string(),
    }));
    rows.extend([mean, used, range]);
    let mut out = markdown(&header, &right, &rows);
    out.push_str(&format!(
        "\nBD-rate of quanta against each anchor at equal quality (negative: quanta needs fewer \
         bits); {} interpolation of log-rate, points in {}.\n",
        match bd.method {
            crate::metrics::BdMethod::Pchip => "PCHIP",
            crate::metrics::BdMethod::Cubic => "cubic (VCEG-M33)",
        },
        bd.window.describe()
    ));
    for note in notes {
        out.push_str(&format!("- n/a {note}\n"));
    }
    out
}

/// Which settings of each codec entered the BD-rates, per file and metric, with a count of
/// the points left out and why.
pub fn points_used(report: &BenchReport) -> String {
    let mut out = String::new();
    if report.config.anchors.is_empty() {
        return out;
    }
    for file in &report.files {
        for &metric in &report.config.metrics {
            let mut parts = Vec::new();
            for codec in report.config.codecs() {
                let entry = report.bd.entries.iter().find(|e| {
                    e.file == file.name
                        && e.metric == metric
                        && (codec == Codec::Quanta || codec == Codec::Anchor(e.anchor))
                });
                let Some(entry) = entry else { continue };
                let points: Vec<_> = entry.points.iter().filter(|p| p.codec == codec).collect();
                let used: Vec<String> = points
                    .iter()
                    .filter(|p| p.excluded.is_none())
                    .map(|p| format_setting(p.setting))
                    .collect();
                parts.push(format!(
                    "{} {} ({}/{})",
                    codec.name(),
                    if used.is_empty() {
                        "none".to_string()
                    } else {
                        used.join(",")
                    },
                    used.len(),
                    points.len()
                ));
            }
            out.push_str(&format!(
                "- {} {}: {}\n",
                file.name,
                metric.name(),
                parts.join("; ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_report;

    #[test]
    fn markdown_lines_up() {
        let header = vec!["name".to_string(), "n".to_string()];
        let rows = vec![
            vec!["a".to_string(), "1".to_string()],
            vec!["longer".to_string(), "10".to_string()],
        ];
        let text = markdown(&header, &[false, true], &rows);
        assert_eq!(
            text,
            "| name   |   n |\n| ------ | --: |\n| a      |   1 |\n| longer |  10 |\n"
        );
    }

    #[test]
    fn runs_table_has_every_run() {
        let report = sample_report();
        let text = runs_table(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2 + 12);
        assert!(lines[0].contains("PSNR-YCbCr (dB)") && lines[0].contains("enc MP/s"));
        assert!(lines[2].contains("a, b.png") && lines[2].contains("quanta"));
        assert!(lines[2].contains("q 20") && lines[2].contains("0.250"));
        assert!(lines[4].contains("inf"), "{}", lines[4]);
        assert!(lines[5].contains("jpeg"));
    }

    #[test]
    fn bd_table_has_means_and_explains_na() {
        let report = sample_report();
        let text = bd_table(&report);
        assert!(text.contains("vs jpeg PSNR-YCbCr (dB)"), "{text}");
        assert!(text.contains("-50.0%"), "{text}");
        assert!(text.contains("n/a [1]"), "{text}");
        assert!(text.contains("- n/a 1: c.png vs jpeg (psnr-ycbcr): quality ranges do not overlap"));
        assert!(text.contains("| files "), "{text}");
        assert!(text.contains("1/2"), "{text}");
        assert!(text.contains("PCHIP") && text.contains("≤ 3 bpp"), "{text}");
        let points = points_used(&report);
        assert!(
            points.contains("- a, b.png psnr-ycbcr: quanta 20,50 (2/3); jpeg 20,50,80 (3/3)"),
            "{points}"
        );
    }

    #[test]
    fn no_anchors_no_bd_table() {
        let mut report = sample_report();
        report.config.anchors.clear();
        assert!(bd_table(&report).is_empty());
        assert!(points_used(&report).is_empty());
    }
}
