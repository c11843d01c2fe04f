//! The 8-point DCT approximation of Bouguezel, Ahmad and Swamy, "Low-complexity 8×8
//! transform for image compression", Electronics Letters 44(21), 2008 (BAS-2008).
//!
//! Entries 0, ±1/2 and ±1, 18 additions and 2 shifts. Rows are orthogonal with squared
//! norms 8, 4, 5, 2, 8, 4, 5, 2 (signs chosen so that each row correlates positively with
//! the DCT row it approximates). Both butterflies use the integer matrix `T'` whose rows 2
//! and 6 are doubled (entries ±2 are shifts), so the decoder's `T'ᵀ z` is exact integer
//! arithmetic; the normalization is folded into the dequant table (factors
//! `2^8 / ‖t'_u‖‖t'_v‖`, 12.8 to 128) and one final 12-bit rounding shift.

use super::lanes::Lane;
use super::separable::{Member, Separable, Shape};
use super::{ArithmeticCost, TransformCost, TransformId};

/// The BAS-2008 matrix as published; row k is basis function k.
pub const MATRIX: [[f64; 8]; 8] = [
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, -1.0, -1.0],
    [1.0, 0.5, -0.5, -1.0, -1.0, -0.5, 0.5, 1.0],
    [0.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
    [1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0],
    [1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0, -1.0],
    [0.5, -1.0, 1.0, -0.5, -0.5, 1.0, -1.0, 0.5],
    [0.0, 0.0, 0.0, -1.0, 1.0, 0.0, 0.0, 0.0],
];

/// BAS-2008 as a family member.
pub(crate) struct Bas2008;

pub(crate) static BAS2008: Separable<Bas2008> = Separable::new();

impl Member for Bas2008 {
    const ID: TransformId = TransformId::Bas2008;
    const ORTHOGONAL: bool = true;
    const SHAPE: Shape = Shape {
        // 32767 × the largest factor, 2^8 / 2.
        input_limit: 32_767 * 128,
        pre_shift: 0,
        mid_shift: 0,
        mid_limit: i32::MAX,
        final_shift: 12,
        synthesis_gain2: [8.0, 4.0, 20.0, 2.0, 8.0, 4.0, 20.0, 2.0],
    };
    const COST: TransformCost = TransformCost {
        forward: ArithmeticCost::new(18, 2, 0),
        inverse: ArithmeticCost::new(18, 2, 0),
    };

    #[inline(always)]
    fn forward<L: Lane>(x: [L; 8]) -> [L; 8] {
        let a = [
            x[0].add(x[7]),
            x[1].add(x[6]),
            x[2].add(x[5]),
            x[3].add(x[4]),
        ];
        let (d0, d1) = (x[0].sub(x[7]), x[1].sub(x[6]));
        let (s0, s1) = (a[0].add(a[3]), a[1].add(a[2]));
        let (c0, c1) = (a[0].sub(a[3]), a[1].sub(a[2]));
        [
            s0.add(s1),
            d0.add(d1),
            c0.shl(1).add(c1),
            x[5].sub(x[2]),
            s0.sub(s1),
            d0.sub(d1),
            c0.sub(c1.shl(1)),
            x[4].sub(x[3]),
        ]
    }

    #[inline(always)]
    fn inverse<L: Lane>(z: [L; 8]) -> [L; 8] {
        let (s, d) = (z[0].add(z[4]), z[0].sub(z[4]));
        let p = z[2].shl(1).add(z[6]);
        let q = z[2].sub(z[6].shl(1));
        let a = [s.add(p), d.add(q), d.sub(q), s.sub(p)];
        let (b0, b1) = (z[1].add(z[5]), z[1].sub(z[5]));
        [
            a[0].add(b0),
            a[1].add(b1),
            a[2].sub(z[3]),
            a[3].sub(z[7]),
            a[3].add(z[7]),
            a[2].add(z[3]),
            a[1].sub(b1),
            a[0].sub(b0),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::probe::check_member;

    #[test]
    fn bas2008_member() {
        check_member::<Bas2008>(&BAS2008, &MATRIX, 0.0);
    }
}
