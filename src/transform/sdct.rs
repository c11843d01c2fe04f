//! The signed DCT (SDCT) of Haweel, "A new square wave transform based on the DCT",
//! Signal Processing 81(11), 2001: `T = sign(C)`, the signs of the orthonormal 8-point DCT
//! matrix, every entry ±1.
//!
//! Definition used here: the analysis matrix is `A = T / √8` (all rows have norm √8), so
//! the forward gives `Y = A X Aᵀ` (24 additions per 8 points, then a scale of 1/8); the
//! decoder inverts exactly, `X = A⁻¹ Y A⁻ᵀ`. The rows of `T` are not orthogonal, but
//! `8 T⁻¹` has entries 0, ±1 and ±2, so the exact inverse is multiplierless too (20
//! additions and 4 shifts): `x_i = E_i + 2 O_i`, `x_{7-i} = E_i − 2 O_i` with `E` the 4-point
//! Walsh–Hadamard transform of the even coefficients and `O` sums of pairs of odd ones.
//! Its dequantization factors are all `2^8 / 8 = 32`, removed by a final 12-bit shift.
//! Being non-orthogonal, coefficient-domain squared error is not pixel-domain squared
//! error here, and its coding gain is the generalized one (see [`super::analysis`]).

use super::lanes::{fold, unfold, wht4, Lane};
use super::separable::{Member, Separable, Shape};
use super::{ArithmeticCost, TransformCost, TransformId};

/// The SDCT matrix; row k is basis function k.
pub const MATRIX: [[i32; 8]; 8] = [
    [1, 1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, -1, -1, -1, -1],
    [1, 1, -1, -1, -1, -1, 1, 1],
    [1, -1, -1, -1, 1, 1, 1, -1],
    [1, -1, -1, 1, 1, -1, -1, 1],
    [1, -1, 1, 1, -1, -1, 1, -1],
    [1, -1, 1, -1, -1, 1, -1, 1],
    [1, -1, 1, -1, 1, -1, 1, -1],
];

/// The SDCT as a family member.
pub(crate) struct Sdct;

pub(crate) static SDCT: Separable<Sdct> = Separable::new();

impl Member for Sdct {
    const ID: TransformId = TransformId::Sdct;
    const ORTHOGONAL: bool = false;
    const SHAPE: Shape = Shape {
        input_limit: 32_767 * 32,
        pre_shift: 0,
        mid_shift: 0,
        mid_limit: i32::MAX,
        final_shift: 12,
        synthesis_gain2: [8.0; 8],
    };
    const COST: TransformCost = TransformCost {
        forward: ArithmeticCost::new(24, 0, 0),
        inverse: ArithmeticCost::new(20, 4, 0),
    };

    #[inline(always)]
    fn forward<L: Lane>(x: [L; 8]) -> [L; 8] {
        let (a, b) = fold(&x);
        let e = wht4(a);
        let (s, p) = (b[0].add(b[1]), b[0].sub(b[1]));
        let (q, r) = (b[2].add(b[3]), b[2].sub(b[3]));
        [
            e[0],
            s.add(q),
            e[1],
            p.sub(q),
            e[2],
            p.add(q),
            e[3],
            p.add(r),
        ]
    }

    #[inline(always)]
    fn inverse<L: Lane>(z: [L; 8]) -> [L; 8] {
        let e = wht4([z[0], z[2], z[4], z[6]]);
        let o = [
            z[1].add(z[3]).shl(1),
            z[1].sub(z[5]).shl(1),
            z[7].sub(z[3]).shl(1),
            z[5].sub(z[7]).shl(1),
        ];
        unfold(e, o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::probe::check_member;

    #[test]
    fn sdct_is_the_sign_of_the_dct() {
        let c = crate::transform::dct::dct_matrix();
        for k in 0..8 {
            for n in 0..8 {
                assert_eq!(MATRIX[k][n] as f64, c[k][n].signum());
            }
        }
    }

    #[test]
    fn sdct_member() {
        check_member::<Sdct>(&SDCT, &MATRIX.map(|r| r.map(f64::from)), 0.0);
    }
}
