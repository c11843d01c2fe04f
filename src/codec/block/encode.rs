//! The block coder's encoder: for every 32×32 coding tree of a tile it searches the
//! partition and the modes that minimise distortion + λ·rate, then writes the chosen tree
//! with the same functions the decoder mirrors.
//!
//! The search is exact about rate: every alternative is priced by the adaptive models in
//! the state they will have when it is written, and the models move on along the chosen
//! path only. A node is tried whole (its best leaf) and split in four; the cheaper wins
//! and the tile state (samples, decoded units, modes, sizes) is put back to match it.
//! Luma modes are first ranked by the Hadamard cost of their residual plus an estimate of
//! their mode bits; the best few are then coded for real. Chroma tries its six modes, chroma
//! from luma with a least-squares scale per plane.

use super::coeffs::{optimize_levels, write_block, CoeffModels};
use super::dct::{self, MAX_SIZE};
use super::intra::{Edges, MODES};
use super::recon::{block_level, cfl_luma, predict, predict_chroma, reconstruct, ReconScratch};
use super::state::{StepTables, TileState, MAX_BLOCK, ROOT};
use super::syntax::{
    most_probable, write_cfl, write_chroma_mode, write_luma_mode, write_split, Models, CHROMA_CFL,
    CHROMA_MODES, MAX_CFL,
};
use crate::entropy::{BitCounter, BitModel, SymbolWriter, COST_SCALE};
use crate::signal::Plane;

/// How hard the encoder searches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchEffort {
    /// Luma modes coded for real after the Hadamard ranking.
    pub luma_candidates: usize,
    /// Try cutting 8×8 luma into 4×4 blocks.
    pub luma_4x4: bool,
    /// Also code the two most probable modes for real.
    pub most_probable: bool,
    /// Smallest coding block side tried (8, 16 or 32).
    pub min_block: usize,
    /// Chroma modes coded for real after a Hadamard ranking (all six skip the ranking).
    pub chroma_candidates: usize,
}

/// Highest [`SearchEffort::for_level`] level.
pub const MAX_EFFORT: u8 = 3;

impl SearchEffort {
    /// The search of effort level `level`, 0 (fastest) to [`MAX_EFFORT`] (levels above it
    /// search as [`MAX_EFFORT`]): 0 codes no block smaller than 16×16, one luma mode and
    /// the two best chroma modes, 1 goes down to 8×8 with three chroma modes, 2 adds 4×4
    /// luma, codes the two best luma modes and the most probable ones and every chroma
    /// mode, 3 codes four luma modes.
    pub fn for_level(level: u8) -> SearchEffort {
        let all_chroma = CHROMA_MODES as usize;
        let (luma_candidates, luma_4x4, most_probable, min_block, chroma_candidates) = match level {
            0 => (1, false, false, 16, 2),
            1 => (1, false, false, 8, 3),
            2 => (2, true, true, 8, all_chroma),
            _ => (4, true, true, 8, all_chroma),
        };
        SearchEffort {
            luma_candidates,
            luma_4x4,
            most_probable,
            min_block,
            chroma_candidates,
        }
    }
}

/// Encoder choices that do not travel in the stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncoderTuning {
    /// Rounding offset of the quantizer (0.5 = plain rounding) when `rdoq` is off.
    pub rounding: f32,
    /// Rate-distortion optimized quantization.
    pub rdoq: bool,
    pub effort: SearchEffort,
}

/// What the search decided for a coding-tree node.
pub enum Node {
    Split(Vec<Option<Node>>),
    Leaf(Leaf),
}

/// The decisions of one leaf.
pub struct Leaf {
    luma_split: bool,
    luma_modes: [u8; 4],
    chroma_mode: u8,
    alphas: [i32; 2],
}

/// A [`SymbolWriter`] that prices decisions and adapts the models as the coder would.
struct AdaptingCounter {
    cost: u64,
}

impl SymbolWriter for AdaptingCounter {
    fn put_bit(&mut self, model: &mut BitModel, bit: bool) {
        self.cost += model.cost(bit) as u64;
        model.update(bit);
    }

