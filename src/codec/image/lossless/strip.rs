//! One strip of a lossless or near-lossless picture: rows of interleaved 8-bit samples in,
//! coded bytes out (the decoder is [`super::decode`]).
//!
//! Every sample is predicted from samples already reconstructed: the median edge detector
//! (MED) on the left, above and above-left neighbours, plus a bias correction learned per
//! context of quantized local gradients. Colour pixels are coded green first; red and blue
//! are predicted in the domain of their difference to the reconstructed green of the same
//! pixel, so the colour transform is reversible by construction. The prediction residual
//! is quantized with step 2N + 1 (N the maximum error; N = 0 is lossless), so every
//! reconstructed sample is within ±N of its source in RGB or gray. Contexts depend only on
//! reconstructed samples, so the encoder first computes every sample's token (magnitude
//! class; sign and low magnitude bits raw) and context (channel and activity bucket: the
//! previous row's gradients and the residual sizes, the tokens, of the neighbours and, for
//! red and blue, of green at the same pixel), then writes each context's token distribution and codes the tokens
//! with static rANS ([`super::rans`]). Each strip starts with fresh bias statistics and
//! predicts its first row from the left only, so strips code and decode independently.

use super::rans::{self, BitWriter, EncodeTable, Step, TOKENS};

/// Activity buckets: each has its own residual models.
pub(super) const BUCKETS: usize = 24;
/// Upper activity of each bucket but the last.
pub(super) const BUCKET_LIMITS: [u32; BUCKETS - 1] = [
    0, 1, 2, 3, 4, 5, 7, 9, 11, 14, 17, 21, 26, 32, 40, 50, 62, 77, 95, 118, 146, 180, 225,
];
/// Gradient quantization thresholds (in steps of 2N + 1): 9 levels per gradient.
const GRADIENT_LIMITS: [i32; 3] = [3, 7, 21];
/// Bias contexts: three gradients of 9 levels each.
pub(super) const BIAS_CONTEXTS: usize = 729;
/// A bias context keeps 2^BIAS_SHIFT times a decaying mean of its prediction errors.
const BIAS_SHIFT: u32 = 6;
/// The largest magnitude of a domain value (sample or difference to green).
pub(super) const DOMAIN_LIMIT: i32 = 255;

/// What a strip holds: its size and how it is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StripShape {
    pub width: usize,
    pub rows: usize,
    /// 1 (gray) or 3 (RGB, interleaved).
    pub channels: usize,
    /// Largest error of any reconstructed sample (0 = lossless).
    pub max_error: u8,
}

impl StripShape {
    #[inline]
    pub(super) fn step(&self) -> i32 {
        2 * self.max_error as i32 + 1
    }

    /// Largest quantized residual magnitude a sample can need.
    pub(super) fn max_level(&self) -> u32 {
        ((255 + self.max_error as i32) / self.step()) as u32
    }
}

/// Running prediction error of one bias context: 2^BIAS_SHIFT times an exponentially
/// decaying mean (each new error weighs 2^−BIAS_SHIFT; the decay is rounded like the
/// correction, so the mean is not biased). Shared by the encoder and the decoder.
#[derive(Clone, Copy, Default)]
pub(super) struct Bias(i32);

impl Bias {
    /// The mean error, rounded half up.
    #[inline(always)]
    pub(super) fn correction(self) -> i32 {
        (self.0 + (1 << (BIAS_SHIFT - 1))) >> BIAS_SHIFT
    }

    #[inline(always)]
    pub(super) fn add(&mut self, error: i32) {
        self.0 += error - self.correction();
    }
}

/// Reconstructed domain values and residual sizes of one channel, previous and current
/// row, each with one border entry on either side (sample x at index x + 1).
struct ChannelRows {
    previous: Vec<i16>,
    current: Vec<i16>,
    previous_size: Vec<u16>,
    current_size: Vec<u16>,
    bias: Vec<Bias>,
}

impl ChannelRows {
    fn new(width: usize) -> ChannelRows {
        ChannelRows {
            previous: vec![0; width + 2],
            current: vec![0; width + 2],
            previous_size: vec![0; width + 2],
            current_size: vec![0; width + 2],
            bias: vec![Bias::default(); BIAS_CONTEXTS],
        }
    }

    /// Makes the current row the previous one and sets the borders for the next row.
    fn next_row(&mut self, width: usize) {
        next_row(&mut self.previous, &mut self.current, width);
        next_row(&mut self.previous_size, &mut self.current_size, width);
    }
}

/// Makes `current` (a row with one border sample each side) the previous row and sets the
/// borders: the previous row's edges repeat its first and last samples, and the new
/// row's left border is the sample above it. Shared by the encoder and the decoder.
pub(super) fn next_row<T: Copy>(previous: &mut Vec<T>, current: &mut Vec<T>, width: usize) {
    std::mem::swap(previous, current);
    previous[0] = previous[1];
    previous[width + 1] = previous[width];
    current[0] = previous[1];
}

