//! `dct-fast`: the exact DCT by the factorization of Arai, Agui and Nakajima, "A fast
//! DCT-SQ scheme for images", Trans. IEICE E71(11), 1988: 29 additions and 5
//! multiplications per 8 points.
//!
//! The factorization gives the DCT up to a per-coefficient scale `√8 · s_k`, with
//! `s_0 = 1` and `s_k = √2 cos(kπ/16)`. The encoder (f32) removes it from its output, so
//! its coefficients are the orthonormal DCT's; the decoder takes it in the dequant table
//! (factors `2^8 · s_u s_v`, 19 to 493, with 8 bits of extra precision removed by a
//! rounding shift on input) and runs the inverse flow graph in i32 with 11-bit constants,
//! descaling by 1 bit between the passes (clamped to ±131071) and 6 bits at the end.
//! The clamp is never reached by coefficients of 8-bit pictures (their intermediate
//! values stay below 33000); only damaged or synthetic blocks are clipped there, as in
//! the `dct` member's inverse.

use super::lanes::{fold, Constant, Lane};
use super::separable::{Member, Separable, Shape};
use super::{ArithmeticCost, TransformCost, TransformId};

/// Fraction bits of the decoder's constants.
const BITS: u32 = 11;
/// cos(4π/16).
const C4: Constant = Constant::fixed(std::f64::consts::FRAC_1_SQRT_2, BITS);
/// cos(6π/16).
const C6: Constant = Constant::fixed(0.382_683_432_365_089_8, BITS);
/// cos(2π/16) − cos(6π/16).
const C2_MINUS_C6: Constant = Constant::fixed(0.541_196_100_146_197, BITS);
/// cos(2π/16) + cos(6π/16).
const C2_PLUS_C6: Constant = Constant::fixed(1.306_562_964_876_376_6, BITS);
/// 2 cos(4π/16) = √2.
const SQRT2: Constant = Constant::fixed(std::f64::consts::SQRT_2, BITS);
/// 2 cos(2π/16).
const TWO_C2: Constant = Constant::fixed(1.847_759_065_022_573_5, BITS);
/// 2 (cos(2π/16) − cos(6π/16)).
const TWO_C2_MINUS_C6: Constant = Constant::fixed(1.082_392_200_292_393_9, BITS);
/// 2 (cos(2π/16) + cos(6π/16)).
const TWO_C2_PLUS_C6: Constant = Constant::fixed(2.613_125_929_752_753, BITS);

/// `s_k = √2 cos(kπ/16)` (`s_0 = 1`), the factorization's scale of coefficient k.
pub const SCALES: [f64; 8] = [
    1.0,
    1.387_039_845_322_147_7,
    1.306_562_964_876_376_6,
    1.175_875_602_419_358_9,
    1.0,
    0.785_694_958_387_102_2,
    0.541_196_100_146_197,
    0.275_899_379_282_943_1,
];

/// The AAN factorization as a family member.
pub(crate) struct Aan;

pub(crate) static DCT_FAST: Separable<Aan> = Separable::new();

impl Member for Aan {
    const ID: TransformId = TransformId::DctFast;
    const ORTHOGONAL: bool = true;
    const SHAPE: Shape = Shape {
        // 32767 × the largest factor, 2^8 · s_1².
        input_limit: 32_767 * 493,
        pre_shift: 8,
        mid_shift: 1,
        mid_limit: 131_071,
        final_shift: 6,
        // The inverse flow graph's basis function k is √8 / s_k times the DCT's.
        synthesis_gain2: [
            8.0 / (SCALES[0] * SCALES[0]),
            8.0 / (SCALES[1] * SCALES[1]),
            8.0 / (SCALES[2] * SCALES[2]),
            8.0 / (SCALES[3] * SCALES[3]),
            8.0 / (SCALES[4] * SCALES[4]),
            8.0 / (SCALES[5] * SCALES[5]),
            8.0 / (SCALES[6] * SCALES[6]),
            8.0 / (SCALES[7] * SCALES[7]),
        ],
    };
    const COST: TransformCost = TransformCost {
        forward: ArithmeticCost::new(29, 0, 5),
        inverse: ArithmeticCost::new(29, 0, 5),
    };