    fn put_bypass(&mut self, _value: u32, count: u32) {
        self.cost += (count * COST_SCALE) as u64;
    }
}

impl AdaptingCounter {
    fn bits(&self) -> f64 {
        self.cost as f64 / COST_SCALE as f64
    }
}

/// The encoder of one tile.
pub struct TileEncoder<'a> {
    /// The tile's source planes, the size of the state's planes.
    pub source: &'a [Plane],
    pub tables: &'a StepTables,
    pub activity: &'a [u8],
    pub areas_across: usize,
    pub tuning: EncoderTuning,
}

/// What rate-distortion optimized quantization prices with: the coefficient models, the
/// multiplier and the "coded" flag's context; `None` quantizes with plain rounding.
type Rdoq<'a> = Option<(&'a CoeffModels, f32, usize)>;

/// A block's place: its top-left sample in its plane and its side.
#[derive(Debug, Clone, Copy)]
struct At {
    x: usize,
    y: usize,
    n: usize,
}

/// A coded block: levels, reconstruction and squared error.
#[derive(Clone)]
struct CodedBlock {
    levels: [i32; MAX_BLOCK],
    samples: [u8; MAX_BLOCK],
    sse: u64,
}

impl CodedBlock {
    fn new() -> CodedBlock {
        CodedBlock {
            levels: [0; MAX_BLOCK],
            samples: [0; MAX_BLOCK],
            sse: 0,
        }
    }
}

/// Scratch space of transforming and quantizing one block.
struct BlockScratch {
    residual: Vec<f32>,
    coeffs: Vec<f32>,
    rows: Vec<f32>,
    steps: Vec<f32>,
    recon: ReconScratch,
}

/// Everything the search reuses from block to block, so that it neither allocates nor
/// clears more than a block needs.
pub struct Work {
    block: BlockScratch,
    /// The prediction of every luma mode of the current block.
    predictions: Vec<i32>,
    prediction: Vec<i32>,
    /// The Cb and Cr predictions of every chroma mode of the current block.
    chroma_predictions: Vec<i32>,
    diff: Vec<i32>,
    /// The current and the best luma candidate (boxed, so that making the current one
    /// the best swaps two pointers, not two blocks).
    luma: [Box<CodedBlock>; 2],
    /// Cb and Cr of the current chroma mode, then of the best one (boxed likewise).
    chroma: [Box<CodedBlock>; 4],
}

impl Work {
    pub fn new() -> Box<Work> {
        Box::new(Work {
            block: BlockScratch {
                residual: vec![0.0; MAX_BLOCK],
                coeffs: vec![0.0; MAX_BLOCK],
                rows: vec![0.0; MAX_BLOCK],
                steps: vec![0.0; MAX_BLOCK],
                recon: ReconScratch::new(),
            },
            predictions: vec![0; MODES * MAX_BLOCK],
            prediction: vec![0; MAX_BLOCK],
            chroma_predictions: vec![0; 2 * CHROMA_MODES as usize * MAX_BLOCK],
            diff: vec![0; MAX_BLOCK],
            luma: std::array::from_fn(|_| Box::new(CodedBlock::new())),
            chroma: std::array::from_fn(|_| Box::new(CodedBlock::new())),
        })
    }
}

/// The n×n difference of the block at (x, y) of `source` and `prediction`, into `diff`.
fn difference(source: &Plane, x: usize, y: usize, n: usize, prediction: &[i32], diff: &mut [i32]) {
    for row in 0..n {
        let s = &source.data[(y + row) * source.width + x..][..n];
        let p = &prediction[row * n..][..n];
        let d = &mut diff[row * n..][..n];
        for ((d, &s), &p) in d.iter_mut().zip(s).zip(p) {
            *d = s as i32 - p;
        }
    }
}

