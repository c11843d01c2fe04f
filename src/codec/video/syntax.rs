//! Macroblock syntax of the video codec: the adaptive models of one slice, the macroblock
//! header (skip flag, intra flag, motion-vector difference), the per-block "coded" flags,
//! and the neighbourhood bookkeeping the block contexts need. Writer and reader side by
//! side; residual blocks themselves use the image codec's block syntax
//! (`codec::image::coeffs`) with separate models for intra and inter blocks.

use super::intra::IntraMode;
use super::motion::Mv;
use super::qp::MAX_QP;
use super::tx::TxModels;
use crate::codec::image::coeffs::{BlockLevels, Neighbours, PlaneModels};
use crate::entropy::{get_exp_golomb, put_exp_golomb, BitModel, RangeDecoder, SymbolWriter};

/// How a macroblock is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MbMode {
    /// Predicted with the predicted vector, no residual.
    Skip,
    /// Motion-compensated with a coded vector and residual.
    Inter,
    /// Motion-compensated per 8×8 quarter, four coded vectors, and residual.
    Split,
    /// Motion-compensated per 16×8 half (top, bottom), two coded vectors, and residual.
    Wide,
    /// Motion-compensated per 8×16 half (left, right), two coded vectors, and residual.
    Tall,
    /// Coded without reference to other frames.
    Intra,
    /// B-frames only: the average of two motion-compensated predictions, one from each of
    /// the frame's two anchors, with a coded vector each, and residual.
    Bi,
}

impl MbMode {
    /// Predicted in parts (quarters or halves), each with its own vector.
    pub fn is_partitioned(self) -> bool {
        matches!(self, MbMode::Split | MbMode::Wide | MbMode::Tall)
    }
}

/// Largest motion-vector difference component accepted by the reader (quarter samples).
pub const MAX_MVD: u32 = 1 << 14;

/// All adaptive models of one slice.
pub struct SliceModels {
    /// Residual models: intra luma, intra chroma, inter luma, inter chroma.
    pub coeffs: [Box<PlaneModels>; 4],
    skip: [BitModel; 3],
    intra: [BitModel; 3],
    split: [BitModel; 3],
    /// The reference index's truncated unary bits, one model per position.
    reference: [BitModel; 3],
    /// "Cut into halves" (context: split neighbours) and "halves side by side".
    halves: [BitModel; 3],
    halves_tall: BitModel,
    /// B-frames: "predicted from both anchors".
    bi: BitModel,
    mvd_zero: [[BitModel; 3]; 2],
    mvd_sign: [BitModel; 2],
    mvd_exponent: [[BitModel; 12]; 2],
    mvd_mantissa: [[BitModel; 12]; 2],
    coded: [[[BitModel; 3]; 2]; 2],
    /// The intra mode's three bits, one model per node of the binary tree.
    intra_mode: [BitModel; 8],
    /// A macroblock's quantizer change: "changed", its sign, and its magnitude's unary
    /// bits (one model for each of the first three, one for the rest).
    qp_changed: BitModel,
    qp_sign: BitModel,
    qp_magnitude: [BitModel; 4],
    /// Block-coded inter residuals ([`super::tx`]).
    pub tx: TxModels,
}

impl SliceModels {
    /// Fresh models, as at the start of every slice.
    pub fn new() -> SliceModels {
        SliceModels {
            coeffs: [
                PlaneModels::new(),
                PlaneModels::new(),
                PlaneModels::new(),
                PlaneModels::new(),
            ],
            skip: [BitModel::new(); 3],
            intra: [BitModel::new(); 3],
            split: [BitModel::new(); 3],
            reference: [BitModel::new(); 3],
            halves: [BitModel::new(); 3],
            halves_tall: BitModel::new(),
            bi: BitModel::new(),
            mvd_zero: [[BitModel::new(); 3]; 2],
            mvd_sign: [BitModel::new(); 2],
            mvd_exponent: [[BitModel::new(); 12]; 2],
            mvd_mantissa: [[BitModel::new(); 12]; 2],
            coded: [[[BitModel::new(); 3]; 2]; 2],
            intra_mode: [BitModel::new(); 8],
            qp_changed: BitModel::new(),
            qp_sign: BitModel::new(),
            qp_magnitude: [BitModel::new(); 4],
            tx: TxModels::new(),
        }
    }

