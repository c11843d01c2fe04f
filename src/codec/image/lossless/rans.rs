//! Static rANS coding of lossless picture strips: per-context token distributions with
//! frequencies summing to 2^10, written compactly at the start of a strip, and a coder
//! with one stream of 32-bit words per colour channel, read by two 64-bit states in turn
//! (two lanes, so that consecutive samples of a channel form separate dependency chains).
//!
//! Distributions are sent as one 6-bit weight code per token (a 2-bit mantissa, a 4-bit
//! exponent); encoder and decoder derive the same frequencies from the codes with
//! [`frequencies_of`]. A sample is one step of the coder: its token (two table lookups and
//! a multiplication), then its raw bits (sign and low magnitude bits) taken from the state
//! directly, then at most one word read, so the state is renormalized once per sample.
//! Each state starts at [`STATE_LOW`]; the decoder checks that every state ends
//! there and that every word was read, which rejects most damaged strips.

use crate::error::{Error, Result};

/// Frequencies of a distribution sum to 2^PROB_BITS.
pub const PROB_BITS: u32 = 10;
/// The frequency total.
pub const PROB_SCALE: u32 = 1 << PROB_BITS;
/// The lower bound of a normalized state (and the initial state of the encoder).
pub const STATE_LOW: u64 = 1 << 32;
/// States (lanes) per stream.
pub const LANES: usize = 2;
/// Raw bits of one step, at most (so that a token and its raw bits fit one renormalization).
pub const MAX_RAW_BITS: u32 = 32 - PROB_BITS;
/// Tokens of a distribution (the alphabet size).
pub const TOKENS: usize = 24;
/// Bits of a weight code.
const WEIGHT_BITS: u32 = 6;
/// Bits of the token count of a context.
const COUNT_BITS: u32 = 5;

/// The weight of code `q` (1..=63): `(4 + (q−1) mod 4) << ((q−1) / 4)`; 0 for code 0.
fn weight_of(q: u32) -> u64 {
    if q == 0 {
        0
    } else {
        (4 + ((q - 1) & 3) as u64) << ((q - 1) >> 2)
    }
}

/// The code whose weight is nearest (by ratio) to `target` (at least 4).
fn code_of(target: u64) -> u32 {
    let mut best = (1u32, f64::MAX);
    for q in 1..(1 << WEIGHT_BITS) {
        let distance = (weight_of(q) as f64 / target as f64).ln().abs();
        if distance < best.1 {
            best = (q, distance);
        }
    }
    best.0
}

/// Frequencies (summing to [`PROB_SCALE`]) from weight codes; an empty list (an unused
/// context) gives all the mass to token 0. Fails when the codes carry no weight.
pub fn frequencies_of(codes: &[u32]) -> Result<[u32; TOKENS]> {
    let mut freq = [0u32; TOKENS];
    if codes.is_empty() {
        freq[0] = PROB_SCALE;
        return Ok(freq);
    }
    let total: u64 = codes.iter().map(|&q| weight_of(q)).sum();
    if total == 0 {
        return Err(Error::invalid(
            "lossless strip: a token distribution without weight",
        ));
    }
    let mut sum = 0u32;
    let mut largest = 0;
    for (i, &q) in codes.iter().enumerate() {
        let w = weight_of(q);
        if w > 0 {
            freq[i] = ((w * PROB_SCALE as u64 / total) as u32).max(1);
            sum += freq[i];
            if freq[i] > freq[largest] {
                largest = i;
            }
        }
    }
    // The largest frequency is at least PROB_SCALE / TOKENS and the rounding moved the sum
    // by less than TOKENS, so this keeps it positive.
    freq[largest] = (freq[largest] as i64 + PROB_SCALE as i64 - sum as i64) as u32;
    Ok(freq)
}

