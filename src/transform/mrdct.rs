//! The modified rounded DCT (MRDCT) of Bayer and Cintra, "DCT-like transform for image
//! compression requires 14 additions only", Electronics Letters 48(15), 2012.
//!
//! The RDCT's even rows with each odd row cut down to its largest DCT entry, so the odd
//! outputs are single differences `x_i − x_{7-i}`. Rows are orthogonal with squared norms
//! 8, 2, 4, 2, 8, 2, 4, 2 (signs chosen so that each row correlates positively with the DCT
//! row it approximates). The forward butterfly computes `T x` in f32 (14 additions), the
//! decoder `Tᵀ z` in integers (14 additions) with its normalization folded into the
//! dequant table (factors `2^7 / ‖t_u‖‖t_v‖`, 16 to 64) and one final 11-bit rounding shift.

use super::lanes::Lane;
use super::rdct::{even_forward, even_inverse};
use super::separable::{Member, Separable, Shape};
use super::{ArithmeticCost, TransformCost, TransformId};

/// The MRDCT matrix; row k is basis function k.
pub const MATRIX: [[i32; 8]; 8] = [
    [1, 1, 1, 1, 1, 1, 1, 1],
    [1, 0, 0, 0, 0, 0, 0, -1],
    [1, 0, 0, -1, -1, 0, 0, 1],
    [0, 0, -1, 0, 0, 1, 0, 0],
    [1, -1, -1, 1, 1, -1, -1, 1],
    [0, -1, 0, 0, 0, 0, 1, 0],
    [0, -1, 1, 0, 0, 1, -1, 0],
    [0, 0, 0, -1, 1, 0, 0, 0],
];

/// The MRDCT as a family member.
pub(crate) struct Mrdct;

pub(crate) static MRDCT: Separable<Mrdct> = Separable::new();

impl Member for Mrdct {
    const ID: TransformId = TransformId::Mrdct;
    const ORTHOGONAL: bool = true;
    const SHAPE: Shape = Shape {
        // 32767 × the largest factor, 2^7 / 2.
        input_limit: 32_767 * 64,
        pre_shift: 0,
        mid_shift: 0,
        mid_limit: i32::MAX,
        final_shift: 11,
        synthesis_gain2: [8.0, 2.0, 4.0, 2.0, 8.0, 2.0, 4.0, 2.0],
    };
    const COST: TransformCost = TransformCost {
        forward: ArithmeticCost::new(14, 0, 0),
        inverse: ArithmeticCost::new(14, 0, 0),
    };

    #[inline(always)]
    fn forward<L: Lane>(x: [L; 8]) -> [L; 8] {
        let a = [
            x[0].add(x[7]),
            x[1].add(x[6]),
            x[2].add(x[5]),
            x[3].add(x[4]),
        ];
        let e = even_forward(a);
        [
            e[0],
            x[0].sub(x[7]),
            e[1],
            x[5].sub(x[2]),
            e[2],
            x[6].sub(x[1]),
            e[3],
            x[4].sub(x[3]),
        ]
    }

    #[inline(always)]
    fn inverse<L: Lane>(z: [L; 8]) -> [L; 8] {
        let a = even_inverse([z[0], z[2], z[4], z[6]]);
        [
            a[0].add(z[1]),
            a[1].sub(z[5]),
            a[2].sub(z[3]),
            a[3].sub(z[7]),
            a[3].add(z[7]),
            a[2].add(z[3]),
            a[1].add(z[5]),
            a[0].sub(z[1]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::probe::check_member;

    #[test]
    fn mrdct_member() {
        check_member::<Mrdct>(&MRDCT, &MATRIX.map(|r| r.map(f64::from)), 0.0);
    }

    #[test]
    fn rows_correlate_with_the_dct() {
        let c = crate::transform::dct::dct_matrix();
        for k in 0..8 {
            let dot: f64 = (0..8).map(|n| c[k][n] * MATRIX[k][n] as f64).sum();
            assert!(dot > 0.5, "row {k}");
        }
    }
}
