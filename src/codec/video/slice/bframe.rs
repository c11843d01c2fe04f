//! The B-frame macroblock decision: skip (both anchors at the predicted vectors), inter
//! from either anchor, bi-prediction with two coded vectors, or intra.

use super::{coded_mvds, Candidate, PendingInter, SliceEncoder};
use crate::codec::video::frame::PlaneRows;
use crate::codec::video::intra::IntraMode;
use crate::codec::video::mb::predict_bi_mb;
use crate::codec::video::motion::{mv_in_range, mvd_bits, satd, search, Mv, SearchParams};
use crate::codec::video::syntax::{MbContext, MbMode};
use std::sync::Arc;

impl<'a> SliceEncoder<'a> {
    /// Chooses and fully prepares the best way to code a B-frame macroblock: skipped (both
    /// anchors averaged at the predicted vectors `preds`), predicted from the earlier or the
    /// later anchor, from both (the vectors each search found, averaged), or intra.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn decide_b(
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

    /// Predicts a B-frame macroblock from both anchors (skip or bi) with the vectors `mvs`
    /// and prices it; `preds` are the vector predictions the differences are coded against.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn try_bi(
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
}