/// Weight codes for token counts (trailing absent tokens dropped; empty when unused).
pub fn codes_of(counts: &[u32; TOKENS]) -> Vec<u32> {
    let Some(last) = counts.iter().rposition(|&n| n > 0) else {
        return Vec::new();
    };
    if last == 0 {
        return vec![1];
    }
    let largest = *counts.iter().max().unwrap_or(&1) as u64;
    counts[..=last]
        .iter()
        .map(|&n| {
            if n == 0 {
                0
            } else {
                code_of((n as u64 * 65536 / largest).max(4))
            }
        })
        .collect()
}

/// Least-significant-bit-first bit writer for the distributions.
#[derive(Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    used: u32,
}

impl BitWriter {
    pub fn put(&mut self, value: u32, bits: u32) {
        for i in 0..bits {
            if self.used == 0 {
                self.bytes.push(0);
            }
            let last = self.bytes.len() - 1;
            self.bytes[last] |= (((value >> i) & 1) as u8) << self.used;
            self.used = (self.used + 1) % 8;
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Reads what [`BitWriter`] wrote.
pub struct BitReader<'a> {
    bytes: &'a [u8],
    bit: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(bytes: &'a [u8]) -> BitReader<'a> {
        BitReader { bytes, bit: 0 }
    }

    pub fn get(&mut self, bits: u32) -> Result<u32> {
        let mut value = 0;
        for i in 0..bits {
            let byte = self.bytes.get(self.bit / 8).ok_or_else(|| {
                Error::invalid("lossless strip: the token distributions are cut short")
            })?;
            value |= (((byte >> (self.bit % 8)) & 1) as u32) << i;
            self.bit += 1;
        }
        Ok(value)
    }

    /// Bytes used so far (the last one possibly in part).
    pub fn bytes_used(&self) -> usize {
        self.bit.div_ceil(8)
    }
}

/// Writes the distribution of one context.
pub fn write_distribution(w: &mut BitWriter, codes: &[u32]) {
    w.put(codes.len() as u32, COUNT_BITS);
    for &q in codes {
        w.put(q, WEIGHT_BITS);
    }
}

/// Reads the weight codes of one context.
pub fn read_distribution(r: &mut BitReader<'_>) -> Result<Vec<u32>> {
    let count = r.get(COUNT_BITS)? as usize;
    if count > TOKENS {
        return Err(Error::invalid(format!(
            "lossless strip: a distribution of {count} tokens (at most {TOKENS})"
        )));
    }
    (0..count).map(|_| r.get(WEIGHT_BITS)).collect()
}

/// Entries of [`DecodeTable::info`]: a power of two above [`TOKENS`], so a token masked
/// with `INFO_ENTRIES − 1` indexes it without a bounds check.
const INFO_ENTRIES: usize = 32;

/// The decoder's view of one distribution: the token of every slot, and each token's
/// frequency (low 16 bits) and cumulative frequency (high 16 bits).
#[derive(Clone)]
pub struct DecodeTable {
    pub slots: [u8; PROB_SCALE as usize],
    pub info: [u32; INFO_ENTRIES],
}

impl DecodeTable {
    pub fn new(freq: &[u32; TOKENS]) -> DecodeTable {
        let mut table = DecodeTable {
            slots: [0; PROB_SCALE as usize],
            info: [0; INFO_ENTRIES],
        };
        let mut cum = 0;
        for (t, &f) in freq.iter().enumerate() {
            table.info[t] = f | (cum << 16);
            table.slots[cum as usize..(cum + f) as usize].fill(t as u8);
            cum += f;
        }
        table
    }
}

/// The encoder's view of one distribution: frequency and cumulative frequency per token.
#[derive(Clone, Copy)]
pub struct EncodeTable {
    pub freq: [u32; TOKENS],
    pub cum: [u32; TOKENS],
}

impl EncodeTable {
    pub fn new(freq: &[u32; TOKENS]) -> EncodeTable {
        let mut cum = [0; TOKENS];
        let mut c = 0;
        for t in 0..TOKENS {
            cum[t] = c;
            c += freq[t];
        }
        EncodeTable { freq: *freq, cum }
    }
}

/// One coding step, recorded by the encoder in decoding order and coded in reverse: a token
/// of distribution `table` and then `bits` raw bits (0 to [`MAX_RAW_BITS`]) of `raw`, for
/// state `lane` (below [`LANES`]) of the stream of `channel`.
#[derive(Clone, Copy)]
pub struct Step {
    pub channel: u8,
    pub lane: u8,
    pub table: u16,
    pub token: u8,
    pub bits: u8,
    pub raw: u32,
}

/// Codes `steps` (in decoding order) with [`LANES`] states and one stream of words per
/// channel; returns each channel's words in the order the decoder reads them, its initial
/// states first (lane 0 first, each high word first). Separate streams keep the channels' decoding chains apart: a
/// channel's next word does not depend on whether another channel read one.
pub fn encode(steps: &[Step], tables: &[EncodeTable], channels: usize) -> Vec<Vec<u32>> {
    let mut states = vec![[STATE_LOW; LANES]; channels];
    let mut streams: Vec<Vec<u32>> = vec![Vec::with_capacity(steps.len() / 8 + 8); channels];
    for step in steps.iter().rev() {
        let t = &tables[step.table as usize];
        let (f, c) = (
            t.freq[step.token as usize] as u64,
            t.cum[step.token as usize] as u64,
        );
        let bits = step.bits as u32;
        debug_assert!(bits <= MAX_RAW_BITS && (step.raw as u64) < (1u64 << bits));
        let x = &mut states[step.channel as usize][step.lane as usize];
        // The decoder refills once its state, after the token and the raw bits, is below
        // STATE_LOW: the encoder flushes exactly when the step would leave 64 bits.
        if *x >> (64 - PROB_BITS - bits) >= f {
            streams[step.channel as usize].push(*x as u32);
            *x >>= 32;
        }
        let y = (*x << bits) | step.raw as u64;
        *x = ((y / f) << PROB_BITS) + (y % f) + c;
    }
    for (lanes, words) in states.iter().zip(streams.iter_mut()) {
        for &x in lanes.iter().rev() {
            words.push(x as u32);
            words.push((x >> 32) as u32);
        }
        words.reverse();
    }
    streams
}

/// Words of one channel's stream, padded so that reads past the end never leave the
/// buffer within one row; the decoder checks the position against the true length.
pub struct Words {
    words: Vec<u32>,
    len: usize,
}

impl Words {
    /// Reads little-endian words from `bytes`, with `padding` zero words after them.
    pub fn new(bytes: &[u8], padding: usize) -> Result<Words> {
        if bytes.len() % 4 != 0 {
            return Err(Error::invalid(
                "lossless strip: a stream's byte count is not a multiple of 4",
            ));
        }
        let mut words: Vec<u32> = bytes
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let len = words.len();
        words.resize(len + padding, 0);
        Ok(Words { words, len })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline(always)]
    pub fn get(&self, pos: usize) -> u64 {
        self.words[pos] as u64
    }

    /// The initial states of the stream's lanes (its first 2 × [`LANES`] words; the
    /// stream must hold them).
    pub fn initial_states(&self) -> [u64; LANES] {
        std::array::from_fn(|lane| (self.get(2 * lane) << 32) | self.get(2 * lane + 1))
    }

    /// The padded words: positions below its length can be read.
    #[inline(always)]
    pub fn padded(&self) -> &[u32] {
        &self.words
    }
}

/// Decodes one token from state `x` with `table` (the step goes on with [`take_raw`] and
/// [`renormalize`]).
#[inline(always)]
pub fn decode_token(x: &mut u64, table: &DecodeTable) -> usize {
    let slot = *x & (PROB_SCALE as u64 - 1);
    let token = table.slots[slot as usize] as usize & (INFO_ENTRIES - 1);
    let info = table.info[token] as u64;
    *x = (info & 0xffff) * (*x >> PROB_BITS) + slot - (info >> 16);
    token
}

/// Takes the raw bits selected by `mask` (`2^bits − 1`, bits at most [`MAX_RAW_BITS`])
/// from state `x`.
#[inline(always)]
pub fn take_raw(x: &mut u64, bits: u32, mask: u32) -> u32 {
    let value = *x as u32 & mask;
    *x >>= bits;
    value
}

/// Ends a step: refills state `x` with the word at `pos` when it is below [`STATE_LOW`].
/// `words` must hold position `pos`.
#[inline(always)]
pub fn renormalize(x: &mut u64, words: &[u32], pos: &mut usize) {
    let need = *x < STATE_LOW;
    let word = words[*pos] as u64;
    let refilled = (*x << 32) | word;
    *x = if need { refilled } else { *x };
    *pos += need as usize;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_sum_to_the_scale() {
        let mut counts = [0u32; TOKENS];
        counts[..6].copy_from_slice(&[100000, 3, 0, 7, 1, 9000]);
        counts[TOKENS - 1] = 1;
        let codes = codes_of(&counts);
        let freq = frequencies_of(&codes).unwrap();
        assert_eq!(freq.iter().sum::<u32>(), PROB_SCALE);
        for t in 0..TOKENS {
            assert_eq!(freq[t] > 0, counts[t] > 0, "token {t}");
        }
        assert!(frequencies_of(&[0, 0]).is_err());
        assert_eq!(frequencies_of(&[]).unwrap()[0], PROB_SCALE);
    }

    #[test]
    fn tokens_and_raw_bits_round_trip_across_channels() {
        let mut a = [0u32; TOKENS];
        a[..4].copy_from_slice(&[50, 20, 5, 1]);
        let mut b = [0u32; TOKENS];
        b[0] = 1;
        b[TOKENS - 1] = 900;
        let freqs = [
            frequencies_of(&codes_of(&a)).unwrap(),
            frequencies_of(&codes_of(&b)).unwrap(),
        ];
        let enc: Vec<_> = freqs.iter().map(EncodeTable::new).collect();
        let dec: Vec<_> = freqs.iter().map(DecodeTable::new).collect();
        let mut steps = Vec::new();
        let mut seed = 7u32;
        for i in 0..5000 {
            seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
            let channel = (i % 3) as u8;
            let table = (seed >> 20) as u16 % 2;
            let token = if table == 0 { (seed >> 8) % 4 } else { 23 } as u8;
            let bits = if seed % 3 == 0 {
                1 + (seed >> 4) % MAX_RAW_BITS
            } else {
                0
            };
            let raw = (seed >> 9).wrapping_mul(2654435761) & ((1u64 << bits) - 1) as u32;
            steps.push(Step {
                channel,
                lane: (i / 3 % 2) as u8,
                table,
                token,
                bits: bits as u8,
                raw,
            });
        }
        let coded = encode(&steps, &enc, 3);
        let streams: Vec<Words> = coded
            .iter()
            .map(|c| {
                let bytes: Vec<u8> = c.iter().flat_map(|w| w.to_le_bytes()).collect();
                Words::new(&bytes, 4).unwrap()
            })
            .collect();
        let mut pos = [2 * LANES; 3];
        let mut states: Vec<[u64; LANES]> = streams.iter().map(Words::initial_states).collect();
        for step in &steps {
            let c = step.channel as usize;
            let x = &mut states[c][step.lane as usize];
            let t = decode_token(x, &dec[step.table as usize]);
            assert_eq!(t, step.token as usize);
            let bits = step.bits as u32;
            let raw = take_raw(x, bits, ((1u64 << bits) - 1) as u32);
            assert_eq!(raw, step.raw);
            renormalize(x, streams[c].padded(), &mut pos[c]);
        }
        for (p, words) in pos.iter().zip(&streams) {
            assert_eq!(*p, words.len());
        }
        assert!(states.iter().flatten().all(|&x| x == STATE_LOW));
    }
}
