//! Prediction and reconstruction of one transform block, shared by the encoder and the
//! decoder so that both produce the same samples: gathering a block's edges from the
//! tile state, predicting luma or chroma, dequantizing, inverse-transforming and adding
//! the prediction.

use super::dct::{self, MAX_DEQUANT};
use super::intra::{self, Edges, DC};
use super::state::{TileState, MAX_BLOCK};
use super::syntax::{chroma_prediction, CHROMA_CFL};

/// Reusable scratch space of reconstruction, so that no block allocates or clears more
/// than it uses.
pub struct ReconScratch {
    coeffs: Vec<i32>,
    residual: Vec<i32>,
    dc: Vec<i32>,
    ac: Vec<i32>,
}

impl ReconScratch {
    pub fn new() -> ReconScratch {
        ReconScratch {
            coeffs: vec![0; MAX_BLOCK],
            residual: vec![0; MAX_BLOCK],
            dc: vec![0; MAX_BLOCK],
            ac: vec![0; MAX_BLOCK],
        }
    }
}

impl Default for ReconScratch {
    fn default() -> Self {
        ReconScratch::new()
    }
}

/// Predicts the n×n block at (x, y) of plane `plane` with luma-style mode `mode`.
pub fn predict(
    state: &TileState,
    plane: usize,
    x: usize,
    y: usize,
    n: usize,
    mode: u8,
    out: &mut [i32],
) {
    let ps = &state.planes[plane];
    Edges::gather(&ps.recon, ps.width, x, y, n, |sx, sy| ps.available(sx, sy)).predict(mode, out);
}

/// Predicts the n×n chroma block at (x, y) of plane `plane` (1 or 2).
#[allow(clippy::too_many_arguments)]
pub fn predict_chroma(
    state: &TileState,
    plane: usize,
    x: usize,
    y: usize,
    n: usize,
    chroma_mode: u8,
    luma_mode: u8,
    alpha: i32,
    out: &mut [i32],
    scratch: &mut ReconScratch,
) {
    match chroma_prediction(chroma_mode, luma_mode) {
        Some(mode) => predict(state, plane, x, y, n, mode, out),
        None => {
            debug_assert_eq!(chroma_mode, CHROMA_CFL);
            let dc = &mut scratch.dc;
            predict(state, plane, x, y, n, DC, dc);
            let ac = &mut scratch.ac;
            cfl_luma(state, x, y, n, ac);
            intra::predict_cfl(dc[0], &ac[..n * n], alpha, &mut out[..n * n]);
        }
    }
}

/// The luma co-located with the n×n chroma block at (x, y), as deviations from its mean
/// in 1/8 sample units: what chroma from luma scales.
pub fn cfl_luma(state: &TileState, x: usize, y: usize, n: usize, out: &mut [i32]) {
    let shift = state.chroma_shift;
    let luma = &state.planes[0];
    intra::luma_ac(
        &luma.recon,
        luma.width,
        x << shift,
        y << shift,
        n,
        shift == 1,
        out,
    );
}

/// Reconstructs a block: prediction plus the inverse transform of `levels` × `steps`.
pub fn reconstruct(
    n: usize,
    prediction: &[i32],
    levels: &[i32],
    steps: &[u16],
    out: &mut [u8],
    scratch: &mut ReconScratch,
) {
    let count = n * n;
    let coeffs = &mut scratch.coeffs[..count];
    coeffs.fill(0);
    let mut any = false;
    for i in 0..count {
        if levels[i] != 0 {
            any = true;
            let v = levels[i] as i64 * steps[i] as i64;
            coeffs[i] = v.clamp(-(MAX_DEQUANT as i64), MAX_DEQUANT as i64) as i32;
        }
    }
    if !any {
        for (o, &p) in out[..count].iter_mut().zip(prediction) {
            *o = p.clamp(0, 255) as u8;
        }
        return;
    }
    let residual = &mut scratch.residual[..count];
    dct::inverse(n, coeffs, residual);
    for i in 0..count {
        out[i] = (prediction[i] + residual[i]).clamp(0, 255) as u8;
    }
}

/// Rounded mean activity level of the 16×16 areas a coding block (luma side n at
/// (x, y), tile-local) overlaps.
pub fn block_level(activity: &[u8], areas_across: usize, x: usize, y: usize, n: usize) -> usize {
    let span = n.div_ceil(16);
    let (ax, ay) = (x / 16, y / 16);
    let areas_down = activity.len() / areas_across.max(1);
    let mut sum = 0usize;
    let mut count = 0usize;
    for j in ay..(ay + span).min(areas_down) {
        for i in ax..(ax + span).min(areas_across) {
            sum += activity[j * areas_across + i] as usize;
            count += 1;
        }
    }
    if count == 0 {
        return 0;
    }
    (sum + count / 2) / count
}
