//! The symbol layer of the image codec: how one 8×8 block of quantized levels becomes
//! binary decisions, with the contexts they are coded in. Writer and reader side by side.
//!
//! Per block: the DC level as a residual from a prediction out of the left, upper and
//! upper-left blocks' DC (the median edge detector of LOCO-I, on dequantized values);
//! the number of nonzero AC levels, as a 6-bit binary tree whose contexts depend on the
//! counts of the left and upper blocks; then, in zigzag order until every nonzero level is
//! placed, a significance flag per position (context: position, nonzero levels still to
//! come, magnitude of the same coefficient in the neighbouring blocks), and for nonzero
//! levels "greater than 1", "greater than 2" flags and an adaptive Exp-Golomb remainder,
//! then a raw sign bit. The same generic writer serves the range encoder and the bit
//! counter used for rate-distortion decisions.

use crate::entropy::{get_exp_golomb, put_exp_golomb, BitModel, RangeDecoder, SymbolWriter};
use crate::quant::scalar::{div_round, MAX_LEVEL};
use crate::quant::tables::ZIGZAG;

const NZ_CONTEXTS: usize = 12;
const REMAINING_BUCKETS: usize = 5;
const NEIGHBOUR_BUCKETS: usize = 5;
const BANDS: usize = 8;
const MAG_CONTEXTS: usize = 12;
const DC_CONTEXTS: usize = 6;

/// Adaptive models for one kind of plane (luma or chroma).
#[derive(Clone)]
pub struct PlaneModels {
    nz_tree: [[BitModel; 64]; NZ_CONTEXTS],
    significant: [[[BitModel; NEIGHBOUR_BUCKETS]; REMAINING_BUCKETS]; 64],
    greater1: [[BitModel; MAG_CONTEXTS]; BANDS],
    greater2: [[BitModel; MAG_CONTEXTS]; BANDS],
    rest_exponent: [[BitModel; 14]; 3],
    rest_mantissa: [[BitModel; 14]; 3],
    dc_zero: [BitModel; DC_CONTEXTS],
    dc_sign: [BitModel; DC_CONTEXTS],
    dc_exponent: [[BitModel; 16]; DC_CONTEXTS],
    dc_mantissa: [[BitModel; 16]; DC_CONTEXTS],
}

impl PlaneModels {
    /// Fresh models, as at the start of every tile.
    pub fn new() -> Box<PlaneModels> {
        Box::new(PlaneModels {
            nz_tree: [[BitModel::new(); 64]; NZ_CONTEXTS],
            significant: [[[BitModel::new(); NEIGHBOUR_BUCKETS]; REMAINING_BUCKETS]; 64],
            greater1: [[BitModel::new(); MAG_CONTEXTS]; BANDS],
            greater2: [[BitModel::new(); MAG_CONTEXTS]; BANDS],
            rest_exponent: [[BitModel::new(); 14]; 3],
            rest_mantissa: [[BitModel::new(); 14]; 3],
            dc_zero: [BitModel::new(); DC_CONTEXTS],
            dc_sign: [BitModel::new(); DC_CONTEXTS],
            dc_exponent: [[BitModel::new(); 16]; DC_CONTEXTS],
            dc_mantissa: [[BitModel::new(); 16]; DC_CONTEXTS],
        })
    }
}

/// What a block's neighbours tell about it (left and upper blocks in the same tile).
#[derive(Debug, Clone, Copy)]
pub struct Neighbours<'a> {
    /// Levels of the left block (row-major), if any.
    pub left: Option<&'a BlockLevels>,
    /// Levels of the upper block, if any.
    pub above: Option<&'a BlockLevels>,
    /// Dequantized DC (1/16 units) of left, upper and upper-left blocks.
    pub dc_left: Option<i32>,
    pub dc_above: Option<i32>,
    pub dc_above_left: Option<i32>,
}

/// The quantized levels of one block plus what its neighbours need of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockLevels {
    /// Levels, row-major.
    pub levels: [i32; 64],
    /// Number of nonzero AC levels.
    pub nonzero: u32,
    /// Magnitude of the DC residual as coded (for the next block's DC context).
    pub dc_residual: u32,
}

impl BlockLevels {
    /// An all-zero block.
    pub const ZERO: BlockLevels = BlockLevels {
        levels: [0; 64],
        nonzero: 0,
        dc_residual: 0,
    };

    /// Recounts `nonzero` from the levels.
    pub fn count_nonzero(&mut self) {
        self.nonzero = self.levels[1..].iter().filter(|&&l| l != 0).count() as u32;
    }
}

