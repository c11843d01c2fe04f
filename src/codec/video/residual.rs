//! The residual arithmetic of one frame, shared by the slice encoder and decoder.
//!
//! In: the stream's block transform and the frame's quantizer index; per 8×8 block, its
//! levels and its prediction. Out: the plane steps, the dequantization tables and the
//! reconstructed block. The encoder reconstructs with the decoder's integer arithmetic
//! ([`reconstruct_block`]), so both hold the same reference bit for bit.

use super::params::VideoParams;
use super::qp::plane_steps;
use crate::transform::{dequant_table, dequantize_block, transform, BlockTransform};

/// The residual transform of a frame, its quantizer steps and dequantization tables
/// (index 0 luma, 1 chroma).
pub struct Residual {
    pub member: &'static dyn BlockTransform,
    /// Quantizer steps (1/16 coefficient units) of [`plane_steps`].
    pub steps: [u16; 2],
    pub tables: [[i32; 64]; 2],
}

impl Residual {
    /// The stream's transform with the flat steps of quantizer index `qp`.
    pub fn new(params: &VideoParams, qp: u8) -> Residual {
        let id = params.transform;
        let steps = plane_steps(qp);
        Residual {
            member: transform(id),
            steps,
            tables: steps.map(|step| dequant_table(id, &[step; 64])),
        }
    }

    /// The quantizer step of a luma (`chroma` false) or chroma block.
    pub fn step(&self, chroma: bool) -> u16 {
        self.steps[chroma as usize]
    }
}

/// Rebuilds an 8×8 block from its levels and prediction: the decoder's arithmetic (with the
/// plane's dequantization table from `residual`).
pub fn reconstruct_block(
    levels: &[i32; 64],
    residual: &Residual,
    chroma: bool,
    pred: &[u8; 64],
    out: &mut [u8; 64],
) {
    let mut coeffs = [0i32; 64];
    let limit = residual.member.input_limit();
    dequantize_block(
        levels,
        &residual.tables[chroma as usize],
        limit,
        &mut coeffs,
    );
    let mut res = [0i32; 64];
    residual.member.inverse(&coeffs, &mut res);
    for k in 0..64 {
        out[k] = (pred[k] as i32 + res[k]).clamp(0, 255) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::y4m::{ChromaFormat, Y4mHeader};

    fn params() -> VideoParams {
        VideoParams::from_y4m(&Y4mHeader::new(32, 32, ChromaFormat::Yuv420Jpeg, (25, 1)))
    }

    #[test]
    fn zero_levels_keep_the_prediction() {
        let residual = Residual::new(&params(), 20);
        let pred: [u8; 64] = std::array::from_fn(|k| (k * 4) as u8);
        let mut out = [0u8; 64];
        reconstruct_block(&[0; 64], &residual, false, &pred, &mut out);
        assert_eq!(out, pred);
    }

    #[test]
    fn a_dc_level_shifts_the_block_by_its_step() {
        let residual = Residual::new(&params(), 24);
        assert_eq!(residual.steps, plane_steps(24));
        let pred = [100u8; 64];
        let mut levels = [0i32; 64];
        levels[0] = 4;
        let mut out = [0u8; 64];
        reconstruct_block(&levels, &residual, false, &pred, &mut out);
        // An orthonormal 8×8 DC of 4 × 10 coefficient units is 40 / 8 = 5 per sample.
        assert!(out.iter().all(|&v| v == 105), "{out:?}");
        // Chroma at this index has a finer step, so a smaller shift.
        reconstruct_block(&levels, &residual, true, &pred, &mut out);
        assert!(out.iter().all(|&v| v > 100 && v < 105), "{out:?}");
    }
}
