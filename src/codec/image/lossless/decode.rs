//! The strip decoder of lossless and near-lossless pictures, written for speed: the same
//! prediction, contexts and tokens as [`super::strip`] (which is normative), computed in
//! one loop per row specialised on the channel count and on the first row of the strip,
//! with the rows of all channels interleaved per pixel and one rANS state per channel, so
//! the three colour channels form three dependency chains the processor overlaps.

use super::rans::{self, BitReader, DecodeTable, Words, TOKENS};
use super::strip::{
    StripShape, Tables, BIAS_CONTEXTS, BIAS_RECIPROCALS, BIAS_RESET, BUCKETS, DOMAIN_LIMIT,
    TOKEN_BASE,
};
use crate::error::{Error, Result};

/// The smallest magnitude of each token and its count of raw bits (sign and extra bits).
const TOKEN_RAW: [(u32, u32); TOKENS] = {
    let mut table = [(0u32, 0u32); TOKENS];
    let mut t = 1;
    while t < TOKENS {
        table[t] = (TOKEN_BASE[t].0, 1 + TOKEN_BASE[t].1);
        t += 1;
    }
    table
};

/// Running prediction error of one bias context, as in the encoder.
#[derive(Clone, Copy, Default)]
struct Bias {
    sum: i32,
    count: i32,
}

/// Everything the row loop reads and writes.
struct Decoder<'a, const N: usize> {
    tables: &'a [DecodeTable],
    words: &'a Words,
    pos: usize,
    states: [u32; N],
    /// Domain values of the previous and current row, sample x at index x + 1.
    previous: Vec<[i16; N]>,
    current: Vec<[i16; N]>,
    /// Magnitudes of the quantized residuals, laid out likewise.
    previous_size: Vec<[u8; N]>,
    current_size: Vec<[u8; N]>,
    /// Bias statistics per channel: [`BIAS_CONTEXTS`] used, padded to a power of two.
    bias: Vec<[Bias; 1024]>,
    /// The gradient levels of the encoder's table, padded to a power of two.
    gradient_level: [u8; 1024],
    bucket: &'a [u8],
    inverse_step: u32,
    step: i32,
    max_level: u32,
}

impl<const N: usize> Decoder<'_, N> {
    fn start_row(&mut self, y: usize, width: usize) {
        if y == 0 {
            for c in 0..N {
                self.current[0][c] = if c == 0 { 128 } else { 0 };
            }
            return;
        }
        std::mem::swap(&mut self.previous, &mut self.current);
        std::mem::swap(&mut self.previous_size, &mut self.current_size);
        self.previous[0] = self.previous[1];
        self.previous[width + 1] = self.previous[width];
        self.current[0] = self.previous[1];
        self.previous_size[0] = self.previous_size[1];
        self.previous_size[width + 1] = self.previous_size[width];
        self.current_size[0] = self.previous_size[1];
    }

    /// Decodes one row into `out` (interleaved samples).
    #[inline(always)]
    fn row<const FIRST: bool>(&mut self, y: usize, out: &mut [u8]) -> Result<()> {
        // The left neighbours stay in registers: (domain value, residual size).
        let mut left = [(0i32, 0u32); N];
        for (c, l) in left.iter_mut().enumerate() {
            *l = (self.current[0][c] as i32, self.current_size[0][c] as u32);
        }
        for (x, pixel) in out.chunks_exact_mut(N).enumerate() {
            if N == 1 {
                self.sample::<FIRST, 0>(y, x, 0, &mut left[0], &mut pixel[0])?;
            } else {
                let g = self.sample::<FIRST, 0>(y, x, 0, &mut left[0], &mut pixel[1])?;
                let r = self.sample::<FIRST, 1>(y, x, g, &mut left[1], &mut pixel[0])?;
                self.sample::<FIRST, 2>(y, x, (g + r) >> 1, &mut left[2], &mut pixel[2])?;
            }
        }
        Ok(())
    }

    /// Decodes channel `C` (coding order) of sample `x` into `out`, its domain relative to
    /// `base`, with `left` the (domain value, residual size) of the sample to its left (then
    /// of this one), and returns the sample.
    #[inline(always)]
    fn sample<const FIRST: bool, const C: usize>(
        &mut self,
        y: usize,
        x: usize,
        base: i32,
        left: &mut (i32, u32),
        out: &mut u8,
    ) -> Result<i32> {
        let span = 2 * DOMAIN_LIMIT;
        let i = x + 1;
        let a = left.0;
        let (b, cc, d) = if FIRST {
            (a, a, a)
        } else {
            (
                self.previous[i][C] as i32,
                self.previous[i - 1][C] as i32,
                self.previous[i + 1][C] as i32,
            )
        };
        // MED is the median of a, b and a + b − c: no branch.
        let med = (a + b - cc).clamp(a.min(b), a.max(b));
        let (g1, g2, g3) = (d - b, b - cc, cc - a);
        let level_of = |g: i32| self.gradient_level[(g + span) as usize & 1023] as usize;
        let context = (level_of(g1) * 81 + level_of(g2) * 9 + level_of(g3)) & 1023;
        let bias = self.bias[C][context];
        let reciprocal = BIAS_RECIPROCALS[bias.count as usize % BIAS_RESET as usize] as i64;
        let correction = (((2 * bias.sum + bias.count) as i64 * reciprocal) >> 24) as i32;
        let predicted = (base + med + correction).clamp(0, 255);
        let gradients =
            ((g1.unsigned_abs() + g2.unsigned_abs() + g3.unsigned_abs()) * self.inverse_step) >> 16;
        let left_size = left.1;
        let (above_size, nw_size, ne_size) = if FIRST {
            (left_size, left_size, left_size)
        } else {
            (
                self.previous_size[i][C] as u32,
                self.previous_size[i - 1][C] as u32,
                self.previous_size[i + 1][C] as u32,
            )
        };
        let mut activity = gradients + 2 * (left_size + above_size) + nw_size + ne_size;
        if C == 1 {
            activity += 3 * self.current_size[i][0] as u32;
        } else if C == 2 {
            activity += 2 * self.current_size[i][1] as u32 + self.current_size[i][0] as u32;
        }
        let bucket = self.bucket[(activity as usize).min(self.bucket.len() - 1)] as usize;
        let table = &self.tables[C * BUCKETS + bucket];
        let state = &mut self.states[C];
        let token = rans::decode_token(state, table, self.words, &mut self.pos);
        // Token 0 takes no raw bits; the others a sign and their extra bits. No branch.
        let (first, raw_bits) = TOKEN_RAW[token];
        let raw = rans::decode_raw(state, raw_bits, self.words, &mut self.pos);
        let m = first + (raw >> 1);
        if m > self.max_level {
            return Err(Error::invalid(format!(
                "near-lossless strip: a residual out of range at row {y}, column {x}"
            )));
        }
        let sign = -((raw & 1) as i32);
        let (level, size) = (((m as i32) ^ sign) - sign, m);
        let sample = (predicted + level * self.step).clamp(0, 255);
        let value = sample - base;
        self.current[i][C] = value as i16;
        self.current_size[i][C] = size as u8;
        *left = (value, size);
        let bias = &mut self.bias[C][context];
        bias.sum += value - med;
        bias.count += 1;
        if bias.count >= BIAS_RESET {
            bias.sum >>= 1;
            bias.count >>= 1;
        }
        *out = sample as u8;
        Ok(sample)
    }
}