/// Sum of absolute 4×4 Hadamard coefficients of an n×n difference, halved.
///
/// The transform is separable, so it runs down the columns first, four rows at a time
/// across the whole width (lanes the vectorizer fills), then along each row's groups of
/// four.
pub(super) fn satd(n: usize, diff: &[i32]) -> u32 {
    let mut total = 0u32;
    let mut columns = [[0i32; MAX_SIZE]; 4];
    for by in (0..n).step_by(4) {
        let rows = &diff[by * n..][..4 * n];
        let (r0, rest) = rows.split_at(n);
        let (r1, rest) = rest.split_at(n);
        let (r2, r3) = rest.split_at(n);
        let [c0, c1, c2, c3] = &mut columns;
        for x in 0..n {
            let (a, b) = (r0[x] + r1[x], r0[x] - r1[x]);
            let (c, d) = (r2[x] + r3[x], r2[x] - r3[x]);
            c0[x] = a + c;
            c1[x] = b + d;
            c2[x] = a - c;
            c3[x] = b - d;
        }
        for column in &columns {
            for group in column[..n].chunks_exact(4) {
                let (a, b) = (group[0] + group[1], group[0] - group[1]);
                let (c, d) = (group[2] + group[3], group[2] - group[3]);
                total += ((a + c).abs() + (b + d).abs() + (a - c).abs() + (b - d).abs()) as u32;
            }
        }
    }
    total / 2
}

