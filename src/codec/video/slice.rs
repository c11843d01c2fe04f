//! One slice of a video frame: the encoder's motion search, rate-distortion mode decision
//! and residual coding, and the decoder's mirror, side by side.
//!
//! In: the padded source planes (encoder) or the slice's bytes (decoder), the reference
//! frame, the quantizer index. Out: the slice's bytes (encoder), the reconstructed samples
//! of the slice's rows, and per 8×8 luma block what the loop filter needs. A slice is a
//! run of whole macroblock rows coded with fresh models and no prediction across its top
//! edge, so slices are coded in parallel and give the same bytes for any thread count.
//! Macroblocks (16×16 luma) are coded in raster order: header (`syntax`), then each 8×8
//! block of luma, Cb and Cr: a "coded" flag and, if set, the image codec's block syntax.
//! Intra blocks transform `sample − 128` with DC prediction between intra blocks; inter
//! blocks transform `sample − prediction`. The encoder reconstructs with the decoder's
//! [`reconstruct_block`], so both hold the same reference.

use super::frame::{FrameSetup, PlaneRows, SliceOutput};
use super::intra::IntraMode;
use super::loopfilter::BlockInfo;
use super::mb::{
    block_of, predict_bi_mb, predict_intra_mb, predict_mb, put_block, record_blocks, store_mb,
    Geometry, MbSamples, MbState, MAX_MB_BLOCKS,
};
use super::motion::{mv_in_range, mvd_bits, satd, search, Mv, QuarterGrid, SearchParams};
use super::params::{VideoParams, FLAG_BLOCK_RESIDUALS, FLAG_HALVES, FLAG_MB_QP};
use super::qp::plane_steps;
use super::qp::MAX_QP;
use super::residual::{reconstruct_block, Residual};
use super::syntax::{
    read_coded, read_intra_mode, read_mb_header, read_qp_delta, write_coded, write_intra_mode,
    write_mb_header, write_qp_delta, BlockGrid, MbContext, MbMode, SliceModels, KIND_INTER,
    KIND_INTRA,
};
use super::tx::{
    choose_residual, read_residual, reconstruct_mb, write_residual, TxResidual, TxScratch, TxSteps,
};
use crate::codec::image::coeffs::{predict_dc_level, read_block, write_block, BlockLevels};
use crate::entropy::{BitCounter, RangeDecoder, RangeEncoder, SymbolWriter, COST_SCALE};
use crate::error::{Error, Result};
use crate::quant::rdo::optimize_block;
use crate::quant::scalar::{dequantize, quantize};
use crate::quant::tables::ZIGZAG;
use crate::signal::Plane;
use crate::transform::dct::DEQUANT_ONE;
use std::sync::Arc;

/// The encoder's settings live in `tuning`; this path (their first home) stays for callers
/// that name `video::slice::Preset` or `video::slice::Tuning`.
pub use super::tuning::{Preset, Tuning};

/// Full-sample search range of an 8×8 quarter around its macroblock's vector.
const SPLIT_SEARCH_RANGE: i32 = 4;

/// One coded 8×8 block of a candidate.
#[derive(Clone, Copy)]
struct BlockChoice {
    levels: BlockLevels,
    coded: bool,
}

impl BlockChoice {
    /// A block with no residual.
    const NOT_CODED: BlockChoice = BlockChoice {
        levels: BlockLevels::ZERO,
        coded: false,
    };
}

/// A macroblock coding candidate.
struct Candidate {
    mode: MbMode,
    /// The spatial prediction of an intra macroblock.
    intra_mode: IntraMode,
    /// Vectors of the quarters in raster order (all equal unless split); a B-frame's bi or
    /// skipped macroblock's vector towards the earlier anchor.
    mvs: [Mv; 4],
    /// A B-frame's bi or skipped macroblock's vector towards the later anchor.
    mv1: Mv,
    /// The vector differences it codes ([`coded_mvds`]), and how many.
    mvds: ([Mv; 4], usize),
    /// The reference an inter macroblock predicts from (index into the frame's list).
    reference: usize,
    /// The macroblock's blocks in coding order (as many as [`Geometry::blocks`] lists).
    blocks: [BlockChoice; MAX_MB_BLOCKS],
    /// Reconstruction per plane.
    recon: MbSamples,
    /// The residual of an inter macroblock coded with the block coder's transforms (then
    /// `blocks` only records which 8×8 blocks hold a nonzero level).
    tx: Option<Box<TxResidual>>,
    cost: f64,
}

/// Side of the chroma blocks of a macroblock's block-coded residual (`None` without
/// chroma).
fn chroma_side(g: &Geometry) -> Option<usize> {
    (g.planes > 1).then(|| g.mb_size(1).0)
}

/// Each plane's part of a macroblock: (width, height).
fn mb_sizes(g: &Geometry) -> Vec<(usize, usize)> {
    (0..g.planes).map(|p| g.mb_size(p)).collect()
}

/// Whether the 8×8 block `j` (coding order, plane `p`) of a macroblock with a block-coded
/// residual holds a nonzero level.
fn tx_block_coded(
    g: &Geometry,
    res: &TxResidual,
    quarters: &[bool; 4],
    j: usize,
    p: usize,
) -> bool {
    if p == 0 {
        quarters[j]
    } else {
        res.chroma_coded(p - 1, g.mb_size(p).0)
    }
}

/// Writes a macroblock's symbols (header, coded flags, blocks), recording its blocks in
/// the grids as it goes.
#[allow(clippy::too_many_arguments)]
fn write_mb<W: SymbolWriter>(
    w: &mut W,
    models: &mut SliceModels,
    grids: &mut [BlockGrid],
    g: &Geometry,
    ctx: &MbContext,
    (intra_frame, references, halves, bidir): (bool, usize, bool, bool),
    (cand, qp_delta): (&Candidate, Option<i32>),
    residual: &Residual,
    mbx: usize,
    mby: usize,
) {
    let reference = (cand.reference, references, halves, bidir);
    let mvds = &cand.mvds.0[..cand.mvds.1];
    write_mb_header(w, models, ctx, intra_frame, cand.mode, reference, mvds);
    let intra = cand.mode == MbMode::Intra;
    if intra {
        write_intra_mode(w, models, cand.intra_mode);
    }
    if let Some(delta) = qp_delta {
        write_qp_delta(w, models, delta);
    }
    if let Some(res) = cand.tx.as_deref() {
        write_residual(w, &mut models.tx, res, chroma_side(g));
    }
    let kind = if intra { KIND_INTRA } else { KIND_INTER };
    for (&(p, bx, by), choice) in g.blocks(mbx, mby).as_slice().iter().zip(&cand.blocks) {
        let chroma = p > 0;
        let grid = &mut grids[p];
        if cand.mode != MbMode::Skip && cand.tx.is_none() {
            let cctx = grid.coded_context(bx, by);
            write_coded(w, models, chroma, intra, cctx, choice.coded);
            if choice.coded {
                let n = grid.neighbours(bx, by, kind);
                write_block(
                    w,
                    models.plane_models(chroma, intra),
                    &choice.levels,
                    &n,
                    residual.step(chroma),
                );
            }
        }
        let dc = dequantize(choice.levels.levels[0], residual.step(chroma));
        grid.set(bx, by, kind, choice.levels, dc, choice.coded);
    }
}

