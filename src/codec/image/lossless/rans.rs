//! Static rANS coding of lossless picture strips: per-context token distributions with
//! frequencies summing to 2^10, written compactly at the start of a strip, and a coder
//! with one 32-bit state and one stream of 16-bit words per colour channel.
//!
//! Distributions are sent as one 6-bit weight code per token (a 2-bit mantissa, a 4-bit
//! exponent); encoder and decoder derive the same frequencies from the codes with
//! [`frequencies_of`]. Decoding a token is two table lookups, a multiplication and at
//! most one word read; raw bits (signs and low magnitude bits) are taken from the state
//! directly. Each state starts at [`STATE_LOW`]; the decoder checks that every state ends
//! there and that every word was read, which rejects most damaged strips.

use crate::error::{Error, Result};

/// Frequencies of a distribution sum to 2^PROB_BITS.
pub const PROB_BITS: u32 = 10;
/// The frequency total.
pub const PROB_SCALE: u32 = 1 << PROB_BITS;
/// The lower bound of a normalized state (and the initial state of the encoder).
pub const STATE_LOW: u32 = 1 << 16;
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

/// One coding step, recorded by the encoder in decoding order and coded in reverse.
#[derive(Clone, Copy)]
pub enum Step {
    /// A token of distribution `table` for the state of `channel`.
    Token { channel: u8, table: u16, token: u8 },
    /// `bits` raw bits (1 to 15) of `value` for the state of `channel`.
    Raw { channel: u8, bits: u8, value: u16 },
}

/// Codes `steps` (in decoding order) with one state and one stream of words per channel;
/// returns each channel's words in the order the decoder reads them, its initial state
/// first. Separate streams keep the channels' decoding chains apart: a channel's next word
/// does not depend on whether another channel read one.
pub fn encode(steps: &[Step], tables: &[EncodeTable], channels: usize) -> Vec<Vec<u16>> {
    let mut states = vec![STATE_LOW; channels];
    let mut streams: Vec<Vec<u16>> = vec![Vec::with_capacity(steps.len() / 8 + 8); channels];
    for step in steps.iter().rev() {
        match *step {
            Step::Token {
                channel,
                table,
                token,
            } => {
                let t = &tables[table as usize];
                let (f, c) = (t.freq[token as usize], t.cum[token as usize]);
                let x = &mut states[channel as usize];
                if *x as u64 >= (f as u64) << (32 - PROB_BITS) {
                    streams[channel as usize].push(*x as u16);
                    *x >>= 16;
                }
                *x = ((*x / f) << PROB_BITS) + (*x % f) + c;
            }
            Step::Raw {
                channel,
                bits,
                value,
            } => {
                let x = &mut states[channel as usize];
                if *x >= (1u32 << (32 - bits as u32)) {
                    streams[channel as usize].push(*x as u16);
                    *x >>= 16;
                }
                *x = (*x << bits) | value as u32;
            }
        }
    }
    for (&x, words) in states.iter().zip(streams.iter_mut()) {
        words.push(x as u16);
        words.push((x >> 16) as u16);
        words.reverse();
    }
    streams
}

/// Words of one channel's stream, padded so that reads past the end never leave the
/// buffer within one row; the decoder checks the position against the true length.
pub struct Words {
    words: Vec<u16>,
    len: usize,
}

impl Words {
    /// Reads little-endian words from `bytes`, with `padding` zero words after them.
    pub fn new(bytes: &[u8], padding: usize) -> Result<Words> {
        if bytes.len() % 2 != 0 {
            return Err(Error::invalid(
                "lossless strip: an odd number of coded bytes",
            ));
        }
        let mut words: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|w| u16::from_le_bytes([w[0], w[1]]))
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
    pub fn get(&self, pos: usize) -> u32 {
        self.words[pos] as u32
    }

    /// The padded length: positions below it can be read.
    pub fn capacity(&self) -> usize {
        self.words.len()
    }
}

/// Decodes one token from state `x` with `table`, reading at most one word.
#[inline(always)]
pub fn decode_token(x: &mut u32, table: &DecodeTable, words: &Words, pos: &mut usize) -> usize {
    let slot = *x & (PROB_SCALE - 1);
    let token = table.slots[slot as usize] as usize & (INFO_ENTRIES - 1);
    let info = table.info[token];
    *x = (info & 0xffff) * (*x >> PROB_BITS) + slot - (info >> 16);
    renormalize(x, words, pos);
    token
}

/// Takes `bits` raw bits (0 to 15) from state `x`.
#[inline(always)]
pub fn decode_raw(x: &mut u32, bits: u32, words: &Words, pos: &mut usize) -> u32 {
    let value = *x & ((1 << bits) - 1);
    *x >>= bits;
    renormalize(x, words, pos);
    value
}

#[inline(always)]
fn renormalize(x: &mut u32, words: &Words, pos: &mut usize) {
    let need = *x < STATE_LOW;
    let word = words.get(*pos);
    let refilled = (*x << 16) | word;
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
            steps.push(Step::Token {
                channel,
                table,
                token,
            });
            if seed % 3 == 0 {
                let bits = 1 + (seed >> 4) as u8 % 15;
                let value = (seed >> 9) as u16 & ((1u32 << bits) - 1) as u16;
                steps.push(Step::Raw {
                    channel,
                    bits,
                    value,
                });
            }
        }
        let coded = encode(&steps, &enc, 3);
        let streams: Vec<Words> = coded
            .iter()
            .map(|c| {
                let bytes: Vec<u8> = c.iter().flat_map(|w| w.to_le_bytes()).collect();
                Words::new(&bytes, 4).unwrap()
            })
            .collect();
        let mut pos = [2usize; 3];
        let mut states = [0u32; 3];
        for (x, words) in states.iter_mut().zip(&streams) {
            *x = (words.get(0) << 16) | words.get(1);
        }
        for step in &steps {
            match *step {
                Step::Token {
                    channel,
                    table,
                    token,
                } => {
                    let c = channel as usize;
                    let t = decode_token(
                        &mut states[c],
                        &dec[table as usize],
                        &streams[c],
                        &mut pos[c],
                    );
                    assert_eq!(t, token as usize);
                }
                Step::Raw {
                    channel,
                    bits,
                    value,
                } => {
                    let c = channel as usize;
                    let raw = decode_raw(&mut states[c], bits as u32, &streams[c], &mut pos[c]);
                    assert_eq!(raw, value as u32);
                }
            }
        }
        for (p, words) in pos.iter().zip(&streams) {
            assert_eq!(*p, words.len());
        }
        assert!(states.iter().all(|&x| x == STATE_LOW));
    }
}
