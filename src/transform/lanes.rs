//! The number types the 8-point butterflies of [`super`] run on.
//!
//! Every butterfly is written once, generic over [`Lane`]: a value that can be added,
//! subtracted, shifted and multiplied by a [`Constant`]. It then runs on
//! - `f32`, for the encoder's forward transforms,
//! - `i32` in wrapping arithmetic, for the decoder's bit-exact inverses,
//! - `f64`, exactly, to read a butterfly's matrix off its unit responses ([`matrix_of`]),
//! - and, in tests, an instrumented type that counts operations and bounds magnitudes.
//!
//! The 2-D drivers run the scalar butterfly as the body of a loop over the eight columns
//! of a block, which the compiler vectorizes across columns. Also here: the even/odd
//! folding stage most members share, and the 4-point Walsh–Hadamard transform.

/// A constant multiplier: `fixed / 2^bits` in integer arithmetic, `value` in floating point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Constant {
    /// The integer multiplier.
    pub fixed: i32,
    /// Fraction bits of `fixed` (0 for an integer constant).
    pub bits: u32,
    /// The exact value the constant stands for.
    pub value: f64,
}

impl Constant {
    /// An integer constant (HEVC's 89, 75, ...).
    pub const fn int(value: i32) -> Constant {
        Constant {
            fixed: value,
            bits: 0,
            value: value as f64,
        }
    }

    /// A fixed-point constant: `value` rounded to `bits` fraction bits for integer lanes.
    pub const fn fixed(value: f64, bits: u32) -> Constant {
        let scaled = value * (1u64 << bits) as f64;
        let fixed = if scaled >= 0.0 {
            (scaled + 0.5) as i32
        } else {
            (scaled - 0.5) as i32
        };
        Constant { fixed, bits, value }
    }
}

/// Arithmetic a butterfly may use. Integers wrap instead of panicking and shift
/// arithmetically (`>>` rounds towards minus infinity, as in the video standards);
/// floating-point values scale by powers of two.
pub(crate) trait Lane: Copy {
    fn add(self, other: Self) -> Self;
    fn sub(self, other: Self) -> Self;
    fn shl(self, bits: u32) -> Self;
    fn shr(self, bits: u32) -> Self;
    /// Multiplication by a constant; integer lanes round `x · fixed` to `bits` fewer bits.
    fn mul(self, c: Constant) -> Self;
}

impl Lane for f64 {
    fn add(self, other: f64) -> f64 {
        self + other
    }
    fn sub(self, other: f64) -> f64 {
        self - other
    }
    fn shl(self, bits: u32) -> f64 {
        self * (1u64 << bits) as f64
    }
    fn shr(self, bits: u32) -> f64 {
        self / (1u64 << bits) as f64
    }
    fn mul(self, c: Constant) -> f64 {
        self * c.value
    }
}

impl Lane for f32 {
    #[inline(always)]
    fn add(self, other: f32) -> f32 {
        self + other
    }
    #[inline(always)]
    fn sub(self, other: f32) -> f32 {
        self - other
    }
    #[inline(always)]
    fn shl(self, bits: u32) -> f32 {
        self * (1u32 << bits) as f32
    }
    #[inline(always)]
    fn shr(self, bits: u32) -> f32 {
        self * (1.0 / (1u32 << bits) as f32)
    }
    #[inline(always)]
    fn mul(self, c: Constant) -> f32 {
        self * c.value as f32
    }
}

impl Lane for i32 {
    #[inline(always)]
    fn add(self, other: i32) -> i32 {
        self.wrapping_add(other)
    }
    #[inline(always)]
    fn sub(self, other: i32) -> i32 {
        self.wrapping_sub(other)
    }
    #[inline(always)]
    fn shl(self, bits: u32) -> i32 {
        self.wrapping_shl(bits)
    }
    #[inline(always)]
    fn shr(self, bits: u32) -> i32 {
        self >> bits
    }
    #[inline(always)]
    fn mul(self, c: Constant) -> i32 {
        if c.bits == 0 {
            self.wrapping_mul(c.fixed)
        } else {
            self.wrapping_mul(c.fixed).wrapping_add(1 << (c.bits - 1)) >> c.bits
        }
    }
}

