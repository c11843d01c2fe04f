//! The block coder's syntax above the coefficients: partition flags, luma prediction modes
//! with two most probable modes, chroma modes and chroma-from-luma scales, each with its
//! adaptive models. Writers and readers side by side.
//!
//! - Split flag of a coding block of side 32 or 16 (and the flag that cuts an 8×8 luma
//!   block into four 4×4 ones): context = size and how many of the left and upper
//!   neighbours are smaller blocks.
//! - Luma mode: the most probable modes are the left and upper blocks' modes (with planar
//!   or DC filling in when they agree or are missing); a flag for the first, a flag for the
//!   second, else the index among the other thirteen modes in four bits.
//! - Chroma mode: truncated unary over [luma's mode, chroma from luma, DC, planar,
//!   vertical, horizontal].
//! - Chroma-from-luma scale per chroma plane: −16..16 in 1/8, zero flag, sign, unary size.

use super::coeffs::CoeffModels;
use super::intra::{DC, MODES, PLANAR};
use super::state::TileState;
use crate::entropy::{BitModel, RangeDecoder, SymbolWriter};

pub const CHROMA_DM: u8 = 0;
pub const CHROMA_CFL: u8 = 1;
pub const CHROMA_DC: u8 = 2;
pub const CHROMA_PLANAR: u8 = 3;
pub const CHROMA_VERTICAL: u8 = 4;
pub const CHROMA_HORIZONTAL: u8 = 5;
pub const CHROMA_MODES: u8 = 6;
/// Largest chroma-from-luma scale magnitude, in 1/8.
pub const MAX_CFL: i32 = 16;

/// Every adaptive model of a tile's block syntax.
#[derive(Clone)]
pub struct Models {
    /// Coefficients of luma (0) and chroma (1).
    pub coeffs: [CoeffModels; 2],
    split: [[BitModel; 3]; 3],
    first_mpm: [BitModel; 2],
    second_mpm: BitModel,
    mode_tree: [BitModel; 16],
    chroma_mode: [BitModel; CHROMA_MODES as usize - 1],
    cfl_zero: [BitModel; 2],
    cfl_sign: [BitModel; 2],
    cfl_magnitude: [[BitModel; MAX_CFL as usize]; 2],
}

impl Models {
    pub fn new() -> Box<Models> {
        Box::new(Models {
            coeffs: [CoeffModels::new(), CoeffModels::new()],
            split: [[BitModel::new(); 3]; 3],
            first_mpm: [BitModel::new(); 2],
            second_mpm: BitModel::new(),
            mode_tree: [BitModel::new(); 16],
            chroma_mode: [BitModel::new(); CHROMA_MODES as usize - 1],
            cfl_zero: [BitModel::new(); 2],
            cfl_sign: [BitModel::new(); 2],
            cfl_magnitude: [[BitModel::new(); MAX_CFL as usize]; 2],
        })
    }
}

/// (model row, context) of the split flag of a block of side n at luma (x, y).
fn split_context(state: &TileState, x: usize, y: usize, n: usize) -> (usize, usize) {
    let log2 = n.trailing_zeros() as u8;
    let smaller = |v: Option<u8>| v.is_some_and(|l| l < log2) as usize;
    let ctx = smaller(state.block_log2_at(x as isize - 1, y as isize))
        + smaller(state.block_log2_at(x as isize, y as isize - 1));
    let row = match n {
        32 => 0,
        16 => 1,
        _ => 2,
    };
    (row, ctx)
}

pub fn write_split<W: SymbolWriter>(
    w: &mut W,
    m: &mut Models,
    s: &TileState,
    x: usize,
    y: usize,
    n: usize,
    split: bool,
) {
    let (row, ctx) = split_context(s, x, y, n);
    w.put_bit(&mut m.split[row][ctx], split);
}

pub fn read_split(
    r: &mut RangeDecoder<'_>,
    m: &mut Models,
    s: &TileState,
    x: usize,
    y: usize,
    n: usize,
) -> bool {
    let (row, ctx) = split_context(s, x, y, n);
    r.get_bit(&mut m.split[row][ctx])
}

/// The two most probable modes of a luma block at (x, y) and the first flag's context.
pub fn most_probable(state: &TileState, x: usize, y: usize) -> ([u8; 2], usize) {
    let left = state.luma_mode_at(x as isize - 1, y as isize);
    let above = state.luma_mode_at(x as isize, y as isize - 1);
    let first = left.or(above).unwrap_or(PLANAR);
    let other = match (left, above) {
        (Some(l), Some(a)) if l != a => a,
        _ => {
            if first == PLANAR {
                DC
            } else {
                PLANAR
            }
        }
    };
    let ctx = (left.is_some() && left == above) as usize;
    ([first, other], ctx)
}

/// Index of `mode` among the modes other than the two most probable.
fn remaining_index(mode: u8, mpm: [u8; 2]) -> u8 {
    mode - (mpm[0] < mode) as u8 - (mpm[1] < mode) as u8
}

