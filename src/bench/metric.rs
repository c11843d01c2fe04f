//! The quality metrics a bench can report and compute BD-rates on, and the measurement of
//! one decoded picture against its source.
//!
//! Input: the source [`Picture`] and a decoded one of the same size. Output: a
//! [`Quality::Picture`] holding every PSNR and SSIM figure of [`compare_pictures`] (PSNR per the 6:1:1 YCbCr
//! weighting, Y, RGB; SSIM on Y) and, when asked for, the SSIMULACRA2 score computed by the
//! `ssimulacra2` crate (the Rust port of Cloudinary's metric; 100 is identical, 90 visually
//! lossless, 30 low quality) on the sRGB pictures with BT.709 primaries.
//!
//! Audio benches use their own metrics ([`Metric::Snr`], [`Metric::SegSnr`], [`Metric::Psnr`]),
//! measured by [`super::audio`] into [`Quality::Audio`]. Video benches ([`super::video`])
//! measure [`Quality::Video`], the means over frames: [`Metric::PsnrYuv`] is the 6:1:1 PSNR
//! and [`Metric::SsimY`] SSIM-Y. [`Metric::value`] is `None` for a metric of another kind.

pub use super::record::{AudioQuality, Quality};
use crate::container::MediaKind;
use crate::error::{Error, Result};
use crate::metrics::{compare_pictures, rgb_to_luma};
use crate::signal::{Picture, PixelLayout};

/// A quality metric of the bench. Every one rises with quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// PSNR of Y, Cb and Cr weighted 6:1:1, in dB (Y alone for gray pictures).
    PsnrYcbcr,
    /// SSIM of the luma plane (Gaussian window, σ = 1.5).
    SsimY,
    /// PSNR of the luma plane, in dB.
    PsnrY,
    /// PSNR over the three RGB channels, in dB (luma PSNR for gray pictures).
    PsnrRgb,
    /// SSIMULACRA2 score (−∞ to 100).
    Ssimulacra2,
    /// Audio: SNR over the whole signal, in dB.
    Snr,
    /// Audio: segmental SNR (mean over 20 ms frames), in dB.
    SegSnr,
    /// Audio: PSNR against full scale, in dB.
    Psnr,
    /// Video: per-frame PSNR of Y, U and V weighted 6:1:1, averaged over frames, in dB.
    PsnrYuv,
}

/// Every metric, in the order reports list them.
pub const ALL_METRICS: [Metric; 9] = [
    Metric::PsnrYcbcr,
    Metric::SsimY,
    Metric::PsnrY,
    Metric::PsnrRgb,
    Metric::Ssimulacra2,
    Metric::Snr,
    Metric::SegSnr,
    Metric::Psnr,
    Metric::PsnrYuv,
];

/// The metrics an audio bench uses when none are named.
pub const DEFAULT_AUDIO_METRICS: [Metric; 2] = [Metric::Snr, Metric::SegSnr];

/// The metrics a video bench uses when none are named.
pub const DEFAULT_VIDEO_METRICS: [Metric; 2] = [Metric::PsnrYuv, Metric::SsimY];

/// The metrics a bench uses when none are named.
pub const DEFAULT_METRICS: [Metric; 2] = [Metric::PsnrYcbcr, Metric::SsimY];