    #[inline(always)]
    fn forward<L: Lane>(x: [L; 8]) -> [L; 8] {
        let (a, b) = fold(&x);
        // Even part.
        let (t10, t13) = (a[0].add(a[3]), a[0].sub(a[3]));
        let (t11, t12) = (a[1].add(a[2]), a[1].sub(a[2]));
        let z1 = t12.add(t13).mul(C4);
        // Odd part: b[3], b[2], b[1], b[0] are the flow graph's tmp4 to tmp7.
        let o10 = b[3].add(b[2]);
        let o11 = b[2].add(b[1]);
        let o12 = b[1].add(b[0]);
        let z5 = o10.sub(o12).mul(C6);
        let z2 = o10.mul(C2_MINUS_C6).add(z5);
        let z4 = o12.mul(C2_PLUS_C6).add(z5);
        let z3 = o11.mul(C4);
        let (z11, z13) = (b[0].add(z3), b[0].sub(z3));
        [
            t10.add(t11),
            z11.add(z4),
            t13.add(z1),
            z13.sub(z2),
            t10.sub(t11),
            z13.add(z2),
            t13.sub(z1),
            z11.sub(z4),
        ]
    }

    #[inline(always)]
    fn inverse<L: Lane>(z: [L; 8]) -> [L; 8] {
        // Even part.
        let (t10, t11) = (z[0].add(z[4]), z[0].sub(z[4]));
        let t13 = z[2].add(z[6]);
        let t12 = z[2].sub(z[6]).mul(SQRT2).sub(t13);
        let e = [t10.add(t13), t11.add(t12), t11.sub(t12), t10.sub(t13)];
        // Odd part.
        let (z13, z10) = (z[5].add(z[3]), z[5].sub(z[3]));
        let (z11, z12) = (z[1].add(z[7]), z[1].sub(z[7]));
        let t7 = z11.add(z13);
        let t11 = z11.sub(z13).mul(SQRT2);
        let z5 = z10.add(z12).mul(TWO_C2);
        let t10 = z12.mul(TWO_C2_MINUS_C6).sub(z5);
        let t12 = z5.sub(z10.mul(TWO_C2_PLUS_C6));
        let t6 = t12.sub(t7);
        let t5 = t11.sub(t6);
        let t4 = t10.add(t5);
        [
            e[0].add(t7),
            e[1].add(t6),
            e[2].add(t5),
            e[3].sub(t4),
            e[3].add(t4),
            e[2].sub(t5),
            e[1].sub(t6),
            e[0].sub(t7),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::probe::check_member;

    #[test]
    fn scales_are_the_cosines() {
        for (k, s) in SCALES.iter().enumerate().skip(1) {
            let ideal = 2f64.sqrt() * (k as f64 * std::f64::consts::PI / 16.0).cos();
            assert!((s - ideal).abs() < 1e-15, "{k}");
        }
    }

    #[test]
    fn dct_fast_member() {
        check_member::<Aan>(&DCT_FAST, &crate::transform::dct::dct_matrix(), 0.0);
    }

    #[test]
    fn forward_matches_the_exact_dct() {
        let fast = &DCT_FAST as &dyn crate::transform::BlockTransform;
        let mut rng = crate::transform::analysis::Rng::new(8);
        for _ in 0..100 {
            let pixels = rng.pixel_block();
            let reference = crate::transform::dct::forward_f64(&pixels.map(f64::from));
            let mut out = [0.0f32; 64];
            fast.forward(&pixels, &mut out);
            for k in 0..64 {
                assert!(
                    (out[k] as f64 - reference[k]).abs() < 1e-3,
                    "coefficient {k}"
                );
            }
        }
    }
}
