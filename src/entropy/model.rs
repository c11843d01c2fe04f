//! Adaptive probability model for one binary decision, and its cost table.
//!
//! A model keeps two estimates of the probability that the next bit is 1, one adapting
//! fast (rate 1/16) and one slowly (rate 1/128), and codes with their mean: quick to learn
//! in small tiles, stable once trained. While a model is young its rates start higher
//! (1/2, 1/4, ...) so that the first decisions move it like a running average, which
//! makes fresh models in small tiles learn quickly. Probabilities are 15-bit fixed point.

/// Cost units per bit in [`BitModel::cost`] and [`super::BitCounter`].
pub const COST_SCALE: u32 = 256;

const PROB_BITS: u32 = 15;
const PROB_ONE: u32 = 1 << PROB_BITS;
const FAST_RATE: u32 = 4;
const SLOW_RATE: u32 = 7;
/// Adaptation shift by the number of decisions seen: log2(count + 2), rounded.
const RATE_BY_COUNT: [u32; 128] = {
    let mut table = [7u32; 128];
    let mut count = 0;
    while count < 128 {
        let n = count as u32 + 2;
        // floor(log2(n * sqrt(2))): the nearest power of two in the log domain.
        let mut shift = 0;
        while (1u32 << (shift + 1)) * 1000 <= n * 1414 {
            shift += 1;
        }
        table[count] = if shift < 1 { 1 } else { shift };
        count += 1;
    }
    table
};

/// An adaptive binary probability model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitModel {
    fast: u16,
    slow: u16,
    count: u16,
}

impl Default for BitModel {
    fn default() -> Self {
        BitModel::new()
    }
}

impl BitModel {
    /// A model that starts at probability one half.
    pub const fn new() -> BitModel {
        BitModel {
            fast: (PROB_ONE / 2) as u16,
            slow: (PROB_ONE / 2) as u16,
            count: 0,
        }
    }

    /// A model that starts at probability `p_one_per_mille` / 1000 of a 1 bit.
    pub fn with_probability(p_one_per_mille: u32) -> BitModel {
        let p = (p_one_per_mille.clamp(1, 999) * PROB_ONE / 1000) as u16;
        BitModel {
            fast: p,
            slow: p,
            count: 0,
        }
    }

    /// Probability that the next bit is 1, in 1/32768, kept within [32, 32736].
    #[inline]
    pub fn p_one(&self) -> u32 {
        ((self.fast as u32 + self.slow as u32) >> 1).clamp(32, PROB_ONE - 32)
    }

    /// Adapts the model after coding `bit`.
    #[inline]
    pub fn update(&mut self, bit: bool) {
        // Young models adapt with rate about 1/(count + 2), as a running average would.
        let warmup = RATE_BY_COUNT[(self.count as usize).min(RATE_BY_COUNT.len() - 1)];
        let fast_rate = FAST_RATE.min(warmup);
        let slow_rate = SLOW_RATE.min(warmup);
        self.count = self.count.saturating_add(1);
        if bit {
            self.fast += ((PROB_ONE - self.fast as u32) >> fast_rate) as u16;
            self.slow += ((PROB_ONE - self.slow as u32) >> slow_rate) as u16;
        } else {
            self.fast -= self.fast >> fast_rate;
            self.slow -= self.slow >> slow_rate;
        }
    }

    /// Cost of coding `bit` now, in 1/[`COST_SCALE`] bits.
    #[inline]
    pub fn cost(&self, bit: bool) -> u32 {
        let p1 = self.p_one();
        let p = if bit { p1 } else { PROB_ONE - p1 };
        COST_TABLE[(p >> (PROB_BITS - COST_TABLE_BITS)) as usize]
    }
}

const COST_TABLE_BITS: u32 = 10;

/// -log2(p) in 1/COST_SCALE bits for p = (i + 0.5) / 1024.
static COST_TABLE: std::sync::LazyLock<[u32; 1 << COST_TABLE_BITS]> =
    std::sync::LazyLock::new(|| {
        let mut table = [0u32; 1 << COST_TABLE_BITS];
        for (i, entry) in table.iter_mut().enumerate() {
            let p = (i as f64 + 0.5) / (1u32 << COST_TABLE_BITS) as f64;
            *entry = (-p.log2() * COST_SCALE as f64).round() as u32;
        }
        table
    });

pub(super) const MODEL_PROB_BITS: u32 = PROB_BITS;
