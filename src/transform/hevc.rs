//! The HEVC 8-point core transform (ITU-T H.265, 8.6.4.2): the integer matrix with entries
//! 64, 89, 75, 50, 18, 83, 36, an integer approximation of 64·√8 times the DCT.
//!
//! Rows have squared norms 32768 (rows 0, 4) and 32740 (the others); the even rows are
//! orthogonal, the odd ones nearly (dot products ±50 of 32740), so the decoder's `Tᵀ`, as
//! in the standard, inverts `T` only to within 8·10⁻⁴ (far below a pixel's rounding). Both
//! directions use the standard's partial butterfly (even/odd split, 20 multiplications,
//! 28 additions, 2 shifts for the ×64); the encoder's runs in f32, the decoder's in i32.
//! The decoder's scaling is quanta's: the dequant table carries the row norms (factors
//! `2^20 / ‖t_u‖‖t_v‖`, about 32), the passes are descaled by 9 and 15 bits.

use super::lanes::{Constant, Lane};
use super::separable::{Member, Separable, Shape};
use super::{ArithmeticCost, TransformCost, TransformId};

/// The HEVC 8-point matrix; row k is basis function k.
pub const MATRIX: [[i32; 8]; 8] = [
    [64, 64, 64, 64, 64, 64, 64, 64],
    [89, 75, 50, 18, -18, -50, -75, -89],
    [83, 36, -36, -83, -83, -36, 36, 83],
    [75, -18, -89, -50, 50, 89, 18, -75],
    [64, -64, -64, 64, 64, -64, -64, 64],
    [50, -89, 18, 75, -75, -18, 89, -50],
    [36, -83, 83, -36, -36, 83, -83, 36],
    [18, -50, 75, -89, 89, -75, 50, -18],
];

/// The odd rows' first halves.
const ODD: [[Constant; 4]; 4] = {
    let mut t = [[Constant::int(0); 4]; 4];
    let mut k = 0;
    while k < 4 {
        let mut n = 0;
        while n < 4 {
            t[k][n] = Constant::int(MATRIX[2 * k + 1][n]);
            n += 1;
        }
        k += 1;
    }
    t
};
const C83: Constant = Constant::int(83);
const C36: Constant = Constant::int(36);

/// The HEVC core transform as a family member.
pub(crate) struct Hevc;

pub(crate) static HEVC: Separable<Hevc> = Separable::new();

impl Member for Hevc {
    const ID: TransformId = TransformId::Hevc;
    const ORTHOGONAL: bool = false;
    const SHAPE: Shape = Shape {
        // 32767 × the largest factor, 2^20 / 32740 = 32.03.
        input_limit: 32_767 * 33,
        pre_shift: 0,
        mid_shift: 9,
        mid_limit: i32::MAX,
        final_shift: 15,
        synthesis_gain2: [
            32768.0, 32740.0, 32740.0, 32740.0, 32768.0, 32740.0, 32740.0, 32740.0,
        ],
    };
    const COST: TransformCost = TransformCost {
        forward: ArithmeticCost::new(28, 2, 20),
        inverse: ArithmeticCost::new(28, 2, 20),
    };

    #[inline(always)]
    fn forward<L: Lane>(x: [L; 8]) -> [L; 8] {
        let e = [
            x[0].add(x[7]),
            x[1].add(x[6]),
            x[2].add(x[5]),
            x[3].add(x[4]),
        ];
        let o = [
            x[0].sub(x[7]),
            x[1].sub(x[6]),
            x[2].sub(x[5]),
            x[3].sub(x[4]),
        ];
        let (ee0, ee1) = (e[0].add(e[3]), e[1].add(e[2]));
        let (eo0, eo1) = (e[0].sub(e[3]), e[1].sub(e[2]));
        let odd = |k: usize| {
            let r = &ODD[k];
            o[0].mul(r[0])
                .add(o[1].mul(r[1]))
                .add(o[2].mul(r[2]))
                .add(o[3].mul(r[3]))
        };
        [
            ee0.add(ee1).shl(6),
            odd(0),
            eo0.mul(C83).add(eo1.mul(C36)),
            odd(1),
            ee0.sub(ee1).shl(6),
            odd(2),
            eo0.mul(C36).sub(eo1.mul(C83)),
            odd(3),
        ]
    }

    #[inline(always)]
    fn inverse<L: Lane>(z: [L; 8]) -> [L; 8] {
        let odd = |n: usize| {
            z[1].mul(ODD[0][n])
                .add(z[3].mul(ODD[1][n]))
                .add(z[5].mul(ODD[2][n]))
                .add(z[7].mul(ODD[3][n]))
        };
        let o = [odd(0), odd(1), odd(2), odd(3)];
        let eo0 = z[2].mul(C83).add(z[6].mul(C36));
        let eo1 = z[2].mul(C36).sub(z[6].mul(C83));
        let ee0 = z[0].add(z[4]).shl(6);
        let ee1 = z[0].sub(z[4]).shl(6);
        let e = [ee0.add(eo0), ee1.add(eo1), ee1.sub(eo1), ee0.sub(eo0)];
        [
            e[0].add(o[0]),
            e[1].add(o[1]),
            e[2].add(o[2]),
            e[3].add(o[3]),
            e[3].sub(o[3]),
            e[2].sub(o[2]),
            e[1].sub(o[1]),
            e[0].sub(o[0]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::probe::check_member;

    #[test]
    fn hevc_member() {
        check_member::<Hevc>(&HEVC, &MATRIX.map(|r| r.map(f64::from)), 1e-3);
    }

    #[test]
    fn inverse_is_the_transpose() {
        let s = crate::transform::lanes::matrix_of(Hevc::inverse::<f64>);
        for n in 0..8 {
            for k in 0..8 {
                assert_eq!(s[n][k], MATRIX[k][n] as f64);
            }
        }
    }

    #[test]
    fn matrix_approximates_the_scaled_dct() {
        let c = crate::transform::dct::dct_matrix();
        for k in 0..8 {
            for n in 0..8 {
                let ideal = c[k][n] * 64.0 * 8f64.sqrt();
                assert!((MATRIX[k][n] as f64 - ideal).abs() < 1.5, "[{k}][{n}]");
            }
        }
    }
}
