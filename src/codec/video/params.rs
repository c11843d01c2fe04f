//! The video stream header parameters and the frame geometry derived from them.
//!
//! In: the 40 bytes of the header's parameter block (docs/FORMAT.md, "Video"). Out:
//! [`VideoParams`], checked against [`Limits`] before anything is sized from them, and the
//! macroblock grid, padded plane sizes and slice layout every frame shares. Writer and
//! reader side by side.

use crate::error::{Error, Limits, Result};
use crate::media::y4m::{ChromaFormat, Y4mHeader};
use crate::transform::TransformId;

/// Bytes of the video parameter block.
pub const PARAMS_BYTES: usize = 40;

/// Header flag bit 0: the in-loop deblocking filter is on.
pub const FLAG_DEBLOCK: u8 = 0x01;

/// Header flag bit 1: keyframes are coded with the block coder (see
/// [`super::keyframe`]); without it, with the macroblock syntax.
pub const FLAG_BLOCK_KEYFRAMES: u8 = 0x02;

/// Header flag bit 2: the residuals of inter macroblocks are coded with the block coder's
/// transforms and coefficient syntax (see [`super::tx`]).
pub const FLAG_BLOCK_RESIDUALS: u8 = 0x04;

/// Most reference frames an inter frame may predict from.
pub const MAX_REFS: u8 = 4;

/// Most B-frames between two anchor frames (the header's byte 39; see
/// [`VideoParams::bframes`]).
pub const MAX_BFRAMES: u8 = 7;

/// Header flag bit 3: inter macroblocks may be cut into two 16×8 or 8×16 halves, each with
/// its own vector (see [`super::syntax::write_mb_header`]).
pub const FLAG_HALVES: u8 = 0x08;

/// Header flag bit 4: the last place of the reference list keeps the finer of the frames
/// competing for it (see [`super::frame::push_reference`]).
pub const FLAG_FINEST_REF: u8 = 0x10;

/// Header flag bit 5: inter frames' coded macroblocks carry a quantizer index change (see
/// [`super::syntax::write_qp_delta`]); only with [`FLAG_BLOCK_RESIDUALS`].
pub const FLAG_MB_QP: u8 = 0x20;

/// Every defined header flag.
const KNOWN_FLAGS: u8 = FLAG_DEBLOCK
    | FLAG_BLOCK_KEYFRAMES
    | FLAG_BLOCK_RESIDUALS
    | FLAG_HALVES
    | FLAG_FINEST_REF
    | FLAG_MB_QP;

/// Everything a decoder needs to know before the first frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoParams {
    pub width: u32,
    pub height: u32,
    pub chroma: ChromaFormat,
    pub frame_rate: (u32, u32),
    pub aspect: (u32, u32),
    /// Y4M interlacing character (`p`, `t`, `b`, `m` or `?`).
    pub interlace: u8,
    /// Largest distance between keyframes the encoder was asked for (informative).
    pub keyint: u32,
    /// The quality the encoder was asked for (informative; 0 under bitrate control).
    pub quality: u8,
    pub flags: u8,
    /// Macroblock rows per slice (slices are coded independently).
    pub slice_rows: u16,
    /// Target bitrate in kbit/s under bitrate control, else 0 (informative).
    pub bitrate_kbps: u32,
    /// Reference frames an inter frame may predict from (1 to [`MAX_REFS`]): the frames
    /// decoded last since the keyframe, newest first.
    pub refs: u8,
    /// Most B-frames in a row (0 to [`MAX_BFRAMES`]): frames coded after the later of the
    /// two anchor frames they predict from, and shown before it. The decoder holds up to
    /// this many decoded frames to put them back in display order; 0 (every stream
    /// before B-frames) codes and shows frames in the same order.
    pub bframes: u8,
    /// The residual block transform: the stream header's transform byte (not part of the
    /// parameter block, which [`VideoParams::from_bytes`] reads as the exact DCT).
    pub transform: TransformId,
}

