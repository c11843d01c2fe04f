//! The H.264 8×8 integer transform (ITU-T H.264, 8.5.12; forward as in the JM reference
//! encoder): the integer matrix with entries 8, 12, 10, 6, 4, 3.
//!
//! Rows are orthogonal with squared norms 512, 578, 320, 578, 512, 578, 320, 578. Both
//! butterflies compute the matrix divided by 8 with 32 additions and 10 shifts; the
//! decoder's is the standard's inverse butterfly (`e`, `f`, `g` stages with `>> 1` and
//! `>> 2`), bit for bit. Only the scaling around it is quanta's: the dequant table carries
//! the row norms (factors `2^14 / ‖t_u‖‖t_v‖`, 28 to 52, i.e. the coefficients arrive
//! with 6 more fraction bits than the standard's) and the final rounding shift is 12
//! instead of the standard's 6, so the truncating shifts inside cost almost nothing.

use super::lanes::Lane;
use super::separable::{Member, Separable, Shape};
use super::{ArithmeticCost, TransformCost, TransformId};

/// The H.264 8×8 transform matrix; row k is basis function k.
pub const MATRIX: [[i32; 8]; 8] = [
    [8, 8, 8, 8, 8, 8, 8, 8],
    [12, 10, 6, 3, -3, -6, -10, -12],
    [8, 4, -4, -8, -8, -4, 4, 8],
    [10, -3, -12, -6, 6, 12, 3, -10],
    [8, -8, -8, 8, 8, -8, -8, 8],
    [6, -12, 3, 10, -10, -3, 12, -6],
    [4, -8, 8, -4, -4, 8, -8, 4],
    [3, -6, 10, -12, 12, -10, 6, -3],
];

/// The H.264 8×8 transform as a family member.
pub(crate) struct H264Member;

pub(crate) static H264: Separable<H264Member> = Separable::new();

impl Member for H264Member {
    const ID: TransformId = TransformId::H264;
    const ORTHOGONAL: bool = true;
    const SHAPE: Shape = Shape {
        // 32767 × the largest factor, 2^8 / 5 = 51.2.
        input_limit: 32_767 * 52,
        pre_shift: 0,
        mid_shift: 0,
        mid_limit: i32::MAX,
        final_shift: 12,
        // Squared row norms over 8².
        synthesis_gain2: [
            8.0,
            578.0 / 64.0,
            5.0,
            578.0 / 64.0,
            8.0,
            578.0 / 64.0,
            5.0,
            578.0 / 64.0,
        ],
    };
    const COST: TransformCost = TransformCost {
        forward: ArithmeticCost::new(32, 10, 0),
        inverse: ArithmeticCost::new(32, 10, 0),
    };

    #[inline(always)]
    fn forward<L: Lane>(p: [L; 8]) -> [L; 8] {
        let (a0, a1) = (p[0].add(p[7]), p[1].add(p[6]));
        let (a2, a3) = (p[2].add(p[5]), p[3].add(p[4]));
        let (b0, b1) = (a0.add(a3), a1.add(a2));
        let (b2, b3) = (a0.sub(a3), a1.sub(a2));
        let (a4, a5) = (p[0].sub(p[7]), p[1].sub(p[6]));
        let (a6, a7) = (p[2].sub(p[5]), p[3].sub(p[4]));
        let b4 = a5.add(a6).add(a4.shr(1).add(a4));
        let b5 = a4.sub(a7).sub(a6.shr(1).add(a6));
        let b6 = a4.add(a7).sub(a5.shr(1).add(a5));
        let b7 = a5.sub(a6).add(a7.shr(1).add(a7));
        [
            b0.add(b1),
            b4.add(b7.shr(2)),
            b2.add(b3.shr(1)),
            b5.add(b6.shr(2)),
            b0.sub(b1),
            b6.sub(b5.shr(2)),
            b2.shr(1).sub(b3),
            b4.shr(2).sub(b7),
        ]
    }

    #[inline(always)]
    fn inverse<L: Lane>(d: [L; 8]) -> [L; 8] {
        let e0 = d[0].add(d[4]);
        let e1 = d[5].sub(d[3]).sub(d[7]).sub(d[7].shr(1));
        let e2 = d[0].sub(d[4]);
        let e3 = d[1].add(d[7]).sub(d[3]).sub(d[3].shr(1));
        let e4 = d[2].shr(1).sub(d[6]);
        let e5 = d[7].sub(d[1]).add(d[5]).add(d[5].shr(1));
        let e6 = d[2].add(d[6].shr(1));
        let e7 = d[3].add(d[5]).add(d[1]).add(d[1].shr(1));
        let f0 = e0.add(e6);
        let f1 = e1.add(e7.shr(2));
        let f2 = e2.add(e4);
        let f3 = e3.add(e5.shr(2));
        let f4 = e2.sub(e4);
        let f5 = e3.shr(2).sub(e5);
        let f6 = e0.sub(e6);
        let f7 = e7.sub(e1.shr(2));
        [
            f0.add(f7),
            f2.add(f5),
            f4.add(f3),
            f6.add(f1),
            f6.sub(f1),
            f4.sub(f3),
            f2.sub(f5),
            f0.sub(f7),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::probe::check_member;

    #[test]
    fn h264_member() {
        check_member::<H264Member>(&H264, &MATRIX.map(|r| r.map(f64::from)), 0.0);
    }

    #[test]
    fn inverse_is_the_transpose_over_8() {
        let s = crate::transform::lanes::matrix_of(H264Member::inverse::<f64>);
        for n in 0..8 {
            for k in 0..8 {
                assert_eq!(s[n][k] * 8.0, MATRIX[k][n] as f64);
            }
        }
    }
}
