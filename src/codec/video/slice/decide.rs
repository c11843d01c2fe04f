//! The P-frame macroblock decision: skip, inter from each reference (whole, split into
//! 8×8 quarters or halves), or intra, each priced by the models that code it.

use super::{coded_mvds, Candidate, PendingInter, SliceEncoder, SPLIT_SEARCH_RANGE};
use crate::codec::video::frame::PlaneRows;
use crate::codec::video::intra::IntraMode;
use crate::codec::video::mb::{block_of, predict_intra_mb, predict_mb};
use crate::codec::video::motion::{
    mv_in_range, mvd_bits, satd, search, Mv, QuarterGrid, SearchParams,
};
use crate::codec::video::syntax::{MbContext, MbMode};
use std::sync::Arc;

impl<'a> SliceEncoder<'a> {
    /// Chooses and fully prepares the best way to code one macroblock.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn decide(
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
    pub(super) fn partitions(
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

    /// The better of `best` and the best intra candidate. Intra is tried when nothing else
    /// was found or when the motion search's cost `sad` is large against the macroblock's
    /// activity (by `tuning.intra_gate`); on a tie `best` stays.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn with_intra(
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

    /// The better cut of a macroblock at luma (`x`, `y`), whose luma quarters' samples are
    /// `quarter_src`, into two halves with different vectors (wide: top and bottom, tall:
    /// left and right), with its quarter vectors, from the split search's quarter vectors
    /// `quarters` and the whole vector `whole`, and its cost (Hadamard cost plus `lambda`
    /// per bit of each half's vector relative to the whole one, as the split search
    /// counts); `None` when neither cut gives its halves different vectors.
    pub(super) fn best_halves(
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
    pub(super) fn try_inter(
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
    pub(super) fn best_intra(
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
}