impl Metric {
    /// The name used on the command line and in CSV/JSON.
    pub fn name(self) -> &'static str {
        match self {
            Metric::PsnrYcbcr => "psnr-ycbcr",
            Metric::SsimY => "ssim-y",
            Metric::PsnrY => "psnr-y",
            Metric::PsnrRgb => "psnr-rgb",
            Metric::Ssimulacra2 => "ssimulacra2",
            Metric::Snr => "snr",
            Metric::SegSnr => "segsnr",
            Metric::Psnr => "psnr",
            Metric::PsnrYuv => "psnr-yuv",
        }
    }

    /// The kind of media this metric measures.
    pub fn media(self) -> MediaKind {
        match self {
            Metric::Snr | Metric::SegSnr | Metric::Psnr => MediaKind::Audio,
            Metric::PsnrYuv => MediaKind::Video,
            _ => MediaKind::Image,
        }
    }

    /// True when this metric can measure `media` (SSIM-Y measures pictures and video).
    pub fn measures(self, media: MediaKind) -> bool {
        self.media() == media || (self == Metric::SsimY && media == MediaKind::Video)
    }

    /// Parses a metric name (case-insensitive, `_` for `-` accepted).
    pub fn from_name(name: &str) -> Option<Metric> {
        let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
        ALL_METRICS.into_iter().find(|m| m.name() == wanted)
    }

    /// A human label with the unit, for table headers and plot axes.
    pub fn label(self) -> &'static str {
        match self {
            Metric::PsnrYcbcr => "PSNR-YCbCr (dB)",
            Metric::SsimY => "SSIM-Y",
            Metric::PsnrY => "PSNR-Y (dB)",
            Metric::PsnrRgb => "PSNR-RGB (dB)",
            Metric::Ssimulacra2 => "SSIMULACRA2",
            Metric::Snr => "SNR (dB)",
            Metric::SegSnr => "segmental SNR (dB)",
            Metric::Psnr => "PSNR (dB)",
            Metric::PsnrYuv => "PSNR-YUV 6:1:1 (dB)",
        }
    }

    /// Decimal places worth printing.
    pub fn decimals(self) -> usize {
        match self {
            Metric::SsimY => 4,
            _ => 2,
        }
    }

    /// This metric's value in a measurement; `None` when it was not computed or measures
    /// another kind of media. PSNRs of identical pictures are `f64::INFINITY`.
    pub fn value(self, quality: &Quality) -> Option<f64> {
        match (self, quality) {
            (Metric::PsnrYcbcr, Quality::Picture { comparison, .. }) => Some(comparison.psnr_ycbcr),
            (Metric::SsimY, Quality::Picture { comparison, .. }) => Some(comparison.ssim_y),
            (Metric::PsnrY, Quality::Picture { comparison, .. }) => Some(comparison.psnr_y),
            (Metric::PsnrRgb, Quality::Picture { comparison, .. }) => {
                Some(comparison.psnr_rgb.unwrap_or(comparison.psnr_y))
            }
            (Metric::Ssimulacra2, Quality::Picture { ssimulacra2, .. }) => *ssimulacra2,
            (Metric::Snr, Quality::Audio(a)) => Some(a.snr),
            (Metric::SegSnr, Quality::Audio(a)) => Some(a.segsnr),
            (Metric::Psnr, Quality::Audio(a)) => Some(a.psnr),
            (Metric::PsnrYuv, Quality::Video(v)) => Some(v.psnr_yuv),
            (Metric::SsimY, Quality::Video(v)) => Some(v.ssim_y),
            (Metric::PsnrY, Quality::Video(v)) => Some(v.psnr_y),
            _ => None,
        }
    }
}

/// Measures `decoded` against `source`; SSIMULACRA2 only when `with_ssimulacra2`.
///
/// A gray source has no chroma to lose, so a colour decoding of it (as some anchors give) is
/// measured on its luma: every PSNR is then the luma PSNR, as for two gray pictures. (Compared
/// in colour, chroma planes that stay exactly neutral would make the 6:1:1 PSNR infinite.)
pub fn measure(source: &Picture, decoded: &Picture, with_ssimulacra2: bool) -> Result<Quality> {
    let comparison = if source.layout == PixelLayout::Gray && decoded.layout == PixelLayout::Rgb {
        let luma = rgb_to_luma(&decoded.data, decoded.width, decoded.height)?;
        let gray = Picture::new(decoded.width, decoded.height, PixelLayout::Gray, luma)?;
        compare_pictures(source, &gray)?
    } else {
        compare_pictures(source, decoded)?
    };
    let ssimulacra2 = if with_ssimulacra2 {
        Some(ssimulacra2_score(source, decoded)?)
    } else {
        None
    };
    Ok(Quality::Picture {
        comparison,
        ssimulacra2,
    })
}

/// SSIMULACRA2 of `decoded` against `source`: both read as sRGB, BT.709 primaries. Gray
/// pictures are expanded to R = G = B. Pictures must be at least 8×8.
pub fn ssimulacra2_score(source: &Picture, decoded: &Picture) -> Result<f64> {
    if (source.width, source.height) != (decoded.width, decoded.height) {
        return Err(Error::InvalidArgument(format!(
            "SSIMULACRA2 of a {}x{} picture against a {}x{} one",
            source.width, source.height, decoded.width, decoded.height
        )));
    }
    let a = to_srgb(source)?;
    let b = to_srgb(decoded)?;
    ssimulacra2::compute_frame_ssimulacra2(a, b)
        .map_err(|e| Error::InvalidArgument(format!("SSIMULACRA2: {e}")))
}

