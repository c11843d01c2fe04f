//! The Pareto plot of a study: speed against BD-rate, one marker per combination of
//! transform and quantizer.
//!
//! Input: a [`StudyReport`] and a [`PlotFormat`]. Output: the bytes of a PNG or SVG with one
//! panel per study metric (PSNR-YCbCr, SSIM-Y): encode megapixels per second across (one
//! thread), mean BD-rate against the reference combination up (lower is better), one
//! labelled marker per combination (colour: transform, shape: quantizer), and the Pareto
//! front of [`pareto_front`] drawn as a line through the combinations no other one beats on
//! both. Text uses the font embedded for the bench plots ([`super::plot`]).

use plotters::backend::{BitMapBackend, RGBPixel, SVGBackend};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::plot::{ensure_font, PlotFormat, FONT};
use crate::bench::study::{pareto_front, Quantizer, StudyReport, STUDY_METRICS};
use crate::bench::Metric;
use crate::error::{Error, Result};
use crate::media::image::{encode_picture_file, PictureFormat};
use crate::signal::{Picture, PixelLayout};
use crate::transform::TransformId;

/// Size of one panel in pixels.
const PANEL: (u32, u32) = (1000, 760);

/// The colour of a transform's markers.
fn transform_color(id: TransformId) -> RGBColor {
    match id {
        TransformId::Dct => RGBColor(0, 0, 0),
        TransformId::DctFast => RGBColor(127, 127, 127),
        TransformId::H264 => RGBColor(31, 119, 180),
        TransformId::Hevc => RGBColor(23, 190, 207),
        TransformId::Rdct => RGBColor(44, 160, 44),
        TransformId::Bas2008 => RGBColor(255, 127, 14),
        TransformId::Sdct => RGBColor(214, 39, 40),
        TransformId::Mrdct => RGBColor(148, 103, 189),
        TransformId::Wht => RGBColor(140, 86, 75),
    }
}

/// Draws the Pareto plot of `report` and returns the file's bytes.
pub fn render_pareto(report: &StudyReport, format: PlotFormat) -> Result<Vec<u8>> {
    ensure_font()?;
    let size = (PANEL.0, PANEL.1 * STUDY_METRICS.len() as u32);
    let failed = |e: String| Error::Media(format!("cannot draw the Pareto plot: {e}"));
    match format {
        PlotFormat::Png => {
            let mut buffer = vec![0u8; size.0 as usize * size.1 as usize * 3];
            {
                let backend = BitMapBackend::<RGBPixel>::with_buffer_and_format(&mut buffer, size)
                    .map_err(|e| failed(e.to_string()))?;
                draw(backend.into_drawing_area(), report).map_err(failed)?;
            }
            let picture = Picture::new(size.0 as usize, size.1 as usize, PixelLayout::Rgb, buffer)?;
            encode_picture_file(&picture, PictureFormat::Png)
        }
        PlotFormat::Svg => {
            let mut text = String::new();
            {
                let backend = SVGBackend::with_string(&mut text, size);
                draw(backend.into_drawing_area(), report).map_err(failed)?;
            }
            Ok(text.into_bytes())
        }
    }
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    report: &StudyReport,
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let panels = root.split_evenly((STUDY_METRICS.len(), 1));
    for (panel, metric) in panels.iter().zip(STUDY_METRICS) {
        draw_panel(panel, report, metric)?;
    }
    root.present().map_err(|e| e.to_string())
}

/// One marker: where, its label, colour and quantizer.
struct Marker {
    at: (f64, f64),
    label: String,
    transform: TransformId,
    quantizer: Quantizer,
}

