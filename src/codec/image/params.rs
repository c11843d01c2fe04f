//! The image codec's parameters, as carried in the stream header, and the tile grid.
//!
//! Layout of the parameter block (little-endian), specified in docs/FORMAT.md:
//! width u32, height u32, sampling u8, tile size u16, quality u8, flags u8,
//! activity level count u8 and that many u16 scales (1/256), 64 u16 luma steps and
//! 64 u16 chroma steps (1/16 coefficient units, row-major).

use crate::error::{Error, Limits, Result};
use crate::transform::TransformId;

/// How the chroma planes are sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChromaSampling {
    /// Luma only: a grayscale picture.
    Mono,
    /// Chroma halved in both directions.
    Yuv420,
    /// Chroma at full resolution.
    Yuv444,
}

impl ChromaSampling {
    fn to_u8(self) -> u8 {
        match self {
            ChromaSampling::Mono => 0,
            ChromaSampling::Yuv420 => 1,
            ChromaSampling::Yuv444 => 2,
        }
    }

    fn from_u8(value: u8) -> Result<ChromaSampling> {
        match value {
            0 => Ok(ChromaSampling::Mono),
            1 => Ok(ChromaSampling::Yuv420),
            2 => Ok(ChromaSampling::Yuv444),
            other => Err(Error::invalid(format!(
                "image header: chroma sampling {other} (expected 0 mono, 1 4:2:0 or 2 4:4:4)"
            ))),
        }
    }

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            ChromaSampling::Mono => "mono",
            ChromaSampling::Yuv420 => "420",
            ChromaSampling::Yuv444 => "444",
        }
    }
}

/// Flag bit: the decoder applies the deblocking filter.
const FLAG_DEBLOCK: u8 = 1;
/// Flag bit: tiles are coded with the block coder (variable blocks, intra prediction);
/// without it, with the 8×8 tile syntax.
const FLAG_BLOCKS: u8 = 2;
/// Flag bit: block-coded tiles end with restoration filter strengths
/// ([`super::restore`]) and the decoder applies the filter after deblocking.
const FLAG_RESTORE: u8 = 4;

/// Everything a decoder needs to know about a coded picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageParams {
    pub width: u32,
    pub height: u32,
    pub sampling: ChromaSampling,
    /// Tile side in luma pixels, a multiple of 16.
    pub tile_size: u32,
    /// The quality the encoder was asked for (informative).
    pub quality: u8,
    pub deblock: bool,
    /// Tiles use the block coder ([`crate::codec::block`]) rather than the 8×8 syntax.
    pub block_coder: bool,
    /// The restoration filter (block-coded tiles only).
    pub restore: bool,
    /// Step multipliers of the activity levels, in 1/256.
    pub activity_scales: Vec<u16>,
    /// Quantizer steps in 1/16 coefficient units, row-major.
    pub luma_steps: [u16; 64],
    pub chroma_steps: [u16; 64],
    /// The block transform. It travels in the container header, not in this block:
    /// [`ImageParams::from_bytes`] sets the DCT and the decoder overwrites it.
    pub transform: TransformId,
}

/// A rectangle in samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
}

impl ImageParams {
    /// Number of coded planes.
    pub fn plane_count(&self) -> usize {
        if self.sampling == ChromaSampling::Mono {
            1
        } else {
            3
        }
    }

    /// Size of the coded (padded) luma plane: a multiple of 16 for 4:2:0, else of 8.
    pub fn padded_luma(&self) -> (usize, usize) {
        let unit = if self.sampling == ChromaSampling::Yuv420 {
            16
        } else {
            8
        };
        (
            (self.width as usize).div_ceil(unit) * unit,
            (self.height as usize).div_ceil(unit) * unit,
        )
    }

    /// Size of coded plane `plane` (0 luma, 1 and 2 chroma).
    pub fn padded_plane(&self, plane: usize) -> (usize, usize) {
        let (w, h) = self.padded_luma();
        if plane > 0 && self.sampling == ChromaSampling::Yuv420 {
            (w / 2, h / 2)
        } else {
            (w, h)
        }
    }

    /// Visible size of plane `plane`.
    pub fn visible_plane(&self, plane: usize) -> (usize, usize) {
        let (w, h) = (self.width as usize, self.height as usize);
        if plane > 0 && self.sampling == ChromaSampling::Yuv420 {
            (w.div_ceil(2), h.div_ceil(2))
        } else {
            (w, h)
        }
    }

    /// Tiles across and down.
    pub fn tile_grid(&self) -> (usize, usize) {
        let (w, h) = self.padded_luma();
        let t = self.tile_size as usize;
        (w.div_ceil(t), h.div_ceil(t))
    }

    /// Number of tiles (one packet each).
    pub fn tile_count(&self) -> usize {
        let (across, down) = self.tile_grid();
        across * down
    }

