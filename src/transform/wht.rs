//! The 8-point Walsh–Hadamard transform in sequency order (row k changes sign k times), so
//! that coefficient k pairs with DCT frequency k.
//!
//! Rows are the Hadamard rows 0, 4, 6, 2, 3, 7, 5, 1 (natural order), entries ±1, all of
//! squared norm 8. Even rows are symmetric and odd rows antisymmetric, so both directions
//! are an even/odd split followed by two 4-point transforms: 24 additions, no shifts. The
//! normalization is folded into the dequant table (all factors `2^8 / 8 = 32`) and one
//! final 12-bit rounding shift.

use super::lanes::{fold, unfold, wht4, Lane};
use super::separable::{Member, Separable, Shape};
use super::{ArithmeticCost, TransformCost, TransformId};

/// The sequency-ordered Walsh–Hadamard matrix; row k is basis function k.
pub const MATRIX: [[i32; 8]; 8] = [
    [1, 1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, -1, -1, -1, -1],
    [1, 1, -1, -1, -1, -1, 1, 1],
    [1, 1, -1, -1, 1, 1, -1, -1],
    [1, -1, -1, 1, 1, -1, -1, 1],
    [1, -1, -1, 1, -1, 1, 1, -1],
    [1, -1, 1, -1, -1, 1, -1, 1],
    [1, -1, 1, -1, 1, -1, 1, -1],
];

/// The Walsh–Hadamard transform as a family member.
pub(crate) struct Wht;

pub(crate) static WHT: Separable<Wht> = Separable::new();

impl Member for Wht {
    const ID: TransformId = TransformId::Wht;
    const ORTHOGONAL: bool = true;
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
        inverse: ArithmeticCost::new(24, 0, 0),
    };

    #[inline(always)]
    fn forward<L: Lane>(x: [L; 8]) -> [L; 8] {
        let (a, b) = fold(&x);
        let (e, o) = (wht4(a), wht4(b));
        [e[0], o[0], e[1], o[1], e[2], o[2], e[3], o[3]]
    }

    #[inline(always)]
    fn inverse<L: Lane>(z: [L; 8]) -> [L; 8] {
        let e = wht4([z[0], z[2], z[4], z[6]]);
        let o = wht4([z[1], z[3], z[5], z[7]]);
        unfold(e, o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::probe::check_member;

    #[test]
    fn rows_are_hadamard_rows_by_sequency() {
        for (k, &natural) in [0usize, 4, 6, 2, 3, 7, 5, 1].iter().enumerate() {
            let mut changes = 0;
            for n in 0..8 {
                let sign = if (natural & n).count_ones() % 2 == 0 {
                    1
                } else {
                    -1
                };
                assert_eq!(MATRIX[k][n], sign);
                if n > 0 && MATRIX[k][n] != MATRIX[k][n - 1] {
                    changes += 1;
                }
            }
            assert_eq!(changes, k);
        }
    }

    #[test]
    fn wht_member() {
        check_member::<Wht>(&WHT, &MATRIX.map(|r| r.map(f64::from)), 0.0);
    }
}