/// Decodes a strip written by [`super::strip::encode_strip`].
pub fn decode_strip(shape: StripShape, data: &[u8]) -> Result<Vec<u8>> {
    match shape.channels {
        1 => decode_channels::<1>(shape, data),
        3 => decode_channels::<3>(shape, data),
        n => Err(Error::invalid(format!(
            "lossless strip: {n} channels (expected 1 or 3)"
        ))),
    }
}

fn decode_channels<const N: usize>(shape: StripShape, data: &[u8]) -> Result<Vec<u8>> {
    let mut reader = BitReader::new(data);
    let mut tables = Vec::with_capacity(N * BUCKETS);
    for _ in 0..N * BUCKETS {
        let codes = rans::read_distribution(&mut reader)?;
        tables.push(DecodeTable::new(&rans::frequencies_of(&codes)?));
    }
    let row_samples = shape.width * N;
    // A sample reads at most two words: after its token and after its raw bits.
    let words = Words::new(&data[reader.bytes_used()..], 2 * row_samples + 2 * N)?;
    if words.len() < 2 * N {
        return Err(Error::invalid("lossless strip: no coder states"));
    }
    let mut states = [0u32; N];
    for (c, x) in states.iter_mut().enumerate() {
        *x = (words.get(2 * c) << 16) | words.get(2 * c + 1);
    }
    let t = Tables::new(shape.step());
    let mut gradient_level = [0u8; 1024];
    gradient_level[..t.gradient_level.len()].copy_from_slice(&t.gradient_level);
    const _: () = assert!(BIAS_CONTEXTS <= 1024 && 4 * DOMAIN_LIMIT < 1024);
    let mut decoder = Decoder::<N> {
        tables: &tables,
        words: &words,
        pos: 2 * N,
        states,
        previous: vec![[0; N]; shape.width + 2],
        current: vec![[0; N]; shape.width + 2],
        previous_size: vec![[0; N]; shape.width + 2],
        current_size: vec![[0; N]; shape.width + 2],
        bias: vec![[Bias::default(); 1024]; N],
        gradient_level,
        bucket: &t.bucket,
        inverse_step: t.inverse_step,
        step: shape.step(),
        max_level: shape.max_level(),
    };
    let mut out = vec![0u8; row_samples * shape.rows];
    for (y, row) in out.chunks_exact_mut(row_samples).enumerate() {
        decoder.start_row(y, shape.width);
        if y == 0 {
            decoder.row::<true>(y, row)?;
        } else {
            decoder.row::<false>(y, row)?;
        }
        if decoder.pos > words.len() {
            return Err(Error::invalid(format!(
                "lossless strip: the data ends before row {y} of {}",
                shape.rows
            )));
        }
    }
    if decoder.pos != words.len() || decoder.states.iter().any(|&x| x != rans::STATE_LOW) {
        return Err(Error::invalid(
            "lossless strip: the coded data does not end where the samples do",
        ));
    }
    Ok(out)
}
