//! Entropy coding: an adaptive binary range coder and a bit-cost estimator behind one trait.
//!
//! Symbols are binary decisions, each coded with an adaptive probability model
//! ([`BitModel`]); wider values are binarized by the codecs into such decisions plus raw
//! "bypass" bits. [`SymbolWriter`] is implemented by the real coder ([`RangeEncoder`]) and
//! by [`BitCounter`], which prices the same decisions in fractional bits from the same
//! models without touching them, so rate-distortion choices use the probabilities that
//! will write the bits. [`RangeDecoder`] is the mirror of the encoder; on damaged or short
//! input it reads zero bytes past the end and never panics, so callers must bound every
//! loop they drive from decoded symbols.
//!
//! The coder is a carry-less-output range coder in the style of LZMA's (32-bit range, a
//! 64-bit low with a cached byte for carry propagation), with 15-bit probabilities.

mod model;
mod range;

pub use model::{BitModel, COST_SCALE};
pub use range::{RangeDecoder, RangeEncoder};

/// Something that consumes binary decisions: the range encoder or a bit counter.
pub trait SymbolWriter {
    /// Codes one decision with an adaptive model (the encoder also adapts the model).
    fn put_bit(&mut self, model: &mut BitModel, bit: bool);
    /// Codes the low `count` bits of `value` (at most 16) with probability one half each,
    /// most significant first.
    fn put_bypass(&mut self, value: u32, count: u32);
}

/// Prices decisions in 1/[`COST_SCALE`] bits using the current model probabilities,
/// without adapting the models: the cost of coding a block given the state at its start.
#[derive(Debug, Default, Clone, Copy)]
pub struct BitCounter {
    /// Accumulated cost in 1/COST_SCALE bits.
    pub cost: u64,
}

impl BitCounter {
    /// A counter at zero.
    pub fn new() -> BitCounter {
        BitCounter { cost: 0 }
    }

    /// The accumulated cost in bits.
    pub fn bits(&self) -> f64 {
        self.cost as f64 / COST_SCALE as f64
    }
}

impl SymbolWriter for BitCounter {
    #[inline]
    fn put_bit(&mut self, model: &mut BitModel, bit: bool) {
        self.cost += model.cost(bit) as u64;
    }

    #[inline]
    fn put_bypass(&mut self, _value: u32, count: u32) {
        self.cost += (count * COST_SCALE) as u64;
    }
}

/// Writes `value` (>= 0) as an adaptive Exp-Golomb-like code: a unary exponent whose
/// decisions use `exponent_models[i]` (the last model repeats), then the mantissa bits
/// below the leading one, the top `context_mantissa` of them with `mantissa_models[e]`.
pub fn put_exp_golomb<W: SymbolWriter>(
    writer: &mut W,
    exponent_models: &mut [BitModel],
    mantissa_models: &mut [BitModel],
    value: u32,
) {
    // value + 1 has a leading one at bit position `exponent`.
    let v = value as u64 + 1;
    let exponent = 63 - v.leading_zeros();
    let last = exponent_models.len() - 1;
    for i in 0..exponent {
        writer.put_bit(&mut exponent_models[(i as usize).min(last)], true);
    }
    writer.put_bit(&mut exponent_models[(exponent as usize).min(last)], false);
    if exponent > 0 {
        // The first mantissa bit below the leading one is coded with a model per exponent.
        let top = ((v >> (exponent - 1)) & 1) == 1;
        let m = (exponent as usize - 1).min(mantissa_models.len() - 1);
        writer.put_bit(&mut mantissa_models[m], top);
        let rest = exponent - 1;
        let bits = v & ((1u64 << rest) - 1);
        let mut remaining = rest;
        while remaining > 0 {
            let n = remaining.min(16);
            remaining -= n;
            writer.put_bypass(((bits >> remaining) & ((1 << n) - 1)) as u32, n);
        }
    }
}

/// What [`BitCounter`] charges for [`put_exp_golomb`] of `value`, in 1/[`COST_SCALE`] bits,
/// read from the models without copying or touching them.
pub fn exp_golomb_cost(
    exponent_models: &[BitModel],
    mantissa_models: &[BitModel],
    value: u32,
) -> u32 {
    let v = value as u64 + 1;
    let exponent = 63 - v.leading_zeros();
    let last = exponent_models.len() - 1;
    let mut cost = 0;
    for i in 0..exponent {
        cost += exponent_models[(i as usize).min(last)].cost(true);
    }
    cost += exponent_models[(exponent as usize).min(last)].cost(false);
    if exponent > 0 {
        let top = ((v >> (exponent - 1)) & 1) == 1;
        let m = (exponent as usize - 1).min(mantissa_models.len() - 1);
        cost += mantissa_models[m].cost(top);
        cost += (exponent - 1) * COST_SCALE;
    }
    cost
}

/// Largest exponent [`get_exp_golomb`] accepts: larger ones mean damaged data.
pub const MAX_EXP_GOLOMB_EXPONENT: u32 = 24;

/// Reads a value written by [`put_exp_golomb`] with the same models. Returns `None` when
/// the exponent exceeds [`MAX_EXP_GOLOMB_EXPONENT`] (damaged data).
pub fn get_exp_golomb(
    reader: &mut RangeDecoder<'_>,
    exponent_models: &mut [BitModel],
    mantissa_models: &mut [BitModel],
) -> Option<u32> {
    let last = exponent_models.len() - 1;
    let mut exponent = 0u32;
    while reader.get_bit(&mut exponent_models[(exponent as usize).min(last)]) {
        exponent += 1;
        if exponent > MAX_EXP_GOLOMB_EXPONENT {
            return None;
        }
    }
    if exponent == 0 {
        return Some(0);
    }
    let m = (exponent as usize - 1).min(mantissa_models.len() - 1);
    let top = reader.get_bit(&mut mantissa_models[m]) as u64;
    let mut v = (1u64 << 1) | top;
    let mut remaining = exponent - 1;
    while remaining > 0 {
        let n = remaining.min(16);
        remaining -= n;
        v = (v << n) | reader.get_bypass(n) as u64;
    }
    Some((v - 1) as u32)
}

#[cfg(test)]
mod tests;
