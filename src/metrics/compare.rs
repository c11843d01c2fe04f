//! Comparison of two whole pictures: every picture metric at once, as `quanta compare`
//! and the benchmarks report them.

use super::{gray_psnr, image_psnr, ssim_gray, ssim_rgb_y};
use crate::error::{Error, Result};
use crate::signal::{Picture, PixelLayout};

/// PSNR per plane and combined, and SSIM on luma. For gray pictures the chroma and RGB
/// fields are `None`. PSNRs of identical pictures are infinite.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "bench", derive(serde::Serialize))]
pub struct PictureComparison {
    pub width: usize,
    pub height: usize,
    pub psnr_y: f64,
    pub psnr_cb: Option<f64>,
    pub psnr_cr: Option<f64>,
    /// (6 Y + Cb + Cr) / 8 of the plane PSNRs; Y alone for gray pictures.
    pub psnr_ycbcr: f64,
    pub psnr_rgb: Option<f64>,
    pub ssim_y: f64,
}

/// Compares a distorted picture with its reference. Sizes must match; a gray picture
/// compared with a colour one is compared in colour (gray expands to R = G = B).
pub fn compare_pictures(reference: &Picture, distorted: &Picture) -> Result<PictureComparison> {
    if (reference.width, reference.height) != (distorted.width, distorted.height) {
        return Err(Error::InvalidArgument(format!(
            "cannot compare a {}x{} picture with a {}x{} one",
            reference.width, reference.height, distorted.width, distorted.height
        )));
    }
    let (w, h) = (reference.width, reference.height);
    if reference.layout == PixelLayout::Gray && distorted.layout == PixelLayout::Gray {
        let psnr = gray_psnr(&reference.data, &distorted.data, w, h)?;
        return Ok(PictureComparison {
            width: w,
            height: h,
            psnr_y: psnr,
            psnr_cb: None,
            psnr_cr: None,
            psnr_ycbcr: psnr,
            psnr_rgb: None,
            ssim_y: ssim_gray(&reference.data, &distorted.data, w, h)?,
        });
    }
    let a = to_rgb(reference);
    let b = to_rgb(distorted);
    let p = image_psnr(&a, &b, w, h)?;
    Ok(PictureComparison {
        width: w,
        height: h,
        psnr_y: p.y,
        psnr_cb: Some(p.cb),
        psnr_cr: Some(p.cr),
        psnr_ycbcr: p.ycbcr,
        psnr_rgb: Some(p.rgb),
        ssim_y: ssim_rgb_y(&a, &b, w, h)?,
    })
}

fn to_rgb(picture: &Picture) -> std::borrow::Cow<'_, [u8]> {
    match picture.layout {
        PixelLayout::Rgb => std::borrow::Cow::Borrowed(&picture.data),
        PixelLayout::Gray => picture.data.iter().flat_map(|&v| [v, v, v]).collect(),
    }
}