fn draw_panel<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    report: &StudyReport,
    metric: Metric,
) -> std::result::Result<(), String> {
    let markers: Vec<Marker> = report
        .summaries
        .iter()
        .filter_map(|s| {
            let y = s.bd_mean(metric)?;
            (s.encode_mpps.is_finite() && y.is_finite()).then(|| Marker {
                at: (s.encode_mpps, y),
                label: s.combination.label(),
                transform: s.combination.transform,
                quantizer: s.combination.quantizer,
            })
        })
        .collect();
    let points: Vec<(f64, f64)> = markers.iter().map(|m| m.at).collect();
    let on_front = pareto_front(&points);
    let mut front: Vec<(f64, f64)> = points
        .iter()
        .zip(&on_front)
        .filter(|(_, &f)| f)
        .map(|(&p, _)| p)
        .collect();
    front.sort_by(|a, b| a.0.total_cmp(&b.0));
    let bound = |f: fn(f64, f64) -> f64, init: f64, pick: fn(&(f64, f64)) -> f64| {
        points.iter().map(pick).fold(init, f)
    };
    let (x_lo, x_hi) = (
        bound(f64::min, f64::INFINITY, |p| p.0),
        bound(f64::max, f64::NEG_INFINITY, |p| p.0),
    );
    let (y_lo, y_hi) = (
        bound(f64::min, f64::INFINITY, |p| p.1),
        bound(f64::max, f64::NEG_INFINITY, |p| p.1),
    );
    let pad = |lo: f64, hi: f64, m: f64| {
        if !(lo.is_finite() && hi.is_finite()) {
            return (0.0, 1.0);
        }
        let span = (hi - lo).max(1e-3);
        (lo - span * m, hi + span * m)
    };
    let (x_lo, x_hi) = pad(x_lo, x_hi, 0.08);
    let (y_lo, y_hi) = pad(y_lo, y_hi, 0.06);
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let caption = format!(
        "BD-rate ({}) vs {} against encode speed, {} file{}",
        metric.label(),
        crate::bench::study::Combination::REFERENCE.label(),
        report.files.len(),
        if report.files.len() == 1 { "" } else { "s" }
    );
    let mut chart = ChartBuilder::on(panel)
        .caption(caption, (FONT, 22))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("encode speed, megapixels per second (one thread)")
        .y_desc("BD-rate % (lower is better)")
        .axis_desc_style((FONT, 17))
        .label_style((FONT, 14))
        .x_label_formatter(&|x| format!("{x:.2}"))
        .y_label_formatter(&|y| format!("{y:+.0}"))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| err(&e))?;
    if front.len() > 1 {
        chart
            .draw_series(LineSeries::new(
                front.clone(),
                RGBColor(120, 120, 120).stroke_width(2),
            ))
            .map_err(|e| err(&e))?
            .label("Pareto front")
            .legend(|(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + 24, y)],
                    RGBColor(120, 120, 120).stroke_width(2),
                )
            });
    }
    for id in TransformId::ALL {
        let mine: Vec<&Marker> = markers.iter().filter(|m| m.transform == id).collect();
        if mine.is_empty() {
            continue;
        }
        let color = transform_color(id);
        chart
            .draw_series(mine.iter().map(|m| marker(m.at, m.quantizer, color)))
            .map_err(|e| err(&e))?
            .label(id.name())
            .legend(move |(x, y)| Circle::new((x + 12, y), 5, color.filled()));
        chart
            .draw_series(mine.iter().map(|m| {
                Text::new(
                    m.label.clone(),
                    m.at,
                    (FONT, 12).into_font().color(&color).pos(text_anchor()),
                )
            }))
            .map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperMiddle)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font((FONT, 14))
        .draw()
        .map_err(|e| err(&e))?;
    let key = "markers: ○ uniform   △ deadzone   × perceptual   ● rdo";
    panel
        .draw(&Text::new(key, (100, 44), (FONT, 14).into_font()))
        .map_err(|e| err(&e))?;
    Ok(())
}

/// Labels start just right of their marker.
fn text_anchor() -> plotters::style::text_anchor::Pos {
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    Pos::new(HPos::Left, VPos::Bottom)
}

/// A quantizer's marker shape at `at`.
fn marker<DB: DrawingBackend>(
    at: (f64, f64),
    quantizer: Quantizer,
    color: RGBColor,
) -> DynElement<'static, DB, (f64, f64)> {
    match quantizer {
        Quantizer::Uniform => Circle::new(at, 5, color.stroke_width(2)).into_dyn(),
        Quantizer::Deadzone => TriangleMarker::new(at, 6, color.stroke_width(2)).into_dyn(),
        Quantizer::Perceptual => Cross::new(at, 5, color.stroke_width(2)).into_dyn(),
        Quantizer::Rdo => Circle::new(at, 5, color.filled()).into_dyn(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_distinct() {
        let mut seen: Vec<RGBColor> = Vec::new();
        for id in TransformId::ALL {
            let c = transform_color(id);
            assert!(!seen.contains(&c), "{}", id.name());
            seen.push(c);
        }
    }
}
