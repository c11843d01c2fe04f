//! The syntax of one channel of one lossless audio frame: the integer MDCT coefficients,
//! unquantized, range coded with context-adaptive models; and the integer mid/side lifting
//! the lossless stereo frames use. The writer and the reader sit side by side.
//!
//! In (writer): `N` integer coefficients. Out: binary decisions into any [`SymbolWriter`].
//! The ranges and the context count depend on the stream's PCM depth ([`IntModels::new`]):
//! 16-bit streams keep the limits they always had, 24-bit ones get room for coefficients
//! 256 times larger; 24-bit frames also signal each block's wasted low bits
//! ([`write_shift`]), and in stereo whether the block's right channel is coded in the time
//! domain as the difference `S = L - R` ([`write_side_block`]: sample by sample, for
//! blocks whose difference is sparse, which the MDCT would spread over every coefficient).
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

/// Largest coefficient magnitude the reader of a 16-bit stream accepts (valid streams stay
/// below 2^22).
pub const MAX_MAGNITUDE: u32 = (1 << 24) - 1;
/// Largest coefficient magnitude of a 24-bit stream: valid ones stay below 2^30 (a
/// coefficient below 2^29, a side value `L - R` below 2^30).
pub const MAX_MAGNITUDE_24: u32 = u32::MAX >> 1;
/// Exponents `⌊log2 m⌋` of magnitudes up to [`MAX_MAGNITUDE_24`]; a 16-bit stream uses the
/// first 24.
const EXPONENTS: usize = 31;
/// Largest shift (wasted low bits) a 24-bit block can have.
pub const MAX_SHIFT: u32 = 23;

/// The ranges of one PCM depth: exponents coded, magnitude-estimate contexts (zero, then
/// half octaves), and the clamp of magnitudes for the contexts.
#[derive(Debug, Clone, Copy)]
struct DepthLimits {
    max_magnitude: u32,
    exponents: usize,
    contexts: usize,
    clamp: u32,
}

impl DepthLimits {
    fn of(bits: u8) -> DepthLimits {
        if bits > 16 {
            DepthLimits {
                max_magnitude: MAX_MAGNITUDE_24,
                exponents: EXPONENTS,
                contexts: 67,
                clamp: 1 << 30,
            }
        } else {
            DepthLimits {
                max_magnitude: MAX_MAGNITUDE,
                exponents: 24,
                contexts: 56,
                clamp: 1 << 22,
            }
        }
    }
}

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

/// Exponents of a time-domain difference `|S| < 2^25`.
const SIDE_EXPONENTS: usize = 25;
/// Contexts of the time-domain difference: zero, then the bit length of the two previous
/// magnitudes' sum.
const SIDE_CONTEXTS: usize = 28;

/// Models of one context of the time-domain difference.
#[derive(Debug, Clone)]
struct SideModels {
    nonzero: BitModel,
    exponent: [BitModel; SIDE_EXPONENTS],
    first: [BitModel; SIDE_EXPONENTS],
}

impl Default for SideModels {
    fn default() -> Self {
        SideModels {
            nonzero: BitModel::new(),
            exponent: [BitModel::new(); SIDE_EXPONENTS],
            first: [BitModel::new(); SIDE_EXPONENTS],
        }
    }
}

/// The adaptive models of one lossless packet, fresh at the start of every packet.
#[derive(Debug, Clone)]
pub struct IntModels {
    /// Per band mid/side decision, by the previous band's.
    pub ms: [BitModel; 2],
    /// Per block "right channel in the time domain", by the previous block's.
    pub time_side: [BitModel; 2],
    side: Vec<SideModels>,
    /// Whether a block's shift is its channel's previous one.
    shift_same: BitModel,
    coded_exp: [BitModel; 12],
    coded_mant: [BitModel; 12],
    contexts: Vec<ContextModels>,
    limits: DepthLimits,
}

impl IntModels {
    /// Fresh models for a stream of `bits`-bit PCM (16 or 24).
    pub fn new(bits: u8) -> IntModels {
        let limits = DepthLimits::of(bits);
        IntModels {
            ms: [BitModel::new(); 2],
            time_side: [BitModel::new(); 2],
            side: vec![SideModels::default(); SIDE_CONTEXTS],
            shift_same: BitModel::new(),
            coded_exp: [BitModel::new(); 12],
            coded_mant: [BitModel::new(); 12],
            contexts: vec![ContextModels::default(); limits.contexts],
            limits,
        }
    }
}