/// Tables that depend on the maximum error only.
pub(super) struct Tables {
    /// Quantized level (0..9) of a gradient, indexed by gradient + 2 × DOMAIN_LIMIT.
    pub gradient_level: Vec<u8>,
    /// Activity bucket by activity (clamped to the table's end).
    pub bucket: Vec<u8>,
    /// 65536 / step, to scale gradients to steps.
    pub inverse_step: u32,
}

impl Tables {
    pub(super) fn new(step: i32) -> Tables {
        let span = 2 * DOMAIN_LIMIT;
        let gradient_level = (-span..=span)
            .map(|g| {
                let m = g.abs();
                let level = if m < step {
                    0
                } else {
                    1 + GRADIENT_LIMITS.iter().filter(|&&t| m >= t * step).count() as i32
                };
                (4 + if g < 0 { -level } else { level }) as u8
            })
            .collect();
        let bucket = (0..=BUCKET_LIMITS[BUCKETS - 2] + 1)
            .map(|a| BUCKET_LIMITS.iter().filter(|&&t| a > t).count() as u8)
            .collect();
        Tables {
            gradient_level,
            bucket,
            inverse_step: (65536 / step) as u32,
        }
    }
}

/// The prediction of one sample and the contexts it is coded in.
struct Prediction {
    /// Predicted sample value, 0..=255.
    sample: i32,
    /// The MED prediction in the channel's domain, before the bias.
    med: i32,
    bias_context: usize,
    bucket: usize,
}

/// The state shared by the strip encoder and decoder.
struct StripState {
    shape: StripShape,
    tables: Tables,
    channels: Vec<ChannelRows>,
}

impl StripState {
    fn new(shape: StripShape) -> StripState {
        StripState {
            shape,
            tables: Tables::new(shape.step()),
            channels: (0..shape.channels)
                .map(|_| ChannelRows::new(shape.width))
                .collect(),
        }
    }

    fn start_row(&mut self, row: usize) {
        for (c, ch) in self.channels.iter_mut().enumerate() {
            if row > 0 {
                ch.next_row(self.shape.width);
            } else {
                // The first sample of a strip is predicted as mid-grey (green or gray) or
                // as equal to green (red and blue).
                ch.current[0] = if c == 0 { 128 } else { 0 };
            }
        }
    }

    /// Predicts channel `c` (coding order: 0 green or gray, 1 red, 2 blue) of sample `x`.
    /// `base` is what the channel's domain values are relative to (see [`next_base`]).
    #[inline]
    fn predict(&self, c: usize, x: usize, first_row: bool, base: i32) -> Prediction {
        let rows = &self.channels[c];
        let i = x + 1;
        let a = rows.current[i - 1] as i32;
        let (b, cc, d) = if first_row {
            (a, a, a)
        } else {
            (
                rows.previous[i] as i32,
                rows.previous[i - 1] as i32,
                rows.previous[i + 1] as i32,
            )
        };
        let med = if cc >= a.max(b) {
            a.min(b)
        } else if cc <= a.min(b) {
            a.max(b)
        } else {
            a + b - cc
        };
        let span = 2 * DOMAIN_LIMIT;
        let level = |g: i32| self.tables.gradient_level[(g + span) as usize] as usize;
        let (g1, g2, g3) = (d - b, b - cc, cc - a);
        let bias_context = level(g1) * 81 + level(g2) * 9 + level(g3);
        let predicted = med + rows.bias[bias_context].correction();
        let sample = (base + predicted).clamp(0, 255);
        // The previous row only, so that a decoder can find every token's context before
        // reconstructing the row.
        let gradients = ((g1.unsigned_abs() + g2.unsigned_abs() + (d - cc).unsigned_abs())
            * self.tables.inverse_step)
            >> 16;
        let left_size = rows.current_size[i - 1] as u32;
        let above_size = if first_row {
            left_size
        } else {
            rows.previous_size[i] as u32
        };
        let (nw_size, ne_size) = if first_row {
            (left_size, left_size)
        } else {
            (
                rows.previous_size[i - 1] as u32,
                rows.previous_size[i + 1] as u32,
            )
        };
        let mut activity = gradients + 2 * (left_size + above_size) + nw_size + ne_size;
        if c > 0 {
            activity += 2 * self.channels[c - 1].current_size[i] as u32
                + self.channels[0].current_size[i] as u32;
        }
        let last = self.tables.bucket.len() - 1;
        let bucket = self.tables.bucket[(activity as usize).min(last)] as usize;
        Prediction {
            sample,
            med,
            bias_context,
            bucket,
        }
    }

    /// Records the reconstruction of channel `c` of sample `x`: `level` is the coded
    /// quantized residual. Returns the reconstructed sample.
    #[inline]
    fn update(&mut self, c: usize, x: usize, p: &Prediction, level: i32, base: i32) -> i32 {
        let sample = (p.sample + level * self.shape.step()).clamp(0, 255);
        let value = sample - base;
        let rows = &mut self.channels[c];
        rows.current[x + 1] = value as i16;
        rows.current_size[x + 1] = token_of(level.unsigned_abs()).0 as u16;
        rows.bias[p.bias_context].add(value - p.med);
        sample
    }
}

