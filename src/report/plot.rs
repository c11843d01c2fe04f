//! Rate-distortion plots of a bench, as PNG or SVG.
//!
//! Input: a [`BenchReport`] and a [`PlotFormat`]. Output: the bytes of one picture with a
//! panel per metric of the bench (two panels across), each holding one curve per codec: the
//! codec's mean rate-quality curve over all files ([`MeanCurve`]), bits per pixel across and
//! the metric up, with axis labels, a caption and a legend. When the bench has a rate window
//! the axes show that window only. Plots are drawn with `plotters`; PNG text is rendered with
//! the DejaVu Sans font embedded in the binary (registered once through ab_glyph, so no system
//! font library is needed) and the PNG is encoded by quanta's own picture writer; SVG text
//! names the font family and leaves rendering to the viewer.

use std::sync::OnceLock;

use plotters::backend::{BitMapBackend, RGBPixel, SVGBackend};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use super::rate_label;
use crate::bench::{Anchor, BenchReport, Codec, MeanCurve, Metric};
use crate::error::{Error, Result};
use crate::media::image::{encode_picture_file, PictureFormat};
use crate::signal::{Picture, PixelLayout};

/// The font family every text of a plot uses.
pub(crate) const FONT: &str = "sans-serif";
/// Size of one panel in pixels.
const PANEL: (u32, u32) = (800, 540);

/// The picture format of a plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotFormat {
    Png,
    Svg,
}

impl PlotFormat {
    /// The format a file name's extension names (`.png` or `.svg`, any case).
    pub fn from_path(path: &std::path::Path) -> Option<PlotFormat> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("png") => Some(PlotFormat::Png),
            Some("svg") => Some(PlotFormat::Svg),
            _ => None,
        }
    }
}

/// Registers the embedded font once; later calls return the first outcome.
pub(crate) fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Media(
            "cannot load the embedded plot font (DejaVu Sans)".into(),
        ))
    }
}

/// The colour of a codec's curve.
fn codec_color(codec: Codec) -> RGBColor {
    match codec {
        Codec::Quanta => RGBColor(214, 39, 40),
        Codec::Anchor(Anchor::Jpeg) => RGBColor(31, 119, 180),
        Codec::Anchor(Anchor::Webp) => RGBColor(44, 160, 44),
        Codec::Anchor(Anchor::Avif) => RGBColor(255, 127, 14),
        Codec::Anchor(Anchor::Jxl) => RGBColor(148, 103, 189),
        Codec::Anchor(Anchor::Opus) => RGBColor(31, 119, 180),
        Codec::Anchor(Anchor::Vorbis) => RGBColor(44, 160, 44),
        Codec::Anchor(Anchor::Aac) => RGBColor(255, 127, 14),
        Codec::Anchor(Anchor::Mp3) => RGBColor(148, 103, 189),
        Codec::Anchor(Anchor::X264) => RGBColor(31, 119, 180),
        Codec::Anchor(Anchor::Mpeg2) => RGBColor(44, 160, 44),
        Codec::Anchor(Anchor::X265) => RGBColor(255, 127, 14),
    }
}

/// Draws the plot of `report` and returns the file's bytes.
pub fn render_plot(report: &BenchReport, format: PlotFormat) -> Result<Vec<u8>> {
    ensure_font()?;
    let metrics = &report.config.metrics;
    let columns = if metrics.len() > 1 { 2 } else { 1 };
    let rows = metrics.len().div_ceil(columns).max(1);
    let size = (PANEL.0 * columns as u32, PANEL.1 * rows as u32);
    let failed = |e: String| Error::Media(format!("cannot draw the rate-distortion plot: {e}"));
    match format {
        PlotFormat::Png => {
            let mut buffer = vec![0u8; size.0 as usize * size.1 as usize * 3];
            {
                let backend = BitMapBackend::<RGBPixel>::with_buffer_and_format(&mut buffer, size)
                    .map_err(|e| failed(e.to_string()))?;
                draw(backend.into_drawing_area(), report, (rows, columns)).map_err(failed)?;
            }
            let picture = Picture::new(size.0 as usize, size.1 as usize, PixelLayout::Rgb, buffer)?;
            encode_picture_file(&picture, PictureFormat::Png)
        }
        PlotFormat::Svg => {
            let mut text = String::new();
            {
                let backend = SVGBackend::with_string(&mut text, size);
                draw(backend.into_drawing_area(), report, (rows, columns)).map_err(failed)?;
            }
            Ok(text.into_bytes())
        }
    }
}