/// What the previous frame of one channel in the packet left for the contexts, and the
/// channel's last shift.
#[derive(Debug, Clone)]
pub struct IntChannelState {
    /// Clamped magnitudes of the previous frame, with one zero past the end.
    previous: Vec<u64>,
    has_previous: bool,
    limits: DepthLimits,
    /// The shift of the channel's previous frame in the packet (0 at its start).
    pub shift: u32,
}

impl IntChannelState {
    /// The state at the start of a packet (no previous frame) for frames of `n` values of
    /// a `bits`-bit stream.
    pub fn new(n: usize, bits: u8) -> IntChannelState {
        IntChannelState {
            previous: vec![0; n + 1],
            has_previous: false,
            limits: DepthLimits::of(bits),
            shift: 0,
        }
    }

    fn remember(&mut self, q: &[i32]) {
        let clamp = self.limits.clamp;
        for (p, &v) in self.previous.iter_mut().zip(q) {
            *p = v.unsigned_abs().min(clamp) as u64;
        }
        self.has_previous = true;
    }

    /// The context of coefficient `k` given the coefficients below it in `q`.
    #[inline]
    fn context(&self, q: &[i32], k: usize) -> usize {
        let clamp = self.limits.clamp;
        let mag = |i: usize| q[i].unsigned_abs().min(clamp) as u64;
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
        (1 + 2 * octave + half).min(self.limits.contexts - 1)
    }
}

/// Writes a block's shift (its wasted low bits, at most [`MAX_SHIFT`]): "same as the
/// channel's previous", else the shift in 5 bypass bits.
pub fn write_shift<W: SymbolWriter>(
    w: &mut W,
    m: &mut IntModels,
    state: &mut IntChannelState,
    shift: u32,
) {
    let same = shift == state.shift;
    w.put_bit(&mut m.shift_same, same);
    if !same {
        w.put_bypass(shift, 5);
    }
    state.shift = shift;
}