/// First butterfly stage of the even/odd split: `a_i = x_i + x_{7-i}` (the even part) and
/// `b_i = x_i − x_{7-i}` (the odd part), `i` = 0..3. Eight additions.
#[inline(always)]
pub(crate) fn fold<L: Lane>(x: &[L; 8]) -> ([L; 4], [L; 4]) {
    (
        [
            x[0].add(x[7]),
            x[1].add(x[6]),
            x[2].add(x[5]),
            x[3].add(x[4]),
        ],
        [
            x[0].sub(x[7]),
            x[1].sub(x[6]),
            x[2].sub(x[5]),
            x[3].sub(x[4]),
        ],
    )
}

/// The transpose of [`fold`]: `x_i = a_i + b_i`, `x_{7-i} = a_i − b_i`. Eight additions.
#[inline(always)]
pub(crate) fn unfold<L: Lane>(a: [L; 4], b: [L; 4]) -> [L; 8] {
    [
        a[0].add(b[0]),
        a[1].add(b[1]),
        a[2].add(b[2]),
        a[3].add(b[3]),
        a[3].sub(b[3]),
        a[2].sub(b[2]),
        a[1].sub(b[1]),
        a[0].sub(b[0]),
    ]
}

/// The symmetric 4-point Walsh–Hadamard matrix in sequency order,
/// rows `[1 1 1 1] [1 1 −1 −1] [1 −1 −1 1] [1 −1 1 −1]`, applied to `v`. Eight additions.
#[inline(always)]
pub(crate) fn wht4<L: Lane>(v: [L; 4]) -> [L; 4] {
    let (s0, s1) = (v[0].add(v[3]), v[1].add(v[2]));
    let (d0, d1) = (v[0].sub(v[3]), v[1].sub(v[2]));
    [s0.add(s1), d0.add(d1), s0.sub(s1), d0.sub(d1)]
}

/// The 8×8 matrix of a linear 8-point butterfly: `m[k][n]` = output k for the unit input n.
pub(crate) fn matrix_of(butterfly: impl Fn([f64; 8]) -> [f64; 8]) -> [[f64; 8]; 8] {
    let mut m = [[0.0; 8]; 8];
    for n in 0..8 {
        let mut unit = [0.0; 8];
        unit[n] = 1.0;
        let column = butterfly(unit);
        for k in 0..8 {
            m[k][n] = column[k];
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_constants_round_to_nearest() {
        assert_eq!(Constant::fixed(2.613_125_93, 11).fixed, 5352);
        assert_eq!(Constant::fixed(-0.5, 2).fixed, -2);
        assert_eq!(Constant::int(89).value, 89.0);
    }

    #[test]
    fn integers_shift_like_the_standards() {
        let v = [-3i32, -2, -1, 0, 1, 2, 3, 7];
        assert_eq!(v.map(|x| x.shr(1)), [-2, -1, -1, 0, 0, 1, 1, 3]);
        let c = Constant::fixed(1.5, 1);
        assert_eq!(v.map(|x| x.mul(c)), [-4, -3, -1, 0, 2, 3, 5, 11]);
        assert_eq!(i32::MAX.add(1), i32::MIN);
        assert_eq!(3.0f32.shr(2), 0.75);
    }

    #[test]
    fn fold_and_unfold_are_transposes() {
        let m = matrix_of(|x| {
            let (a, b) = fold(&x);
            [a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]]
        });
        let t = matrix_of(|x| unfold([x[0], x[1], x[2], x[3]], [x[4], x[5], x[6], x[7]]));
        for i in 0..8 {
            for j in 0..8 {
                assert_eq!(m[i][j], t[j][i]);
            }
        }
        let w = matrix_of(|x| {
            let r = wht4([x[0], x[1], x[2], x[3]]);
            [r[0], r[1], r[2], r[3], 0.0, 0.0, 0.0, 0.0]
        });
        assert_eq!(w[3][..4], [1.0, -1.0, 1.0, -1.0]);
    }
}