impl TileEncoder<'_> {
    /// Quantizes the residual of the block `at` of `plane` against `prediction` into `out`
    /// and reconstructs it.
    #[allow(clippy::too_many_arguments)]
    fn code_block(
        &self,
        scratch: &mut BlockScratch,
        out: &mut CodedBlock,
        plane: usize,
        at: At,
        prediction: &[i32],
        steps: &[u16],
        rdoq: Rdoq<'_>,
    ) {
        let At { x, y, n } = at;
        let count = n * n;
        let src = &self.source[plane];
        let residual = &mut scratch.residual[..count];
        for row in 0..n {
            let s = &src.data[(y + row) * src.width + x..][..n];
            let p = &prediction[row * n..][..n];
            let r = &mut residual[row * n..][..n];
            for ((r, &s), &p) in r.iter_mut().zip(s).zip(p) {
                *r = s as f32 - p as f32;
            }
        }
        let coeffs = &mut scratch.coeffs[..count];
        dct::forward(n, residual, coeffs, &mut scratch.rows);
        let step = &mut scratch.steps[..count];
        for i in 0..count {
            step[i] = steps[i] as f32 / dct::DEQUANT_ONE as f32;
        }
        match rdoq {
            Some((models, lambda, context)) if self.tuning.rdoq => {
                optimize_levels(models, n, coeffs, step, lambda, context, &mut out.levels);
            }
            _ => {
                let rounding = self.tuning.rounding;
                for i in 0..count {
                    let q = (coeffs[i].abs() / step[i] + rounding).floor() as i32;
                    out.levels[i] = if coeffs[i] < 0.0 { -q } else { q };
                }
            }
        }
        reconstruct(
            n,
            prediction,
            &out.levels,
            steps,
            &mut out.samples,
            &mut scratch.recon,
        );
        let mut sse = 0u64;
        for row in 0..n {
            let s = &src.data[(y + row) * src.width + x..][..n];
            let r = &out.samples[row * n..][..n];
            let row_sse: u32 = s
                .iter()
                .zip(r)
                .map(|(&s, &r)| {
                    let d = s as i32 - r as i32;
                    (d * d) as u32
                })
                .sum();
            sse += row_sse as u64;
        }
        out.sse = sse;
    }

    /// Picks the luma mode of the block `at`; its coded block ends in `work.luma[1]`.
    fn choose_luma(
        &self,
        work: &mut Work,
        state: &TileState,
        models: &mut Models,
        at: At,
        level: usize,
    ) -> u8 {
        let At { x, y, n } = at;
        let count = n * n;
        let lambda = self.tables.lambda[level] as f64;
        let steps = self.tables.of(0, level, n);
        let mpm = most_probable(state, x, y);
        let ps = &state.planes[0];
        let edges = Edges::gather(&ps.recon, ps.width, x, y, n, |sx, sy| ps.available(sx, sy));
        let src = &self.source[0];
        let mut ranked = [(0.0f64, 0u8); MODES];
        for mode in 0..MODES {
            let prediction = &mut work.predictions[mode * MAX_BLOCK..][..count];
            edges.predict(mode as u8, prediction);
            let diff = &mut work.diff[..count];
            difference(src, x, y, n, prediction, diff);
            let mode_bits = if mode as u8 == mpm.0[0] {
                1.0
            } else if mode as u8 == mpm.0[1] {
                2.0
            } else {
                6.0
            };
            ranked[mode] = (satd(n, diff) as f64 + lambda.sqrt() * mode_bits, mode as u8);
        }
        ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
        // The best few by Hadamard cost, and the most probable modes (cheap to signal, so
        // often the best once their bits are counted exactly).
        let mut candidates = [0u8; MODES];
        let mut listed = 0;
        for &(_, mode) in ranked
            .iter()
            .take(self.tuning.effort.luma_candidates.max(1))
        {
            candidates[listed] = mode;
            listed += 1;
        }
        if self.tuning.effort.most_probable {
            for mode in mpm.0 {
                if !candidates[..listed].contains(&mode) {
                    candidates[listed] = mode;
                    listed += 1;
                }
            }
        }
        let mut best: Option<(f64, u8)> = None;
        for &mode in &candidates[..listed] {
            let prediction = &work.predictions[mode as usize * MAX_BLOCK..][..count];
            let rdoq = Some((&models.coeffs[0], lambda as f32, 0));
            let [current, _] = &mut work.luma;
            self.code_block(&mut work.block, current, 0, at, prediction, steps, rdoq);
            let mut counter = BitCounter::new();
            write_luma_mode(&mut counter, models, mpm, mode);
            write_block(&mut counter, &mut models.coeffs[0], n, &current.levels, 0);
            let cost = current.sse as f64 + lambda * counter.bits();
            if best.is_none_or(|b| cost < b.0) {
                best = Some((cost, mode));
                work.luma.swap(0, 1);
            }
        }
        best.expect("at least one candidate").1
    }

    /// Codes the luma blocks of a leaf (one n×n or four 4×4), committing them; returns
    /// their squared error and the modes.
    #[allow(clippy::too_many_arguments)]
    fn luma_leaf(
        &self,
        work: &mut Work,
        state: &mut TileState,
        models: &mut Models,
        counter: &mut AdaptingCounter,
        at: At,
        split: bool,
        level: usize,
    ) -> (u64, [u8; 4]) {
        let At { x, y, n } = at;
        let (bn, count) = if split { (4, 4) } else { (n, 1) };
        let mut modes = [0u8; 4];
        let mut sse = 0;
        state.set_block_size(x, y, n);
        for (i, slot) in modes.iter_mut().enumerate().take(count) {
            let (bx, by) = (x + bn * (i % 2), y + bn * (i / 2));
            let block_at = At {
                x: bx,
                y: by,
                n: bn,
            };
            let mode = self.choose_luma(work, state, models, block_at, level);
            let block = &work.luma[1];
            let mpm = most_probable(state, bx, by);
            write_luma_mode(counter, models, mpm, mode);
            write_block(counter, &mut models.coeffs[0], bn, &block.levels, 0);
            state.set_luma_mode(bx, by, bn, mode);
            if split {
                state.set_block_size(bx, by, 4);
            }
            state.planes[0].commit(bx, by, bn, &block.samples);
            sse += block.sse;
            *slot = mode;
        }
        (sse, modes)
    }

    /// The least-squares chroma-from-luma scale of a chroma block, in 1/8.
    fn cfl_alpha(&self, work: &mut Work, state: &TileState, plane: usize, at: At) -> i32 {
        let At { x, y, n } = at;
        let dc = &mut work.prediction;
        predict(state, plane, x, y, n, super::intra::DC, dc);
        let dc = dc[0];
        let ac = &mut work.diff;
        cfl_luma(state, x, y, n, ac);
        let src = &self.source[plane];
        let (mut num, mut den) = (0i64, 0i64);
        for row in 0..n {
            for col in 0..n {
                let a = ac[row * n + col] as i64;
                let r = src.data[(y + row) * src.width + x + col] as i64 - dc as i64;
                num += a * r;
                den += a * a;
            }
        }
        if den == 0 {
            return 0;
        }
        ((64.0 * num as f64 / den as f64).round() as i32).clamp(-MAX_CFL, MAX_CFL)
    }

    /// Picks and codes the chroma of a leaf; returns its squared error, mode and scales.
    #[allow(clippy::too_many_arguments)]
    fn chroma_leaf(
        &self,
        work: &mut Work,
        state: &mut TileState,
        models: &mut Models,
        counter: &mut AdaptingCounter,
        at: At,
        luma_mode: u8,
        level: usize,
    ) -> (u64, u8, [i32; 2]) {
        let shift = state.chroma_shift;
        let chroma_at = At {
            x: at.x >> shift,
            y: at.y >> shift,
            n: at.n >> shift,
        };
        let cn = chroma_at.n;
        let lambda = self.tables.lambda[level] as f64;
        let steps = self.tables.of(1, level, cn);
        let mut cfl_alphas = [0; 2];
        for (p, alpha) in cfl_alphas.iter_mut().enumerate() {
            *alpha = self.cfl_alpha(work, state, p + 1, chroma_at);
        }
        let alphas_of = |mode: u8| {
            if mode == CHROMA_CFL {
                cfl_alphas
            } else {
                [0; 2]
            }
        };
        // Every mode's prediction of both planes and, when only the best few are coded,
        // its Hadamard cost plus mode bits.
        let count = cn * cn;
        let candidates = self
            .tuning
            .effort
            .chroma_candidates
            .clamp(1, CHROMA_MODES as usize);
        let ranking = candidates < CHROMA_MODES as usize;
        let mut ranked: [(f64, u8); CHROMA_MODES as usize] =
            std::array::from_fn(|mode| (0.0, mode as u8));
        for mode in 0..CHROMA_MODES {
            let alphas = alphas_of(mode);
            let mut hadamard = 0;
            for p in 0..2 {
                let slot = (2 * mode as usize + p) * MAX_BLOCK;
                let prediction = &mut work.chroma_predictions[slot..][..count];
                let (x, y) = (chroma_at.x, chroma_at.y);
                predict_chroma(
                    state,
                    p + 1,
                    x,
                    y,
                    cn,
                    mode,
                    luma_mode,
                    alphas[p],
                    prediction,
                    &mut work.block.recon,
                );
                if ranking {
                    let diff = &mut work.diff[..count];
                    difference(&self.source[p + 1], x, y, cn, prediction, diff);
                    hadamard += satd(cn, diff);
                }
            }
            if !ranking {
                continue;
            }
            let mut mode_bits = BitCounter::new();
            write_chroma_mode(&mut mode_bits, models, mode);
            ranked[mode as usize] = (hadamard as f64 + lambda.sqrt() * mode_bits.bits(), mode);
        }
        if ranking {
            ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        let mut best: Option<(f64, u8, [i32; 2])> = None;
        for &(_, mode) in &ranked[..candidates] {
            let alphas = alphas_of(mode);
            let mut counter_here = BitCounter::new();
            write_chroma_mode(&mut counter_here, models, mode);
            if mode == CHROMA_CFL {
                write_cfl(&mut counter_here, models, 0, alphas[0]);
                write_cfl(&mut counter_here, models, 1, alphas[1]);
            }
            let [cb, cr, ..] = &mut work.chroma;
            let scratch = &mut work.block;
            let slot = 2 * mode as usize * MAX_BLOCK;
            let prediction = &work.chroma_predictions[slot..][..count];
            let rdoq = Some((&models.coeffs[1], lambda as f32, 0));
            self.code_block(scratch, cb, 1, chroma_at, prediction, steps, rdoq);
            let cb_coded = cb.levels[..count].iter().any(|&l| l != 0);
            let prediction = &work.chroma_predictions[slot + MAX_BLOCK..][..count];
            let cr_context = 1 + cb_coded as usize;
            let rdoq = Some((&models.coeffs[1], lambda as f32, cr_context));
            self.code_block(scratch, cr, 2, chroma_at, prediction, steps, rdoq);
            write_block(&mut counter_here, &mut models.coeffs[1], cn, &cb.levels, 0);
            write_block(
                &mut counter_here,
                &mut models.coeffs[1],
                cn,
                &cr.levels,
                cr_context,
            );
            let cost = (cb.sse + cr.sse) as f64 + lambda * counter_here.bits();
            if best.is_none_or(|b| cost < b.0) {
                best = Some((cost, mode, alphas));
                work.chroma.swap(0, 2);
                work.chroma.swap(1, 3);
            }
        }
        let (_, mode, alphas) = best.expect("six chroma modes");
        let [_, _, cb, cr] = &work.chroma;
        write_chroma_mode(counter, models, mode);
        if mode == CHROMA_CFL {
            write_cfl(counter, models, 0, alphas[0]);
            write_cfl(counter, models, 1, alphas[1]);
        }
        let cb_coded = cb.levels[..cn * cn].iter().any(|&l| l != 0);
        write_block(counter, &mut models.coeffs[1], cn, &cb.levels, 0);
        write_block(
            counter,
            &mut models.coeffs[1],
            cn,
            &cr.levels,
            1 + cb_coded as usize,
        );
        let (x, y) = (chroma_at.x, chroma_at.y);
        state.planes[1].commit(x, y, cn, &cb.samples);
        state.planes[2].commit(x, y, cn, &cr.samples);
        (cb.sse + cr.sse, mode, alphas)
    }

    /// Tries a node as one leaf; the state and models end as after coding it. Returns the
    /// cost, including the bits already in `counter`.
    fn evaluate_leaf(
        &self,
        work: &mut Work,
        state: &mut TileState,
        models: &mut Models,
        mut counter: AdaptingCounter,
        at: At,
    ) -> (f64, Leaf) {
        let At { x, y, n } = at;
        let level = block_level(self.activity, self.areas_across, x, y, n);
        let lambda = self.tables.lambda[level] as f64;
        let luma_split;
        let (mut sse, modes);
        if n == 8 && self.tuning.effort.luma_4x4 {
            let before = state.snapshot(x, y, n);
            let models_before = models.clone();
            let mut whole_counter = AdaptingCounter { cost: counter.cost };
            write_split(&mut whole_counter, models, state, x, y, n, false);
            let whole = self.luma_leaf(work, state, models, &mut whole_counter, at, false, level);
            let whole_cost = whole.0 as f64 + lambda * whole_counter.bits();
            let whole_state = state.snapshot(x, y, n);
            let whole_models = std::mem::replace(models, models_before);
            state.restore(&before);
            let mut split_counter = AdaptingCounter { cost: counter.cost };
            write_split(&mut split_counter, models, state, x, y, n, true);
            let split = self.luma_leaf(work, state, models, &mut split_counter, at, true, level);
            let split_cost = split.0 as f64 + lambda * split_counter.bits();
            luma_split = split_cost < whole_cost;
            if luma_split {
                (sse, modes) = split;
                counter = split_counter;
            } else {
                (sse, modes) = whole;
                *models = whole_models;
                state.restore(&whole_state);
                counter = whole_counter;
            }
        } else {
            luma_split = false;
            if n == 8 {
                write_split(&mut counter, models, state, x, y, n, false);
            }
            (sse, modes) = self.luma_leaf(work, state, models, &mut counter, at, false, level);
        }
        let mut chroma_mode = 0;
        let mut alphas = [0; 2];
        if state.planes.len() > 1 {
            let (chroma_sse, mode, a) =
                self.chroma_leaf(work, state, models, &mut counter, at, modes[0], level);
            sse += chroma_sse;
            chroma_mode = mode;
            alphas = a;
        }
        let leaf = Leaf {
            luma_split,
            luma_modes: modes,
            chroma_mode,
            alphas,
        };
        (sse as f64 + lambda * counter.bits(), leaf)
    }

    /// Searches the node `at`: the state and models end as after the chosen coding.
    /// Returns its cost and decisions, or `None` once its cost is sure to exceed `budget`
    /// (the state and the models are then left for the caller to restore or drop).
    ///
    /// A split is abandoned as soon as the children searched so far cost more than the
    /// node coded whole (or than the budget): it could no longer win, so the decision is
    /// the one the full search would make.
    fn search_node(
        &self,
        work: &mut Work,
        state: &mut TileState,
        models: &mut Models,
        at: At,
        budget: f64,
    ) -> Option<(f64, Node)> {
        let At { x, y, n } = at;
        let (w, h) = (state.planes[0].width, state.planes[0].height);
        let fits = x + n <= w && y + n <= h;
        let can_split = n > 8 && (n > self.tuning.effort.min_block || !fits);
        let level = block_level(self.activity, self.areas_across, x, y, n);
        let lambda = self.tables.lambda[level] as f64;
        let mut leaf = None;
        let mut bound = budget;
        // Past the leaf above, a node that fits can split: it is tried both ways.
        let before = fits.then(|| state.snapshot(x, y, n));
        if fits && !can_split {
            let mut counter = AdaptingCounter { cost: 0 };
            if n > 8 {
                write_split(&mut counter, models, state, x, y, n, false);
            }
            let (cost, decisions) = self.evaluate_leaf(work, state, models, counter, at);
            return (cost <= budget).then_some((cost, Node::Leaf(decisions)));
        }
        if fits {
            let mut leaf_models = models.clone();
            let mut counter = AdaptingCounter { cost: 0 };
            if n > 8 {
                write_split(&mut counter, &mut leaf_models, state, x, y, n, false);
            }
            let (cost, decisions) = self.evaluate_leaf(work, state, &mut leaf_models, counter, at);
            bound = bound.min(cost);
            leaf = Some((cost, decisions, leaf_models, state.snapshot(x, y, n)));
            state.restore(before.as_ref().expect("a node that fits has a snapshot"));
        }
        // The split adapts the caller's models; the node coded whole adapted a copy.
        let split_models = models;
        let mut split_cost = 0.0;
        if fits {
            let mut counter = AdaptingCounter { cost: 0 };
            write_split(&mut counter, split_models, state, x, y, n, true);
            split_cost += lambda * counter.bits();
        }
        let half = n / 2;
        let mut children = Vec::with_capacity(4);
        for (dx, dy) in [(0, 0), (half, 0), (0, half), (half, half)] {
            if split_cost > bound {
                break;
            }
            if x + dx < w && y + dy < h {
                let child = At {
                    x: x + dx,
                    y: y + dy,
                    n: half,
                };
                let left = bound - split_cost;
                match self.search_node(work, state, split_models, child, left) {
                    Some((cost, node)) => {
                        split_cost += cost;
                        children.push(Some(node));
                    }
                    None => {
                        split_cost = f64::INFINITY;
                        break;
                    }
                }
            } else {
                children.push(None);
            }
        }
        match leaf {
            Some((cost, decisions, leaf_models, snapshot)) if cost <= split_cost => {
                if cost > budget {
                    return None;
                }
                state.restore(&snapshot);
                *split_models = leaf_models;
                Some((cost, Node::Leaf(decisions)))
            }
            _ if split_cost > budget => None,
            _ => Some((split_cost, Node::Split(children))),
        }
    }

    /// Writes a chosen node for real, reconstructing it into the state as the decoder will.
    fn write_node<W: SymbolWriter>(
        &self,
        w: &mut W,
        work: &mut Work,
        models: &mut Models,
        state: &mut TileState,
        at: At,
        node: &Node,
    ) {
        let At { x, y, n } = at;
        let (width, height) = (state.planes[0].width, state.planes[0].height);
        let fits = x + n <= width && y + n <= height;
        if n > 8 && fits {
            write_split(w, models, state, x, y, n, matches!(node, Node::Split(_)));
        }
        let leaf = match node {
            Node::Split(children) => {
                let half = n / 2;
                let offsets = [(0, 0), (half, 0), (0, half), (half, half)];
                for (child, (dx, dy)) in children.iter().zip(offsets) {
                    if let Some(child) = child {
                        let child_at = At {
                            x: x + dx,
                            y: y + dy,
                            n: half,
                        };
                        self.write_node(w, work, models, state, child_at, child);
                    }
                }
                return;
            }
            Node::Leaf(leaf) => leaf,
        };
        let level = block_level(self.activity, self.areas_across, x, y, n);
        let lambda = self.tables.lambda[level];
        if n == 8 {
            write_split(w, models, state, x, y, n, leaf.luma_split);
        }
        let (bn, count) = if leaf.luma_split { (4, 4) } else { (n, 1) };
        state.set_block_size(x, y, n);
        for i in 0..count {
            let (bx, by) = (x + bn * (i % 2), y + bn * (i / 2));
            let mode = leaf.luma_modes[i];
            let mpm = most_probable(state, bx, by);
            write_luma_mode(w, models, mpm, mode);
            state.set_luma_mode(bx, by, bn, mode);
            if leaf.luma_split {
                state.set_block_size(bx, by, 4);
            }
            let prediction = &mut work.prediction;
            predict(state, 0, bx, by, bn, mode, prediction);
            let block = &mut work.luma[0];
            let block_at = At {
                x: bx,
                y: by,
                n: bn,
            };
            let steps = self.tables.of(0, level, bn);
            let rdoq = Some((&models.coeffs[0], lambda, 0));
            self.code_block(&mut work.block, block, 0, block_at, prediction, steps, rdoq);
            write_block(w, &mut models.coeffs[0], bn, &block.levels, 0);
            state.planes[0].commit(bx, by, bn, &block.samples);
        }
        if state.planes.len() == 1 {
            return;
        }
        let shift = state.chroma_shift;
        let chroma_at = At {
            x: x >> shift,
            y: y >> shift,
            n: n >> shift,
        };
        let cn = chroma_at.n;
        write_chroma_mode(w, models, leaf.chroma_mode);
        if leaf.chroma_mode == CHROMA_CFL {
            write_cfl(w, models, 0, leaf.alphas[0]);
            write_cfl(w, models, 1, leaf.alphas[1]);
        }
        let mut cb_coded = false;
        for plane in 1..3 {
            let prediction = &mut work.prediction;
            predict_chroma(
                state,
                plane,
                chroma_at.x,
                chroma_at.y,
                cn,
                leaf.chroma_mode,
                leaf.luma_modes[0],
                leaf.alphas[plane - 1],
                prediction,
                &mut work.block.recon,
            );
            let context = if plane == 1 { 0 } else { 1 + cb_coded as usize };
            let steps = self.tables.of(1, level, cn);
            let rdoq = Some((&models.coeffs[1], lambda, context));
            let block = &mut work.chroma[0];
            self.code_block(
                &mut work.block,
                block,
                plane,
                chroma_at,
                prediction,
                steps,
                rdoq,
            );
            write_block(w, &mut models.coeffs[1], cn, &block.levels, context);
            cb_coded = block.levels[..cn * cn].iter().any(|&l| l != 0);
            state.planes[plane].commit(chroma_at.x, chroma_at.y, cn, &block.samples);
        }
    }

    /// Searches and writes every coding tree of the tile.
    pub fn encode_trees<W: SymbolWriter>(
        &self,
        w: &mut W,
        models: &mut Models,
        state: &mut TileState,
    ) {
        let mut work = Work::new();
        let (width, height) = (state.planes[0].width, state.planes[0].height);
        for y in (0..height).step_by(ROOT) {
            for x in (0..width).step_by(ROOT) {
                let at = At { x, y, n: ROOT };
                let mut search_models = models.clone();
                let (_, node) = self
                    .search_node(&mut work, state, &mut search_models, at, f64::INFINITY)
                    .expect("an unbounded search always decides");
                state.clear(x, y, ROOT);
                self.write_node(w, &mut work, models, state, at, &node);
            }
        }
    }
}