    /// The rectangle tile `index` covers in plane `plane`'s padded coordinates.
    pub fn tile_rect(&self, index: usize, plane: usize) -> Rect {
        let (across, _) = self.tile_grid();
        let (w, h) = self.padded_luma();
        let t = self.tile_size as usize;
        let (tx, ty) = (index % across, index / across);
        let luma = Rect {
            x: tx * t,
            y: ty * t,
            width: t.min(w - tx * t),
            height: t.min(h - ty * t),
        };
        if plane > 0 && self.sampling == ChromaSampling::Yuv420 {
            Rect {
                x: luma.x / 2,
                y: luma.y / 2,
                width: luma.width / 2,
                height: luma.height / 2,
            }
        } else {
            luma
        }
    }

    /// Steps of a plane at an activity level, in 1/16 units.
    pub fn steps_at(&self, plane: usize, level: usize) -> [u16; 64] {
        let base = if plane == 0 {
            &self.luma_steps
        } else {
            &self.chroma_steps
        };
        let scale = self.activity_scales.get(level).copied().unwrap_or(256) as u32;
        let mut out = [0u16; 64];
        for (o, &b) in out.iter_mut().zip(base.iter()) {
            *o = ((b as u32 * scale + 128) >> 8).clamp(1, u16::MAX as u32) as u16;
        }
        out
    }

    /// Serializes the parameter block.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + 2 * self.activity_scales.len() + 256);
        out.extend_from_slice(&self.width.to_le_bytes());
        out.extend_from_slice(&self.height.to_le_bytes());
        out.push(self.sampling.to_u8());
        out.extend_from_slice(&(self.tile_size as u16).to_le_bytes());
        out.push(self.quality);
        let mut flags = if self.deblock { FLAG_DEBLOCK } else { 0 };
        if self.block_coder {
            flags |= FLAG_BLOCKS;
        }
        if self.restore {
            flags |= FLAG_RESTORE;
        }
        out.push(flags);
        out.push(self.activity_scales.len() as u8);
        for s in &self.activity_scales {
            out.extend_from_slice(&s.to_le_bytes());
        }
        for s in self.luma_steps.iter().chain(self.chroma_steps.iter()) {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }

    /// Parses and validates a parameter block.
    pub fn from_bytes(bytes: &[u8], limits: &Limits) -> Result<ImageParams> {
        let mut r = ByteReader { bytes, position: 0 };
        let width = r.u32("width")?;
        let height = r.u32("height")?;
        limits.check_dimensions(width, height)?;
        let sampling = ChromaSampling::from_u8(r.u8("chroma sampling")?)?;
        let tile_size = r.u16("tile size")? as u32;
        if !(16..=4096).contains(&tile_size) || tile_size % 16 != 0 {
            return Err(Error::invalid(format!(
                "image header: tile size {tile_size} (expected a multiple of 16 from 16 to 4096)"
            )));
        }
        let quality = r.u8("quality")?;
        let flags = r.u8("flags")?;
        if flags & !(FLAG_DEBLOCK | FLAG_BLOCKS | FLAG_RESTORE) != 0 {
            return Err(Error::invalid(format!(
                "image header: unknown flags {flags:#04x}"
            )));
        }
        if flags & FLAG_RESTORE != 0 && flags & FLAG_BLOCKS == 0 {
            return Err(Error::invalid(
                "image header: the restoration filter needs block-coded tiles (flags bit 1)",
            ));
        }
        let levels = r.u8("activity level count")? as usize;
        if !(1..=8).contains(&levels) {
            return Err(Error::invalid(format!(
                "image header: {levels} activity levels (expected 1 to 8)"
            )));
        }
        let mut activity_scales = Vec::with_capacity(levels);
        for _ in 0..levels {
            let s = r.u16("activity scale")?;
            if !(16..=4096).contains(&s) {
                return Err(Error::invalid(format!(
                    "image header: activity scale {s}/256 (expected 16 to 4096)"
                )));
            }
            activity_scales.push(s);
        }
        let mut luma_steps = [0u16; 64];
        let mut chroma_steps = [0u16; 64];
        for s in luma_steps.iter_mut().chain(chroma_steps.iter_mut()) {
            *s = r.u16("quantizer step")?;
            if *s == 0 {
                return Err(Error::invalid("image header: a quantizer step of 0"));
            }
        }
        if r.position != bytes.len() {
            return Err(Error::invalid(format!(
                "image header: {} unexpected bytes after the parameters",
                bytes.len() - r.position
            )));
        }
        Ok(ImageParams {
            width,
            height,
            sampling,
            tile_size,
            quality,
            deblock: flags & FLAG_DEBLOCK != 0,
            block_coder: flags & FLAG_BLOCKS != 0,
            restore: flags & FLAG_RESTORE != 0,
            activity_scales,
            luma_steps,
            chroma_steps,
            transform: TransformId::Dct,
        })
    }
}

struct ByteReader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl ByteReader<'_> {
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8]> {
        let end = self.position + n;
        let slice = self.bytes.get(self.position..end).ok_or_else(|| {
            Error::invalid(format!(
                "image header: ends before the {what} (at byte {} of {})",
                self.position,
                self.bytes.len()
            ))
        })?;
        self.position = end;
        Ok(slice)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}
