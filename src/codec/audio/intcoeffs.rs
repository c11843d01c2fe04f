//! The syntax of one channel of one lossless audio frame: the integer MDCT coefficients,
//! unquantized, range coded with context-adaptive models; and the integer mid/side lifting
//! the lossless stereo frames use. The writer and the reader sit side by side.
//!
//! In (writer): `N` integer coefficients. Out: binary decisions into any [`SymbolWriter`].
//! The reader reverses it from a [`RangeDecoder`], bounding every value so damaged data ends
//! in an error, never a panic.
//!
//! Syntax, per channel frame: `coded`, one more than the index of the last non-zero
//! coefficient (0 for an all-zero frame), as an adaptive Exp-Golomb code; then for each
//! coefficient below `coded` a "non-zero" decision and, for a non-zero one, its magnitude
//! `m` as an adaptive Elias-gamma code (the exponent `e = ⌊log2 m⌋` in unary, then the bits
//! below the leading one, the top two modelled, the rest bypass) and the sign as a bypass
//! bit. Every model is chosen by a context: a magnitude estimate from the two coefficients
//! below in frequency and the three nearest of the previous frame of the channel in the
//! packet (`2|c[k-1]| + |c[k-2]| + |p[k-1]| + 2|p[k]| + |p[k+1]|`; in a packet's first frame,
//! `7/3 (2|c[k-1]| + |c[k-2]|)`), bucketed in half octaves: an adaptive Golomb code whose
//! parameter follows the local spectral envelope.

use crate::entropy::{get_exp_golomb, put_exp_golomb, BitModel, RangeDecoder, SymbolWriter};
use crate::error::{Error, Result};

/// Largest coefficient magnitude the reader accepts (valid streams stay below 2^22).
pub const MAX_MAGNITUDE: u32 = (1 << 24) - 1;
/// Exponents `⌊log2 m⌋` of magnitudes up to [`MAX_MAGNITUDE`].
const EXPONENTS: usize = 24;
/// Magnitude-estimate contexts: zero, then half octaves.
const CONTEXTS: usize = 56;
/// Magnitudes are clamped to this for the contexts.
const CONTEXT_CLAMP: u32 = 1 << 22;

/// Models of one context.
#[derive(Debug, Clone)]
struct ContextModels {
    nonzero: BitModel,
    exponent: [BitModel; EXPONENTS],
    /// First bit below the leading one, per exponent.
    first: [BitModel; EXPONENTS],
    /// Second bit below the leading one, per exponent and first bit.
    second: [[BitModel; 2]; EXPONENTS],
}

impl Default for ContextModels {
    fn default() -> Self {
        ContextModels {
            nonzero: BitModel::new(),
            exponent: [BitModel::new(); EXPONENTS],
            first: [BitModel::new(); EXPONENTS],
            second: [[BitModel::new(); 2]; EXPONENTS],
        }
    }
}

/// The adaptive models of one lossless packet, fresh at the start of every packet.
#[derive(Debug, Clone)]
pub struct IntModels {
    /// Per band mid/side decision, by the previous band's.
    pub ms: [BitModel; 2],
    coded_exp: [BitModel; 12],
    coded_mant: [BitModel; 12],
    contexts: Vec<ContextModels>,
}

impl Default for IntModels {
    fn default() -> Self {
        IntModels {
            ms: [BitModel::new(); 2],
            coded_exp: [BitModel::new(); 12],
            coded_mant: [BitModel::new(); 12],
            contexts: vec![ContextModels::default(); CONTEXTS],
        }
    }
}

/// What the previous frame of one channel in the packet left for the contexts.
#[derive(Debug, Clone)]
pub struct IntChannelState {
    /// Clamped magnitudes of the previous frame, with one zero past the end.
    previous: Vec<u32>,
    has_previous: bool,
}

impl IntChannelState {
    /// The state at the start of a packet (no previous frame).
    pub fn new(n: usize) -> IntChannelState {
        IntChannelState {
            previous: vec![0; n + 1],
            has_previous: false,
        }
    }