/// Draws every panel on `root`.
fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    report: &BenchReport,
    grid: (usize, usize),
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let panels = root.split_evenly(grid);
    for (panel, &metric) in panels.iter().zip(&report.config.metrics) {
        draw_panel(panel, report, metric)?;
    }
    root.present().map_err(|e| e.to_string())
}

/// The curves of one metric, each limited to the rate window.
fn panel_curves(report: &BenchReport, metric: Metric) -> Vec<(Codec, Vec<(f64, f64)>)> {
    let window = report.config.window;
    report
        .curves
        .iter()
        .filter(|c: &&MeanCurve| c.metric == metric)
        .map(|c| {
            let mut points: Vec<(f64, f64)> = c
                .points
                .iter()
                .filter(|p| window.exclusion(p.rate).is_none())
                .map(|p| (p.rate, p.value))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (c.codec, points)
        })
        .collect()
}

/// A range around `lo..hi` with a margin, never empty.
fn padded(lo: f64, hi: f64, margin: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let span = (hi - lo).max(1e-6);
    (lo - span * margin, hi + span * margin)
}

fn draw_panel<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    report: &BenchReport,
    metric: Metric,
) -> std::result::Result<(), String> {
    let curves = panel_curves(report, metric);
    let all = curves.iter().flat_map(|(_, p)| p.iter());
    let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in all {
        x_lo = x_lo.min(x);
        x_hi = x_hi.max(x);
        y_lo = y_lo.min(y);
        y_hi = y_hi.max(y);
    }
    let window = report.config.window;
    let (x_lo, x_hi) = padded(x_lo, x_hi, 0.03);
    let x_lo = window.min_bpp.unwrap_or(x_lo.max(0.0));
    let x_hi = window.max_bpp.unwrap_or(x_hi);
    let (y_lo, y_hi) = padded(y_lo, y_hi, 0.05);
    let files = report.files.len();
    let caption = format!(
        "{} against rate, mean of {files} file{}",
        metric.label(),
        if files == 1 { "" } else { "s" }
    );
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let mut chart = ChartBuilder::on(panel)
        .caption(caption, (FONT, 22))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
        .map_err(|e| err(&e))?;
    let decimals = match metric {
        Metric::SsimY => 3,
        _ => 1,
    };
    chart
        .configure_mesh()
        .x_desc(rate_label(report.config.media))
        .y_desc(metric.label())
        .axis_desc_style((FONT, 17))
        .label_style((FONT, 14))
        .x_label_formatter(&|x| format!("{x:.2}"))
        .y_label_formatter(&|y| format!("{y:.*}", decimals))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| err(&e))?;
    for (codec, points) in &curves {
        if points.is_empty() {
            continue;
        }
        let color = codec_color(*codec);
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(codec.name())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
            .map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
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
    use crate::report::tests::sample_report;

    #[test]
    fn formats_from_names() {
        use std::path::Path;
        assert_eq!(
            PlotFormat::from_path(Path::new("rd.PNG")),
            Some(PlotFormat::Png)
        );
        assert_eq!(
            PlotFormat::from_path(Path::new("a/rd.svg")),
            Some(PlotFormat::Svg)
        );
        assert_eq!(PlotFormat::from_path(Path::new("rd.pdf")), None);
        assert_eq!(PlotFormat::from_path(Path::new("rd")), None);
    }

    #[test]
    fn png_and_svg_are_drawn() {
        let report = sample_report();
        let png = render_plot(&report, PlotFormat::Png).unwrap();
        let picture =
            crate::media::image::read_picture_bytes(&png, "plot", &Default::default()).unwrap();
        assert_eq!((picture.width, picture.height), (1600, 540));
        // Not a blank page: curves and text leave many non-white pixels.
        let inked = picture
            .data
            .chunks(3)
            .filter(|p| p != &[255, 255, 255])
            .count();
        assert!(inked > 5_000, "{inked}");
        let svg = String::from_utf8(render_plot(&report, PlotFormat::Svg).unwrap()).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("bits per pixel") && svg.contains("quanta") && svg.contains("jpeg"));
    }
}
