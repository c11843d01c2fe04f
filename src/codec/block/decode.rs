//! The block coder's decoder: walks a tile's coding trees in the order the encoder wrote
//! them, reading partitions, modes and levels and reconstructing every block.
//!
//! A tile is cut into 32×32 luma coding trees in raster order. A tree node of side 32 or
//! 16 that lies entirely inside the tile has a split flag; one that crosses the tile's
//! right or bottom edge is split without a flag, and its quarters outside the tile are
//! skipped. A leaf of side n ≥ 8 holds its luma (one n×n block, or for n = 8 optionally
//! four 4×4 blocks) and then one chroma mode and the Cb and Cr blocks covering the same
//! area.

use super::coeffs::read_block;
use super::recon::{block_level, predict, predict_chroma, reconstruct, ReconScratch};
use super::state::{StepTables, TileState, MAX_BLOCK, ROOT};
use super::syntax::{
    most_probable, read_cfl, read_chroma_mode, read_luma_mode, read_split, Models, CHROMA_CFL,
};
use crate::entropy::RangeDecoder;
use crate::error::{Error, Result};

/// Everything the walk needs besides the tile state.
pub struct Walk<'a, 'b> {
    pub reader: &'a mut RangeDecoder<'b>,
    pub models: &'a mut Models,
    pub tables: &'a StepTables,
    pub activity: &'a [u8],
    pub areas_across: usize,
    pub scratch: ReconScratch,
}

/// Decodes every coding tree of a tile into `state`.
pub fn decode_trees(walk: &mut Walk<'_, '_>, state: &mut TileState) -> Result<()> {
    let (w, h) = (state.planes[0].width, state.planes[0].height);
    for y in (0..h).step_by(ROOT) {
        for x in (0..w).step_by(ROOT) {
            decode_node(walk, state, x, y, ROOT)?;
        }
        if walk.reader.overran() {
            return Err(Error::invalid("tile payload ends before its last block"));
        }
    }
    Ok(())
}

fn decode_node(
    walk: &mut Walk<'_, '_>,
    state: &mut TileState,
    x: usize,
    y: usize,
    n: usize,
) -> Result<()> {
    let (w, h) = (state.planes[0].width, state.planes[0].height);
    let fits = x + n <= w && y + n <= h;
    let split = n > 8 && (!fits || read_split(walk.reader, walk.models, state, x, y, n));
    if split {
        let half = n / 2;
        for (dx, dy) in [(0, 0), (half, 0), (0, half), (half, half)] {
            if x + dx < w && y + dy < h {
                decode_node(walk, state, x + dx, y + dy, half)?;
            }
        }
        return Ok(());
    }
    decode_leaf(walk, state, x, y, n)
}

fn decode_leaf(
    walk: &mut Walk<'_, '_>,
    state: &mut TileState,
    x: usize,
    y: usize,
    n: usize,
) -> Result<()> {
    let level = block_level(walk.activity, walk.areas_across, x, y, n);
    let luma_split = n == 8 && read_split(walk.reader, walk.models, state, x, y, n);
    let mut prediction = [0i32; MAX_BLOCK];
    let mut levels = [0i32; MAX_BLOCK];
    let mut samples = [0u8; MAX_BLOCK];
    let (bn, count) = if luma_split { (4, 4) } else { (n, 1) };
    state.set_block_size(x, y, n);
    let mut first_mode = 0;
    for i in 0..count {
        let (bx, by) = (x + bn * (i % 2), y + bn * (i / 2));
        let mpm = most_probable(state, bx, by);
        let mode = read_luma_mode(walk.reader, walk.models, mpm)
            .ok_or_else(|| Error::invalid("impossible luma prediction mode"))?;
        if i == 0 {
            first_mode = mode;
        }
        state.set_luma_mode(bx, by, bn, mode);
        if luma_split {
            state.set_block_size(bx, by, 4);
        }
        predict(state, 0, bx, by, bn, mode, &mut prediction);
        read_block(walk.reader, &mut walk.models.coeffs[0], bn, &mut levels, 0)
            .ok_or_else(|| Error::invalid("impossible luma coefficients"))?;
        reconstruct(
            bn,
            &prediction,
            &levels,
            walk.tables.of(0, level, bn),
            &mut samples,
            &mut walk.scratch,
        );
        state.planes[0].commit(bx, by, bn, &samples);
    }
    if state.planes.len() == 1 {
        return Ok(());
    }
    let shift = state.chroma_shift;
    let (cx, cy, cn) = (x >> shift, y >> shift, n >> shift);
    let chroma_mode = read_chroma_mode(walk.reader, walk.models);
    let mut alphas = [0; 2];
    if chroma_mode == CHROMA_CFL {
        alphas = [
            read_cfl(walk.reader, walk.models, 0),
            read_cfl(walk.reader, walk.models, 1),
        ];
    }
    let mut cb_coded = false;
    for plane in 1..3 {
        predict_chroma(
            state,
            plane,
            cx,
            cy,
            cn,
            chroma_mode,
            first_mode,
            alphas[plane - 1],
            &mut prediction,
            &mut walk.scratch,
        );
        let context = if plane == 1 { 0 } else { 1 + cb_coded as usize };
        let coded = read_block(
            walk.reader,
            &mut walk.models.coeffs[1],
            cn,
            &mut levels,
            context,
        )
        .ok_or_else(|| Error::invalid("impossible chroma coefficients"))?;
        cb_coded = coded;
        reconstruct(
            cn,
            &prediction,
            &levels,
            walk.tables.of(1, level, cn),
            &mut samples,
            &mut walk.scratch,
        );
        state.planes[plane].commit(cx, cy, cn, &samples);
    }
    Ok(())
}
