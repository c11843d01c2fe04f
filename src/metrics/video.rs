//! Video quality: two Y4M streams compared frame by frame.
//!
//! In: two [`Y4mReader`]s of the same size and chroma layout. Out: PSNR of Y, Cb and Cr
//! and the 6:1:1 weighted YCbCr PSNR, and SSIM of Y, each the mean of the per-frame values
//! (infinite PSNRs of identical frames are counted as 100 dB in the means), plus the
//! frame count. Mono streams report luma only.

use std::io::Read;

use super::psnr::{mse, psnr_from_mse};
use super::ssim::ssim;
use super::PlaneRef;
use crate::error::{Error, Result};
use crate::media::y4m::{Y4mReader, YuvFrame};

/// PSNR used in means for identical planes.
const PSNR_CAP: f64 = 100.0;

/// Mean per-frame quality of a distorted video against its reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoComparison {
    pub frames: u64,
    pub psnr_y: f64,
    pub psnr_cb: Option<f64>,
    pub psnr_cr: Option<f64>,
    /// (6 Y + Cb + Cr) / 8 per frame, then averaged (Y alone for mono).
    pub psnr_yuv: f64,
    pub ssim_y: f64,
}

fn plane_psnr(a: &crate::signal::Plane, b: &crate::signal::Plane) -> Result<f64> {
    let m = mse(
        PlaneRef::packed(&a.data, a.width, a.height)?,
        PlaneRef::packed(&b.data, b.width, b.height)?,
    )?;
    Ok(psnr_from_mse(m, 255.0).min(PSNR_CAP))
}

/// Per-plane PSNRs and SSIM-Y of one frame pair.
pub fn frame_quality(a: &YuvFrame, b: &YuvFrame) -> Result<(Vec<f64>, f64)> {
    if a.planes.len() != b.planes.len() {
        return Err(Error::InvalidArgument(format!(
            "frames with {} and {} planes cannot be compared",
            a.planes.len(),
            b.planes.len()
        )));
    }
    let psnrs = a
        .planes
        .iter()
        .zip(&b.planes)
        .map(|(x, y)| plane_psnr(x, y))
        .collect::<Result<Vec<_>>>()?;
    let (ya, yb) = (&a.planes[0], &b.planes[0]);
    // SSIM needs an 11×11 window; smaller pictures report NaN.
    let s = if ya.width >= 11 && ya.height >= 11 {
        ssim(
            PlaneRef::packed(&ya.data, ya.width, ya.height)?,
            PlaneRef::packed(&yb.data, yb.width, yb.height)?,
        )?
    } else {
        f64::NAN
    };
    Ok((psnrs, s))
}

/// Compares two Y4M streams frame by frame; they must agree in size, chroma and length.
pub fn compare_videos<A: Read, B: Read>(
    reference: &mut Y4mReader<A>,
    distorted: &mut Y4mReader<B>,
) -> Result<VideoComparison> {
    let (ha, hb) = (reference.header(), distorted.header());
    if (ha.width, ha.height) != (hb.width, hb.height)
        || ha.chroma.plane_count() != hb.chroma.plane_count()
        || ha.chroma.shifts() != hb.chroma.shifts()
    {
        return Err(Error::InvalidArgument(format!(
            "videos differ in layout: {}x{} {} and {}x{} {}",
            ha.width,
            ha.height,
            ha.chroma.tag(),
            hb.width,
            hb.height,
            hb.chroma.tag()
        )));
    }
    let mut sums = VideoQualitySums::default();
    loop {
        let (fa, fb) = (reference.next_frame()?, distorted.next_frame()?);
        let (a, b) = match (fa, fb) {
            (Some(a), Some(b)) => (a, b),
            (None, None) => break,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "the videos differ in length: one ends after {} frames",
                    sums.frames
                )))
            }
        };
        sums.add(&a, &b)?;
    }
    sums.finish()
}

/// The running sums of [`compare_videos`], for callers that hold the frames themselves
/// (the target-quality search): add frame pairs in order, then [`VideoQualitySums::finish`].
#[derive(Debug, Clone, Copy, Default)]
pub struct VideoQualitySums {
    sums: [f64; 5],
    frames: u64,
    colour: bool,
}

impl VideoQualitySums {
    /// Adds one frame pair (reference, distorted).
    pub fn add(&mut self, a: &YuvFrame, b: &YuvFrame) -> Result<()> {
        let (p, s) = frame_quality(a, b)
            .map_err(|e| Error::InvalidArgument(format!("frame {}: {e}", self.frames)))?;
        self.sums[0] += p[0];
        if p.len() == 3 {
            self.colour = true;
            self.sums[1] += p[1];
            self.sums[2] += p[2];
            self.sums[3] += (6.0 * p[0] + p[1] + p[2]) / 8.0;
        } else {
            self.sums[3] += p[0];
        }
        self.sums[4] += s;
        self.frames += 1;
        Ok(())
    }

    /// The means over the frames added; no frame at all is an error.
    pub fn finish(&self) -> Result<VideoComparison> {
        if self.frames == 0 {
            return Err(Error::InvalidArgument("the videos have no frames".into()));
        }
        let n = self.frames as f64;
        let sums = &self.sums;
        Ok(VideoComparison {
            frames: self.frames,
            psnr_y: sums[0] / n,
            psnr_cb: self.colour.then(|| sums[1] / n),
            psnr_cr: self.colour.then(|| sums[2] / n),
            psnr_yuv: sums[3] / n,
            ssim_y: sums[4] / n,
        })
    }
}