    /// The residual models for a plane kind and block kind.
    pub fn plane_models(&mut self, chroma: bool, intra: bool) -> &mut PlaneModels {
        let i = (!intra as usize) * 2 + chroma as usize;
        &mut self.coeffs[i]
    }
}

impl Default for SliceModels {
    fn default() -> Self {
        SliceModels::new()
    }
}

/// Contexts of a macroblock header from its neighbours' modes.
#[derive(Debug, Clone, Copy, Default)]
pub struct MbContext {
    /// Left and upper macroblocks that were skipped (0..2).
    pub skipped: usize,
    /// Left and upper macroblocks that were intra (0..2).
    pub intra: usize,
    /// Left and upper macroblocks that were split into 8×8 quarters (0..2).
    pub split: usize,
    /// Magnitude class of the neighbours' vector differences, per component.
    pub mvd: [usize; 2],
}

fn write_mvd_component<W: SymbolWriter>(
    w: &mut W,
    m: &mut SliceModels,
    c: usize,
    ctx: usize,
    d: i32,
) {
    w.put_bit(&mut m.mvd_zero[c][ctx], d != 0);
    if d != 0 {
        w.put_bit(&mut m.mvd_sign[c], d < 0);
        put_exp_golomb(
            w,
            &mut m.mvd_exponent[c],
            &mut m.mvd_mantissa[c],
            d.unsigned_abs() - 1,
        );
    }
}

fn read_mvd_component(
    r: &mut RangeDecoder<'_>,
    m: &mut SliceModels,
    c: usize,
    ctx: usize,
) -> Option<i32> {
    if !r.get_bit(&mut m.mvd_zero[c][ctx]) {
        return Some(0);
    }
    let negative = r.get_bit(&mut m.mvd_sign[c]);
    let v = get_exp_golomb(r, &mut m.mvd_exponent[c], &mut m.mvd_mantissa[c])?;
    if v >= MAX_MVD {
        return None;
    }
    let v = v as i32 + 1;
    Some(if negative { -v } else { v })
}

/// Writes a macroblock header. `mvds` are the vectors minus their prediction: one for
/// inter, four (quarters in raster order) for split, two (top then bottom, or left then
/// right) for halves, two (the earlier anchor's, then the later one's) for bi, none
/// otherwise. In a B-frame (`bidir`) a macroblock that is neither skipped nor intra says
/// whether it is bi. In streams with `halves`, a macroblock that is not split says whether
/// it is cut into halves, and which way. Inter, split and halves macroblocks name their
/// reference, `reference` of the frame's `references` (nothing is coded when there is
/// one).
#[allow(clippy::too_many_arguments)]
pub fn write_mb_header<W: SymbolWriter>(
    w: &mut W,
    m: &mut SliceModels,
    ctx: &MbContext,
    intra_frame: bool,
    mode: MbMode,
    (reference, references, halves, bidir): (usize, usize, bool, bool),
    mvds: &[Mv],
) {
    if intra_frame {
        return;
    }
    w.put_bit(&mut m.skip[ctx.skipped], mode == MbMode::Skip);
    if mode == MbMode::Skip {
        return;
    }
    w.put_bit(&mut m.intra[ctx.intra], mode == MbMode::Intra);
    if mode == MbMode::Intra {
        return;
    }
    if bidir {
        w.put_bit(&mut m.bi, mode == MbMode::Bi);
    }
    if mode != MbMode::Bi {
        w.put_bit(&mut m.split[ctx.split], mode == MbMode::Split);
        if halves && mode != MbMode::Split {
            let half = matches!(mode, MbMode::Wide | MbMode::Tall);
            w.put_bit(&mut m.halves[ctx.split], half);
            if half {
                w.put_bit(&mut m.halves_tall, mode == MbMode::Tall);
            }
        }
        for i in 0..references.saturating_sub(1) {
            w.put_bit(&mut m.reference[i.min(2)], reference > i);
            if reference == i {
                break;
            }
        }
    }
    for mvd in mvds {
        write_mvd_component(w, m, 0, ctx.mvd[0], mvd.x);
        write_mvd_component(w, m, 1, ctx.mvd[1], mvd.y);
    }
}

