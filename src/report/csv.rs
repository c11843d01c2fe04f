//! CSV of a bench: one row per run, for spreadsheets and scripts.
//!
//! Input: a [`BenchReport`]. Output: RFC 4180 text with a header line and one row per file,
//! codec and setting; the columns are listed in [`COLUMNS`] and described in docs/BENCH.md.
//! Every quality figure is written whether or not the bench reported it as a metric (only
//! SSIMULACRA2 is empty unless it was asked for); an infinite PSNR is "inf"; a value that does
//! not exist (chroma PSNR of a gray picture, picture figures of audio) is an empty field.
//! The columns keep the meanings of the first JSON schema (docs/BENCH.md): `width` and
//! `height` hold an audio file's sample rate and channel count, `bpp` the rate in the bench's
//! unit (kbit/s for audio and video), `encode_mpps`/`decode_mpps` the speeds in the bench's
//! unit, and a video's 6:1:1 PSNR sits in `psnr_ycbcr`. BD-rates are in the JSON and the
//! markdown report, not here.

use crate::bench::{BenchReport, Quality, SourceInfo};

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

/// The size columns of a file: picture or frame size; sample rate and channels for audio.
fn size_columns(source: &SourceInfo) -> [String; 2] {
    match *source {
        SourceInfo::Picture { width, height } | SourceInfo::Video { width, height, .. } => {
            [width.to_string(), height.to_string()]
        }
        SourceInfo::Audio {
            sample_rate,
            channels,
            ..
        } => [sample_rate.to_string(), channels.to_string()],
    }
}

/// `psnr_y`, `psnr_cb`, `psnr_cr`, `psnr_ycbcr`, `psnr_rgb`, `ssim_y`, `ssimulacra2`, `snr`,
/// `segsnr`, `psnr` of one run, `None` where its media kind has no such figure.
fn quality_columns(quality: &Quality) -> [Option<f64>; 10] {
    match quality {
        Quality::Picture {
            comparison: c,
            ssimulacra2,
        } => [
            Some(c.psnr_y),
            c.psnr_cb,
            c.psnr_cr,
            Some(c.psnr_ycbcr),
            c.psnr_rgb,
            Some(c.ssim_y),
            *ssimulacra2,
            None,
            None,
            None,
        ],
        Quality::Video(v) => [
            Some(v.psnr_y),
            v.psnr_cb,
            v.psnr_cr,
            Some(v.psnr_yuv),
            None,
            Some(v.ssim_y),
            None,
            None,
            None,
            None,
        ],
        Quality::Audio(a) => [
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            Some(a.snr),
            Some(a.segsnr),
            Some(a.psnr),
        ],
    }
}

/// The CSV text of a report.
pub fn runs_csv(report: &BenchReport) -> String {
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for file in &report.files {
        let [width, height] = size_columns(&file.source);
        for run in &file.runs {
            let q = quality_columns(&run.quality);
            let cells = [
                field(&file.name),
                width.clone(),
                height.clone(),
                run.codec.name().to_string(),
                report.config.setting_name(run.codec).to_string(),
                number(Some(run.setting)),
                run.bytes.to_string(),
                number(Some(run.rate.value)),
                number(q[0]),
                number(q[1]),
                number(q[2]),
                number(q[3]),
                number(q[4]),
                number(q[5]),
                number(q[6]),
                number(Some(run.encode_seconds)),
                number(Some(run.decode_seconds)),
                number(Some(run.encode_speed.value)),
                number(Some(run.decode_speed.value)),
                number(q[7]),
                number(q[8]),
                number(q[9]),
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
