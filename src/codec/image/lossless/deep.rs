//! One strip of a 16-bit lossless picture: rows of interleaved 16-bit samples in, coded
//! bytes out, and back, bit for bit.
//!
//! Colour pixels are first turned into G, R − G and B − G (reversible in integers); each of
//! those planes (or the gray plane) is predicted by the median edge detector from the
//! left, above and above-left values of the same plane, already decoded. The residual is
//! folded to an unsigned value (0, −1, 1, −2, … → 0, 1, 2, 3, …) and written as a
//! Golomb–Rice code whose parameter adapts per context: the plane and a bucket of the local
//! gradient sum. Each context keeps the sum of its folded values and its count (halved
//! every 64 samples), and its parameter is the smallest k with count · 2^k ≥ sum, as
//! LOCO-I chooses it. A quotient of [`ESCAPE`] or more is written as that many ones and the
//! value in [`RAW_BITS`] raw bits. Every strip starts with fresh statistics and predicts its
//! first row from the left only, so strips decode independently.

use crate::error::{Error, Result};

/// Gradient buckets per plane.
const BUCKETS: usize = 12;
/// Upper gradient sum of each bucket but the last.
const BUCKET_LIMITS: [u32; BUCKETS - 1] = [0, 4, 16, 48, 128, 320, 768, 1536, 3072, 6144, 12288];
/// Statistics are halved when a context's count reaches this.
const RESET: u32 = 64;
/// A Rice quotient this large is an escape: the value follows in raw bits.
const ESCAPE: u32 = 24;
/// Raw bits of an escaped value: folded residuals of G, R − G and B − G fit in 18 bits.
const RAW_BITS: u32 = 18;

/// Adaptive Rice statistics of one context.
#[derive(Clone, Copy)]
struct RiceContext {
    sum: u32,
    count: u32,
}

impl RiceContext {
    fn new() -> RiceContext {
        // A first guess of about 2^4 per sample, so that k starts near 4.
        RiceContext { sum: 16, count: 1 }
    }

    fn parameter(&self) -> u32 {
        let mut k = 0;
        while (self.count << k) < self.sum && k < 17 {
            k += 1;
        }
        k
    }

    fn update(&mut self, folded: u32) {
        self.sum += folded;
        self.count += 1;
        if self.count >= RESET {
            self.sum = self.sum.div_ceil(2);
            self.count /= 2;
        }
    }
}

struct BitWriter {
    bytes: Vec<u8>,
    acc: u64,
    filled: u32,
}

impl BitWriter {
    fn put(&mut self, value: u32, bits: u32) {
        debug_assert!(bits <= 32);
        self.acc = (self.acc << bits) | u64::from(value) & ((1u64 << bits) - 1);
        self.filled += bits;
        while self.filled >= 8 {
            self.filled -= 8;
            self.bytes.push((self.acc >> self.filled) as u8);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.filled > 0 {
            let pad = 8 - self.filled;
            self.put(0, pad);
        }
        self.bytes
    }
}

struct BitReader<'a> {
    bytes: &'a [u8],
    position: usize,
    acc: u64,
    filled: u32,
}

impl BitReader<'_> {
    fn get(&mut self, bits: u32) -> Result<u32> {
        while self.filled < bits {
            let byte = *self
                .bytes
                .get(self.position)
                .ok_or_else(|| Error::InvalidStream("16-bit lossless strip ends early".into()))?;
            self.position += 1;
            self.acc = (self.acc << 8) | u64::from(byte);
            self.filled += 8;
        }
        self.filled -= bits;
        Ok(((self.acc >> self.filled) & ((1u64 << bits) - 1)) as u32)
    }
}

fn write_rice(w: &mut BitWriter, folded: u32, k: u32) {
    let quotient = folded >> k;
    if quotient >= ESCAPE {
        w.put((1 << ESCAPE) - 1, ESCAPE);
        w.put(folded, RAW_BITS);
        return;
    }
    // `quotient` ones, a zero, then the k low bits.
    w.put(((1u32 << quotient) - 1) << 1, quotient + 1);
    if k > 0 {
        w.put(folded & ((1 << k) - 1), k);
    }
}

