//! MSE and PSNR of 8-bit pictures, per plane and for interleaved RGB8 pictures.
//!
//! Input: two [`PlaneRef`]s of the same size, or two interleaved RGB8 (or grayscale) pictures
//! as `&[u8]` with their width and height. Output: the mean squared error and the PSNR in
//! dB with peak 255, `10 * log10(255² / MSE)`, as scikit-image's `peak_signal_noise_ratio`
//! with `data_range=255` computes it. Identical inputs give `f64::INFINITY`: reports should
//! print it as "inf". For RGB pictures [`image_psnr`] converts both pictures to full-resolution
//! YCbCr with the BT.601 full-range (JPEG/JFIF) equations, evaluated in `f64`:
//!
//! ```text
//! Y  =       0.299    R + 0.587    G + 0.114    B
//! Cb = 128 - 0.168736 R - 0.331264 G + 0.5      B
//! Cr = 128 + 0.5      R - 0.418688 G - 0.081312 B
//! ```
//!
//! each rounded half up (`floor(v + 0.5)`, as libjpeg's fixed-point rounding does) and clamped
//! to 0..=255, and reports the PSNR of each plane, their 6:1:1 weighted mean, and the PSNR over
//! all R, G and B samples pooled.

use super::{check_interleaved, check_same_size, PlaneRef};
use crate::error::{Error, Result};

/// PSNR figures of a test RGB picture against its reference, in dB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImagePsnr {
    /// PSNR of the Y (luma) planes.
    pub y: f64,
    /// PSNR of the Cb planes.
    pub cb: f64,
    /// PSNR of the Cr planes.
    pub cr: f64,
    /// `(6 * y + cb + cr) / 8`: the weighted mean of the three plane PSNRs.
    pub ycbcr: f64,
    /// PSNR over all R, G and B samples pooled into one MSE.
    pub rgb: f64,
}

/// Three full-resolution 8-bit planes of a picture converted from RGB8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YcbcrPlanes {
    /// Width of every plane.
    pub width: usize,
    /// Height of every plane.
    pub height: usize,
    /// Luma, `width * height` samples, row-major.
    pub y: Vec<u8>,
    /// Blue-difference chroma, same layout.
    pub cb: Vec<u8>,
    /// Red-difference chroma, same layout.
    pub cr: Vec<u8>,
}

impl YcbcrPlanes {
    /// The Y plane as a [`PlaneRef`].
    pub fn y_plane(&self) -> PlaneRef<'_> {
        self.plane(&self.y)
    }

    /// The Cb plane as a [`PlaneRef`].
    pub fn cb_plane(&self) -> PlaneRef<'_> {
        self.plane(&self.cb)
    }

    /// The Cr plane as a [`PlaneRef`].
    pub fn cr_plane(&self) -> PlaneRef<'_> {
        self.plane(&self.cr)
    }

    fn plane<'a>(&self, data: &'a [u8]) -> PlaneRef<'a> {
        PlaneRef {
            width: self.width,
            height: self.height,
            stride: self.width,
            data,
        }
    }
}

/// Rounds half up and clamps to 0..=255.
fn to_u8(v: f64) -> u8 {
    (v + 0.5).floor().clamp(0.0, 255.0) as u8
}

/// BT.601 full-range luma of one pixel, rounded to 8 bits.
pub(crate) fn luma(r: u8, g: u8, b: u8) -> u8 {
    let (r, g, b) = (f64::from(r), f64::from(g), f64::from(b));
    to_u8(0.299 * r + 0.587 * g + 0.114 * b)
}

/// Converts an interleaved RGB8 picture to full-resolution BT.601 full-range YCbCr planes.
///
/// `rgb` must be exactly `width * height * 3` bytes, else [`Error::InvalidArgument`].
pub fn rgb_to_ycbcr(rgb: &[u8], width: usize, height: usize) -> Result<YcbcrPlanes> {
    check_interleaved(rgb, width, height, 3)?;
    let n = width * height;
    let mut y = Vec::with_capacity(n);
    let mut cb = Vec::with_capacity(n);
    let mut cr = Vec::with_capacity(n);
    for px in rgb.chunks_exact(3) {
        let (r, g, b) = (f64::from(px[0]), f64::from(px[1]), f64::from(px[2]));
        y.push(to_u8(0.299 * r + 0.587 * g + 0.114 * b));
        cb.push(to_u8(128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b));
        cr.push(to_u8(128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b));
    }
    Ok(YcbcrPlanes {
        width,
        height,
        y,
        cb,
        cr,
    })
}

