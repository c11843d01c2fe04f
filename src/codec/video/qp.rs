//! The video quantizer scale: what a quantizer index (0..=[`MAX_QP`], carried in every frame
//! header) means as a step.
//!
//! In: a quantizer index. Out: the quantizer step in 1/16 coefficient units, for luma and
//! for chroma (chroma is coded [`CHROMA_QP_OFFSET`] indices away from luma). The step
//! doubles every 6 indices. The encoder, the decoder and the rate control all read it here.

/// Largest quantizer index.
pub const MAX_QP: u8 = 51;

/// Chroma is quantized this many indices away from luma.
pub const CHROMA_QP_OFFSET: i32 = -2;

/// The quantizer step (1/16 coefficient units) of index `qp`: 0.625 × 2^(qp/6) coefficient
/// units, doubling every 6 indices.
pub fn qstep16(qp: u8) -> u16 {
    const BASE: [u16; 6] = [10, 11, 13, 14, 16, 18];
    let qp = qp.min(MAX_QP);
    BASE[(qp % 6) as usize] << (qp / 6)
}

/// Luma and chroma steps (1/16 units) at quantizer index `qp`.
pub fn plane_steps(qp: u8) -> [u16; 2] {
    let chroma = (qp as i32 + CHROMA_QP_OFFSET).clamp(0, MAX_QP as i32) as u8;
    [qstep16(qp), qstep16(chroma)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_doubles_every_six_indices() {
        for qp in 0..=MAX_QP - 6 {
            assert_eq!(qstep16(qp + 6), 2 * qstep16(qp), "qp {qp}");
        }
        assert_eq!(qstep16(0), 10);
        assert_eq!(qstep16(MAX_QP + 10), qstep16(MAX_QP));
    }

    #[test]
    fn chroma_step_is_offset_and_clamped() {
        assert_eq!(plane_steps(24), [qstep16(24), qstep16(22)]);
        assert_eq!(plane_steps(1), [qstep16(1), qstep16(0)]);
    }
}