/// The predicted dequantized DC of a block from its neighbours (1/16 units).
pub fn predict_dc(n: &Neighbours<'_>) -> i32 {
    match (n.dc_left, n.dc_above, n.dc_above_left) {
        (Some(l), Some(a), Some(al)) => {
            if al >= l.max(a) {
                l.min(a)
            } else if al <= l.min(a) {
                l.max(a)
            } else {
                l + a - al
            }
        }
        (Some(l), Some(a), None) => (l + a) / 2,
        (Some(l), None, _) => l,
        (None, Some(a), _) => a,
        (None, None, _) => 0,
    }
}

/// The predicted DC level for a DC step (1/16 units).
pub fn predict_dc_level(n: &Neighbours<'_>, dc_step: u16) -> i32 {
    div_round(predict_dc(n), dc_step as i32)
}

fn nz_context(n: &Neighbours<'_>) -> usize {
    let predicted = match (n.left, n.above) {
        (Some(l), Some(a)) => (l.nonzero + a.nonzero).div_ceil(2),
        (Some(l), None) => l.nonzero,
        (None, Some(a)) => a.nonzero,
        (None, None) => return NZ_CONTEXTS - 1,
    };
    match predicted {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => 3,
        4..=5 => 4,
        6..=7 => 5,
        8..=10 => 6,
        11..=14 => 7,
        15..=20 => 8,
        21..=30 => 9,
        _ => 10,
    }
}

fn dc_context(n: &Neighbours<'_>) -> usize {
    let sum = n.left.map_or(0, |b| b.dc_residual) + n.above.map_or(0, |b| b.dc_residual);
    match sum {
        0 => 0,
        1 => 1,
        2 => 2,
        3..=5 => 3,
        6..=10 => 4,
        _ => 5,
    }
}

#[inline]
fn remaining_bucket(remaining: u32) -> usize {
    match remaining {
        0 | 1 => 0,
        2 => 1,
        3..=4 => 2,
        5..=8 => 3,
        _ => 4,
    }
}

/// Sum of the neighbouring blocks' magnitudes at row-major position `k`.
#[inline]
fn neighbour_magnitude(n: &Neighbours<'_>, k: usize) -> u32 {
    let l = n.left.map_or(0, |b| b.levels[k].unsigned_abs());
    let a = n.above.map_or(0, |b| b.levels[k].unsigned_abs());
    match (n.left.is_some(), n.above.is_some()) {
        (true, true) => l + a,
        _ => 2 * (l + a),
    }
}

#[inline]
fn neighbour_bucket(m: u32) -> usize {
    match m {
        0 => 0,
        1 => 1,
        2 => 2,
        3..=4 => 3,
        _ => 4,
    }
}

#[inline]
fn band(scan_index: usize) -> usize {
    match scan_index {
        0..=2 => 0,
        3..=5 => 1,
        6..=9 => 2,
        10..=14 => 3,
        15..=20 => 4,
        21..=27 => 5,
        28..=35 => 6,
        _ => 7,
    }
}

#[inline]
fn magnitude_context(neighbour: u32, previous_large: bool) -> usize {
    let nb = match neighbour {
        0 => 0,
        1 => 1,
        2 => 2,
        3..=4 => 3,
        5..=8 => 4,
        _ => 5,
    };
    nb * 2 + previous_large as usize
}

#[inline]
fn rest_class(scan_index: usize) -> usize {
    match scan_index {
        0..=5 => 0,
        6..=20 => 1,
        _ => 2,
    }
}