/// The vector differences a macroblock codes, in coding order: one for inter, four for
/// split, two for halves (top then bottom, or left then right), two for bi (the earlier
/// anchor's against `pred`, then the later one's, `second`, against its prediction), none
/// otherwise.
fn coded_mvds(mode: MbMode, mvs: &[Mv; 4], pred: Mv, second: (Mv, Mv)) -> ([Mv; 4], usize) {
    let diff = |m: Mv| Mv {
        x: m.x - pred.x,
        y: m.y - pred.y,
    };
    let d = mvs.map(diff);
    match mode {
        MbMode::Inter => (d, 1),
        MbMode::Bi => {
            let (mv1, pred1) = second;
            let d1 = Mv {
                x: mv1.x - pred1.x,
                y: mv1.y - pred1.y,
            };
            ([d[0], d1, Mv::ZERO, Mv::ZERO], 2)
        }
        MbMode::Split => (d, 4),
        MbMode::Wide => ([d[0], d[2], d[2], d[2]], 2),
        MbMode::Tall => ([d[0], d[1], d[1], d[1]], 2),
        MbMode::Skip | MbMode::Intra => (d, 0),
    }
}

/// The quarter vectors (raster order) of a macroblock from its vector prediction and its
/// vector differences in coding order ([`coded_mvds`]).
fn quarter_mvs(mode: MbMode, pred: Mv, mvds: &[Mv; 4]) -> [Mv; 4] {
    let add = |d: Mv| Mv {
        x: pred.x + d.x,
        y: pred.y + d.y,
    };
    match mode {
        MbMode::Intra => [Mv::ZERO; 4],
        MbMode::Skip => [pred; 4],
        MbMode::Inter | MbMode::Bi => [add(mvds[0]); 4],
        MbMode::Split => mvds.map(add),
        MbMode::Wide => [add(mvds[0]), add(mvds[0]), add(mvds[1]), add(mvds[1])],
        MbMode::Tall => [add(mvds[0]), add(mvds[1]), add(mvds[0]), add(mvds[1])],
    }
}

/// The vector and vector difference that represent a macroblock to its neighbours: the
/// bottom-right quarter's for split and halves, the earlier anchor's for bi, zero for
/// intra (`mvds` in coding order).
fn representative(mode: MbMode, mvs: &[Mv; 4], mvds: &[Mv; 4]) -> (Mv, Mv) {
    match mode {
        MbMode::Intra => (Mv::ZERO, Mv::ZERO),
        MbMode::Skip => (mvs[0], Mv::ZERO),
        MbMode::Inter | MbMode::Bi => (mvs[0], mvds[0]),
        MbMode::Split => (mvs[3], mvds[3]),
        MbMode::Wide | MbMode::Tall => (mvs[3], mvds[1]),
    }
}

/// The reference index a B-frame's skipped and bi macroblocks record for the loop filter
/// (they predict from both anchors).
const BOTH_ANCHORS: usize = 2;

/// The reference a macroblock's blocks record for the loop filter.
fn filter_reference(bidir: bool, mode: MbMode, reference: usize) -> usize {
    if bidir && matches!(mode, MbMode::Skip | MbMode::Bi) {
        BOTH_ANCHORS
    } else {
        reference
    }
}

/// A B-frame macroblock's vectors towards the earlier and the later anchor, as its
/// neighbours' vector prediction reads them ([`MbState::list_predictions`]).
fn list_vectors(mode: MbMode, reference: usize, mvs: &[Mv; 4], mv1: Mv) -> [Option<Mv>; 2] {
    match mode {
        MbMode::Intra => [None, None],
        MbMode::Skip | MbMode::Bi => [Some(mvs[0]), Some(mv1)],
        _ => {
            let (mv, _) = representative(mode, mvs, &[Mv::ZERO; 4]);
            let mut lists = [None, None];
            lists[reference.min(1)] = Some(mv);
            lists
        }
    }
}

/// The residual arithmetic of quantizer index `qp`: the 8×8 syntax's steps and tables, and
/// the block-coded residuals' steps when the stream has them.
fn quantizers(params: &VideoParams, qp: u8) -> (Residual, Option<TxSteps>) {
    let tx_steps =
        (params.flags & FLAG_BLOCK_RESIDUALS != 0).then(|| TxSteps::new(plane_steps(qp)));
    (Residual::new(params, qp), tx_steps)
}

/// The slice encoder.
pub struct SliceEncoder<'a> {
    setup: &'a FrameSetup<'a>,
    src: &'a [Plane],
    tuning: Tuning,
    g: Geometry,
    grids: Vec<BlockGrid>,
    state: MbState,
    models: SliceModels,
    /// The rate-distortion Lagrange multiplier ([`Tuning::lambda`]).
    lambda: f64,
    residual: Residual,
    /// The frame's steps for block-coded inter residuals, when the stream has them.
    tx_steps: Option<TxSteps>,
    tx_scratch: Box<TxScratch>,
    mb_sizes: Vec<(usize, usize)>,
    /// The stream allows halves ([`FLAG_HALVES`]).
    halves: bool,
    /// A B-frame: the references are the earlier and the later anchor.
    bidir: bool,
    /// The second prediction of a bi macroblock.
    pred1: Vec<Vec<u8>>,
    /// The stream carries macroblock quantizer changes ([`FLAG_MB_QP`]).
    mb_qp: bool,
    /// The quantizer index of the macroblock being coded (`lambda`, `residual` and
    /// `tx_steps` are this index's).
    qp: u8,
    /// The index of the last macroblock that coded a change (the frame's at the start).
    coded_qp: u8,
}

impl<'a> SliceEncoder<'a> {
    pub fn new(setup: &'a FrameSetup<'a>, src: &'a [Plane], slice: usize, tuning: Tuning) -> Self {
        let g = Geometry::new(setup.params, slice);
        let mb_sizes = mb_sizes(&g);
        let (residual, tx_steps) = quantizers(setup.params, setup.qp);
        SliceEncoder {
            setup,
            src,
            tuning,
            grids: g.grids(),
            state: MbState::new(g.mw * g.mb_rows),
            g,
            models: SliceModels::new(),
            lambda: tuning.lambda(setup.qp),
            residual,
            tx_steps,
            tx_scratch: TxScratch::new(),
            mb_sizes,
            halves: setup.params.flags & FLAG_HALVES != 0,
            bidir: setup.bidir,
            pred1: vec![Vec::new(); 3],
            mb_qp: setup.params.flags & FLAG_MB_QP != 0 && !setup.intra,
            qp: setup.qp,
            coded_qp: setup.qp,
        }
    }

