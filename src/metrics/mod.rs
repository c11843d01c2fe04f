//! Quality and rate metrics: what a codec costs and how close its output is to its input.
//!
//! Input: plain 8-bit sample planes ([`PlaneRef`]), interleaved RGB8 pictures (`&[u8]` of
//! `width * height * 3` bytes, row-major, no padding) and audio sample slices. Output: plain
//! `f64` figures: PSNR and MSE ([`mod@psnr`]), SSIM ([`mod@ssim`]), SNR, segmental SNR and
//! audio PSNR ([`audio`]), Bjøntegaard delta rate and quality ([`mod@bd_rate`]), and the rate
//! units [`bits_per_pixel`] and [`kbps`]. Each submodule names the reference it follows; the
//! figures are checked against scikit-image, numpy and the `bjontegaard` Python package
//! through the fixtures in `tests/fixtures/metrics/`, made by `tools/metrics_reference.py`.
//!
//! A PSNR of identical inputs is `f64::INFINITY`; reports should print it as "inf".

pub mod audio;
pub mod bd_rate;
pub mod compare;
pub mod psnr;
pub mod ssim;
pub mod video;

pub use audio::{audio_psnr, segmental_snr, snr, AudioSample};
pub use bd_rate::{bd_quality, bd_rate, BdMethod};
pub use compare::{compare_pictures, PictureComparison};
pub use psnr::{
    gray_psnr, image_psnr, mse, plane_psnr, psnr_from_mse, rgb_to_luma, rgb_to_ycbcr, ImagePsnr,
    YcbcrPlanes,
};
pub use ssim::{ssim, ssim_gray, ssim_rgb_y};

use crate::error::{Error, Result};

/// A borrowed plane of 8-bit samples.
///
/// Row `r` occupies `data[r * stride .. r * stride + width]`; `stride >= width`, and `data`
/// must hold at least `(height - 1) * stride + width` bytes (the last row need not be padded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaneRef<'a> {
    /// Samples per row that belong to the picture.
    pub width: usize,
    /// Number of rows.
    pub height: usize,
    /// Distance in bytes from the start of one row to the start of the next.
    pub stride: usize,
    /// The samples.
    pub data: &'a [u8],
}

impl<'a> PlaneRef<'a> {
    /// A tightly packed plane (`stride == width`), checked like [`PlaneRef::validate`].
    pub fn packed(data: &'a [u8], width: usize, height: usize) -> Result<PlaneRef<'a>> {
        let plane = PlaneRef {
            width,
            height,
            stride: width,
            data,
        };
        plane.validate()?;
        Ok(plane)
    }

    /// Checks that the plane is non-empty, `stride >= width` and `data` is long enough.
    pub fn validate(&self) -> Result<()> {
        if self.width == 0 || self.height == 0 {
            return Err(Error::InvalidArgument(format!(
                "plane size {}x{}: width and height must be at least 1",
                self.width, self.height
            )));
        }
        if self.stride < self.width {
            return Err(Error::InvalidArgument(format!(
                "plane stride {} is smaller than its width {}",
                self.stride, self.width
            )));
        }
        let needed = (self.height - 1)
            .checked_mul(self.stride)
            .and_then(|n| n.checked_add(self.width));
        match needed {
            Some(n) if n <= self.data.len() => Ok(()),
            _ => Err(Error::InvalidArgument(format!(
                "plane {}x{} with stride {} needs {} bytes, got {}",
                self.width,
                self.height,
                self.stride,
                needed.map_or_else(|| "more than usize::MAX".to_string(), |n| n.to_string()),
                self.data.len()
            ))),
        }
    }

    /// Row `r` (`r < height`, on a validated plane).
    fn row(&self, r: usize) -> &'a [u8] {
        let start = r * self.stride;
        &self.data[start..start + self.width]
    }
}

/// Checks that two planes are valid and of the same size.
fn check_same_size(a: &PlaneRef<'_>, b: &PlaneRef<'_>) -> Result<()> {
    a.validate()?;
    b.validate()?;
    if a.width != b.width || a.height != b.height {
        return Err(Error::InvalidArgument(format!(
            "planes differ in size: {}x{} and {}x{}",
            a.width, a.height, b.width, b.height
        )));
    }
    Ok(())
}

/// Checks an interleaved picture of `channels` bytes per pixel: non-empty and exactly
/// `width * height * channels` bytes.
fn check_interleaved(data: &[u8], width: usize, height: usize, channels: usize) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::InvalidArgument(format!(
            "picture size {width}x{height}: width and height must be at least 1"
        )));
    }
    let needed = width
        .checked_mul(height)
        .and_then(|n| n.checked_mul(channels));
    if needed != Some(data.len()) {
        return Err(Error::InvalidArgument(format!(
            "a {width}x{height} picture with {channels} byte(s) per pixel needs {} bytes, got {}",
            needed.map_or_else(|| "more than usize::MAX".to_string(), |n| n.to_string()),
            data.len()
        )));
    }
    Ok(())
}

/// Bits per pixel of a picture coded in `bytes` bytes: `8 * bytes / (width * height)`.
///
/// A zero width or height is an [`Error::InvalidArgument`].
pub fn bits_per_pixel(bytes: u64, width: u32, height: u32) -> Result<f64> {
    if width == 0 || height == 0 {
        return Err(Error::InvalidArgument(format!(
            "bits per pixel of a {width}x{height} picture: width and height must be at least 1"
        )));
    }
    Ok(bytes as f64 * 8.0 / (f64::from(width) * f64::from(height)))
}

/// Kilobits per second (1 kbit = 1000 bits) of `bytes` bytes lasting `seconds` seconds.
///
/// A duration that is not finite and positive is an [`Error::InvalidArgument`].
pub fn kbps(bytes: u64, seconds: f64) -> Result<f64> {
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(Error::InvalidArgument(format!(
            "kbps over {seconds} seconds: the duration must be finite and positive"
        )));
    }
    Ok(bytes as f64 * 8.0 / 1000.0 / seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_units() {
        assert_eq!(bits_per_pixel(1200, 40, 30).unwrap(), 8.0);
        assert!(bits_per_pixel(1, 0, 3).is_err());
        assert_eq!(kbps(125_000, 2.0).unwrap(), 500.0);
        assert!(kbps(1, 0.0).is_err());
        assert!(kbps(1, f64::NAN).is_err());
    }

    #[test]
    fn plane_validation() {
        let data = [0u8; 10];
        assert!(PlaneRef::packed(&data, 5, 2).is_ok());
        assert!(PlaneRef::packed(&data, 5, 3).is_err());
        assert!(PlaneRef::packed(&data, 0, 3).is_err());
        let strided = PlaneRef {
            width: 3,
            height: 2,
            stride: 7,
            data: &data,
        };
        assert!(strided.validate().is_ok());
        assert_eq!(strided.row(1), &data[7..10]);
        let bad = PlaneRef {
            width: 3,
            height: 2,
            stride: 2,
            data: &data,
        };
        assert!(bad.validate().is_err());
        let huge = PlaneRef {
            width: 3,
            height: usize::MAX,
            stride: usize::MAX,
            data: &data,
        };
        assert!(huge.validate().is_err());
    }
}
