//! Reports of the error-bounded bench: markdown tables, JSON and the rate-against-error plot.
//!
//! Input: a [`BoundedReport`]. Output: [`bounded_table`] (per file, then the totals per codec
//! and setting with the ratio of each to the smallest lossless total), [`bounded_csv`] (one
//! row per run), [`bounded_json`]
//! (schema `quanta-bounded/1`: the report with its totals) and [`render_bounded_plot`]: a
//! PNG or SVG with two panels, the total rate against the maximum error N (quanta and
//! JPEG-LS as curves, the lossless anchors as dashed lines at their rate) and, for
//! pictures, the total rate against the mean PSNR of the near-lossless points; and
//! [`study_bounded_table`], the study's section setting the transform coder's largest
//! errors beside the error-bounded coder's.

use plotters::backend::{BitMapBackend, RGBPixel, SVGBackend};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Serialize;

use super::plot::{ensure_font, PlotFormat, FONT};
use crate::bench::bounded::{BoundedAnchor, BoundedCodec, BoundedReport, BoundedTotal};
use crate::bench::study::{Combination, StudyReport};
use crate::bench::Metric;
use crate::error::{Error, Result};
use crate::media::image::{encode_picture_file, PictureFormat};
use crate::signal::{Picture, PixelLayout};

/// Size of one panel in pixels.
const PANEL: (u32, u32) = (800, 540);

/// The label of a run's setting: N for bounded coders, the level for FLAC.
fn setting_label(codec: BoundedCodec, setting: u8) -> String {
    match codec {
        BoundedCodec::Anchor(BoundedAnchor::Flac) => format!("level {setting}"),
        _ => format!("N={setting}"),
    }
}

fn psnr_cell(psnr: Option<f64>) -> String {
    psnr.map_or_else(|| "exact".to_string(), |p| format!("{p:.2}"))
}

/// The smallest total of an exact (N = 0) run, quanta's included.
fn best_lossless(totals: &[BoundedTotal]) -> Option<&BoundedTotal> {
    totals
        .iter()
        .filter(|t| t.bound == 0)
        .min_by_key(|t| t.bytes)
}

/// Per-file runs, then totals, as markdown.
pub fn bounded_table(report: &BoundedReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "| file | codec | setting | bytes | {} | max error | PSNR (dB) | decode s |\n",
        report.rate_unit
    ));
    out.push_str("|---|---|---|---:|---:|---:|---:|---:|\n");
    for file in &report.files {
        for run in &file.runs {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {:.4} | {} | {} | {:.3} |\n",
                file.name,
                run.codec.name(),
                setting_label(run.codec, run.setting),
                run.bytes,
                8.0 * run.bytes as f64 / file.units.max(1) as f64,
                run.max_error,
                psnr_cell(run.psnr),
                run.decode_seconds
            ));
        }
    }
    let totals = report.totals();
    let unit = if report.media == "audio" {
        "M samples/s"
    } else {
        "MP/s"
    };
    out.push_str(&format!(
        "\n## Totals over {} file(s)\n\n| codec | setting | bytes | {} | vs best lossless | \
         worst error | mean PSNR (dB) | encode {unit} | decode {unit} |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|\n",
        report.files.len(),
        report.rate_unit
    ));
    let best = best_lossless(&totals).map(|t| t.bytes);
    for t in &totals {
        let ratio = best.map_or_else(
            || "-".to_string(),
            |b| format!("{:.3}", t.bytes as f64 / b.max(1) as f64),
        );
        out.push_str(&format!(
            "| {} | {} | {} | {:.4} | {ratio} | {} | {} | {:.1} | {:.1} |\n",
            t.codec.name(),
            setting_label(t.codec, t.setting),
            t.bytes,
            t.rate,
            t.max_error,
            psnr_cell(t.mean_psnr),
            t.encode_speed,
            t.decode_speed
        ));
    }
    out
}

/// One CSV row per run.
pub fn bounded_csv(report: &BoundedReport) -> String {
    let mut out = String::from(
        "file,codec,setting,bound,bytes,rate,max_error,psnr,encode_seconds,decode_seconds\n",
    );
    for file in &report.files {
        for run in &file.runs {
            out.push_str(&format!(
                "{},{},{},{},{},{:.6},{},{},{:.6},{:.6}\n",
                file.name,
                run.codec.name(),
                run.setting,
                run.bound,
                run.bytes,
                8.0 * run.bytes as f64 / file.units.max(1) as f64,
                run.max_error,
                run.psnr.map_or_else(String::new, |p| format!("{p:.4}")),
                run.encode_seconds,
                run.decode_seconds
            ));
        }
    }
    out
}