impl VideoParams {
    /// Parameters for a Y4M stream.
    pub fn from_y4m(header: &Y4mHeader) -> VideoParams {
        VideoParams {
            width: header.width,
            height: header.height,
            chroma: header.chroma,
            frame_rate: header.frame_rate,
            aspect: header.aspect,
            interlace: header.interlace as u8,
            keyint: 0,
            quality: 0,
            flags: FLAG_DEBLOCK,
            slice_rows: 1,
            bitrate_kbps: 0,
            refs: 1,
            bframes: 0,
            transform: TransformId::Dct,
        }
    }

    /// The Y4M header the decoder writes.
    pub fn y4m_header(&self) -> Y4mHeader {
        Y4mHeader {
            width: self.width,
            height: self.height,
            chroma: self.chroma,
            frame_rate: self.frame_rate,
            aspect: self.aspect,
            interlace: self.interlace as char,
        }
    }

    /// Macroblocks across and down.
    pub fn mb_grid(&self) -> (usize, usize) {
        (
            (self.width as usize).div_ceil(16),
            (self.height as usize).div_ceil(16),
        )
    }

    /// Padded size of plane `plane` (whole macroblocks).
    pub fn padded_plane(&self, plane: usize) -> (usize, usize) {
        let (mw, mh) = self.mb_grid();
        let (sx, sy) = if plane == 0 {
            (0, 0)
        } else {
            self.chroma.shifts()
        };
        ((16 >> sx) * mw, (16 >> sy) * mh)
    }

    /// Number of slices per frame.
    pub fn slice_count(&self) -> usize {
        self.mb_grid().1.div_ceil(self.slice_rows.max(1) as usize)
    }

    /// Seconds per frame.
    pub fn frame_seconds(&self) -> f64 {
        self.frame_rate.1 as f64 / self.frame_rate.0.max(1) as f64
    }