    fn remember(&mut self, q: &[i32]) {
        for (p, &v) in self.previous.iter_mut().zip(q) {
            *p = v.unsigned_abs().min(CONTEXT_CLAMP);
        }
        self.has_previous = true;
    }

    /// The context of coefficient `k` given the coefficients below it in `q`.
    #[inline]
    fn context(&self, q: &[i32], k: usize) -> usize {
        let mag = |i: usize| q[i].unsigned_abs().min(CONTEXT_CLAMP);
        let a = if k > 0 { mag(k - 1) } else { 0 };
        let b = if k > 1 { mag(k - 2) } else { 0 };
        let estimate = if self.has_previous {
            let p = &self.previous;
            let left = if k > 0 { p[k - 1] } else { 0 };
            2 * a + b + left + 2 * p[k] + p[k + 1]
        } else {
            (2 * a + b) * 7 / 3
        };
        if estimate == 0 {
            return 0;
        }
        let octave = estimate.ilog2() as usize;
        let half = if octave > 0 {
            ((estimate >> (octave - 1)) & 1) as usize
        } else {
            0
        };
        (1 + 2 * octave + half).min(CONTEXTS - 1)
    }
}

/// Writes the low `count` bits of `value` as bypass bits, at most 16 at a time.
fn put_raw<W: SymbolWriter>(w: &mut W, value: u32, count: u32) {
    let mut remaining = count;
    while remaining > 0 {
        let n = remaining.min(16);
        remaining -= n;
        w.put_bypass((value >> remaining) & ((1 << n) - 1), n);
    }
}

/// Reads what [`put_raw`] wrote.
fn get_raw(r: &mut RangeDecoder<'_>, count: u32) -> u32 {
    let mut value = 0;
    let mut remaining = count;
    while remaining > 0 {
        let n = remaining.min(16);
        remaining -= n;
        value = (value << n) | r.get_bypass(n);
    }
    value
}

/// Writes one channel frame of `N` coefficients.
pub fn write_int_channel<W: SymbolWriter>(
    w: &mut W,
    m: &mut IntModels,
    state: &mut IntChannelState,
    q: &[i32],
) {
    let coded = q.iter().rposition(|&v| v != 0).map_or(0, |k| k + 1);
    put_exp_golomb(w, &mut m.coded_exp, &mut m.coded_mant, coded as u32);
    for k in 0..coded {
        let c = &mut m.contexts[state.context(q, k)];
        let v = q[k];
        w.put_bit(&mut c.nonzero, v != 0);
        if v == 0 {
            continue;
        }
        let mag = v.unsigned_abs().min(MAX_MAGNITUDE);
        let e = mag.ilog2() as usize;
        for i in 0..e {
            w.put_bit(&mut c.exponent[i], true);
        }
        if e + 1 < EXPONENTS {
            w.put_bit(&mut c.exponent[e], false);
        }
        if e >= 1 {
            let first = (mag >> (e - 1)) & 1;
            w.put_bit(&mut c.first[e], first == 1);
            if e >= 2 {
                let second = (mag >> (e - 2)) & 1;
                w.put_bit(&mut c.second[e][first as usize], second == 1);
                if e >= 3 {
                    put_raw(w, mag & ((1 << (e - 2)) - 1), e as u32 - 2);
                }
            }
        }
        w.put_bypass((v < 0) as u32, 1);
    }
    state.remember(q);
}

/// Reads one channel frame written by [`write_int_channel`] into `q` (`N` values).
pub fn read_int_channel(
    r: &mut RangeDecoder<'_>,
    m: &mut IntModels,
    state: &mut IntChannelState,
    q: &mut [i32],
) -> Result<()> {
    let n = q.len();
    let coded = get_exp_golomb(r, &mut m.coded_exp, &mut m.coded_mant)
        .map(|v| v as usize)
        .filter(|&v| v <= n)
        .ok_or_else(|| {
            Error::invalid(format!(
                "lossless audio frame codes more than its {n} values"
            ))
        })?;
    q.iter_mut().for_each(|v| *v = 0);
    for k in 0..coded {
        let c = &mut m.contexts[state.context(q, k)];
        if !r.get_bit(&mut c.nonzero) {
            continue;
        }
        let mut e = 0usize;
        while e + 1 < EXPONENTS && r.get_bit(&mut c.exponent[e]) {
            e += 1;
        }
        let mut mag = 1u32;
        if e >= 1 {
            let first = r.get_bit(&mut c.first[e]) as u32;
            mag = (mag << 1) | first;
            if e >= 2 {
                let second = r.get_bit(&mut c.second[e][first as usize]) as u32;
                mag = (mag << 1) | second;
                if e >= 3 {
                    mag = (mag << (e - 2)) | get_raw(r, e as u32 - 2);
                }
            }
        }
        let negative = r.get_bypass(1) == 1;
        q[k] = if negative { -(mag as i32) } else { mag as i32 };
    }
    state.remember(q);
    Ok(())
}