/// The study's error-bounded section: the reference transform coder at each quality and
/// the error-bounded coder at each N, with total rate, largest error and mean PSNR-RGB over
/// the files; `None` when the study ran no error-bounded coding.
pub fn study_bounded_table(study: &StudyReport) -> Option<String> {
    let bounded = study.bounded.as_ref()?;
    let mut out = String::from(
        "| coder | setting | bits/pixel | worst error | mean PSNR-RGB (dB) |\n\
         |---|---|---:|---:|---:|\n",
    );
    let reference = Combination::REFERENCE;
    for (index, &quality) in study.config.qualities.iter().enumerate() {
        let (mut bytes, mut pixels, mut worst, mut psnrs) = (0u64, 0u64, 0u32, Vec::new());
        for file in &study.files {
            let Some(runs) = file.results.iter().find(|r| r.combination == reference) else {
                continue;
            };
            if let (Some(run), Some(&error)) = (runs.runs.get(index), runs.max_errors.get(index)) {
                bytes += run.bytes;
                pixels += (file.width * file.height) as u64;
                worst = worst.max(error);
                psnrs.extend(
                    Metric::PsnrRgb
                        .value(&run.quality)
                        .filter(|p| p.is_finite()),
                );
            }
        }
        let mean = psnrs.iter().sum::<f64>() / psnrs.len().max(1) as f64;
        out.push_str(&format!(
            "| {} | q{quality} | {:.4} | {worst} | {mean:.2} |\n",
            reference.label(),
            8.0 * bytes as f64 / pixels.max(1) as f64
        ));
    }
    for total in bounded.totals() {
        out.push_str(&format!(
            "| error-bounded | N={} | {:.4} | {} | {} |\n",
            total.setting,
            total.rate,
            total.max_error,
            psnr_cell(total.mean_psnr)
        ));
    }
    Some(out)
}

#[derive(Serialize)]
struct BoundedJson<'a> {
    schema: &'static str,
    #[serde(flatten)]
    report: &'a BoundedReport,
    totals: Vec<BoundedTotal>,
}

/// The report and its totals as JSON (schema `quanta-bounded/1`).
pub fn bounded_json(report: &BoundedReport) -> Result<String> {
    let doc = BoundedJson {
        schema: "quanta-bounded/1",
        report,
        totals: report.totals(),
    };
    serde_json::to_string_pretty(&doc)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| Error::Media(format!("cannot write the bench as JSON: {e}")))
}

fn codec_color(codec: BoundedCodec) -> RGBColor {
    match codec {
        BoundedCodec::Quanta => RGBColor(214, 39, 40),
        BoundedCodec::Anchor(BoundedAnchor::WebpLossless) => RGBColor(44, 160, 44),
        BoundedCodec::Anchor(BoundedAnchor::JxlLossless) => RGBColor(148, 103, 189),
        BoundedCodec::Anchor(BoundedAnchor::Png) => RGBColor(127, 127, 127),
        BoundedCodec::Anchor(BoundedAnchor::JpegLs) => RGBColor(31, 119, 180),
        BoundedCodec::Anchor(BoundedAnchor::Flac) => RGBColor(255, 127, 14),
    }
}