/// Reads a macroblock header written by [`write_mb_header`] in a frame with `references`
/// references (and halves when `halves`, bi macroblocks when `bidir`): the mode, its
/// reference index (0 for skip, intra and bi) and its vector differences (all four used by
/// split, the first two by halves and bi, the first by inter).
pub fn read_mb_header(
    r: &mut RangeDecoder<'_>,
    m: &mut SliceModels,
    ctx: &MbContext,
    intra_frame: bool,
    (references, halves, bidir): (usize, bool, bool),
) -> Option<(MbMode, usize, [Mv; 4])> {
    let none = [Mv::ZERO; 4];
    if intra_frame {
        return Some((MbMode::Intra, 0, none));
    }
    if r.get_bit(&mut m.skip[ctx.skipped]) {
        return Some((MbMode::Skip, 0, none));
    }
    if r.get_bit(&mut m.intra[ctx.intra]) {
        return Some((MbMode::Intra, 0, none));
    }
    let (mode, count) = if bidir && r.get_bit(&mut m.bi) {
        (MbMode::Bi, 2)
    } else if r.get_bit(&mut m.split[ctx.split]) {
        (MbMode::Split, 4)
    } else if halves && r.get_bit(&mut m.halves[ctx.split]) {
        if r.get_bit(&mut m.halves_tall) {
            (MbMode::Tall, 2)
        } else {
            (MbMode::Wide, 2)
        }
    } else {
        (MbMode::Inter, 1)
    };
    let mut reference = 0;
    while mode != MbMode::Bi
        && reference + 1 < references
        && r.get_bit(&mut m.reference[reference.min(2)])
    {
        reference += 1;
    }
    let mut mvds = none;
    for mvd in &mut mvds[..count] {
        let x = read_mvd_component(r, m, 0, ctx.mvd[0])?;
        let y = read_mvd_component(r, m, 1, ctx.mvd[1])?;
        *mvd = Mv { x, y };
    }
    Some((mode, reference, mvds))
}

/// Writes a block's "has residual" flag.
pub fn write_coded<W: SymbolWriter>(
    w: &mut W,
    m: &mut SliceModels,
    chroma: bool,
    intra: bool,
    ctx: usize,
    coded: bool,
) {
    w.put_bit(&mut m.coded[chroma as usize][intra as usize][ctx], coded);
}

/// Reads a block's "has residual" flag.
pub fn read_coded(
    r: &mut RangeDecoder<'_>,
    m: &mut SliceModels,
    chroma: bool,
    intra: bool,
    ctx: usize,
) -> bool {
    r.get_bit(&mut m.coded[chroma as usize][intra as usize][ctx])
}

/// Kind of a block in the slice grid.
pub const KIND_NONE: u8 = 0;
pub const KIND_INTER: u8 = 1;
pub const KIND_INTRA: u8 = 2;

/// The 8×8 blocks of one plane of one slice, with what later blocks' contexts need.
pub struct BlockGrid {
    pub across: usize,
    pub levels: Vec<BlockLevels>,
    pub kind: Vec<u8>,
    pub dc: Vec<i32>,
    pub coded: Vec<bool>,
}

impl BlockGrid {
    /// An empty grid of `across` × `down` blocks.
    pub fn new(across: usize, down: usize) -> BlockGrid {
        let n = across * down;
        BlockGrid {
            across,
            levels: vec![BlockLevels::ZERO; n],
            kind: vec![KIND_NONE; n],
            dc: vec![0; n],
            coded: vec![false; n],
        }
    }

    /// The neighbours of block (bx, by) as a block of kind `kind` sees them: only blocks of
    /// the same kind count; only intra blocks share their DC.
    pub fn neighbours(&self, bx: usize, by: usize, kind: u8) -> Neighbours<'_> {
        let at = |x: usize, y: usize| y * self.across + x;
        let same = |i: usize| self.kind[i] == kind;
        let left = (bx > 0).then(|| at(bx - 1, by)).filter(|&i| same(i));
        let above = (by > 0).then(|| at(bx, by - 1)).filter(|&i| same(i));
        let above_left = (bx > 0 && by > 0)
            .then(|| at(bx - 1, by - 1))
            .filter(|&i| same(i));
        let intra = kind == KIND_INTRA;
        let dc = |i: Option<usize>| if intra { i.map(|i| self.dc[i]) } else { None };
        Neighbours {
            left: left.map(|i| &self.levels[i]),
            above: above.map(|i| &self.levels[i]),
            dc_left: dc(left),
            dc_above: dc(above),
            dc_above_left: dc(above_left),
        }
    }

    /// Context of block (bx, by)'s coded flag: coded left and upper blocks (0..2).
    pub fn coded_context(&self, bx: usize, by: usize) -> usize {
        let l = bx > 0 && self.coded[by * self.across + bx - 1];
        let a = by > 0 && self.coded[(by - 1) * self.across + bx];
        l as usize + a as usize
    }

    /// Records block (bx, by).
    pub fn set(
        &mut self,
        bx: usize,
        by: usize,
        kind: u8,
        levels: BlockLevels,
        dc: i32,
        coded: bool,
    ) {
        let i = by * self.across + bx;
        self.kind[i] = kind;
        self.levels[i] = levels;
        self.dc[i] = dc;
        self.coded[i] = coded;
    }
}