    /// Sets the quantizer index of the next macroblock: the frame's plus its offset, when
    /// the stream carries changes.
    fn set_mb_qp(&mut self, mbx: usize, gy: usize) {
        let offset = match self.setup.qp_offsets.get(gy * self.g.mw + mbx) {
            Some(&o) if self.mb_qp => o as i32,
            _ => 0,
        };
        let qp = (self.setup.qp as i32 + offset).clamp(0, MAX_QP as i32) as u8;
        if qp != self.qp {
            self.qp = qp;
            self.lambda = self.tuning.lambda(qp);
            (self.residual, self.tx_steps) = quantizers(self.setup.params, qp);
        }
    }

    /// Codes the slice, writing its reconstruction into `rows`.
    pub fn encode(mut self, rows: &mut [PlaneRows<'_>]) -> SliceOutput {
        let mut enc = RangeEncoder::new();
        let g_mw = self.g.mw;
        let mut blocks = vec![BlockInfo::default(); g_mw * 2 * self.g.mb_rows * 2];
        let (mut intra_mbs, mut split_mbs) = (0, 0);
        let mut src_mb: Vec<Vec<u8>> = vec![Vec::new(); self.g.planes];
        let mut pred: Vec<Vec<u8>> = vec![Vec::new(); self.g.planes];
        for mby in 0..self.g.mb_rows {
            let gy = self.g.mb_y0 + mby;
            for mbx in 0..g_mw {
                for p in 0..self.g.planes {
                    let (w, h) = self.g.mb_size(p);
                    let plane = &self.src[p];
                    let buf = &mut src_mb[p];
                    buf.clear();
                    for r in 0..h {
                        buf.extend_from_slice(
                            &plane.data[(gy * h + r) * plane.width + mbx * w..][..w],
                        );
                    }
                }
                let (ctx, mv_pred) = self.state.context(&self.g, mbx, mby);
                self.set_mb_qp(mbx, gy);
                let best = if self.bidir {
                    let preds = self.state.list_predictions(&self.g, mbx, mby);
                    self.decide_b(mbx, mby, &ctx, preds, &src_mb, &mut pred, rows)
                } else {
                    self.decide(mbx, mby, &ctx, mv_pred, &src_mb, &mut pred, rows)
                };
                let qp_delta = self.qp_delta(&best);
                let syntax = self.syntax();
                write_mb(
                    &mut enc,
                    &mut self.models,
                    &mut self.grids,
                    &self.g,
                    &ctx,
                    syntax,
                    (&best, qp_delta),
                    &self.residual,
                    mbx,
                    mby,
                );
                self.coded_qp = (self.coded_qp as i32 + qp_delta.unwrap_or(0)) as u8;
                let (mv, mvd) = representative(best.mode, &best.mvs, &best.mvds.0);
                self.state.set(&self.g, mbx, mby, best.mode, mv, mvd);
                if self.bidir {
                    let i = mby * g_mw + mbx;
                    self.state.lists[i] =
                        list_vectors(best.mode, best.reference, &best.mvs, best.mv1);
                }
                intra_mbs += (best.mode == MbMode::Intra) as usize;
                split_mbs += (best.mode == MbMode::Split) as usize;
                store_mb(&self.g, rows, mbx, mby, &best.recon);
                let coded: [bool; 4] = std::array::from_fn(|k| best.blocks[k].coded);
                let reference = filter_reference(self.bidir, best.mode, best.reference);
                let mode = (best.mode, reference);
                record_blocks(&mut blocks, g_mw, mbx, mby, mode, &best.mvs, &coded);
            }
        }
        SliceOutput {
            bytes: enc.finish(),
            blocks,
            mvs: self.state.mvs.clone(),
            intra_mbs,
            split_mbs,
            edges: Vec::new(),
        }
    }

    /// What the macroblock syntax needs to know of the frame: intra, its reference count,
    /// halves allowed, B-frame.
    fn syntax(&self) -> (bool, usize, bool, bool) {
        let references = self.setup.references.len();
        (self.setup.intra, references, self.halves, self.bidir)
    }

    /// The quantizer change candidate `c` codes, when the stream carries changes and it is
    /// not skipped: to this macroblock's index where it codes a level, else none (0), as
    /// the index then changes nothing.
    fn qp_delta(&self, c: &Candidate) -> Option<i32> {
        (self.mb_qp && c.mode != MbMode::Skip).then(|| {
            if c.blocks.iter().any(|b| b.coded) {
                self.qp as i32 - self.coded_qp as i32
            } else {
                0
            }
        })
    }

    /// Chooses and fully prepares the best way to code one macroblock.
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &mut self,
        mbx: usize,
        mby: usize,
        ctx: &MbContext,
        mv_pred: Mv,
        src: &[Vec<u8>],
        pred: &mut [Vec<u8>],
        rows: &[PlaneRows<'_>],
    ) -> Candidate {
        let gy = self.g.mb_y0 + mby;
        // The encoder's references always carry the search grid (see `make_reference`).
        let references = if self.setup.intra {
            &[][..]
        } else {
            self.setup.references
        };
        let Some((r, grid)) = references
            .first()
            .and_then(|r| r.grid.as_ref().map(|g| (r, g)))
        else {
            return self.best_intra(mbx, mby, ctx, src, pred, rows);
        };
        let (pw, ph) = self.g.sizes[0];
        // Skip: the predicted vector, no residual.
        let mut best: Option<Candidate> = None;
        if mv_in_range(mv_pred, 16 * mbx, 16 * gy, 16, pw, ph) {
            let skip = (MbMode::Skip, [mv_pred; 4]);
            best = Some(self.try_inter(mbx, mby, ctx, skip, 0, mv_pred, src, pred));
        }
        // Inter: search around the predicted vector and the neighbours' vectors.
        let i = mby * self.g.mw + mbx;
        let co_located = r.mvs.get(gy * self.g.mw + mbx).copied();
        let left = (mbx > 0).then(|| self.state.mvs[i - 1]);
        let above = (mby > 0).then(|| self.state.mvs[i - self.g.mw]);
        let lookahead = self.setup.lookahead.get(gy * self.g.mw + mbx).copied();
        let mut candidates = [Mv::ZERO; 4];
        let mut count = 0;
        for m in [co_located, left, above, lookahead].into_iter().flatten() {
            candidates[count] = m;
            count += 1;
        }
        let search_params = SearchParams {
            lambda: (self.lambda.sqrt() as u32).max(1),
            range: self.tuning.search_range,
            subpel_rounds: self.tuning.subpel_rounds,
        };
        let (x, y) = (16 * mbx, 16 * gy);
        let (mv, sad) = search(
            grid,
            (x, y, 16),
            &src[0],
            mv_pred,
            &candidates[..count],
            pw,
            ph,
            &search_params,
        );
        if sad != u32::MAX {
            let inter = (MbMode::Inter, [mv; 4]);
            let c = self.try_inter(mbx, mby, ctx, inter, 0, mv_pred, src, pred);
            // With the skip vector, inter only differs from skip by its residual.
            let same_as_skip = mv == mv_pred && c.blocks.iter().all(|b| !b.coded);
            if !same_as_skip && best.as_ref().is_none_or(|b| c.cost < b.cost) {
                best = Some(c);
            }
        }
        // The other candidates (an older reference, split, halves) are ranked by their
        // search cost (Hadamard cost plus vector bits); only the cheapest
        // `tuning.coded_candidates` of them are coded for real.
        let mut pending = PendingInter::new();
        // The older references: each searched from the newest one's vector and the
        // predicted vector; the one of least search cost, with about a bit per step down
        // the list, is a candidate when it beats the newest.
        let (mut ref_index, mut ref_mv, mut ref_sad, mut ref_grid) = (0, mv, sad, grid);
        for (k, older) in references.iter().enumerate().skip(1) {
            let Some(older_grid) = older.grid.as_ref() else {
                continue;
            };
            let (m, cost) = search(
                older_grid,
                (x, y, 16),
                &src[0],
                mv_pred,
                &[mv],
                pw,
                ph,
                &search_params,
            );
            let cost = cost.saturating_add(search_params.lambda * k as u32);
            if cost < ref_sad {
                (ref_index, ref_mv, ref_sad, ref_grid) = (k, m, cost, older_grid);
            }
        }
        if ref_index > 0 {
            pending.push(ref_sad, (MbMode::Inter, [ref_mv; 4]), ref_index);
        }
        // Split: each 8×8 quarter searched from the whole macroblock's vector, on the
        // reference whose whole vector searched best.
        // (Not where skipping already wins: the whole vector predicts well there.)
        let skip_wins = best.as_ref().is_some_and(|b| b.mode == MbMode::Skip);
        if ref_sad != u32::MAX && self.tuning.split && !skip_wins {
            let whole = (ref_grid, ref_index, ref_mv, ref_sad);
            self.partitions(&mut pending, whole, (x, y), &src[0], &search_params);
        }
        for (_, cut, reference) in pending.cheapest(self.tuning.coded_candidates) {
            let c = self.try_inter(mbx, mby, ctx, cut, reference, mv_pred, src, pred);
            if best.as_ref().is_none_or(|b| c.cost < b.cost) {
                best = Some(c);
            }
        }
        let sad = ref_sad;
        self.with_intra(best, sad, (mbx, mby), ctx, src, pred, rows)
    }

    /// Pushes the split and halves candidates of a macroblock at luma (`x`, `y`) whose
    /// whole vector `mv` on reference `reference` (searched on `grid`) cost `cost`: a short
    /// search per quarter around the whole vector, a candidate only when the quarters'
    /// summed costs beat the whole macroblock's; then, in streams with halves, each half
    /// takes the best, by Hadamard cost over the half, of its two quarters' vectors and
    /// the whole vector, and the cheaper of the two cuts is a candidate.
    fn partitions(
        &self,
        pending: &mut PendingInter,
        (grid, reference, mv, cost): (&QuarterGrid, usize, Mv, u32),
        (x, y): (usize, usize),
        luma: &[u8],
        search_params: &SearchParams,
    ) {
        let (pw, ph) = self.g.sizes[0];
        let quarter_params = SearchParams {
            range: SPLIT_SEARCH_RANGE,
            ..*search_params
        };
        let mut mvs = [mv; 4];
        // The luma quarters' source samples, for the split search and the halves.
        let quarter_src: [[u8; 64]; 4] =
            std::array::from_fn(|k| block_of(luma, 16, 8 * (k % 2), 8 * (k / 2)));
        let mut split_cost = 0u32;
        for (k, sub) in mvs.iter_mut().enumerate() {
            let (qx, qy) = (8 * (k % 2), 8 * (k / 2));
            let at = (x + qx, y + qy, 8);
            let quarter = &quarter_src[k];
            let (m, c) = search(grid, at, quarter, mv, &[], pw, ph, &quarter_params);
            if c != u32::MAX {
                *sub = m;
            }
            split_cost = split_cost.saturating_add(c);
        }
        if split_cost < cost && mvs.iter().any(|&m| m != mv) {
            pending.push(split_cost, (MbMode::Split, mvs), reference);
            if self.halves {
                let lambda = search_params.lambda;
                let halves = self.best_halves(grid, (x, y), &quarter_src, &mvs, mv, lambda);
                if let Some((c, cut)) = halves {
                    pending.push(c, cut, reference);
                }
            }
        }
    }

    /// Chooses and fully prepares the best way to code a B-frame macroblock: skipped (both
    /// anchors averaged at the predicted vectors `preds`), predicted from the earlier or the
    /// later anchor, from both (the vectors each search found, averaged), or intra.
    #[allow(clippy::too_many_arguments)]
    fn decide_b(
        &mut self,
        mbx: usize,
        mby: usize,
        ctx: &MbContext,
        preds: [Mv; 2],
        src: &[Vec<u8>],
        pred: &mut [Vec<u8>],
        rows: &[PlaneRows<'_>],
    ) -> Candidate {
        let gy = self.g.mb_y0 + mby;
        let references = self.setup.references;
        let grid_of = |k: usize| references.get(k).and_then(|r| r.grid.as_ref());
        let (Some(earlier), Some(later)) = (grid_of(0), grid_of(1)) else {
            return self.best_intra(mbx, mby, ctx, src, pred, rows);
        };
        let (pw, ph) = self.g.sizes[0];
        let (x, y) = (16 * mbx, 16 * gy);
        let in_range = |mv: Mv| mv_in_range(mv, x, y, 16, pw, ph);
        let mut best: Option<Candidate> = None;
        if in_range(preds[0]) && in_range(preds[1]) {
            let skip = self.try_bi(mbx, mby, ctx, MbMode::Skip, preds, preds, src, pred);
            // A skip this close to the source seldom loses to a searched mode.
            if skip.cost < self.lambda * self.tuning.b_early_skip {
                return skip;
            }
            best = Some(skip);
        }
        let search_params = SearchParams {
            lambda: (self.lambda.sqrt() as u32).max(1),
            range: self.tuning.search_range,
            subpel_rounds: self.tuning.subpel_rounds,
        };
        // Start points of each anchor's search: the later anchor's vector here (taken as
        // pointing at the earlier anchor) and the lookahead's (one frame back), both scaled
        // to the anchor's distance, and the neighbours' vectors towards that anchor.
        let (d0, d1) = self.setup.anchor_distances;
        let (d0, d1) = (d0.max(1) as i32, d1.max(1) as i32);
        let scale = |mv: Mv, num: i32, den: i32| Mv {
            x: mv.x * num / den,
            y: mv.y * num / den,
        };
        let at = gy * self.g.mw + mbx;
        let temporal = references[1].mvs.get(at).copied();
        let lookahead = self.setup.lookahead.get(at).copied();
        let i = mby * self.g.mw + mbx;
        let mut found = [(Mv::ZERO, u32::MAX); 2];
        for (l, grid) in [earlier, later].into_iter().enumerate() {
            let distance = if l == 0 { d0 } else { -d1 };
            let left = if mbx > 0 {
                self.state.lists[i - 1][l]
            } else {
                None
            };
            let above = if mby > 0 {
                self.state.lists[i - self.g.mw][l]
            } else {
                None
            };
            let mut candidates = [Mv::ZERO; 4];
            let mut count = 0;
            let starts = [
                temporal.map(|t| scale(t, distance, d0 + d1)),
                lookahead.map(|v| scale(v, distance, 1)),
                left,
                above,
            ];
            for m in starts.into_iter().flatten() {
                candidates[count] = m;
                count += 1;
            }
            let block = (x, y, 16);
            let cands = &candidates[..count];
            found[l] = search(
                grid,
                block,
                &src[0],
                preds[l],
                cands,
                pw,
                ph,
                &search_params,
            );
        }
        let one = if found[1].1 < found[0].1 { 1 } else { 0 };
        let (mv, one_cost) = found[one];
        if one_cost != u32::MAX {
            let inter = (MbMode::Inter, [mv; 4]);
            let c = self.try_inter(mbx, mby, ctx, inter, one, preds[one], src, pred);
            if best.as_ref().is_none_or(|b| c.cost < b.cost) {
                best = Some(c);
            }
        }
        // Split and halves on the better anchor, as in P-frames.
        let skip_wins = best.as_ref().is_some_and(|b| b.mode == MbMode::Skip);
        if one_cost != u32::MAX && self.tuning.split && !skip_wins {
            let mut pending = PendingInter::new();
            let grid = if one == 0 { earlier } else { later };
            let whole = (grid, one, mv, one_cost);
            self.partitions(&mut pending, whole, (x, y), &src[0], &search_params);
            for (_, cut, reference) in pending.cheapest(self.tuning.coded_candidates) {
                let c = self.try_inter(mbx, mby, ctx, cut, reference, preds[one], src, pred);
                if best.as_ref().is_none_or(|b| c.cost < b.cost) {
                    best = Some(c);
                }
            }
        }
        // Both anchors, when the average's Hadamard cost beats the better single one's.
        let mut sad = one_cost;
        if found[0].1 != u32::MAX && found[1].1 != u32::MAX {
            let mvs = [found[0].0, found[1].0];
            let mut avg = [0u8; 256];
            let mut second = [0u8; 256];
            earlier.predict(x, y, mvs[0], 16, &mut avg);
            later.predict(x, y, mvs[1], 16, &mut second);
            for (a, &b) in avg.iter_mut().zip(second.iter()) {
                *a = ((*a as u16 + b as u16 + 1) >> 1) as u8;
            }
            let bits: u32 = (0..2)
                .map(|l| mvd_bits(mvs[l].x - preds[l].x) + mvd_bits(mvs[l].y - preds[l].y))
                .sum();
            let bi_cost = satd(&src[0], &avg, 16).saturating_add(search_params.lambda * bits);
            if bi_cost < one_cost {
                sad = bi_cost;
                let c = self.try_bi(mbx, mby, ctx, MbMode::Bi, mvs, preds, src, pred);
                if best.as_ref().is_none_or(|b| c.cost < b.cost) {
                    best = Some(c);
                }
            }
        }
        self.with_intra(best, sad, (mbx, mby), ctx, src, pred, rows)
    }

    /// The better of `best` and the best intra candidate. Intra is tried when nothing else
    /// was found or when the motion search's cost `sad` is large against the macroblock's
    /// activity (by `tuning.intra_gate`); on a tie `best` stays.
    #[allow(clippy::too_many_arguments)]
    fn with_intra(
        &mut self,
        best: Option<Candidate>,
        sad: u32,
        (mbx, mby): (usize, usize),
        ctx: &MbContext,
        src: &[Vec<u8>],
        pred: &mut [Vec<u8>],
        rows: &[PlaneRows<'_>],
    ) -> Candidate {
        let mean = src[0].iter().map(|&v| v as u32).sum::<u32>() / 256;
        let activity: u32 = src[0]
            .iter()
            .map(|&v| (v as i32 - mean as i32).unsigned_abs())
            .sum();
        match best {
            Some(b) if sad.saturating_mul(self.tuning.intra_gate) < activity => b,
            Some(b) => {
                let c = self.best_intra(mbx, mby, ctx, src, pred, rows);
                if c.cost < b.cost {
                    c
                } else {
                    b
                }
            }
            None => self.best_intra(mbx, mby, ctx, src, pred, rows),
        }
    }

    /// Predicts a B-frame macroblock from both anchors (skip or bi) with the vectors `mvs`
    /// and prices it; `preds` are the vector predictions the differences are coded against.
    #[allow(clippy::too_many_arguments)]
    fn try_bi(
        &mut self,
        mbx: usize,
        mby: usize,
        ctx: &MbContext,
        mode: MbMode,
        mvs: [Mv; 2],
        preds: [Mv; 2],
        src: &[Vec<u8>],
        pred: &mut [Vec<u8>],
    ) -> Candidate {
        let gy = self.g.mb_y0 + mby;
        let refs = self.setup.references;
        let anchors = (refs.first().map(Arc::as_ref), refs.get(1).map(Arc::as_ref));
        predict_bi_mb(&self.g, anchors, mbx, gy, mvs, pred, &mut self.pred1);
        let mvds = if mode == MbMode::Bi {
            coded_mvds(mode, &[mvs[0]; 4], preds[0], (mvs[1], preds[1]))
        } else {
            ([Mv::ZERO; 4], 0)
        };
        let modes = (mode, IntraMode::Dc, 0);
        self.evaluate(mbx, mby, ctx, modes, ([mvs[0]; 4], mvs[1], mvds), src, pred)
    }

    /// The better cut of a macroblock at luma (`x`, `y`), whose luma quarters' samples are
    /// `quarter_src`, into two halves with different vectors (wide: top and bottom, tall:
    /// left and right), with its quarter vectors, from the split search's quarter vectors
    /// `quarters` and the whole vector `whole`, and its cost (Hadamard cost plus `lambda`
    /// per bit of each half's vector relative to the whole one, as the split search
    /// counts); `None` when neither cut gives its halves different vectors.
    fn best_halves(
        &self,
        grid: &QuarterGrid,
        (x, y): (usize, usize),
        quarter_src: &[[u8; 64]; 4],
        quarters: &[Mv; 4],
        whole: Mv,
        lambda: u32,
    ) -> Option<(u32, (MbMode, [Mv; 4]))> {
        let (pw, ph) = self.g.sizes[0];
        // Hadamard cost of quarters `ks` moved by `mv` (None when it leaves the range).
        let cost = |ks: [usize; 2], mv: Mv| -> Option<u32> {
            let mut total = 0;
            for k in ks {
                let (qx, qy) = (x + 8 * (k % 2), y + 8 * (k / 2));
                if !mv_in_range(mv, qx, qy, 8, pw, ph) {
                    return None;
                }
                total += grid.satd(qx, qy, mv, 8, &quarter_src[k]);
            }
            Some(total + lambda * (mvd_bits(mv.x - whole.x) + mvd_bits(mv.y - whole.y)))
        };
        // The best vector for a half and its cost.
        let best_for = |ks: [usize; 2]| -> (Mv, u32) {
            [quarters[ks[0]], quarters[ks[1]], whole]
                .into_iter()
                .filter_map(|mv| cost(ks, mv).map(|c| (mv, c)))
                .min_by_key(|&(_, c)| c)
                .unwrap_or((whole, u32::MAX))
        };
        let (top, top_cost) = best_for([0, 1]);
        let (bottom, bottom_cost) = best_for([2, 3]);
        let (left, left_cost) = best_for([0, 2]);
        let (right, right_cost) = best_for([1, 3]);
        let wide = (top != bottom).then_some((
            top_cost.saturating_add(bottom_cost),
            (MbMode::Wide, [top, top, bottom, bottom]),
        ));
        let tall = (left != right).then_some((
            left_cost.saturating_add(right_cost),
            (MbMode::Tall, [left, right, left, right]),
        ));
        [wide, tall].into_iter().flatten().min_by_key(|&(c, _)| c)
    }

    /// Predicts a macroblock in an inter mode (skip, inter or split) with its vectors from
    /// the frame's reference `reference` and prices it.
    #[allow(clippy::too_many_arguments)]
    fn try_inter(
        &mut self,
        mbx: usize,
        mby: usize,
        ctx: &MbContext,
        (mode, mvs): (MbMode, [Mv; 4]),
        reference: usize,
        mv_pred: Mv,
        src: &[Vec<u8>],
        pred: &mut [Vec<u8>],
    ) -> Candidate {
        let gy = self.g.mb_y0 + mby;
        let frame = self.setup.references.get(reference).map(Arc::as_ref);
        predict_mb(&self.g, frame, mbx, gy, mode, &mvs, pred);
        let modes = (mode, IntraMode::Dc, reference);
        let mvds = coded_mvds(mode, &mvs, mv_pred, (Mv::ZERO, Mv::ZERO));
        self.evaluate(mbx, mby, ctx, modes, (mvs, Mv::ZERO, mvds), src, pred)
    }

    /// The best intra candidate: every mode ranked by the Hadamard cost of its luma
    /// residual, the two cheapest coded for real and compared by rate and distortion.
    fn best_intra(
        &mut self,
        mbx: usize,
        mby: usize,
        ctx: &MbContext,
        src: &[Vec<u8>],
        pred: &mut [Vec<u8>],
        rows: &[PlaneRows<'_>],
    ) -> Candidate {
        let mut ranked = IntraMode::ALL.map(|mode| {
            predict_intra_mb(&self.g, rows, mbx, mby, mode, pred);
            (satd(&src[0], &pred[0], 16), mode)
        });
        ranked.sort_by_key(|&(cost, mode)| (cost, mode.code()));
        let mut try_mode = |mode: IntraMode| {
            predict_intra_mb(&self.g, rows, mbx, mby, mode, pred);
            let intra = (MbMode::Intra, mode, 0);
            let vectors = ([Mv::ZERO; 4], Mv::ZERO, ([Mv::ZERO; 4], 0));
            self.evaluate(mbx, mby, ctx, intra, vectors, src, pred)
        };
        let first = try_mode(ranked[0].1);
        let second = try_mode(ranked[1].1);
        if second.cost < first.cost {
            second
        } else {
            first
        }
    }

    /// Quantizes and reconstructs a macroblock in one mode and prices it.
    #[allow(clippy::too_many_arguments)]
    fn evaluate(
        &mut self,
        mbx: usize,
        mby: usize,
        ctx: &MbContext,
        (mode, intra_mode, reference): (MbMode, IntraMode, usize),
        (mvs, mv1, mvds): ([Mv; 4], Mv, ([Mv; 4], usize)),
        src: &[Vec<u8>],
        pred: &[Vec<u8>],
    ) -> Candidate {
        let intra = mode == MbMode::Intra;
        let kind = if intra { KIND_INTRA } else { KIND_INTER };
        let mut recon: MbSamples = [[0; 256]; 3];
        let mut blocks = [BlockChoice::NOT_CODED; MAX_MB_BLOCKS];
        let mut ssd = 0u64;
        let layout = self.g.blocks(mbx, mby);
        let mut tx = None;
        if let (
            Some(steps),
            MbMode::Inter | MbMode::Split | MbMode::Wide | MbMode::Tall | MbMode::Bi,
        ) = (&self.tx_steps, mode)
        {
            let scratch = &mut self.tx_scratch;
            let sizes = &self.mb_sizes;
            let (res, _) = choose_residual(
                &mut self.models.tx,
                steps,
                self.lambda,
                self.tuning.split,
                sizes,
                src,
                pred,
                scratch,
            );
            reconstruct_mb(&res, steps, sizes, pred, &mut recon, scratch);
            let quarters = res.coded_quarters();
            for (j, &(p, _, _)) in layout.as_slice().iter().enumerate() {
                blocks[j].coded = tx_block_coded(&self.g, &res, &quarters, j, p);
            }
            // The choice priced its blocks by their error in coefficients; the candidate's
            // cost takes the exact error of its reconstruction.
            for (p, &(w, h)) in sizes.iter().enumerate() {
                for k in 0..w * h {
                    let d = src[p][k] as i32 - recon[p][k] as i32;
                    ssd += (d * d) as u64;
                }
            }
            tx = Some(Box::new(res));
        }
        for (j, &(p, bx, by)) in layout.as_slice().iter().enumerate() {
            if tx.is_some() {
                break;
            }
            let (w, h) = self.g.mb_size(p);
            let (x, y) = ((bx * 8) % w, (by * 8) % h);
            let s = block_of(&src[p], w, x, y);
            let pr = block_of(&pred[p], w, x, y);
            let chroma = p > 0;
            let step = self.residual.step(chroma);
            let choice = if mode == MbMode::Skip {
                BlockChoice::NOT_CODED
            } else {
                self.quantize_block(&s, &pr, p, bx, by, kind, step)
            };
            let mut out = pr;
            if choice.coded {
                reconstruct_block(&choice.levels.levels, &self.residual, chroma, &pr, &mut out);
            }
            for k in 0..64 {
                let d = s[k] as i32 - out[k] as i32;
                ssd += (d * d) as u64;
            }
            put_block(&mut recon[p], w, x, y, &out);
            let dc = dequantize(choice.levels.levels[0], step);
            self.grids[p].set(bx, by, kind, choice.levels, dc, choice.coded);
            blocks[j] = choice;
        }
        let mut cand = Candidate {
            mode,
            intra_mode,
            mvs,
            mv1,
            mvds,
            reference,
            blocks,
            recon,
            tx,
            cost: 0.0,
        };
        let mut counter = BitCounter::new();
        let qp_delta = self.qp_delta(&cand);
        let syntax = self.syntax();
        write_mb(
            &mut counter,
            &mut self.models,
            &mut self.grids,
            &self.g,
            ctx,
            syntax,
            (&cand, qp_delta),
            &self.residual,
            mbx,
            mby,
        );
        cand.cost = ssd as f64 + self.lambda * counter.cost as f64 / COST_SCALE as f64;
        cand
    }

    /// Transform, dead-zone quantization and rate-distortion pruning of one block.
    #[allow(clippy::too_many_arguments)]
    fn quantize_block(
        &mut self,
        src: &[u8; 64],
        pred: &[u8; 64],
        p: usize,
        bx: usize,
        by: usize,
        kind: u8,
        step: u16,
    ) -> BlockChoice {
        let mut residual = [0f32; 64];
        for k in 0..64 {
            residual[k] = src[k] as f32 - pred[k] as f32;
        }
        let mut coeffs = [0f32; 64];
        self.residual.member.forward(&residual, &mut coeffs);
        let intra = kind == KIND_INTRA;
        let rounding = if intra {
            self.tuning.intra_rounding
        } else {
            self.tuning.inter_rounding
        };
        let mut levels = [0i32; 64];
        for k in 0..64 {
            let r = if k == 0 && intra { 0.5 } else { rounding };
            levels[k] = quantize(coeffs[k], step, r);
        }
        let chroma = p > 0;
        let grid = &self.grids[p];
        let n = grid.neighbours(bx, by, kind);
        if levels[1..].iter().any(|&l| l != 0) {
            let unit = step as f32 / DEQUANT_ONE as f32;
            let steps = [unit; 64];
            let models = self.models.plane_models(chroma, intra);
            let lambda = (self.lambda / (unit as f64 * unit as f64)) as f32;
            optimize_block(&coeffs, &steps, &mut levels, &ZIGZAG, lambda, |cand| {
                let mut b = BlockLevels {
                    levels: *cand,
                    nonzero: 0,
                    dc_residual: 0,
                };
                b.count_nonzero();
                let mut c = BitCounter::new();
                write_block(&mut c, models, &b, &n, step);
                c.bits()
            });
        }
        let coded = levels.iter().any(|&l| l != 0);
        if !coded {
            return BlockChoice::NOT_CODED;
        }
        let mut b = BlockLevels {
            levels,
            nonzero: 0,
            dc_residual: (levels[0] - predict_dc_level(&n, step)).unsigned_abs(),
        };
        b.count_nonzero();
        BlockChoice {
            levels: b,
            coded: true,
        }
    }
}

/// Inter candidates waiting to be coded for real: at most three (an older reference,
/// split, halves), each with its search cost, its mode and vectors, and its reference.
struct PendingInter {
    entries: [(u32, (MbMode, [Mv; 4]), usize); 3],
    count: usize,
}

impl PendingInter {
    fn new() -> Self {
        PendingInter {
            entries: [(u32::MAX, (MbMode::Inter, [Mv::ZERO; 4]), 0); 3],
            count: 0,
        }
    }

    fn push(&mut self, cost: u32, cut: (MbMode, [Mv; 4]), reference: usize) {
        if self.count < self.entries.len() {
            self.entries[self.count] = (cost, cut, reference);
            self.count += 1;
        }
    }

    /// The `n` of least cost, cheapest first.
    fn cheapest(mut self, n: usize) -> impl Iterator<Item = (u32, (MbMode, [Mv; 4]), usize)> {
        let entries = &mut self.entries[..self.count];
        entries.sort_by_key(|e| e.0);
        self.entries.into_iter().take(self.count.min(n))
    }
}

/// Decodes one slice into `rows`.
pub fn decode_slice(
    setup: &FrameSetup<'_>,
    slice: usize,
    data: &[u8],
    rows: &mut [PlaneRows<'_>],
) -> Result<SliceOutput> {
    let g = Geometry::new(setup.params, slice);
    let (mut residual, mut tx_steps) = quantizers(setup.params, setup.qp);
    let halves = setup.params.flags & FLAG_HALVES != 0;
    let bidir = setup.bidir;
    if bidir && setup.references.len() != 2 {
        return Err(Error::invalid(format!(
            "slice {slice}: a B-frame needs its two anchors"
        )));
    }
    let mut pred1: Vec<Vec<u8>> = vec![Vec::new(); g.planes];
    let mb_qp = setup.params.flags & FLAG_MB_QP != 0 && !setup.intra;
    let mut coded_qp = setup.qp;
    let mut tx_scratch = TxScratch::new();
    let sizes = mb_sizes(&g);
    let mut grids = g.grids();
    let mut state = MbState::new(g.mw * g.mb_rows);
    let mut models = SliceModels::new();
    let mut r = RangeDecoder::new(data);
    let mut blocks = vec![BlockInfo::default(); g.mw * 2 * g.mb_rows * 2];
    let mut pred: Vec<Vec<u8>> = vec![Vec::new(); g.planes];
    let mut recon: MbSamples = [[0; 256]; 3];
    let intra_frame = setup.intra;
    let (pw, ph) = g.sizes[0];
    let (mut intra_mbs, mut split_mbs) = (0, 0);
    let damaged = |what: String| Error::invalid(format!("slice {slice}: {what}"));
    for mby in 0..g.mb_rows {
        let gy = g.mb_y0 + mby;
        for mbx in 0..g.mw {
            let (ctx, mv_pred) = state.context(&g, mbx, mby);
            let preds = if bidir {
                state.list_predictions(&g, mbx, mby)
            } else {
                [mv_pred; 2]
            };
            let syntax = (setup.references.len(), halves, bidir);
            let (mode, reference, mvds) =
                read_mb_header(&mut r, &mut models, &ctx, intra_frame, syntax)
                    .ok_or_else(|| damaged(format!("macroblock ({mbx}, {gy}): bad vector")))?;
            let intra_mode = if mode == MbMode::Intra {
                read_intra_mode(&mut r, &mut models).ok_or_else(|| {
                    damaged(format!("macroblock ({mbx}, {gy}): unknown intra mode"))
                })?
            } else {
                IntraMode::Dc
            };
            if mb_qp && mode != MbMode::Skip {
                let delta = read_qp_delta(&mut r, &mut models);
                let qp = coded_qp as i32 + delta;
                if !(0..=MAX_QP as i32).contains(&qp) {
                    return Err(damaged(format!(
                        "macroblock ({mbx}, {gy}): quantizer index {qp} outside 0..={MAX_QP}"
                    )));
                }
                if qp != coded_qp as i32 {
                    coded_qp = qp as u8;
                    (residual, tx_steps) = quantizers(setup.params, coded_qp);
                }
            }
            // Bi and a B-frame's skip predict from both anchors: `mvs` towards the earlier,
            // `mv1` towards the later.
            let both = bidir && matches!(mode, MbMode::Skip | MbMode::Bi);
            let mvs = quarter_mvs(mode, preds[reference.min(1)], &mvds);
            let mv1 = match mode {
                MbMode::Bi => Mv {
                    x: preds[1].x + mvds[1].x,
                    y: preds[1].y + mvds[1].y,
                },
                _ => preds[1],
            };
            if both && !mv_in_range(mv1, 16 * mbx, 16 * gy, 16, pw, ph) {
                return Err(damaged(format!(
                    "macroblock ({mbx}, {gy}): vector ({}, {}) points outside the later anchor",
                    mv1.x, mv1.y
                )));
            }
            if mode != MbMode::Intra {
                if setup.references.is_empty() {
                    return Err(damaged(
                        "inter macroblock in a frame without reference".into(),
                    ));
                }
                for (k, mv) in mvs.iter().enumerate() {
                    let in_range = if mode.is_partitioned() {
                        let (x, y) = (16 * mbx + 8 * (k % 2), 16 * gy + 8 * (k / 2));
                        mv_in_range(*mv, x, y, 8, pw, ph)
                    } else {
                        mv_in_range(*mv, 16 * mbx, 16 * gy, 16, pw, ph)
                    };
                    if !in_range {
                        return Err(damaged(format!(
                            "macroblock ({mbx}, {gy}): vector ({}, {}) points outside the \
                             reference",
                            mv.x, mv.y
                        )));
                    }
                }
            }
            let intra = mode == MbMode::Intra;
            if intra {
                predict_intra_mb(&g, rows, mbx, mby, intra_mode, &mut pred);
            } else if both {
                let refs = setup.references;
                let anchors = (refs.first().map(Arc::as_ref), refs.get(1).map(Arc::as_ref));
                predict_bi_mb(&g, anchors, mbx, gy, [mvs[0], mv1], &mut pred, &mut pred1);
            } else {
                let frame = setup.references.get(reference).map(Arc::as_ref);
                predict_mb(&g, frame, mbx, gy, mode, &mvs, &mut pred);
            }
            let kind = if intra { KIND_INTRA } else { KIND_INTER };
            let mut coded_luma = [false; 4];
            let tx = match (&tx_steps, mode) {
                (
                    Some(steps),
                    MbMode::Inter | MbMode::Split | MbMode::Wide | MbMode::Tall | MbMode::Bi,
                ) => {
                    let res = read_residual(&mut r, &mut models.tx, chroma_side(&g))
                        .ok_or_else(|| damaged(format!("macroblock ({mbx}, {gy}): bad block")))?;
                    reconstruct_mb(&res, steps, &sizes, &pred, &mut recon, &mut tx_scratch);
                    let quarters = res.coded_quarters();
                    for (j, (p, bx, by)) in
                        g.blocks(mbx, mby).as_slice().iter().copied().enumerate()
                    {
                        let coded = tx_block_coded(&g, &res, &quarters, j, p);
                        grids[p].set(bx, by, KIND_INTER, BlockLevels::ZERO, 0, coded);
                        if j < 4 {
                            coded_luma[j] = coded;
                        }
                    }
                    true
                }
                _ => false,
            };
            for (j, (p, bx, by)) in g.blocks(mbx, mby).as_slice().iter().copied().enumerate() {
                if tx {
                    break;
                }
                let chroma = p > 0;
                let grid = &mut grids[p];
                let mut levels = BlockLevels::ZERO;
                let mut coded = false;
                if mode != MbMode::Skip {
                    let cctx = grid.coded_context(bx, by);
                    coded = read_coded(&mut r, &mut models, chroma, intra, cctx);
                    if coded {
                        let n = grid.neighbours(bx, by, kind);
                        levels = read_block(
                            &mut r,
                            models.plane_models(chroma, intra),
                            &n,
                            residual.step(chroma),
                        )
                        .ok_or_else(|| damaged(format!("macroblock ({mbx}, {gy}): bad block")))?;
                    }
                }
                let (w, h) = g.mb_size(p);
                let (x, y) = ((bx * 8) % w, (by * 8) % h);
                let pr = block_of(&pred[p], w, x, y);
                let mut out = pr;
                if coded {
                    reconstruct_block(&levels.levels, &residual, chroma, &pr, &mut out);
                }
                put_block(&mut recon[p], w, x, y, &out);
                let dc = dequantize(levels.levels[0], residual.step(chroma));
                grid.set(bx, by, kind, levels, dc, coded);
                if j < 4 {
                    coded_luma[j] = coded;
                }
            }
            let (mv, mvd) = representative(mode, &mvs, &mvds);
            state.set(&g, mbx, mby, mode, mv, mvd);
            if bidir {
                state.lists[mby * g.mw + mbx] = list_vectors(mode, reference, &mvs, mv1);
            }
            intra_mbs += intra as usize;
            split_mbs += (mode == MbMode::Split) as usize;
            store_mb(&g, rows, mbx, mby, &recon);
            record_blocks(
                &mut blocks,
                g.mw,
                mbx,
                mby,
                (mode, filter_reference(bidir, mode, reference)),
                &mvs,
                &coded_luma,
            );
        }
    }
    if r.overran() {
        return Err(damaged("the data ended before the last macroblock".into()));
    }
    Ok(SliceOutput {
        bytes: Vec::new(),
        blocks,
        mvs: state.mvs,
        intra_mbs,
        split_mbs,
        edges: Vec::new(),
    })
}
