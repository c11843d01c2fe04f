//! The rounded DCT (RDCT) of Cintra and Bayer, "A DCT approximation for image
//! compression", IEEE Signal Processing Letters 18(10), 2011: `T = round(2 C)` with `C` the
//! orthonormal 8-point DCT, entries 0 and ±1.
//!
//! Rows are orthogonal with squared norms 8, 6, 4, 6, 8, 6, 4, 6. The forward butterfly
//! computes `T x` in f32 (22 additions, the paper's fast algorithm), the normalization
//! `1/‖t_u‖‖t_v‖` is applied to the output; the decoder computes `Tᵀ z` with 22 integer
//! additions, its normalization folded into the dequant table (factors `2^7 / ‖t_u‖‖t_v‖`,
//! 16 to 32) and removed by one final 11-bit rounding shift.

use super::lanes::{fold, unfold, Lane};
use super::separable::{Member, Separable, Shape};
use super::{ArithmeticCost, TransformCost, TransformId};

/// The RDCT matrix; row k is basis function k.
pub const MATRIX: [[i32; 8]; 8] = [
    [1, 1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 0, 0, -1, -1, -1],
    [1, 0, 0, -1, -1, 0, 0, 1],
    [1, 0, -1, -1, 1, 1, 0, -1],
    [1, -1, -1, 1, 1, -1, -1, 1],
    [1, -1, 0, 1, -1, 0, 1, -1],
    [0, -1, 1, 0, 0, 1, -1, 0],
    [0, -1, 1, -1, 1, -1, 1, 0],
];

/// The RDCT as a family member.
pub(crate) struct Rdct;

pub(crate) static RDCT: Separable<Rdct> = Separable::new();

/// The even rows `[1 1 1 1] [1 0 0 −1] [1 −1 −1 1] [0 −1 1 0]` (first halves) applied to
/// `a`, giving (X0, X2, X4, X6). Six additions. Shared with the MRDCT.
#[inline(always)]
pub(crate) fn even_forward<L: Lane>(a: [L; 4]) -> [L; 4] {
    let (s0, s1) = (a[0].add(a[3]), a[1].add(a[2]));
    [s0.add(s1), a[0].sub(a[3]), s0.sub(s1), a[2].sub(a[1])]
}

/// The transpose of [`even_forward`]: (X0, X2, X4, X6) to the even part `a`. Six additions.
#[inline(always)]
pub(crate) fn even_inverse<L: Lane>(e: [L; 4]) -> [L; 4] {
    let (x0, x2, x4, x6) = (e[0], e[1], e[2], e[3]);
    let (s, d) = (x0.add(x4), x0.sub(x4));
    [s.add(x2), d.sub(x6), d.add(x6), s.sub(x2)]
}

impl Member for Rdct {
    const ID: TransformId = TransformId::Rdct;
    const ORTHOGONAL: bool = true;
    const SHAPE: Shape = Shape {
        // 32767 × the largest factor, 2^7 / 4.
        input_limit: 32_767 * 32,
        pre_shift: 0,
        mid_shift: 0,
        mid_limit: i32::MAX,
        final_shift: 11,
        synthesis_gain2: [8.0, 6.0, 4.0, 6.0, 8.0, 6.0, 4.0, 6.0],
    };
    const COST: TransformCost = TransformCost {
        forward: ArithmeticCost::new(22, 0, 0),
        inverse: ArithmeticCost::new(22, 0, 0),
    };

    #[inline(always)]
    fn forward<L: Lane>(x: [L; 8]) -> [L; 8] {
        let (a, b) = fold(&x);
        let e = even_forward(a);
        // Odd rows, first halves: [1 1 1 0] [1 0 −1 −1] [1 −1 0 1] [0 −1 1 −1].
        let (p, q) = (b[0].add(b[2]), b[0].sub(b[3]));
        let (r, s) = (b[0].add(b[3]), b[2].sub(b[3]));
        [
            e[0],
            p.add(b[1]),
            e[1],
            q.sub(b[2]),
            e[2],
            r.sub(b[1]),
            e[3],
            s.sub(b[1]),
        ]
    }

    #[inline(always)]
    fn inverse<L: Lane>(z: [L; 8]) -> [L; 8] {
        let a = even_inverse([z[0], z[2], z[4], z[6]]);
        let (x1, x3, x5, x7) = (z[1], z[3], z[5], z[7]);
        let (p, q) = (x1.add(x5), x1.sub(x7));
        let (r, s) = (x1.sub(x3), x5.sub(x7));
        let b = [p.add(x3), q.sub(x5), r.add(x7), s.sub(x3)];
        unfold(a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::probe::check_member;

    #[test]
    fn rdct_is_the_rounded_dct() {
        let c = crate::transform::dct::dct_matrix();
        for k in 0..8 {
            for n in 0..8 {
                assert_eq!(MATRIX[k][n] as f64, (2.0 * c[k][n]).round());
            }
        }
    }

    #[test]
    fn rdct_member() {
        check_member::<Rdct>(&RDCT, &MATRIX.map(|r| r.map(f64::from)), 0.0);
    }
}