/// The BT.601 full-range luma plane (the Y of [`rgb_to_ycbcr`]) of an interleaved RGB8 picture.
pub fn rgb_to_luma(rgb: &[u8], width: usize, height: usize) -> Result<Vec<u8>> {
    check_interleaved(rgb, width, height, 3)?;
    Ok(rgb
        .chunks_exact(3)
        .map(|px| luma(px[0], px[1], px[2]))
        .collect())
}

/// PSNR in dB of a mean squared error against `peak`: `10 * log10(peak² / mse)`.
///
/// `mse == 0` gives `f64::INFINITY` (print it as "inf").
pub fn psnr_from_mse(mse: f64, peak: f64) -> f64 {
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (peak * peak / mse).log10()
    }
}

/// Sum of squared differences of two equally long byte slices, exact in integers.
fn sse_bytes(a: &[u8], b: &[u8]) -> u64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = i32::from(x) - i32::from(y);
            (d * d) as u64
        })
        .sum()
}

/// Mean squared error of two planes of the same size.
pub fn mse(a: PlaneRef<'_>, b: PlaneRef<'_>) -> Result<f64> {
    check_same_size(&a, &b)?;
    let sse: u64 = (0..a.height).map(|r| sse_bytes(a.row(r), b.row(r))).sum();
    Ok(sse as f64 / (a.width as f64 * a.height as f64))
}

/// PSNR in dB (peak 255) of two planes of the same size; identical planes give infinity.
pub fn plane_psnr(a: PlaneRef<'_>, b: PlaneRef<'_>) -> Result<f64> {
    Ok(psnr_from_mse(mse(a, b)?, 255.0))
}

/// Checks that two interleaved pictures of the given size have the same, right length.
fn check_pair(a: &[u8], b: &[u8], width: usize, height: usize, channels: usize) -> Result<()> {
    if a.len() != b.len() {
        return Err(Error::InvalidArgument(format!(
            "pictures differ in size: the reference has {} bytes and the test {} bytes \
             (a {width}x{height} picture with {channels} byte(s) per pixel has {})",
            a.len(),
            b.len(),
            width
                .checked_mul(height)
                .and_then(|n| n.checked_mul(channels))
                .map_or_else(|| "more than usize::MAX".to_string(), |n| n.to_string())
        )));
    }
    check_interleaved(a, width, height, channels)
}

/// PSNR in dB (peak 255) of two 8-bit grayscale pictures of `width * height` bytes each.
pub fn gray_psnr(a: &[u8], b: &[u8], width: usize, height: usize) -> Result<f64> {
    check_pair(a, b, width, height, 1)?;
    Ok(psnr_from_mse(
        sse_bytes(a, b) as f64 / a.len() as f64,
        255.0,
    ))
}

