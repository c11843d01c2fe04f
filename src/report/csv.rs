//! CSV of a bench: one row per run, for spreadsheets and scripts.
//!
//! Input: a [`BenchReport`]. Output: RFC 4180 text with a header line and one row per file,
//! codec and setting; the columns are listed in [`COLUMNS`] and described in docs/BENCH.md.
//! Every quality figure is written whether or not the bench reported it as a metric (only
//! SSIMULACRA2 is empty unless it was asked for); an infinite PSNR is "inf"; a value that does
//! not exist (chroma PSNR of a gray picture) is an empty field. BD-rates are in the JSON and
//! the markdown report, not here.

use crate::bench::{BenchReport, MediaKind};

/// The header of the CSV, in column order.
pub const COLUMNS: [&str; 22] = [
    "file",
    "width",
    "height",
    "codec",
    "setting_name",
    "setting",
    "bytes",
    "bpp",
    "psnr_y",
    "psnr_cb",
    "psnr_cr",
    "psnr_ycbcr",
    "psnr_rgb",
    "ssim_y",
    "ssimulacra2",
    "encode_seconds",
    "decode_seconds",
    "encode_mpps",
    "decode_mpps",
    "snr",
    "segsnr",
    "psnr",
];

/// Quotes a field when it holds a comma, a quote or a line break.
pub fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A number in full precision; "inf"/"-inf" for infinities, empty for none or NaN.
fn number(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_nan() => String::new(),
        Some(v) if v.is_infinite() => if v > 0.0 { "inf" } else { "-inf" }.to_string(),
        Some(v) => format!("{v}"),
        None => String::new(),
    }
}

/// The CSV text of a report.
pub fn runs_csv(report: &BenchReport) -> String {
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for file in &report.files {
        for run in &file.runs {
            let c = &run.quality.comparison;
            let cells = [
                field(&file.name),
                file.width.to_string(),
                file.height.to_string(),
                run.codec.name().to_string(),
                match report.config.media {
                    MediaKind::Image => run.codec.setting_name().to_string(),
                    _ => "bitrate".to_string(),
                },
                number(Some(run.setting)),
                run.bytes.to_string(),
                number(Some(run.bpp)),
                number(Some(c.psnr_y)),
                number(c.psnr_cb),
                number(c.psnr_cr),
                number(Some(c.psnr_ycbcr)),
                number(c.psnr_rgb),
                number(Some(c.ssim_y)),
                number(run.quality.ssimulacra2),
                number(Some(run.encode_seconds)),
                number(Some(run.decode_seconds)),
                number(Some(run.encode_mpps)),
                number(Some(run.decode_mpps)),
                number(run.quality.audio.map(|q| q.snr)),
                number(run.quality.audio.map(|q| q.segsnr)),
                number(run.quality.audio.map(|q| q.psnr)),
            ];
            out.push_str(&cells.join(","));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_report;

    #[test]
    fn quoting() {
        assert_eq!(field("plain.png"), "plain.png");
        assert_eq!(field("a, b.png"), "\"a, b.png\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn one_row_per_run() {
        let text = runs_csv(&sample_report());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + 12);
        assert_eq!(lines[0].split(',').count(), COLUMNS.len());
        assert!(lines[0].starts_with("file,width,height,codec,setting_name,setting,bytes,bpp,"));
        assert_eq!(
            lines[1],
            "\"a, b.png\",10,10,quanta,quality,20,250,0.25,30,32,33,30,29,0.85,,0.01,0.005,1,2,,,"
        );
        assert!(lines[3].contains(",inf,"), "{}", lines[3]);
        assert!(lines[4].contains(",jpeg,quality,20,"), "{}", lines[4]);
    }
}