/// Writes one block. `block.nonzero` must match its levels.
pub fn write_block<W: SymbolWriter>(
    w: &mut W,
    models: &mut PlaneModels,
    block: &BlockLevels,
    neighbours: &Neighbours<'_>,
    dc_step: u16,
) {
    // DC residual.
    let dc_ctx = dc_context(neighbours);
    let residual = block.levels[0] - predict_dc_level(neighbours, dc_step);
    w.put_bit(&mut models.dc_zero[dc_ctx], residual != 0);
    if residual != 0 {
        w.put_bit(&mut models.dc_sign[dc_ctx], residual < 0);
        put_exp_golomb(
            w,
            &mut models.dc_exponent[dc_ctx],
            &mut models.dc_mantissa[dc_ctx],
            residual.unsigned_abs() - 1,
        );
    }
    // Count of nonzero AC levels, 6-bit tree.
    let tree = &mut models.nz_tree[nz_context(neighbours)];
    let mut node = 1usize;
    for bit in (0..6).rev() {
        let b = (block.nonzero >> bit) & 1 == 1;
        w.put_bit(&mut tree[node], b);
        node = 2 * node + b as usize;
    }
    // Levels in scan order.
    let mut remaining = block.nonzero;
    let mut previous_large = false;
    for i in 1..64 {
        if remaining == 0 {
            break;
        }
        let k = ZIGZAG[i];
        let level = block.levels[k];
        let nm = neighbour_magnitude(neighbours, k);
        // When every remaining position must be nonzero the flag is implied.
        if (remaining as usize) < 64 - i {
            let ctx = &mut models.significant[i][remaining_bucket(remaining)][neighbour_bucket(nm)];
            w.put_bit(ctx, level != 0);
        }
        if level == 0 {
            continue;
        }
        remaining -= 1;
        let magnitude = level.unsigned_abs();
        let mctx = magnitude_context(nm, previous_large);
        let b = band(i);
        w.put_bit(&mut models.greater1[b][mctx], magnitude > 1);
        if magnitude > 1 {
            w.put_bit(&mut models.greater2[b][mctx], magnitude > 2);
            if magnitude > 2 {
                let c = rest_class(i);
                put_exp_golomb(
                    w,
                    &mut models.rest_exponent[c],
                    &mut models.rest_mantissa[c],
                    magnitude - 3,
                );
            }
        }
        previous_large = magnitude > 1;
        w.put_bypass((level < 0) as u32, 1);
    }
}

/// Reads one block written by [`write_block`]. Returns `None` on data that cannot come
/// from the encoder (a count or magnitude out of range).
pub fn read_block(
    r: &mut RangeDecoder<'_>,
    models: &mut PlaneModels,
    neighbours: &Neighbours<'_>,
    dc_step: u16,
) -> Option<BlockLevels> {
    let mut block = BlockLevels::ZERO;
    let dc_ctx = dc_context(neighbours);
    let mut residual = 0i32;
    if r.get_bit(&mut models.dc_zero[dc_ctx]) {
        let negative = r.get_bit(&mut models.dc_sign[dc_ctx]);
        let m = get_exp_golomb(
            r,
            &mut models.dc_exponent[dc_ctx],
            &mut models.dc_mantissa[dc_ctx],
        )?;
        if m >= MAX_LEVEL as u32 {
            return None;
        }
        residual = if negative {
            -(m as i32 + 1)
        } else {
            m as i32 + 1
        };
    }
    block.dc_residual = residual.unsigned_abs();
    block.levels[0] =
        (predict_dc_level(neighbours, dc_step) + residual).clamp(-MAX_LEVEL, MAX_LEVEL);
    let tree = &mut models.nz_tree[nz_context(neighbours)];
    let mut node = 1usize;
    for _ in 0..6 {
        let b = r.get_bit(&mut tree[node]);
        node = 2 * node + b as usize;
    }
    let nonzero = (node - 64) as u32;
    if nonzero > 63 {
        return None;
    }
    block.nonzero = nonzero;
    let mut remaining = nonzero;
    let mut previous_large = false;
    for i in 1..64 {
        if remaining == 0 {
            break;
        }
        let k = ZIGZAG[i];
        let nm = neighbour_magnitude(neighbours, k);
        let significant = if (remaining as usize) < 64 - i {
            let ctx = &mut models.significant[i][remaining_bucket(remaining)][neighbour_bucket(nm)];
            r.get_bit(ctx)
        } else {
            true
        };
        if !significant {
            continue;
        }
        remaining -= 1;
        let mctx = magnitude_context(nm, previous_large);
        let b = band(i);
        let mut magnitude = 1u32;
        if r.get_bit(&mut models.greater1[b][mctx]) {
            magnitude = 2;
            if r.get_bit(&mut models.greater2[b][mctx]) {
                let c = rest_class(i);
                let rest = get_exp_golomb(
                    r,
                    &mut models.rest_exponent[c],
                    &mut models.rest_mantissa[c],
                )?;
                if rest >= MAX_LEVEL as u32 {
                    return None;
                }
                magnitude = rest + 3;
            }
        }
        previous_large = magnitude > 1;
        let negative = r.get_bypass(1) == 1;
        block.levels[k] = if negative {
            -(magnitude as i32)
        } else {
            magnitude as i32
        };
    }
    if remaining != 0 {
        return None;
    }
    Some(block)
}