/// Magnitude class of a vector-difference component for the next macroblock's context.
pub fn mvd_class(d: i32) -> usize {
    match d.unsigned_abs() {
        0 => 0,
        1..=8 => 1,
        _ => 2,
    }
}

/// Writes an intra macroblock's prediction mode: its 3-bit code, most significant bit
/// first, each bit with the model of its node in the binary tree.
pub fn write_intra_mode<W: SymbolWriter>(w: &mut W, m: &mut SliceModels, mode: IntraMode) {
    let code = mode.code();
    let mut node = 1;
    for shift in (0..3).rev() {
        let bit = (code >> shift) & 1 == 1;
        w.put_bit(&mut m.intra_mode[node], bit);
        node = 2 * node + bit as usize;
    }
}

/// Reads an intra mode written by [`write_intra_mode`]; `None` for a code no mode has.
pub fn read_intra_mode(r: &mut RangeDecoder<'_>, m: &mut SliceModels) -> Option<IntraMode> {
    let mut node = 1;
    for _ in 0..3 {
        let bit = r.get_bit(&mut m.intra_mode[node]);
        node = 2 * node + bit as usize;
    }
    IntraMode::from_code((node - 8) as u8)
}

/// Largest quantizer change one macroblock codes (a whole index range).
pub const MAX_QP_DELTA: i32 = MAX_QP as i32;

/// Writes a macroblock's quantizer index change `delta` against the index of the last
/// macroblock that coded one (|delta| ≤ [`MAX_QP_DELTA`]): a "changed" flag, then a sign
/// and the magnitude in unary, truncated at [`MAX_QP_DELTA`].
pub fn write_qp_delta<W: SymbolWriter>(w: &mut W, m: &mut SliceModels, delta: i32) {
    w.put_bit(&mut m.qp_changed, delta != 0);
    if delta == 0 {
        return;
    }
    w.put_bit(&mut m.qp_sign, delta < 0);
    let magnitude = delta.unsigned_abs().min(MAX_QP_DELTA as u32);
    for k in 1..MAX_QP_DELTA as u32 {
        let more = magnitude > k;
        w.put_bit(&mut m.qp_magnitude[(k as usize - 1).min(3)], more);
        if !more {
            break;
        }
    }
}

/// Reads a change written by [`write_qp_delta`].
pub fn read_qp_delta(r: &mut RangeDecoder<'_>, m: &mut SliceModels) -> i32 {
    if !r.get_bit(&mut m.qp_changed) {
        return 0;
    }
    let negative = r.get_bit(&mut m.qp_sign);
    let mut magnitude = 1;
    while magnitude < MAX_QP_DELTA
        && r.get_bit(&mut m.qp_magnitude[(magnitude as usize - 1).min(3)])
    {
        magnitude += 1;
    }
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::RangeEncoder;

    #[test]
    fn quantizer_changes_round_trip_and_large_ones_are_cut_to_the_range() {
        let deltas = [0, 1, -1, 0, 0, 3, -7, 12, -12, 0, 51, -51, 2, 0];
        let mut models = SliceModels::new();
        let mut encoder = RangeEncoder::new();
        for &d in &deltas {
            write_qp_delta(&mut encoder, &mut models, d);
        }
        write_qp_delta(&mut encoder, &mut models, 80);
        let bytes = encoder.finish();
        let mut models = SliceModels::new();
        let mut decoder = RangeDecoder::new(&bytes);
        for &d in &deltas {
            assert_eq!(read_qp_delta(&mut decoder, &mut models), d);
        }
        assert_eq!(read_qp_delta(&mut decoder, &mut models), MAX_QP_DELTA);
        assert!(!decoder.overran());
    }
}
