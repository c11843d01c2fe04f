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
//!
//! The encoder's P-frame decision lives in `decide`, its B-frame decision in `bframe`, and
//! the decoder in `decode`; the shared syntax helpers and the pricing of a candidate
//! (`SliceEncoder::evaluate`) stay here.

use super::frame::{FrameSetup, PlaneRows, SliceOutput};
use super::intra::IntraMode;
use super::loopfilter::BlockInfo;
use super::mb::{
    block_of, put_block, record_blocks, store_mb, Geometry, MbSamples, MbState, MAX_MB_BLOCKS,
};
use super::motion::Mv;
use super::params::{VideoParams, FLAG_BLOCK_RESIDUALS, FLAG_HALVES, FLAG_MB_QP};
use super::qp::plane_steps;
use super::qp::MAX_QP;
use super::residual::{reconstruct_block, Residual};
use super::syntax::{
    write_coded, write_intra_mode, write_mb_header, write_qp_delta, BlockGrid, MbContext, MbMode,
    SliceModels, KIND_INTER, KIND_INTRA,
};
use super::tx::{choose_residual, reconstruct_mb, write_residual, TxResidual, TxScratch, TxSteps};
use crate::codec::image::coeffs::{predict_dc_level, write_block, BlockLevels};
use crate::entropy::{BitCounter, RangeEncoder, SymbolWriter, COST_SCALE};
use crate::quant::rdo::optimize_block;
use crate::quant::scalar::{dequantize, quantize};
use crate::quant::tables::ZIGZAG;
use crate::signal::Plane;
use crate::transform::dct::DEQUANT_ONE;

mod bframe;
mod decide;
mod decode;

pub use decode::decode_slice;

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