/// One line per codec: its totals' (setting or PSNR, rate) points, sorted.
fn series(
    totals: &[BoundedTotal],
    x_of: &dyn Fn(&BoundedTotal) -> Option<f64>,
) -> Vec<(BoundedCodec, Vec<(f64, f64)>)> {
    let mut out: Vec<(BoundedCodec, Vec<(f64, f64)>)> = Vec::new();
    for t in totals {
        let Some(x) = x_of(t) else { continue };
        match out.iter_mut().find(|(c, _)| *c == t.codec) {
            Some((_, points)) => points.push((x, t.rate)),
            None => out.push((t.codec, vec![(x, t.rate)])),
        }
    }
    for (_, points) in &mut out {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    out
}

/// Draws the plot of `report` and returns the file's bytes.
pub fn render_bounded_plot(report: &BoundedReport, format: PlotFormat) -> Result<Vec<u8>> {
    ensure_font()?;
    let panels = if report.media == "audio" { 1 } else { 2 };
    let size = (PANEL.0 * panels, PANEL.1);
    let failed = |e: String| Error::Media(format!("cannot draw the error-bounded plot: {e}"));
    match format {
        PlotFormat::Png => {
            let mut buffer = vec![0u8; size.0 as usize * size.1 as usize * 3];
            {
                let backend = BitMapBackend::<RGBPixel>::with_buffer_and_format(&mut buffer, size)
                    .map_err(|e| failed(e.to_string()))?;
                draw(backend.into_drawing_area(), report, panels).map_err(failed)?;
            }
            let picture = Picture::new(size.0 as usize, size.1 as usize, PixelLayout::Rgb, buffer)?;
            encode_picture_file(&picture, PictureFormat::Png)
        }
        PlotFormat::Svg => {
            let mut text = String::new();
            {
                let backend = SVGBackend::with_string(&mut text, size);
                draw(backend.into_drawing_area(), report, panels).map_err(failed)?;
            }
            Ok(text.into_bytes())
        }
    }
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    report: &BoundedReport,
    panels: u32,
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let areas = root.split_evenly((1, panels as usize));
    let totals = report.totals();
    let files = report.files.len();
    let by_error = series(&totals, &|t| match t.codec {
        BoundedCodec::Anchor(BoundedAnchor::Flac) => Some(0.0),
        _ => Some(f64::from(t.setting)),
    });
    let caption = format!("Rate against maximum error, {files} file(s)");
    let right = SeriesLabelPosition::UpperRight;
    let (unit, left) = (report.rate_unit, SeriesLabelPosition::UpperLeft);
    draw_panel(
        &areas[0],
        &by_error,
        (&caption, right),
        "maximum error N",
        unit,
    )?;
    if panels > 1 {
        let by_psnr = series(&totals, &|t| t.mean_psnr);
        let caption = format!("Rate against PSNR (near-lossless), {files} file(s)");
        draw_panel(
            &areas[1],
            &by_psnr,
            (&caption, left),
            "mean PSNR (dB)",
            unit,
        )?;
    }
    root.present().map_err(|e| e.to_string())
}

fn draw_panel<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    lines: &[(BoundedCodec, Vec<(f64, f64)>)],
    (caption, legend): (&str, SeriesLabelPosition),
    x_desc: &str,
    y_desc: &str,
) -> std::result::Result<(), String> {
    let points = || lines.iter().flat_map(|(_, p)| p.iter());
    let x_hi = points().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let x_lo = points().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let y_hi = points().map(|p| p.1).fold(0.0, f64::max);
    let (x_lo, x_hi) = if x_lo.is_finite() && x_hi > x_lo {
        let pad = (x_hi - x_lo) * 0.05;
        (x_lo - pad, x_hi + pad)
    } else if x_lo.is_finite() {
        (x_lo - 1.0, x_lo + 1.0)
    } else {
        (0.0, 1.0)
    };
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let mut chart = ChartBuilder::on(panel)
        .caption(caption, (FONT, 22))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x_lo..x_hi, 0.0..(y_hi * 1.08).max(1e-3))
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style((FONT, 17))
        .label_style((FONT, 14))
        .x_label_formatter(&|x| format!("{x:.1}"))
        .y_label_formatter(&|y| format!("{y:.2}"))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| err(&e))?;
    for (codec, points) in lines {
        let color = codec_color(*codec);
        let name = codec.name();
        if points.len() == 1 {
            // A single setting: a dashed line at its rate across the panel, and its marker.
            let y = points[0].1;
            let dashes = (0..40).map(move |i| {
                let a = x_lo + (x_hi - x_lo) * f64::from(2 * i) / 80.0;
                let b = x_lo + (x_hi - x_lo) * f64::from(2 * i + 1) / 80.0;
                PathElement::new(vec![(a, y), (b, y)], color.stroke_width(1))
            });
            chart.draw_series(dashes).map_err(|e| err(&e))?;
        } else {
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(|e| err(&e))?;
        }
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .map_err(|e| err(&e))?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
    }
    chart
        .configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font((FONT, 16))
        .draw()
        .map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::bounded::{BoundedFile, BoundedRun};

    fn report() -> BoundedReport {
        let run = |codec, setting: u8, bytes, max_error| BoundedRun {
            codec,
            setting,
            bound: if codec == BoundedCodec::Quanta {
                setting
            } else {
                0
            },
            bytes,
            max_error,
            psnr: (max_error > 0).then_some(60.0 - 4.0 * f64::from(setting)),
            encode_seconds: 0.1,
            decode_seconds: 0.05,
        };
        BoundedReport {
            media: "image",
            rate_unit: "bits/pixel",
            files: vec![BoundedFile {
                name: "a.png".into(),
                units: 10_000,
                runs: vec![
                    run(BoundedCodec::Quanta, 0, 4000, 0),
                    run(BoundedCodec::Quanta, 2, 2000, 2),
                    run(
                        BoundedCodec::Anchor(BoundedAnchor::WebpLossless),
                        0,
                        5000,
                        0,
                    ),
                ],
            }],
            elapsed_seconds: 0.5,
        }
    }

    #[test]
    fn table_and_json_hold_the_totals() {
        let report = report();
        let table = bounded_table(&report);
        assert!(
            table.contains("| a.png | quanta | N=2 | 2000 | 1.6000 | 2 | 52.00 |"),
            "{table}"
        );
        // quanta's lossless total is the smallest exact one: 1.000; WebP 5000 / 4000.
        assert!(
            table.contains("| webp-lossless | N=0 | 5000 | 4.0000 | 1.250 |"),
            "{table}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&bounded_json(&report).unwrap()).unwrap();
        assert_eq!(json["schema"], "quanta-bounded/1");
        assert_eq!(json["totals"][1]["bytes"], 2000);
        assert_eq!(
            json["files"][0]["runs"][2]["codec"]["Anchor"],
            "WebpLossless"
        );
        let csv = bounded_csv(&report);
        assert_eq!(csv.lines().count(), 4);
        assert!(
            csv.contains("a.png,quanta,2,2,2000,1.600000,2,52.0000,"),
            "{csv}"
        );
    }

    #[test]
    fn plots_draw() {
        let report = report();
        let png = render_bounded_plot(&report, PlotFormat::Png).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let svg =
            String::from_utf8(render_bounded_plot(&report, PlotFormat::Svg).unwrap()).unwrap();
        assert!(svg.contains("webp-lossless") && svg.contains("maximum error N"));
    }
}