/// Integer mid/side lifting of coefficients `lo..hi`: `S = L - R`, `M = R + ⌊S/2⌋`, in
/// place (`l` becomes M, `r` becomes S); exactly undone by [`from_mid_side`].
pub fn to_mid_side(l: &mut [i32], r: &mut [i32], lo: usize, hi: usize) {
    for k in lo..hi {
        let s = l[k].wrapping_sub(r[k]);
        l[k] = r[k].wrapping_add(s >> 1);
        r[k] = s;
    }
}

/// Undoes [`to_mid_side`]: `R = M - ⌊S/2⌋`, `L = S + R`.
pub fn from_mid_side(l: &mut [i32], r: &mut [i32], lo: usize, hi: usize) {
    for k in lo..hi {
        let s = r[k];
        let right = l[k].wrapping_sub(s >> 1);
        l[k] = s.wrapping_add(right);
        r[k] = right;
    }
}

/// Rough cost in bits of coding `values`: their bit lengths (twice, as a gamma code would).
pub fn rough_bits(values: impl Iterator<Item = i32>) -> u64 {
    values
        .map(|v| 2 * (32 - v.unsigned_abs().leading_zeros()) as u64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::RangeEncoder;

    #[test]
    fn channel_round_trip() {
        let n = 256;
        let frames: Vec<Vec<i32>> = (0..6)
            .map(|f| {
                (0..n)
                    .map(|k: usize| match f {
                        0 => 0,
                        1 => (k as i32 * 7919 % 201) - 100,
                        2 if k == 3 => -(MAX_MAGNITUDE as i32),
                        2 if k == 4 => MAX_MAGNITUDE as i32,
                        _ => ((k * k + f) % 13) as i32 - 6 + (k < 10) as i32 * 30_000,
                    })
                    .collect()
            })
            .collect();
        let mut enc = RangeEncoder::new();
        let mut m = IntModels::default();
        let mut st = IntChannelState::new(n);
        for q in &frames {
            write_int_channel(&mut enc, &mut m, &mut st, q);
        }
        let bytes = enc.finish();
        let mut dec = RangeDecoder::new(&bytes);
        let mut m = IntModels::default();
        let mut st = IntChannelState::new(n);
        let mut q = vec![0i32; n];
        for want in &frames {
            read_int_channel(&mut dec, &mut m, &mut st, &mut q).unwrap();
            assert_eq!(&q, want);
        }
        assert!(!dec.overran());
        // Garbage never panics.
        let junk: Vec<u8> = (0..300u32).map(|i| (i * 37 % 251) as u8).collect();
        let mut dec = RangeDecoder::new(&junk);
        let mut m = IntModels::default();
        let mut st = IntChannelState::new(n);
        for _ in 0..50 {
            let _ = read_int_channel(&mut dec, &mut m, &mut st, &mut q);
        }
    }

    #[test]
    fn mid_side_is_exact() {
        let l0: Vec<i32> = (0..200).map(|i| (i * 7919 % 4001) - 2000).collect();
        let r0: Vec<i32> = (0..200).map(|i| (i * 104_729 % 3001) - 1500).collect();
        let (mut l, mut r) = (l0.clone(), r0.clone());
        to_mid_side(&mut l, &mut r, 10, 150);
        assert_ne!(l, l0);
        from_mid_side(&mut l, &mut r, 10, 150);
        assert_eq!((l, r), (l0, r0));
    }
}
