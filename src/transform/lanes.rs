//! The number types the 8-point butterflies of [`super`] run on.
//!
//! Every butterfly is written once, generic over [`Lane`]: a value that can be added,
//! subtracted, shifted and multiplied by a [`Constant`]. It then runs on
//! - [`F32x8`], eight f32 columns at once (the encoder's forward transforms),
//! - [`I32x8`], eight i32 columns at once (the decoder's bit-exact inverses),
//! - `f64`, one column exactly (to read a butterfly's matrix off its unit responses),
//! - and, in tests, an instrumented type that counts operations and bounds magnitudes.
//!
//! The eight-lane types are plain arrays with element-wise loops, which the compiler turns
//! into SIMD instructions; a block is eight of them (one per row) and the second pass of a
//! separable transform runs on the transposed block.

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

/// Arithmetic a butterfly may use. Integer lanes shift arithmetically (`>>` rounds towards
/// minus infinity, as in the video standards); floating-point lanes scale by powers of two.
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

/// Eight f32 values, one per column of a block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct F32x8(pub [f32; 8]);

impl F32x8 {
    pub const ZERO: F32x8 = F32x8([0.0; 8]);

    #[inline(always)]
    fn map2(self, other: F32x8, f: impl Fn(f32, f32) -> f32) -> F32x8 {
        let mut r = self.0;
        for i in 0..8 {
            r[i] = f(r[i], other.0[i]);
        }
        F32x8(r)
    }

    #[inline(always)]
    fn scale(self, factor: f32) -> F32x8 {
        let mut r = self.0;
        for v in r.iter_mut() {
            *v *= factor;
        }
        F32x8(r)
    }
}

impl Lane for F32x8 {
    #[inline(always)]
    fn add(self, other: F32x8) -> F32x8 {
        self.map2(other, |a, b| a + b)
    }
    #[inline(always)]
    fn sub(self, other: F32x8) -> F32x8 {
        self.map2(other, |a, b| a - b)
    }
    #[inline(always)]
    fn shl(self, bits: u32) -> F32x8 {
        self.scale((1u32 << bits) as f32)
    }
    #[inline(always)]
    fn shr(self, bits: u32) -> F32x8 {
        self.scale(1.0 / (1u32 << bits) as f32)
    }
    #[inline(always)]
    fn mul(self, c: Constant) -> F32x8 {
        self.scale(c.value as f32)
    }
}

/// Eight i32 values, one per column of a block. Arithmetic wraps instead of panicking; the
/// inverses clamp their inputs so that, as the tests prove with bounds, it never wraps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct I32x8(pub [i32; 8]);

impl I32x8 {
    pub const ZERO: I32x8 = I32x8([0; 8]);

    #[inline(always)]
    fn map(self, f: impl Fn(i32) -> i32) -> I32x8 {
        let mut r = self.0;
        for v in r.iter_mut() {
            *v = f(*v);
        }
        I32x8(r)
    }

    #[inline(always)]
    fn map2(self, other: I32x8, f: impl Fn(i32, i32) -> i32) -> I32x8 {
        let mut r = self.0;
        for i in 0..8 {
            r[i] = f(r[i], other.0[i]);
        }
        I32x8(r)
    }

    /// `(x + 2^(bits-1)) >> bits`: division by `2^bits` rounding halves up.
    #[inline(always)]
    pub fn round_shift(self, bits: u32) -> I32x8 {
        if bits == 0 {
            self
        } else {
            self.map(|x| x.wrapping_add(1 << (bits - 1)) >> bits)
        }
    }

    /// Clamps every value to `±limit`.
    #[inline(always)]
    pub fn clamp(self, limit: i32) -> I32x8 {
        self.map(|x| x.clamp(-limit, limit))
    }
}

impl Lane for I32x8 {
    #[inline(always)]
    fn add(self, other: I32x8) -> I32x8 {
        self.map2(other, i32::wrapping_add)
    }
    #[inline(always)]
    fn sub(self, other: I32x8) -> I32x8 {
        self.map2(other, i32::wrapping_sub)
    }
    #[inline(always)]
    fn shl(self, bits: u32) -> I32x8 {
        self.map(|x| x.wrapping_shl(bits))
    }
    #[inline(always)]
    fn shr(self, bits: u32) -> I32x8 {
        self.map(|x| x >> bits)
    }
    #[inline(always)]
    fn mul(self, c: Constant) -> I32x8 {
        if c.bits == 0 {
            self.map(|x| x.wrapping_mul(c.fixed))
        } else {
            let half = 1i32 << (c.bits - 1);
            self.map(|x| x.wrapping_mul(c.fixed).wrapping_add(half) >> c.bits)
        }
    }
}

/// Transposes a block held as eight lanes of eight.
#[inline(always)]
pub(crate) fn transpose<T: Copy>(rows: &[[T; 8]; 8]) -> [[T; 8]; 8] {
    let mut out = *rows;
    for i in 0..8 {
        for j in 0..8 {
            out[j][i] = rows[i][j];
        }
    }
    out
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
        assert_eq!(Constant::fixed(1.414_213_562, 11).fixed, 2896);
        assert_eq!(Constant::fixed(-0.5, 2).fixed, -2);
        assert_eq!(Constant::int(89).value, 89.0);
    }

    #[test]
    fn integer_lanes_shift_like_the_standards() {
        let v = I32x8([-3, -2, -1, 0, 1, 2, 3, 7]);
        assert_eq!(v.shr(1).0, [-2, -1, -1, 0, 0, 1, 1, 3]);
        assert_eq!(v.round_shift(1).0, [-1, -1, 0, 0, 1, 1, 2, 4]);
        let c = Constant::fixed(1.5, 1);
        assert_eq!(v.mul(c).0, [-4, -3, -1, 0, 2, 3, 5, 11]);
        assert_eq!(I32x8([i32::MIN; 8]).clamp(5).0, [-5; 8]);
    }

    #[test]
    fn transpose_swaps_indices() {
        let mut m = [[0u8; 8]; 8];
        for i in 0..8 {
            for j in 0..8 {
                m[i][j] = (8 * i + j) as u8;
            }
        }
        let t = transpose(&m);
        assert_eq!(t[2][5], m[5][2]);
        assert_eq!(transpose(&t), m);
    }
}