/// Reads what [`write_shift`] wrote; a shift above [`MAX_SHIFT`] is an error.
pub fn read_shift(
    r: &mut RangeDecoder<'_>,
    m: &mut IntModels,
    state: &mut IntChannelState,
) -> Result<u32> {
    if !r.get_bit(&mut m.shift_same) {
        let shift = r.get_bypass(5);
        if shift > MAX_SHIFT {
            return Err(Error::invalid(format!(
                "lossless audio block shift {shift} (at most {MAX_SHIFT})"
            )));
        }
        state.shift = shift;
    }
    Ok(state.shift)
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

/// The context of a time-domain difference sample after magnitudes `a` and `b`.
#[inline]
fn side_context(a: u32, b: u32) -> usize {
    let sum = a as u64 + b as u64;
    if sum == 0 {
        0
    } else {
        (1 + sum.ilog2() as usize).min(SIDE_CONTEXTS - 1)
    }
}

/// Writes a block of time-domain differences (each `|v| < 2^25`): per sample a "non-zero"
/// decision, then the magnitude's exponent in unary and the bit below its leading one
/// (modelled), the rest bypass, and the sign; the context is [`side_context`] of the two
/// previous magnitudes in the block.
pub fn write_side_block<W: SymbolWriter>(w: &mut W, m: &mut IntModels, side: &[i32]) {
    let (mut a, mut b) = (0u32, 0u32);
    for &v in side {
        let c = &mut m.side[side_context(a, b)];
        let mag = v.unsigned_abs().min((1 << SIDE_EXPONENTS) - 1);
        w.put_bit(&mut c.nonzero, mag != 0);
        b = a;
        a = mag;
        if mag == 0 {
            continue;
        }
        let e = mag.ilog2() as usize;
        for i in 0..e {
            w.put_bit(&mut c.exponent[i], true);
        }
        if e + 1 < SIDE_EXPONENTS {
            w.put_bit(&mut c.exponent[e], false);
        }
        if e >= 1 {
            w.put_bit(&mut c.first[e], (mag >> (e - 1)) & 1 == 1);
            if e >= 2 {
                put_raw(w, mag & ((1 << (e - 1)) - 1), e as u32 - 1);
            }
        }
        w.put_bypass((v < 0) as u32, 1);
    }
}

/// Reads what [`write_side_block`] wrote into `side`.
pub fn read_side_block(r: &mut RangeDecoder<'_>, m: &mut IntModels, side: &mut [i32]) {
    let (mut a, mut b) = (0u32, 0u32);
    for v in side.iter_mut() {
        let c = &mut m.side[side_context(a, b)];
        let mut mag = 0u32;
        if r.get_bit(&mut c.nonzero) {
            let mut e = 0usize;
            while e + 1 < SIDE_EXPONENTS && r.get_bit(&mut c.exponent[e]) {
                e += 1;
            }
            mag = 1;
            if e >= 1 {
                mag = (mag << 1) | r.get_bit(&mut c.first[e]) as u32;
                if e >= 2 {
                    mag = (mag << (e - 1)) | get_raw(r, e as u32 - 1);
                }
            }
        }
        b = a;
        a = mag;
        *v = if mag != 0 && r.get_bypass(1) == 1 {
            -(mag as i32)
        } else {
            mag as i32
        };
    }
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
    let exponents = m.limits.exponents;
    let max = m.limits.max_magnitude;
    for k in 0..coded {
        let c = &mut m.contexts[state.context(q, k)];
        let v = q[k];
        w.put_bit(&mut c.nonzero, v != 0);
        if v == 0 {
            continue;
        }
        let mag = v.unsigned_abs().min(max);
        let e = mag.ilog2() as usize;
        for i in 0..e {
            w.put_bit(&mut c.exponent[i], true);
        }
        if e + 1 < exponents {
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
    let exponents = m.limits.exponents;
    for k in 0..coded {
        let c = &mut m.contexts[state.context(q, k)];
        if !r.get_bit(&mut c.nonzero) {
            continue;
        }
        let mut e = 0usize;
        while e + 1 < exponents && r.get_bit(&mut c.exponent[e]) {
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
        for bits in [16u8, 24] {
            channel_round_trip_at(bits);
        }
    }

    fn channel_round_trip_at(bits: u8) {
        let max = if bits == 16 {
            MAX_MAGNITUDE
        } else {
            MAX_MAGNITUDE_24
        } as i32;
        let n = 256;
        let frames: Vec<Vec<i32>> = (0..6)
            .map(|f| {
                (0..n)
                    .map(|k: usize| match f {
                        0 => 0,
                        1 => (k as i32 * 7919 % 201) - 100,
                        2 if k == 3 => -max,
                        2 if k == 4 => max,
                        2 if k == 5 => max / 3,
                        _ => ((k * k + f) % 13) as i32 - 6 + (k < 10) as i32 * 30_000,
                    })
                    .collect()
            })
            .collect();
        let shifts = [0u32, 8, 8, 23, 0, 5];
        let mut enc = RangeEncoder::new();
        let mut m = IntModels::new(bits);
        let mut st = IntChannelState::new(n, bits);
        for (q, &shift) in frames.iter().zip(&shifts) {
            write_shift(&mut enc, &mut m, &mut st, shift);
            write_int_channel(&mut enc, &mut m, &mut st, q);
        }
        let bytes = enc.finish();
        let mut dec = RangeDecoder::new(&bytes);
        let mut m = IntModels::new(bits);
        let mut st = IntChannelState::new(n, bits);
        let mut q = vec![0i32; n];
        for (want, &shift) in frames.iter().zip(&shifts) {
            assert_eq!(read_shift(&mut dec, &mut m, &mut st).unwrap(), shift);
            read_int_channel(&mut dec, &mut m, &mut st, &mut q).unwrap();
            assert_eq!(&q, want);
        }
        assert!(!dec.overran());
        // Garbage never panics.
        let junk: Vec<u8> = (0..300u32).map(|i| (i * 37 % 251) as u8).collect();
        let mut dec = RangeDecoder::new(&junk);
        let mut m = IntModels::new(bits);
        let mut st = IntChannelState::new(n, bits);
        for _ in 0..50 {
            let _ = read_shift(&mut dec, &mut m, &mut st);
            let _ = read_int_channel(&mut dec, &mut m, &mut st, &mut q);
        }
    }

    #[test]
    fn side_blocks_round_trip() {
        let blocks: Vec<Vec<i32>> = vec![
            vec![0; 300],
            (0..300)
                .map(|i| if i % 37 == 0 { 205 - (i % 2) * 410 } else { 0 })
                .collect(),
            (0..300).map(|i| (i * 7919) % 2001 - 1000).collect(),
            vec![(1 << 25) - 1, -(1 << 25) + 1, 1, -1, 2, -3, 0, 16_777_215],
        ];
        let mut enc = RangeEncoder::new();
        let mut m = IntModels::new(24);
        for b in &blocks {
            write_side_block(&mut enc, &mut m, b);
        }
        let bytes = enc.finish();
        let mut dec = RangeDecoder::new(&bytes);
        let mut m = IntModels::new(24);
        for b in &blocks {
            let mut got = vec![7; b.len()];
            read_side_block(&mut dec, &mut m, &mut got);
            assert_eq!(&got, b);
        }
        assert!(!dec.overran());
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
