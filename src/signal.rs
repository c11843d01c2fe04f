//! The sample containers every stage passes around: planes and pictures, and the colour
//! conversions between RGB and YCbCr.
//!
//! A [`Plane`] is one channel of 8-bit samples, row-major with no padding. A [`Picture`]
//! is an interleaved 8-bit gray or RGB image as read from and written to files. Colour
//! conversion follows BT.601 with full range (the JPEG/JFIF equations). The forward
//! conversion and chroma downsampling run only in the encoder and use floating point;
//! the inverse conversion and chroma upsampling are integer code shared by encoder and
//! decoder, so the reconstruction is the same on every machine.

use crate::error::{Error, Result};

/// One channel of 8-bit samples, row-major, `data.len() == width * height`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plane {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

impl Plane {
    /// A plane filled with `value`.
    pub fn filled(width: usize, height: usize, value: u8) -> Plane {
        Plane {
            width,
            height,
            data: vec![value; width * height],
        }
    }

    /// The sample at (x, y), with coordinates clamped to the plane (edge replication).
    #[inline]
    pub fn at_clamped(&self, x: isize, y: isize) -> u8 {
        let x = x.clamp(0, self.width as isize - 1) as usize;
        let y = y.clamp(0, self.height as isize - 1) as usize;
        self.data[y * self.width + x]
    }

    /// A copy enlarged to `width` × `height` by replicating the last column and row.
    pub fn padded(&self, width: usize, height: usize) -> Plane {
        let mut out = Plane::filled(width, height, 0);
        for y in 0..height {
            let sy = y.min(self.height - 1);
            let src = &self.data[sy * self.width..(sy + 1) * self.width];
            let dst = &mut out.data[y * width..(y + 1) * width];
            dst[..self.width.min(width)].copy_from_slice(&src[..self.width.min(width)]);
            let last = src[self.width - 1];
            for d in dst.iter_mut().skip(self.width) {
                *d = last;
            }
        }
        out
    }

    /// A copy cut down to the top-left `width` × `height`.
    pub fn cropped(&self, width: usize, height: usize) -> Plane {
        let mut data = Vec::with_capacity(width * height);
        for y in 0..height {
            data.extend_from_slice(&self.data[y * self.width..y * self.width + width]);
        }
        Plane {
            width,
            height,
            data,
        }
    }
}

/// How the samples of a [`Picture`] are interleaved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelLayout {
    /// One 8-bit gray sample per pixel.
    Gray,
    /// Three 8-bit samples per pixel: red, green, blue.
    Rgb,
}

impl PixelLayout {
    /// Samples per pixel.
    pub fn channels(self) -> usize {
        match self {
            PixelLayout::Gray => 1,
            PixelLayout::Rgb => 3,
        }
    }
}

/// An interleaved 8-bit picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pub layout: PixelLayout,
    pub data: Vec<u8>,
}

impl Picture {
    /// Wraps interleaved samples, checking that the length fits the size.
    pub fn new(width: usize, height: usize, layout: PixelLayout, data: Vec<u8>) -> Result<Picture> {
        let expected = width
            .checked_mul(height)
            .and_then(|n| n.checked_mul(layout.channels()))
            .ok_or_else(|| {
                Error::InvalidArgument(format!("picture size {width}x{height} overflows"))
            })?;
        if data.len() != expected || width == 0 || height == 0 {
            return Err(Error::InvalidArgument(format!(
                "a {width}x{height} {layout:?} picture needs {expected} samples, got {}",
                data.len()
            )));
        }
        Ok(Picture {
            width,
            height,
            layout,
            data,
        })
    }

    /// Number of pixels.
    pub fn pixels(&self) -> usize {
        self.width * self.height
    }
}

/// A picture of 16-bit gray or RGB samples, interleaved (16-bit PNG, TIFF or PNM files),
/// coded only by the lossless coder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeepPicture {
    pub width: usize,
    pub height: usize,
    pub layout: PixelLayout,
    pub data: Vec<u16>,
}

impl DeepPicture {
    /// Wraps interleaved samples, checking that the length fits the size.
    pub fn new(
        width: usize,
        height: usize,
        layout: PixelLayout,
        data: Vec<u16>,
    ) -> Result<DeepPicture> {
        let expected = width
            .checked_mul(height)
            .and_then(|n| n.checked_mul(layout.channels()));
        if expected != Some(data.len()) || width == 0 || height == 0 {
            return Err(Error::InvalidArgument(format!(
                "a {width}x{height} {layout:?} 16-bit picture needs {} samples, got {}",
                expected.map_or_else(|| "too many".to_string(), |n| n.to_string()),
                data.len()
            )));
        }
        Ok(DeepPicture {
            width,
            height,
            layout,
            data,
        })
    }

    /// Number of pixels.
    pub fn pixels(&self) -> usize {
        self.width * self.height
    }

    /// The picture rounded to 8 bits (`v · 255 / 65535`, to nearest).
    pub fn to_8bit(&self) -> Picture {
        let data = self
            .data
            .iter()
            .map(|&v| ((u32::from(v) * 255 + 32767) / 65535) as u8)
            .collect();
        Picture {
            width: self.width,
            height: self.height,
            layout: self.layout,
            data,
        }
    }
}

#[inline]
fn round_to_u8(v: f32) -> u8 {
    // Clamped first, so truncation is the floor (and needs no libm call).
    (v + 0.5).clamp(0.0, 255.0) as u8
}