/// The base of the next channel's domain, from channel `c`'s base and reconstructed
/// sample: red is coded as its difference to the reconstructed green, blue as its
/// difference to the mean of the reconstructed green and red.
#[inline]
pub(super) fn next_base(c: usize, base: i32, sample: i32) -> i32 {
    match c {
        0 => sample,
        _ => (base + sample) >> 1,
    }
}

/// The pixel's channel in coding order `c` sits at this offset in an interleaved pixel.
#[inline]
pub(super) fn offset_of(channels: usize, c: usize) -> usize {
    if channels == 1 {
        0
    } else {
        [1, 0, 2][c]
    }
}

/// Quantizes a prediction residual with step 2N + 1, rounding to the nearest level.
#[inline]
pub(super) fn quantize(residual: i32, max_error: i32, step: i32) -> i32 {
    if residual >= 0 {
        (residual + max_error) / step
    } else {
        -((max_error - residual) / step)
    }
}

/// Magnitudes below this are tokens of their own.
const DIRECT_TOKENS: u32 = 16;

/// The token of magnitude `m` (0 to 255), its count of extra bits and their value: `m`
/// itself below [`DIRECT_TOKENS`]; above, the exponent e = floor(log2 m) and the bit below
/// the leading one choose the token, and the e − 1 bits below are extra.
#[inline]
fn token_of(m: u32) -> (u8, u32, u32) {
    if m < DIRECT_TOKENS {
        (m as u8, 0, 0)
    } else {
        let e = 31 - m.leading_zeros();
        let top = (m >> (e - 1)) & 1;
        let token = DIRECT_TOKENS + 2 * (e - 4) + top;
        (token as u8, e - 1, m & ((1 << (e - 1)) - 1))
    }
}

/// The smallest magnitude of each token and its count of extra bits.
pub(super) const TOKEN_BASE: [(u32, u32); TOKENS] = {
    let mut table = [(0u32, 0u32); TOKENS];
    let mut t = 0;
    while t < TOKENS {
        table[t] = if t < DIRECT_TOKENS as usize {
            (t as u32, 0)
        } else {
            let e = 4 + (t as u32 - DIRECT_TOKENS) / 2;
            let top = (t as u32 - DIRECT_TOKENS) & 1;
            ((1 << e) | (top << (e - 1)), e - 1)
        };
        t += 1;
    }
    table
};

/// Codes the strip's samples (`shape.rows` rows of `shape.width` interleaved pixels) and
/// returns the strip's bytes (distributions, then the rANS streams) and the reconstruction
/// (equal to `samples` when lossless).
pub fn encode_strip(shape: StripShape, samples: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut state = StripState::new(shape);
    let n = shape.channels;
    let (max_error, step) = (shape.max_error as i32, shape.step());
    let mut out = vec![0u8; samples.len()];
    let mut steps = Vec::with_capacity(samples.len());
    let mut counts = vec![[0u32; TOKENS]; n * BUCKETS];
    for y in 0..shape.rows {
        state.start_row(y);
        let row = y * shape.width * n;
        for x in 0..shape.width {
            let mut base = 0;
            for c in 0..n {
                let at = row + x * n + offset_of(n, c);
                let p = state.predict(c, x, y == 0, base);
                let level = quantize(samples[at] as i32 - p.sample, max_error, step);
                let (token, extra, value) = token_of(level.unsigned_abs());
                let table = c * BUCKETS + p.bucket;
                counts[table][token as usize] += 1;
                // A nonzero level has a sign bit below its extra bits.
                let (bits, raw) = if level != 0 {
                    (1 + extra as u8, (value << 1) | (level < 0) as u32)
                } else {
                    (0, 0)
                };
                steps.push(Step {
                    channel: c as u8,
                    lane: (x % rans::LANES) as u8,
                    table: table as u16,
                    token,
                    bits,
                    raw,
                });
                let sample = state.update(c, x, &p, level, base);
                out[at] = sample as u8;
                base = next_base(c, base, sample);
            }
        }
    }
    let mut writer = BitWriter::default();
    let mut tables = Vec::with_capacity(counts.len());
    for c in &counts {
        let codes = rans::codes_of(c);
        rans::write_distribution(&mut writer, &codes);
        let freq = rans::frequencies_of(&codes).expect("codes of counts carry weight");
        tables.push(EncodeTable::new(&freq));
    }
    let mut bytes = writer.into_bytes();
    let streams = rans::encode(&steps, &tables, n);
    // The word count of every stream but the last, then the streams.
    for words in &streams[..n - 1] {
        bytes.extend_from_slice(&(words.len() as u32).to_le_bytes());
    }
    for words in &streams {
        for w in words {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
    }
    (bytes, out)
}
