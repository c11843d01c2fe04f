//! The binary range encoder and decoder.
//!
//! The encoder keeps `low` (33 significant bits) and `range` (32 bits); each decision
//! splits the range in proportion to the model's probability of a 1. Bytes leave from the
//! top of `low`; a carry out of `low` is propagated through a cached byte and a count of
//! pending 0xFF bytes. `finish` flushes five bytes. The decoder mirrors this exactly.

use super::model::MODEL_PROB_BITS;
use super::{BitModel, SymbolWriter};

const TOP: u32 = 1 << 24;

/// Writes binary decisions into a byte vector.
#[derive(Debug)]
pub struct RangeEncoder {
    low: u64,
    range: u32,
    cache: u8,
    pending: u64,
    out: Vec<u8>,
}

impl Default for RangeEncoder {
    fn default() -> Self {
        RangeEncoder::new()
    }
}

impl RangeEncoder {
    /// An empty encoder.
    pub fn new() -> RangeEncoder {
        RangeEncoder::with_capacity(0)
    }

    /// An empty encoder whose output buffer starts with `bytes` of capacity.
    pub fn with_capacity(bytes: usize) -> RangeEncoder {
        RangeEncoder {
            low: 0,
            range: u32::MAX,
            cache: 0,
            pending: 1,
            out: Vec::with_capacity(bytes),
        }
    }

    /// Bytes output so far (the final size is a few bytes more).
    pub fn len(&self) -> usize {
        self.out.len() + self.pending as usize
    }

    #[inline]
    fn shift_low(&mut self) {
        if self.low < 0xFF00_0000 || self.low > 0xFFFF_FFFF {
            let carry = (self.low >> 32) as u8;
            let mut byte = self.cache;
            loop {
                self.out.push(byte.wrapping_add(carry));
                byte = 0xFF;
                self.pending -= 1;
                if self.pending == 0 {
                    break;
                }
            }
            self.cache = ((self.low >> 24) & 0xFF) as u8;
        }
        self.pending += 1;
        self.low = (self.low & 0x00FF_FFFF) << 8;
    }

    /// Flushes the coder state and returns the coded bytes.
    pub fn finish(mut self) -> Vec<u8> {
        for _ in 0..5 {
            self.shift_low();
        }
        // The first byte out is the initial cache (always 0): drop it.
        self.out.remove(0);
        self.out
    }
}

impl SymbolWriter for RangeEncoder {
    #[inline]
    fn put_bit(&mut self, model: &mut BitModel, bit: bool) {
        let bound = (self.range >> MODEL_PROB_BITS) * model.p_one();
        if bit {
            self.range = bound;
        } else {
            self.low += bound as u64;
            self.range -= bound;
        }
        model.update(bit);
        while self.range < TOP {
            self.range <<= 8;
            self.shift_low();
        }
    }

    #[inline]
    fn put_bypass(&mut self, value: u32, count: u32) {
        for i in (0..count).rev() {
            self.range >>= 1;
            if (value >> i) & 1 == 0 {
                self.low += self.range as u64;
            }
            while self.range < TOP {
                self.range <<= 8;
                self.shift_low();
            }
        }
    }
}

/// Reads binary decisions written by [`RangeEncoder`].
#[derive(Debug)]
pub struct RangeDecoder<'a> {
    input: &'a [u8],
    position: usize,
    code: u32,
    range: u32,
}

impl<'a> RangeDecoder<'a> {
    /// Starts decoding `input`. Short input is read as if padded with zero bytes.
    pub fn new(input: &'a [u8]) -> RangeDecoder<'a> {
        let mut decoder = RangeDecoder {
            input,
            position: 0,
            code: 0,
            range: u32::MAX,
        };
        for _ in 0..4 {
            decoder.code = (decoder.code << 8) | decoder.next_byte() as u32;
        }
        decoder
    }

    #[inline]
    fn next_byte(&mut self) -> u8 {
        let byte = self.input.get(self.position).copied().unwrap_or(0);
        self.position += 1;
        byte
    }

    /// True when the decoder has read past the end of its input by more than the coder's
    /// flush: the data was too short for what was decoded from it.
    pub fn overran(&self) -> bool {
        self.position > self.input.len() + 4
    }

    /// Decodes one decision with `model` and adapts it.
    #[inline]
    pub fn get_bit(&mut self, model: &mut BitModel) -> bool {
        let bound = (self.range >> MODEL_PROB_BITS) * model.p_one();
        let bit = if self.code < bound {
            self.range = bound;
            true
        } else {
            self.code -= bound;
            self.range -= bound;
            false
        };
        model.update(bit);
        while self.range < TOP {
            self.range <<= 8;
            self.code = (self.code << 8) | self.next_byte() as u32;
        }
        bit
    }

    /// Decodes `count` (at most 16) equiprobable bits, most significant first.
    #[inline]
    pub fn get_bypass(&mut self, count: u32) -> u32 {
        let mut value = 0;
        for _ in 0..count {
            self.range >>= 1;
            let bit = if self.code < self.range {
                1
            } else {
                self.code -= self.range;
                0
            };
            value = (value << 1) | bit;
            while self.range < TOP {
                self.range <<= 8;
                self.code = (self.code << 8) | self.next_byte() as u32;
            }
        }
        value
    }
}