pub fn write_luma_mode<W: SymbolWriter>(
    w: &mut W,
    m: &mut Models,
    mpm: ([u8; 2], usize),
    mode: u8,
) {
    let (list, ctx) = mpm;
    w.put_bit(&mut m.first_mpm[ctx], mode == list[0]);
    if mode == list[0] {
        return;
    }
    w.put_bit(&mut m.second_mpm, mode == list[1]);
    if mode == list[1] {
        return;
    }
    let index = remaining_index(mode, list);
    let mut node = 1;
    for bit in (0..4).rev() {
        let b = (index >> bit) & 1 == 1;
        w.put_bit(&mut m.mode_tree[node], b);
        node = 2 * node + b as usize;
    }
}

/// Reads a luma mode; `None` for an index past the last mode.
pub fn read_luma_mode(
    r: &mut RangeDecoder<'_>,
    m: &mut Models,
    mpm: ([u8; 2], usize),
) -> Option<u8> {
    let (list, ctx) = mpm;
    if r.get_bit(&mut m.first_mpm[ctx]) {
        return Some(list[0]);
    }
    if r.get_bit(&mut m.second_mpm) {
        return Some(list[1]);
    }
    let mut node = 1;
    for _ in 0..4 {
        let b = r.get_bit(&mut m.mode_tree[node]);
        node = 2 * node + b as usize;
    }
    let index = (node - 16) as u8;
    if index as usize >= MODES - 2 {
        return None;
    }
    // Undo `remaining_index`: skip the most probable modes in increasing order.
    let (lo, hi) = (list[0].min(list[1]), list[0].max(list[1]));
    let mut mode = index;
    if mode >= lo {
        mode += 1;
    }
    if mode >= hi {
        mode += 1;
    }
    Some(mode)
}

pub fn write_chroma_mode<W: SymbolWriter>(w: &mut W, m: &mut Models, mode: u8) {
    for i in 0..CHROMA_MODES - 1 {
        w.put_bit(&mut m.chroma_mode[i as usize], mode > i);
        if mode == i {
            return;
        }
    }
}

pub fn read_chroma_mode(r: &mut RangeDecoder<'_>, m: &mut Models) -> u8 {
    let mut mode = 0;
    while mode < CHROMA_MODES - 1 && r.get_bit(&mut m.chroma_mode[mode as usize]) {
        mode += 1;
    }
    mode
}

pub fn write_cfl<W: SymbolWriter>(w: &mut W, m: &mut Models, plane: usize, alpha: i32) {
    w.put_bit(&mut m.cfl_zero[plane], alpha == 0);
    if alpha == 0 {
        return;
    }
    w.put_bit(&mut m.cfl_sign[plane], alpha < 0);
    let magnitude = alpha.unsigned_abs() as usize;
    for i in 1..MAX_CFL as usize {
        w.put_bit(&mut m.cfl_magnitude[plane][i], magnitude > i);
        if magnitude == i {
            return;
        }
    }
}

pub fn read_cfl(r: &mut RangeDecoder<'_>, m: &mut Models, plane: usize) -> i32 {
    if r.get_bit(&mut m.cfl_zero[plane]) {
        return 0;
    }
    let negative = r.get_bit(&mut m.cfl_sign[plane]);
    let mut magnitude = 1;
    while magnitude < MAX_CFL as usize && r.get_bit(&mut m.cfl_magnitude[plane][magnitude]) {
        magnitude += 1;
    }
    if negative {
        -(magnitude as i32)
    } else {
        magnitude as i32
    }
}

/// The luma prediction mode a chroma mode stands for (`None` for chroma from luma).
pub fn chroma_prediction(chroma_mode: u8, luma_mode: u8) -> Option<u8> {
    use super::intra::{HORIZONTAL, VERTICAL};
    match chroma_mode {
        CHROMA_DM => Some(luma_mode),
        CHROMA_DC => Some(DC),
        CHROMA_PLANAR => Some(PLANAR),
        CHROMA_VERTICAL => Some(VERTICAL),
        CHROMA_HORIZONTAL => Some(HORIZONTAL),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::RangeEncoder;

    #[test]
    fn modes_and_scales_round_trip() {
        let lists = [
            ([0u8, 1u8], 0usize),
            ([7, 3], 1),
            ([14, 13], 0),
            ([1, 0], 1),
        ];
        let mut m = Models::new();
        let mut e = RangeEncoder::new();
        for &(list, ctx) in &lists {
            for mode in 0..MODES as u8 {
                write_luma_mode(&mut e, &mut m, (list, ctx), mode);
            }
        }
        for mode in 0..CHROMA_MODES {
            write_chroma_mode(&mut e, &mut m, mode);
        }
        for alpha in -MAX_CFL..=MAX_CFL {
            write_cfl(&mut e, &mut m, (alpha & 1) as usize, alpha);
        }
        let bytes = e.finish();
        let mut m = Models::new();
        let mut r = RangeDecoder::new(&bytes);
        for &(list, ctx) in &lists {
            for mode in 0..MODES as u8 {
                assert_eq!(read_luma_mode(&mut r, &mut m, (list, ctx)), Some(mode));
            }
        }
        for mode in 0..CHROMA_MODES {
            assert_eq!(read_chroma_mode(&mut r, &mut m), mode);
        }
        for alpha in -MAX_CFL..=MAX_CFL {
            assert_eq!(read_cfl(&mut r, &mut m, (alpha & 1) as usize), alpha);
        }
    }
}