fn to_srgb(picture: &Picture) -> Result<ssimulacra2::Rgb> {
    let scale = |v: u8| f32::from(v) / 255.0;
    let data: Vec<[f32; 3]> = match picture.layout {
        PixelLayout::Rgb => picture
            .data
            .chunks_exact(3)
            .map(|p| [scale(p[0]), scale(p[1]), scale(p[2])])
            .collect(),
        PixelLayout::Gray => picture
            .data
            .iter()
            .map(|&v| [scale(v), scale(v), scale(v)])
            .collect(),
    };
    ssimulacra2::Rgb::new(
        data,
        picture.width,
        picture.height,
        ssimulacra2::TransferCharacteristic::SRGB,
        ssimulacra2::ColorPrimaries::BT709,
    )
    .map_err(|e| Error::InvalidArgument(format!("SSIMULACRA2 input: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noisy(width: usize, height: usize, amplitude: i32) -> (Picture, Picture) {
        let n = width * height * 3;
        let source: Vec<u8> = (0..n).map(|i| ((i * 7 + i / 97) % 251) as u8).collect();
        let mut state = 12345u32;
        let decoded = source
            .iter()
            .map(|&v| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let d = (state >> 16) as i32 % (2 * amplitude + 1) - amplitude;
                (v as i32 + d).clamp(0, 255) as u8
            })
            .collect();
        (
            Picture::new(width, height, PixelLayout::Rgb, source).unwrap(),
            Picture::new(width, height, PixelLayout::Rgb, decoded).unwrap(),
        )
    }

    #[test]
    fn names_parse_back() {
        for m in ALL_METRICS {
            assert_eq!(Metric::from_name(m.name()), Some(m));
        }
        assert_eq!(Metric::from_name("PSNR_YCbCr"), Some(Metric::PsnrYcbcr));
        assert_eq!(Metric::from_name("vmaf"), None);
    }

    #[test]
    fn ssimulacra2_falls_with_distortion() {
        let (source, light) = noisy(64, 48, 2);
        let (_, heavy) = noisy(64, 48, 40);
        let same = ssimulacra2_score(&source, &source).unwrap();
        let a = ssimulacra2_score(&source, &light).unwrap();
        let b = ssimulacra2_score(&source, &heavy).unwrap();
        assert!(same > 99.9, "{same}");
        assert!(same > a && a > b, "{same} {a} {b}");
        let q = measure(&source, &light, true).unwrap();
        assert_eq!(Metric::Ssimulacra2.value(&q), Some(a));
        let q = measure(&source, &light, false).unwrap();
        assert_eq!(Metric::Ssimulacra2.value(&q), None);
        assert!(Metric::PsnrYcbcr.value(&q).is_some_and(|v| v > 30.0));
    }

    #[test]
    fn gray_source_with_colour_decoding_is_measured_on_luma() {
        let gray: Vec<u8> = (0..16 * 12).map(|i| (i * 37 % 256) as u8).collect();
        let source = Picture::new(16, 12, PixelLayout::Gray, gray).unwrap();
        let mut rgb: Vec<u8> = source.data.iter().flat_map(|&v| [v, v, v]).collect();
        let shifted = rgb[0].wrapping_add(4);
        rgb[..3].copy_from_slice(&[shifted; 3]);
        let decoded = Picture::new(16, 12, PixelLayout::Rgb, rgb).unwrap();
        let q = measure(&source, &decoded, false).unwrap();
        let Quality::Picture { comparison: c, .. } = q else {
            panic!("a picture quality: {q:?}");
        };
        assert!(c.psnr_ycbcr.is_finite());
        assert_eq!(c.psnr_ycbcr, c.psnr_y);
        assert_eq!(c.psnr_cb, None);
        assert_eq!(Metric::PsnrRgb.value(&q), Some(c.psnr_y));
        let colour = compare_pictures(&source, &decoded).unwrap();
        assert_eq!(colour.psnr_y, c.psnr_y);
        assert_eq!(colour.ssim_y, c.ssim_y);
    }

    #[test]
    fn ssimulacra2_refuses_tiny_or_mismatched_pictures() {
        let (a, _) = noisy(4, 4, 1);
        assert!(ssimulacra2_score(&a, &a).is_err());
        let (b, _) = noisy(16, 16, 1);
        assert!(ssimulacra2_score(&a, &b).is_err());
    }
}