/// Converts an RGB picture to full-resolution Y, Cb, Cr planes (BT.601 full range).
pub fn rgb_to_ycbcr(picture: &Picture) -> [Plane; 3] {
    let n = picture.pixels();
    let mut y = vec![0u8; n];
    let mut cb = vec![0u8; n];
    let mut cr = vec![0u8; n];
    let planes = y.iter_mut().zip(cb.iter_mut()).zip(cr.iter_mut());
    for (px, ((y, cb), cr)) in picture.data.chunks_exact(3).zip(planes) {
        let (r, g, b) = (px[0] as f32, px[1] as f32, px[2] as f32);
        *y = round_to_u8(0.299 * r + 0.587 * g + 0.114 * b);
        *cb = round_to_u8(128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b);
        *cr = round_to_u8(128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b);
    }
    let plane = |data| Plane {
        width: picture.width,
        height: picture.height,
        data,
    };
    [plane(y), plane(cb), plane(cr)]
}

const RGB_SHIFT: u32 = 16;
const CR_TO_R: i32 = 91_881; // 1.402 << 16
const CB_TO_G: i32 = 22_554; // 0.344136 << 16
const CR_TO_G: i32 = 46_802; // 0.714136 << 16
const CB_TO_B: i32 = 116_130; // 1.772 << 16

/// Converts Y, Cb, Cr planes of equal size back to an interleaved RGB picture (integer).
pub fn ycbcr_to_rgb(y: &Plane, cb: &Plane, cr: &Plane) -> Picture {
    let n = y.width * y.height;
    let mut data = Vec::with_capacity(n * 3);
    let half = 1 << (RGB_SHIFT - 1);
    for i in 0..n {
        let yy = (y.data[i] as i32) << RGB_SHIFT;
        let u = cb.data[i] as i32 - 128;
        let v = cr.data[i] as i32 - 128;
        let r = (yy + CR_TO_R * v + half) >> RGB_SHIFT;
        let g = (yy - CB_TO_G * u - CR_TO_G * v + half) >> RGB_SHIFT;
        let b = (yy + CB_TO_B * u + half) >> RGB_SHIFT;
        data.push(r.clamp(0, 255) as u8);
        data.push(g.clamp(0, 255) as u8);
        data.push(b.clamp(0, 255) as u8);
    }
    Picture {
        width: y.width,
        height: y.height,
        layout: PixelLayout::Rgb,
        data,
    }
}

/// Halves a plane in both directions by averaging 2×2 squares (chroma sited between the
/// four luma samples, as in JPEG). Odd sizes replicate the last row or column.
pub fn downsample_2x2(plane: &Plane) -> Plane {
    let w = plane.width.div_ceil(2);
    let h = plane.height.div_ceil(2);
    let mut out = Plane::filled(w, h, 0);
    for y in 0..h {
        for x in 0..w {
            let (x0, y0) = (2 * x as isize, 2 * y as isize);
            let sum = plane.at_clamped(x0, y0) as u32
                + plane.at_clamped(x0 + 1, y0) as u32
                + plane.at_clamped(x0, y0 + 1) as u32
                + plane.at_clamped(x0 + 1, y0 + 1) as u32;
            out.data[y * w + x] = ((sum + 2) / 4) as u8;
        }
    }
    out
}

/// Doubles a plane in both directions to `width` × `height` with the triangle filter
/// (each output sample weighs the nearest input 3/4 and the next 1/4 per direction).
pub fn upsample_2x2(plane: &Plane, width: usize, height: usize) -> Plane {
    let mut out = Plane::filled(width, height, 0);
    for y in 0..height {
        let cy = (y / 2) as isize;
        let ny = if y % 2 == 0 { cy - 1 } else { cy + 1 };
        for x in 0..width {
            let cx = (x / 2) as isize;
            let nx = if x % 2 == 0 { cx - 1 } else { cx + 1 };
            let near = 3 * plane.at_clamped(cx, cy) as u32 + plane.at_clamped(cx, ny) as u32;
            let far = 3 * plane.at_clamped(nx, cy) as u32 + plane.at_clamped(nx, ny) as u32;
            out.data[y * width + x] = ((3 * near + far + 8) >> 4) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_round_trip_is_close() {
        let mut data = Vec::new();
        for r in (0..256).step_by(17) {
            for g in (0..256).step_by(51) {
                for b in (0..256).step_by(85) {
                    data.extend_from_slice(&[r as u8, g as u8, b as u8]);
                }
            }
        }
        let n = data.len() / 3;
        let pic = Picture::new(n, 1, PixelLayout::Rgb, data).unwrap();
        let [y, cb, cr] = rgb_to_ycbcr(&pic);
        let back = ycbcr_to_rgb(&y, &cb, &cr);
        for (a, b) in pic.data.iter().zip(&back.data) {
            assert!((*a as i32 - *b as i32).abs() <= 2, "{a} vs {b}");
        }
    }

    #[test]
    fn flat_planes_survive_resampling() {
        let p = Plane::filled(7, 5, 77);
        let d = downsample_2x2(&p);
        assert_eq!((d.width, d.height), (4, 3));
        assert!(d.data.iter().all(|&v| v == 77));
        let u = upsample_2x2(&d, 7, 5);
        assert!(u.data.iter().all(|&v| v == 77));
    }

    #[test]
    fn padding_and_cropping_invert() {
        let p = Plane {
            width: 3,
            height: 2,
            data: vec![1, 2, 3, 4, 5, 6],
        };
        let padded = p.padded(8, 8);
        assert_eq!(padded.data[7], 3);
        assert_eq!(padded.data[63], 6);
        assert_eq!(padded.cropped(3, 2), p);
    }

    #[test]
    fn picture_size_is_checked() {
        assert!(Picture::new(2, 2, PixelLayout::Rgb, vec![0; 11]).is_err());
        assert!(Picture::new(0, 2, PixelLayout::Gray, vec![]).is_err());
    }
}