/// PSNR figures of two interleaved RGB8 pictures of `width * height * 3` bytes each: the
/// reference `a` and the test `b`. See the module documentation for the colour conversion.
pub fn image_psnr(a: &[u8], b: &[u8], width: usize, height: usize) -> Result<ImagePsnr> {
    check_pair(a, b, width, height, 3)?;
    let rgb = psnr_from_mse(sse_bytes(a, b) as f64 / a.len() as f64, 255.0);
    let pa = rgb_to_ycbcr(a, width, height)?;
    let pb = rgb_to_ycbcr(b, width, height)?;
    let y = plane_psnr(pa.y_plane(), pb.y_plane())?;
    let cb = plane_psnr(pa.cb_plane(), pb.cb_plane())?;
    let cr = plane_psnr(pa.cr_plane(), pb.cr_plane())?;
    Ok(ImagePsnr {
        y,
        cb,
        cr,
        ycbcr: (6.0 * y + cb + cr) / 8.0,
        rgb,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub(crate) struct PictureRef {
        pub name: String,
        pub width: usize,
        pub height: usize,
        pub psnr_y: f64,
        pub psnr_cb: f64,
        pub psnr_cr: f64,
        pub psnr_ycbcr: f64,
        pub psnr_rgb: f64,
        pub ssim_y: f64,
    }

    #[derive(Deserialize)]
    struct Pictures {
        pictures: Vec<PictureRef>,
    }

    /// The reference pictures and the scikit-image / numpy figures of tests/fixtures/metrics.
    pub(crate) fn fixtures() -> Vec<(PictureRef, &'static [u8], &'static [u8])> {
        macro_rules! fixture {
            ($name:literal) => {
                include_bytes!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/fixtures/metrics/",
                    $name
                ))
            };
        }
        let json = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/metrics/metrics_reference.json"
        ));
        let files: [(&str, &[u8], &[u8]); 3] = [
            (
                "gradient_noise",
                fixture!("gradient_noise_ref.rgb"),
                fixture!("gradient_noise_dist.rgb"),
            ),
            (
                "pattern_blur",
                fixture!("pattern_blur_ref.rgb"),
                fixture!("pattern_blur_dist.rgb"),
            ),
            (
                "texture_quantized",
                fixture!("texture_quantized_ref.rgb"),
                fixture!("texture_quantized_dist.rgb"),
            ),
        ];
        let parsed: Pictures = serde_json::from_str(json).expect("fixture JSON parses");
        assert_eq!(parsed.pictures.len(), files.len());
        parsed
            .pictures
            .into_iter()
            .map(|p| {
                let (_, a, b) = files
                    .iter()
                    .find(|(n, _, _)| *n == p.name)
                    .expect("every fixture picture has its files");
                (p, *a, *b)
            })
            .collect()
    }

    #[test]
    fn agrees_with_scikit_image() {
        for (p, a, b) in fixtures() {
            let got = image_psnr(a, b, p.width, p.height).unwrap();
            let pairs = [
                (got.y, p.psnr_y),
                (got.cb, p.psnr_cb),
                (got.cr, p.psnr_cr),
                (got.ycbcr, p.psnr_ycbcr),
                (got.rgb, p.psnr_rgb),
            ];
            for (ours, theirs) in pairs {
                assert!(
                    (ours - theirs).abs() < 0.01,
                    "{}: {ours} vs {theirs}",
                    p.name
                );
            }
        }
    }

    #[test]
    fn known_mse() {
        // Every sample off by 5: MSE 25, PSNR 10 log10(65025 / 25).
        let a = vec![100u8; 12];
        let b = vec![105u8; 12];
        let pa = PlaneRef::packed(&a, 4, 3).unwrap();
        let pb = PlaneRef::packed(&b, 4, 3).unwrap();
        assert_eq!(mse(pa, pb).unwrap(), 25.0);
        let want = 10.0 * (65025.0f64 / 25.0).log10();
        assert!((plane_psnr(pa, pb).unwrap() - want).abs() < 1e-12);
        assert!((gray_psnr(&a, &b, 4, 3).unwrap() - want).abs() < 1e-12);
        assert_eq!(plane_psnr(pa, pa).unwrap(), f64::INFINITY);
        // Strided planes ignore the padding.
        let padded = [1u8, 2, 99, 3, 4, 99];
        let tight = [1u8, 2, 3, 4];
        let p1 = PlaneRef {
            width: 2,
            height: 2,
            stride: 3,
            data: &padded,
        };
        assert_eq!(
            mse(p1, PlaneRef::packed(&tight, 2, 2).unwrap()).unwrap(),
            0.0
        );
    }

    #[test]
    fn identical_rgb_is_infinite() {
        let a: Vec<u8> = (0..4 * 4 * 3).map(|i| (i * 7) as u8).collect();
        let r = image_psnr(&a, &a, 4, 4).unwrap();
        assert!(r.y.is_infinite() && r.ycbcr.is_infinite() && r.rgb.is_infinite());
    }

    #[test]
    fn conversion_matches_jfif() {
        let p = rgb_to_ycbcr(&[255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255], 4, 1).unwrap();
        assert_eq!(p.y, [255, 0, 76, 29]);
        assert_eq!(p.cb, [128, 128, 85, 255]);
        assert_eq!(p.cr, [128, 128, 255, 107]);
        // Cb = 128.5 exactly rounds half up.
        let p = rgb_to_ycbcr(&[0, 0, 1], 1, 1).unwrap();
        assert_eq!(p.cb, [129]);
        assert_eq!(rgb_to_luma(&[255, 0, 0], 1, 1).unwrap(), [76]);
    }

    #[test]
    fn size_errors() {
        let a = [0u8; 12];
        let b = [0u8; 9];
        let e = image_psnr(&a, &b, 2, 2).unwrap_err().to_string();
        assert!(e.contains("12") && e.contains('9'), "{e}");
        assert!(image_psnr(&a, &a, 2, 3).is_err());
        assert!(image_psnr(&[], &[], 0, 0).is_err());
        assert!(gray_psnr(&a, &a, 5, 5).is_err());
        let pa = PlaneRef::packed(&a, 4, 3).unwrap();
        let pb = PlaneRef::packed(&a, 3, 4).unwrap();
        let e = mse(pa, pb).unwrap_err().to_string();
        assert!(e.contains("4x3") && e.contains("3x4"), "{e}");
    }
}
