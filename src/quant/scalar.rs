//! Scalar dead-zone quantization and its inverse.
//!
//! Steps are integers in 1/[`DEQUANT_ONE`] coefficient units, so that dequantization is
//! exact integer arithmetic shared by encoder and decoder. Quantization rounds
//! `|c| / step + rounding` down: a `rounding` of 0.5 is plain rounding, smaller values
//! widen the dead zone around zero and bias magnitudes down, which saves bits.

use crate::transform::dct::{DEQUANT_ONE, MAX_DEQUANT};

/// Largest quantized magnitude the codecs accept (larger means damaged data).
pub const MAX_LEVEL: i32 = 1 << 14;

/// Quantizes one coefficient with a step in 1/16 units.
#[inline]
pub fn quantize(coefficient: f32, step16: u16, rounding: f32) -> i32 {
    let step = step16 as f32 / DEQUANT_ONE as f32;
    // The value is never negative, so truncation is the floor (and needs no libm call);
    // `as` saturates huge values, which the clamp then bounds.
    let magnitude = ((coefficient.abs() / step + rounding) as i32).min(MAX_LEVEL);
    if coefficient < 0.0 {
        -magnitude
    } else {
        magnitude
    }
}

/// Dequantizes one level: the coefficient in 1/16 units, clamped to the inverse
/// transform's input range.
#[inline]
pub fn dequantize(level: i32, step16: u16) -> i32 {
    (level.clamp(-MAX_LEVEL, MAX_LEVEL) * step16 as i32).clamp(-MAX_DEQUANT, MAX_DEQUANT)
}

/// Integer division rounding half away from zero (`divisor > 0`).
#[inline]
pub fn div_round(value: i32, divisor: i32) -> i32 {
    if value >= 0 {
        (value + divisor / 2) / divisor
    } else {
        -((-value + divisor / 2) / divisor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_zone_and_rounding() {
        assert_eq!(quantize(10.0, 16 * 4, 0.5), 3);
        assert_eq!(quantize(-10.0, 16 * 4, 0.5), -3);
        assert_eq!(quantize(2.9, 16 * 4, 0.25), 0);
        assert_eq!(quantize(1e30, 16, 0.5), MAX_LEVEL);
        assert_eq!(dequantize(3, 64), 192);
        assert_eq!(dequantize(i32::MAX, u16::MAX), MAX_DEQUANT);
        assert_eq!(div_round(7, 2), 4);
        assert_eq!(div_round(-7, 2), -4);
        assert_eq!(div_round(-5, 3), -2);
    }
}
