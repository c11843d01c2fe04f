//! Keyframes coded with the block coder ([`crate::codec::block`]), as pictures are: each
//! slice of a keyframe is one block-coder tile, walked in 32×32 coding trees with
//! recursive partitions down to 4×4, directional intra prediction, chroma from luma and
//! DCTs of four sizes. The stream says so with [`FLAG_BLOCK_KEYFRAMES`]; without it
//! keyframes use the macroblock syntax of [`super::slice`].
//!
//! In: the frame's quantizer index and the padded source planes (encoder) or a slice's
//! bytes (decoder). Out: the slice's reconstruction in its rows and its transform edges,
//! which the frame's deblocking follows ([`super::frame::make_reference`]). Steps are flat:
//! luma and chroma at the steps of [`plane_steps`], one activity level, the
//! rate-distortion multiplier of the inter frames ([`Tuning::lambda`]). The slice payload
//! is the range-coded trees alone. Plane layouts the block coder has (4:2:0, 4:4:4, luma
//! only) can use it; 4:2:2 keeps the macroblock syntax.

use super::frame::{FrameSetup, PlaneRows, SliceOutput};
use super::mb::Geometry;
use super::motion::Mv;
use super::params::{VideoParams, FLAG_BLOCK_KEYFRAMES};
use super::qp::plane_steps;
use super::tuning::{Tuning, RD_LAMBDA};
use crate::codec::block::decode::{decode_trees, Walk};
use crate::codec::block::encode::{EncoderTuning, SearchEffort, TileEncoder};
use crate::codec::block::recon::ReconScratch;
use crate::codec::block::state::{StepTables, TileState};
use crate::codec::block::syntax::Models;
use crate::codec::image::deblock::EdgeMap;
use crate::entropy::{RangeDecoder, RangeEncoder};
use crate::error::{Error, Result};
use crate::media::y4m::ChromaFormat;
use crate::signal::Plane;
use crate::transform::TransformId;

/// True when the block coder can code keyframes of this layout and transform: the exact
/// DCT (the block coder's only transform) and chroma halved both ways or not at all.
pub fn block_keyframes_possible(chroma: ChromaFormat, transform: TransformId) -> bool {
    transform == TransformId::Dct && chroma.shifts().0 == chroma.shifts().1
}

/// True when the keyframes of this stream are coded with the block coder.
pub fn uses_block_keyframes(params: &VideoParams) -> bool {
    params.flags & FLAG_BLOCK_KEYFRAMES != 0
}

/// The step tables of a frame at quantizer index `qp`.
fn step_tables(qp: u8, lambda_factor: f32) -> StepTables {
    let [luma, chroma] = plane_steps(qp);
    StepTables::new(&[luma; 64], &[chroma; 64], &[256], lambda_factor)
}

/// A slice's size in luma samples (whole macroblocks) and its block-coder state.
fn slice_state(g: &Geometry) -> TileState {
    TileState::new(16 * g.mw, 16 * g.mb_rows, g.planes, g.shifts.1 as usize)
}

/// 16×16 areas across and down a slice: the block coder's activity grid, all at level 0.
fn flat_activity(g: &Geometry) -> (Vec<u8>, usize) {
    (vec![0; g.mw * g.mb_rows], g.mw)
}

/// Copies the state's reconstruction into the slice's rows and returns its edges.
fn finish_slice(state: &TileState, g: &Geometry, rows: &mut [PlaneRows<'_>]) -> SliceOutput {
    for (plane, out) in state.planes.iter().zip(rows.iter_mut()) {
        let n = plane.recon.len().min(out.data.len());
        out.data[..n].copy_from_slice(&plane.recon[..n]);
    }
    let mbs = g.mw * g.mb_rows;
    SliceOutput {
        bytes: Vec::new(),
        blocks: Vec::new(),
        mvs: vec![Mv::ZERO; mbs],
        intra_mbs: mbs,
        split_mbs: 0,
        edges: state
            .planes
            .iter()
            .map(|p| EdgeMap {
                units_across: p.units_across,
                vertical: p.vertical_edge.clone(),
                horizontal: p.horizontal_edge.clone(),
            })
            .collect(),
    }
}

/// Codes slice `slice` of a keyframe from the padded source `src`, writing its
/// reconstruction into `rows`.
pub fn encode_slice(
    setup: &FrameSetup<'_>,
    src: &[Plane],
    slice: usize,
    tuning: &Tuning,
    rows: &mut [PlaneRows<'_>],
) -> SliceOutput {
    let g = Geometry::new(setup.params, slice);
    let source: Vec<Plane> = src
        .iter()
        .enumerate()
        .map(|(p, plane)| {
            let (_, sy) = g.shifts_of(p);
            let h = (16 * g.mb_rows) >> sy;
            let y0 = (16 * g.mb_y0) >> sy;
            Plane {
                width: plane.width,
                height: h,
                data: plane.data[y0 * plane.width..(y0 + h) * plane.width].to_vec(),
            }
        })
        .collect();
    let tables = step_tables(setup.qp, RD_LAMBDA as f32 * tuning.lambda_scale);
    let (activity, areas_across) = flat_activity(&g);
    let coder = TileEncoder {
        source: &source,
        tables: &tables,
        activity: &activity,
        areas_across,
        tuning: EncoderTuning {
            rounding: tuning.intra_rounding,
            rdoq: true,
            effort: SearchEffort::for_level(tuning.key_effort),
        },
    };
    let mut state = slice_state(&g);
    let mut encoder = RangeEncoder::with_capacity(source[0].data.len() / 4);
    coder.encode_trees(&mut encoder, &mut Models::new(), &mut state);
    let mut out = finish_slice(&state, &g, rows);
    out.bytes = encoder.finish();
    out
}

/// Decodes slice `slice` of a keyframe into `rows`.
pub fn decode_slice(
    setup: &FrameSetup<'_>,
    slice: usize,
    data: &[u8],
    rows: &mut [PlaneRows<'_>],
) -> Result<SliceOutput> {
    let g = Geometry::new(setup.params, slice);
    let tables = step_tables(setup.qp, 0.0);
    let (activity, areas_across) = flat_activity(&g);
    let mut state = slice_state(&g);
    let mut reader = RangeDecoder::new(data);
    let mut models = Models::new();
    let mut walk = Walk {
        reader: &mut reader,
        models: &mut models,
        tables: &tables,
        activity: &activity,
        areas_across,
        scratch: ReconScratch::new(),
    };
    decode_trees(&mut walk, &mut state).map_err(|e| match e {
        Error::InvalidStream(message) => Error::invalid(format!("slice {slice}: {message}")),
        other => other,
    })?;
    Ok(finish_slice(&state, &g, rows))
}
