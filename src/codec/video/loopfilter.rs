//! The in-loop deblocking filter: smooths 8×8 block edges of a reconstructed frame where
//! the step between the blocks looks like quantization rather than picture content.
//!
//! In: the reconstructed padded planes, per 8×8 luma block what it was (intra, coded
//! residual, motion vector), and the frame's quantizer index. Out: the planes filtered in
//! place, before they become the reference of the next frame. The filter follows the shape
//! of H.264's normal-strength filter: an edge is filtered when |p0 − q0| < α and both sides
//! are smooth (|p1 − p0|, |q1 − q0| < β); p0 and q0 move by a clipped delta, and luma p1/q1
//! too when their side is smooth. Strength: 2 next to an intra block, 1 next to a coded
//! block or a vector difference of a full sample or more, else the edge is left alone.
//! Vertical edges of the whole frame first, then horizontal ones; all integer arithmetic.

use super::motion::Mv;
use crate::signal::Plane;

/// What the filter needs to know about one 8×8 luma block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockInfo {
    pub intra: bool,
    pub coded: bool,
    pub mv: Mv,
    /// The reference the block predicts from (0 for intra).
    pub reference: u8,
}

/// 2^(i/6) × 16 for i in 0..6, rounded: exponential tables in integer arithmetic.
const EXP6: [i32; 6] = [16, 18, 20, 23, 25, 28];

/// 2^((qp − offset)/6) × 16 without floating point (0 below the offset).
fn exp6(qp: i32, offset: i32) -> i32 {
    let v = qp - offset;
    if v < 0 {
        return 0;
    }
    EXP6[(v % 6) as usize] << (v / 6)
}

/// (α, β, tc0 for strength 1, tc0 for strength 2) at quantizer index `qp`.
pub fn thresholds(qp: u8) -> (i32, i32, i32, i32) {
    let qp = qp as i32;
    let alpha = (exp6(qp, 4) / 16).min(255);
    let beta = (qp / 2 - 6).clamp(0, 18);
    let tc1 = exp6(qp, 18) / 32;
    let tc2 = exp6(qp, 12) / 32;
    (alpha, beta, tc1, tc2)
}

fn strength(a: &BlockInfo, b: &BlockInfo) -> u8 {
    if a.intra || b.intra {
        2
    } else if a.coded
        || b.coded
        || a.reference != b.reference
        || (a.mv.x - b.mv.x).abs() >= 4
        || (a.mv.y - b.mv.y).abs() >= 4
    {
        1
    } else {
        0
    }
}

/// Filters one edge segment: `p` and `q` give the sample index at distance d (0, 1, 2)
/// on each side.
#[inline]
fn filter_line(
    data: &mut [u8],
    p: [usize; 3],
    q: [usize; 3],
    alpha: i32,
    beta: i32,
    tc0: i32,
    luma: bool,
) {
    let (p0, p1, p2) = (data[p[0]] as i32, data[p[1]] as i32, data[p[2]] as i32);
    let (q0, q1, q2) = (data[q[0]] as i32, data[q[1]] as i32, data[q[2]] as i32);
    if (p0 - q0).abs() >= alpha || (p1 - p0).abs() >= beta || (q1 - q0).abs() >= beta {
        return;
    }
    let ap = (p2 - p0).abs() < beta;
    let aq = (q2 - q0).abs() < beta;
    let tc = if luma {
        tc0 + ap as i32 + aq as i32
    } else {
        tc0 + 1
    };
    let delta = ((((q0 - p0) << 2) + (p1 - q1) + 4) >> 3).clamp(-tc, tc);
    data[p[0]] = (p0 + delta).clamp(0, 255) as u8;
    data[q[0]] = (q0 - delta).clamp(0, 255) as u8;
    if luma && tc0 > 0 {
        let avg = (p0 + q0 + 1) >> 1;
        if ap {
            data[p[1]] = (p1 + ((p2 + avg - (p1 << 1)) >> 1).clamp(-tc0, tc0)) as u8;
        }
        if aq {
            data[q[1]] = (q1 + ((q2 + avg - (q1 << 1)) >> 1).clamp(-tc0, tc0)) as u8;
        }
    }
}

/// Deblocks every plane of a frame in place. `blocks` holds the luma 8×8 blocks in raster
/// order (`blocks_across` per row); `shifts` is the chroma subsampling.
pub fn deblock(
    planes: &mut [Plane],
    blocks: &[BlockInfo],
    blocks_across: usize,
    shifts: (u32, u32),
    qp: u8,
) {
    let (alpha, beta, tc1, tc2) = thresholds(qp);
    if alpha == 0 || beta == 0 {
        return;
    }
    for (index, plane) in planes.iter_mut().enumerate() {
        let (sx, sy) = if index == 0 { (0, 0) } else { shifts };
        let luma = index == 0;
        let (w, h) = (plane.width, plane.height);
        let block_at = |x: usize, y: usize| &blocks[(y << sy) / 8 * blocks_across + (x << sx) / 8];
        // Vertical edges.
        for y in 0..h {
            for x in (8..w).step_by(8) {
                let s = strength(block_at(x - 1, y), block_at(x, y));
                if s == 0 {
                    continue;
                }
                let tc0 = if s == 2 { tc2 } else { tc1 };
                let i = y * w + x;
                filter_line(
                    &mut plane.data,
                    [i - 1, i - 2, i - 3],
                    [i, i + 1, i + 2],
                    alpha,
                    beta,
                    tc0,
                    luma,
                );
            }
        }
        // Horizontal edges.
        for y in (8..h).step_by(8) {
            for x in 0..w {
                let s = strength(block_at(x, y - 1), block_at(x, y));
                if s == 0 {
                    continue;
                }
                let tc0 = if s == 2 { tc2 } else { tc1 };
                let i = y * w + x;
                filter_line(
                    &mut plane.data,
                    [i - w, i - 2 * w, i - 3 * w],
                    [i, i + w, i + 2 * w],
                    alpha,
                    beta,
                    tc0,
                    luma,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_step_between_intra_blocks_is_smoothed_and_a_large_one_kept() {
        let mut plane = Plane::filled(16, 8, 100);
        for y in 0..8 {
            for x in 8..16 {
                plane.data[y * 16 + x] = 106;
            }
        }
        let intra = BlockInfo {
            intra: true,
            ..BlockInfo::default()
        };
        let mut planes = vec![plane.clone()];
        deblock(&mut planes, &[intra, intra], 2, (1, 1), 30);
        assert!(planes[0].data[7] > 100 && planes[0].data[8] < 106);
        // A real edge (larger than alpha) stays.
        for y in 0..8 {
            for x in 8..16 {
                plane.data[y * 16 + x] = 250;
            }
        }
        let mut planes = vec![plane.clone()];
        deblock(&mut planes, &[intra, intra], 2, (1, 1), 30);
        assert_eq!(planes[0], plane);
        // Skipped blocks with equal vectors are left alone.
        let mut planes = vec![plane.clone()];
        deblock(&mut planes, &[BlockInfo::default(); 2], 2, (1, 1), 51);
        assert_eq!(planes[0], plane);
    }
}