fn read_rice(r: &mut BitReader, k: u32) -> Result<u32> {
    let mut quotient = 0;
    while quotient < ESCAPE && r.get(1)? == 1 {
        quotient += 1;
    }
    if quotient == ESCAPE {
        return r.get(RAW_BITS);
    }
    let low = if k > 0 { r.get(k)? } else { 0 };
    Ok((quotient << k) | low)
}

fn fold(residual: i32) -> u32 {
    ((residual << 1) ^ (residual >> 31)) as u32
}

fn unfold(folded: u32) -> i32 {
    (folded >> 1) as i32 ^ -((folded & 1) as i32)
}

fn med(a: i32, b: i32, c: i32) -> i32 {
    if c >= a.max(b) {
        a.min(b)
    } else if c <= a.min(b) {
        a.max(b)
    } else {
        a + b - c
    }
}

fn bucket(gradient: u32) -> usize {
    BUCKET_LIMITS.iter().take_while(|&&l| gradient > l).count()
}

/// The strip's planes: G, R − G, B − G for colour, the samples for gray.
fn to_planes(samples: &[u16], channels: usize) -> Vec<i32> {
    if channels == 1 {
        return samples.iter().map(|&v| i32::from(v)).collect();
    }
    let mut out = Vec::with_capacity(samples.len());
    for pixel in samples.chunks_exact(3) {
        let (r, g, b) = (
            i32::from(pixel[0]),
            i32::from(pixel[1]),
            i32::from(pixel[2]),
        );
        out.extend_from_slice(&[g, r - g, b - g]);
    }
    out
}

/// Prediction and context of sample `x` of plane `c` in row `row` of `values` (width ×
/// channels values per row, rows above already known).
fn predict(
    values: &[i32],
    width: usize,
    channels: usize,
    row: usize,
    x: usize,
    c: usize,
) -> (i32, usize) {
    let stride = width * channels;
    let at = |r: usize, col: usize| values[r * stride + col * channels + c];
    let left = if x > 0 { Some(at(row, x - 1)) } else { None };
    if row == 0 {
        return (left.unwrap_or(0), c * BUCKETS);
    }
    let above = at(row - 1, x);
    let a = left.unwrap_or(above);
    let above_left = if x > 0 { at(row - 1, x - 1) } else { above };
    let above_right = if x + 1 < width {
        at(row - 1, x + 1)
    } else {
        above
    };
    let gradient = (above_right - above).unsigned_abs()
        + (above - above_left).unsigned_abs()
        + (above_left - a).unsigned_abs();
    (med(a, above, above_left), c * BUCKETS + bucket(gradient))
}

/// Codes `rows` rows of `width` pixels of `channels` (1 or 3) interleaved 16-bit samples.
pub fn encode_deep_strip(width: usize, rows: usize, channels: usize, samples: &[u16]) -> Vec<u8> {
    debug_assert_eq!(samples.len(), width * rows * channels);
    let values = to_planes(samples, channels);
    let mut contexts = vec![RiceContext::new(); BUCKETS * channels];
    let mut w = BitWriter {
        bytes: Vec::with_capacity(samples.len()),
        acc: 0,
        filled: 0,
    };
    for row in 0..rows {
        for x in 0..width {
            for c in 0..channels {
                let (prediction, context) = predict(&values, width, channels, row, x, c);
                let folded = fold(values[(row * width + x) * channels + c] - prediction);
                let k = contexts[context].parameter();
                write_rice(&mut w, folded, k);
                contexts[context].update(folded);
            }
        }
    }
    w.finish()
}

