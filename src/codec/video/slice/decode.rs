//! The decoder's side of a slice: it reads each macroblock's header, vectors and
//! residuals, and reconstructs the slice's rows exactly as the encoder did.

use super::{
    chroma_side, filter_reference, list_vectors, mb_sizes, quantizers, quarter_mvs, representative,
    tx_block_coded,
};
use crate::codec::image::coeffs::{read_block, BlockLevels};
use crate::codec::video::frame::{FrameSetup, PlaneRows, SliceOutput};
use crate::codec::video::intra::IntraMode;
use crate::codec::video::loopfilter::BlockInfo;
use crate::codec::video::mb::{
    block_of, predict_bi_mb, predict_intra_mb, predict_mb, put_block, record_blocks, store_mb,
    Geometry, MbSamples, MbState,
};
use crate::codec::video::motion::{mv_in_range, Mv};
use crate::codec::video::params::{FLAG_HALVES, FLAG_MB_QP};
use crate::codec::video::qp::MAX_QP;
use crate::codec::video::residual::reconstruct_block;
use crate::codec::video::syntax::{
    read_coded, read_intra_mode, read_mb_header, read_qp_delta, MbMode, SliceModels, KIND_INTER,
    KIND_INTRA,
};
use crate::codec::video::tx::{read_residual, reconstruct_mb, TxScratch};
use crate::entropy::RangeDecoder;
use crate::error::{Error, Result};
use crate::quant::scalar::dequantize;
use std::sync::Arc;

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