    /// The parameter block.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(PARAMS_BYTES);
        b.extend_from_slice(&self.width.to_le_bytes());
        b.extend_from_slice(&self.height.to_le_bytes());
        b.push(self.chroma.code());
        b.push(self.interlace);
        b.push(self.quality);
        b.push(self.flags);
        b.extend_from_slice(&self.frame_rate.0.to_le_bytes());
        b.extend_from_slice(&self.frame_rate.1.to_le_bytes());
        b.extend_from_slice(&self.aspect.0.to_le_bytes());
        b.extend_from_slice(&self.aspect.1.to_le_bytes());
        b.extend_from_slice(&self.keyint.to_le_bytes());
        b.extend_from_slice(&self.bitrate_kbps.to_le_bytes());
        b.extend_from_slice(&self.slice_rows.to_le_bytes());
        b.extend_from_slice(&[self.refs.clamp(1, MAX_REFS) - 1, self.bframes]);
        b
    }

    /// Parses and checks a parameter block.
    pub fn from_bytes(b: &[u8], limits: &Limits) -> Result<VideoParams> {
        if b.len() != PARAMS_BYTES {
            return Err(Error::invalid(format!(
                "video header parameters are {} bytes, expected {PARAMS_BYTES}",
                b.len()
            )));
        }
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let width = u32_at(0);
        let height = u32_at(4);
        limits.check_dimensions(width, height)?;
        let chroma = ChromaFormat::from_code(b[8]).ok_or_else(|| {
            Error::invalid(format!(
                "video header chroma format is {}, expected 0 to 6",
                b[8]
            ))
        })?;
        let interlace = b[9];
        if !b"ptbm?".contains(&interlace) {
            return Err(Error::invalid(format!(
                "video header interlacing byte is {interlace}, expected p, t, b, m or ?"
            )));
        }
        let flags = b[11];
        if flags & !KNOWN_FLAGS != 0 {
            return Err(Error::invalid(format!(
                "video header flags are {flags:#04x}, only bits 0 to 5 are defined"
            )));
        }
        if flags & FLAG_MB_QP != 0 && flags & FLAG_BLOCK_RESIDUALS == 0 {
            return Err(Error::invalid(
                "video header asks for macroblock quantizer changes without block-coded \
                 residuals, which they need",
            ));
        }
        let (sx, sy) = chroma.shifts();
        if flags & (FLAG_BLOCK_KEYFRAMES | FLAG_BLOCK_RESIDUALS) != 0 && sx != sy {
            return Err(Error::invalid(
                "video header asks for block-coded frames with 4:2:2 chroma, which they do not \
                 support",
            ));
        }
        let frame_rate = (u32_at(12), u32_at(16));
        if frame_rate.0 == 0 || frame_rate.1 == 0 {
            return Err(Error::invalid(format!(
                "video frame rate {}:{}: both terms must be non-zero",
                frame_rate.0, frame_rate.1
            )));
        }
        let slice_rows = u16::from_le_bytes([b[36], b[37]]);
        if slice_rows == 0 {
            return Err(Error::invalid("video slice height is 0 macroblock rows"));
        }
        if b[38] >= MAX_REFS {
            return Err(Error::invalid(format!(
                "video header asks for {} reference frames, at most {MAX_REFS}",
                b[38] as u32 + 1
            )));
        }
        if b[39] > MAX_BFRAMES {
            return Err(Error::invalid(format!(
                "video header asks for {} B-frames in a row, at most {MAX_BFRAMES}",
                b[39]
            )));
        }
        Ok(VideoParams {
            width,
            height,
            chroma,
            frame_rate,
            aspect: (u32_at(20), u32_at(24)),
            interlace,
            keyint: u32_at(28),
            quality: b[10],
            flags,
            slice_rows,
            bitrate_kbps: u32_at(32),
            refs: b[38] + 1,
            bframes: b[39],
            transform: TransformId::Dct,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::y4m::{ChromaFormat, Y4mHeader};

    #[test]
    fn the_reference_count_round_trips_and_a_count_past_the_limit_is_refused() {
        let header = Y4mHeader::new(64, 48, ChromaFormat::Yuv420Jpeg, (25, 1));
        let mut params = VideoParams::from_y4m(&header);
        for refs in 1..=MAX_REFS {
            params.refs = refs;
            let bytes = params.to_bytes();
            assert_eq!(
                bytes[38],
                refs - 1,
                "streams of one reference keep byte 38 zero"
            );
            let read = VideoParams::from_bytes(&bytes, &Limits::default()).unwrap();
            assert_eq!(read, params);
        }
        let mut bytes = params.to_bytes();
        bytes[38] = MAX_REFS;
        let err = VideoParams::from_bytes(&bytes, &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("5 reference frames"), "{err}");
        bytes[38] = 0;
        for bframes in 0..=MAX_BFRAMES {
            bytes[39] = bframes;
            let read = VideoParams::from_bytes(&bytes, &Limits::default()).unwrap();
            assert_eq!(read.bframes, bframes);
            assert_eq!(read.to_bytes(), bytes);
        }
        bytes[39] = MAX_BFRAMES + 1;
        let err = VideoParams::from_bytes(&bytes, &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("8 B-frames"), "{err}");
    }

    #[test]
    fn quantizer_changes_need_block_coded_residuals_and_bit_six_is_refused() {
        let header = Y4mHeader::new(64, 48, ChromaFormat::Yuv420Jpeg, (25, 1));
        let mut params = VideoParams::from_y4m(&header);
        params.flags = FLAG_DEBLOCK | FLAG_BLOCK_RESIDUALS | FLAG_MB_QP;
        let read = VideoParams::from_bytes(&params.to_bytes(), &Limits::default()).unwrap();
        assert_eq!(read.flags, params.flags);
        params.flags = FLAG_DEBLOCK | FLAG_MB_QP;
        let err = VideoParams::from_bytes(&params.to_bytes(), &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("quantizer changes"), "{err}");
        params.flags = FLAG_BLOCK_RESIDUALS | 0x40;
        let err = VideoParams::from_bytes(&params.to_bytes(), &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("bits 0 to 5"), "{err}");
    }
}