/// Decodes a strip coded by [`encode_deep_strip`].
pub fn decode_deep_strip(
    width: usize,
    rows: usize,
    channels: usize,
    data: &[u8],
) -> Result<Vec<u16>> {
    if channels != 1 && channels != 3 {
        return Err(Error::InvalidStream(format!(
            "16-bit lossless strip with {channels} channels (expected 1 or 3)"
        )));
    }
    let count = width
        .checked_mul(rows)
        .and_then(|n| n.checked_mul(channels))
        .ok_or_else(|| Error::InvalidStream("16-bit lossless strip size overflows".into()))?;
    let mut values = vec![0i32; count];
    let mut contexts = vec![RiceContext::new(); BUCKETS * channels];
    let mut r = BitReader {
        bytes: data,
        position: 0,
        acc: 0,
        filled: 0,
    };
    let limit = if channels == 1 {
        0..=65535
    } else {
        -65535..=65535
    };
    for row in 0..rows {
        for x in 0..width {
            for c in 0..channels {
                let (prediction, context) = predict(&values, width, channels, row, x, c);
                let k = contexts[context].parameter();
                let folded = read_rice(&mut r, k)?;
                contexts[context].update(folded);
                let value = prediction + unfold(folded);
                let range = if c == 0 { &(0..=65535) } else { &limit };
                if !range.contains(&value) {
                    return Err(Error::InvalidStream(format!(
                        "16-bit lossless strip: value {value} out of range at row {row}, column {x}"
                    )));
                }
                values[(row * width + x) * channels + c] = value;
            }
        }
    }
    let mut out = Vec::with_capacity(count);
    if channels == 1 {
        out.extend(values.iter().map(|&v| v as u16));
        return Ok(out);
    }
    for pixel in values.chunks_exact(3) {
        let (g, rg, bg) = (pixel[0], pixel[1], pixel[2]);
        let (red, blue) = (rg + g, bg + g);
        if !(0..=65535).contains(&red) || !(0..=65535).contains(&blue) {
            return Err(Error::InvalidStream(
                "16-bit lossless strip: a colour difference leaves the sample range".into(),
            ));
        }
        out.extend_from_slice(&[red as u16, g as u16, blue as u16]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(seed: u32, len: usize) -> Vec<u16> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 16) as u16
            })
            .collect()
    }

    fn smooth(width: usize, rows: usize, channels: usize) -> Vec<u16> {
        (0..width * rows * channels)
            .map(|i| {
                let (p, c) = (i / channels, i % channels);
                let (x, y) = (p % width, p / width);
                (x * 300 + y * 170 + c * 9000 + (x * y) % 37) as u16
            })
            .collect()
    }

    #[test]
    fn round_trips_are_exact_for_every_shape() {
        for channels in [1, 3] {
            for (width, rows) in [(1, 1), (1, 7), (9, 1), (17, 5), (64, 9)] {
                for samples in [
                    smooth(width, rows, channels),
                    noise(width as u32 * 31 + rows as u32, width * rows * channels),
                    vec![65535; width * rows * channels],
                    vec![0; width * rows * channels],
                ] {
                    let coded = encode_deep_strip(width, rows, channels, &samples);
                    let back = decode_deep_strip(width, rows, channels, &coded).unwrap();
                    assert_eq!(back, samples, "{width}x{rows}x{channels}");
                }
            }
        }
        // Extremes of the colour differences: red 0 and blue 65535 beside green 65535 and 0.
        let extremes = [
            0u16, 65535, 65535, 65535, 0, 0, 0, 65535, 0, 65535, 0, 65535,
        ];
        let coded = encode_deep_strip(2, 2, 3, &extremes);
        assert_eq!(decode_deep_strip(2, 2, 3, &coded).unwrap(), extremes);
    }

    #[test]
    fn smooth_pictures_compress_and_noise_stays_bounded() {
        let samples = smooth(64, 32, 3);
        let coded = encode_deep_strip(64, 32, 3, &samples);
        // A third of the raw 2 bytes per sample at most (measured: 29 %).
        assert!(coded.len() * 3 < samples.len() * 2, "{} bytes", coded.len());
        let random = noise(5, 64 * 32 * 3);
        let coded = encode_deep_strip(64, 32, 3, &random);
        // Noise costs about its 16 bits plus the colour differences' extra bit and the code.
        assert!(
            coded.len() < random.len() * 2 * 5 / 4,
            "{} bytes",
            coded.len()
        );
    }

    #[test]
    fn damaged_strips_give_errors() {
        let samples = smooth(20, 6, 3);
        let coded = encode_deep_strip(20, 6, 3, &samples);
        assert!(decode_deep_strip(20, 6, 3, &coded[..coded.len() / 2]).is_err());
        assert!(decode_deep_strip(20, 6, 3, &[0xff; 64]).is_err());
        assert!(decode_deep_strip(20, 6, 2, &coded).is_err());
        // Any corruption either fails or decodes to samples in range, never panics.
        for i in 0..coded.len() {
            let mut bad = coded.clone();
            bad[i] ^= 0x5a;
            let _ = decode_deep_strip(20, 6, 3, &bad);
        }
    }
}
