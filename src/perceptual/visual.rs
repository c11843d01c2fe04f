//! Visual weighting for pictures: the base quantization matrices and local activity.
//!
//! The base matrices blend a flat matrix with the JPEG Annex K matrices: the eye is less
//! sensitive to high frequencies, but a fully weighted matrix spends too few bits on
//! detail for PSNR and SSIM. The exponent `weighting` moves between the two (0 = flat,
//! 1 = JPEG's weighting). Activity masking measures the luma variance of each 16×16 area:
//! busy areas hide noise, so they may take a coarser step, flat areas a finer one.

use crate::quant::tables::{JPEG_CHROMA, JPEG_LUMA};
use crate::signal::Plane;

/// Base steps in coefficient units for quality 50, row-major.
pub fn base_matrix(chroma: bool, weighting: f64, chroma_scale: f64) -> [f64; 64] {
    let reference = if chroma { &JPEG_CHROMA } else { &JPEG_LUMA };
    let mut out = [0.0; 64];
    for (o, &q) in out.iter_mut().zip(reference.iter()) {
        let weighted = 16.0 * (q as f64 / 16.0).powf(weighting);
        *o = if chroma {
            weighted * chroma_scale
        } else {
            weighted
        };
    }
    out
}

/// Multiplier of the base matrix for a quality in 0..=100 (the JPEG convention:
/// 1 at 50, 1/2 at 75, 0 at 100 before the floor of the smallest step).
pub fn quality_scale(quality: u8) -> f64 {
    let q = quality.clamp(1, 100) as f64;
    if q < 50.0 {
        50.0 / q
    } else {
        (100.0 - q) / 50.0
    }
}

/// The variance of luma over a 16×16 area whose top-left corner is (x0, y0), reading
/// outside samples by edge replication.
pub fn area_variance(luma: &Plane, x0: usize, y0: usize) -> f64 {
    let mut sum = 0u64;
    let mut sum_sq = 0u64;
    for y in y0..y0 + 16 {
        for x in x0..x0 + 16 {
            let v = luma.at_clamped(x as isize, y as isize) as u64;
            sum += v;
            sum_sq += v * v;
        }
    }
    let n = 256.0;
    let mean = sum as f64 / n;
    (sum_sq as f64 / n - mean * mean).max(0.0)
}

/// Chooses an activity level for an area: `levels` levels centred on `levels / 2`
/// (neutral); `strength` scales log-activity relative to `reference_variance`.
pub fn activity_level(variance: f64, reference_variance: f64, strength: f64, levels: usize) -> u8 {
    let centre = (levels / 2) as f64;
    if strength <= 0.0 || levels < 2 {
        return centre as u8;
    }
    let ratio = (variance + 16.0) / (reference_variance + 16.0);
    let level = centre + strength * ratio.log2();
    level.round().clamp(0.0, (levels - 1) as f64) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrices_blend_from_flat_to_jpeg() {
        let flat = base_matrix(false, 0.0, 1.0);
        assert!(flat.iter().all(|&v| (v - 16.0).abs() < 1e-9));
        let jpeg = base_matrix(false, 1.0, 1.0);
        assert!((jpeg[63] - 99.0).abs() < 1e-9);
        assert!((quality_scale(75) - 0.5).abs() < 1e-12);
        assert!((quality_scale(50) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn busy_areas_get_coarser_levels() {
        assert_eq!(activity_level(100.0, 100.0, 1.0, 5), 2);
        assert!(activity_level(3000.0, 100.0, 1.0, 5) > 2);
        assert!(activity_level(0.0, 100.0, 1.0, 5) < 2);
        assert_eq!(activity_level(3000.0, 100.0, 0.0, 5), 2);
    }
}
