//! Tiles coded with the block coder ([`crate::codec::block`]): the picture codec's default
//! for the exact DCT.
//!
//! Tile payload: the tile index (u32, little-endian), then the range-coded symbols: the
//! activity level of every 16×16 luma area of the tile (as in the 8×8 tile syntax), then
//! the tile's 32×32 coding trees in raster order, then, in streams with the restoration
//! filter, the strengths of the tile's 64×64 filter units ([`super::restore`]).

use super::deblock::EdgeMap;
use super::params::{ChromaSampling, ImageParams};
use super::restore::{self, RestoreModels};
use super::tile::{
    area_grid, payload_tile_index, read_activity, write_activity, ActivityModels, TilePixels,
};
use crate::codec::block::decode::{decode_trees, Walk};
use crate::codec::block::encode::{EncoderTuning, TileEncoder};
use crate::codec::block::recon::ReconScratch;
use crate::codec::block::state::{StepTables, TileState};
use crate::codec::block::syntax::Models;
use crate::entropy::{RangeDecoder, RangeEncoder};
use crate::error::{Error, Result};
use crate::signal::Plane;

fn chroma_shift(params: &ImageParams) -> usize {
    (params.sampling == ChromaSampling::Yuv420) as usize
}

fn step_tables(params: &ImageParams, lambda_factor: f32) -> StepTables {
    StepTables::new(
        &params.luma_steps,
        &params.chroma_steps,
        &params.activity_scales,
        lambda_factor,
    )
}

/// Encodes tile `index` of the padded `planes`; returns the payload and, when asked, the
/// reconstruction.
pub fn encode_tile(
    params: &ImageParams,
    tuning: &EncoderTuning,
    lambda_factor: f32,
    planes: &[Plane],
    index: usize,
    activity: &[u8],
    reconstruct: bool,
) -> (Vec<u8>, Option<TilePixels>) {
    let source: Vec<Plane> = planes
        .iter()
        .enumerate()
        .map(|(p, plane)| {
            let rect = params.tile_rect(index, p);
            let mut data = Vec::with_capacity(rect.width * rect.height);
            for y in rect.y..rect.y + rect.height {
                data.extend_from_slice(&plane.data[y * plane.width + rect.x..][..rect.width]);
            }
            Plane {
                width: rect.width,
                height: rect.height,
                data,
            }
        })
        .collect();
    let luma = params.tile_rect(index, 0);
    let (areas_across, _) = area_grid(&luma);
    let tables = step_tables(params, lambda_factor);
    let mut state = TileState::new(luma.width, luma.height, planes.len(), chroma_shift(params));
    let mut encoder = RangeEncoder::with_capacity(luma.width * luma.height / 4);
    write_activity(
        &mut encoder,
        &mut ActivityModels::new(),
        activity,
        areas_across,
        params.activity_scales.len(),
    );
    let coder = TileEncoder {
        source: &source,
        tables: &tables,
        activity,
        areas_across,
        tuning: *tuning,
    };
    let mut models = Models::new();
    coder.encode_trees(&mut encoder, &mut models, &mut state);
    let mut restore = None;
    if params.restore {
        let recon = tile_pixels(index, &state);
        let lambda = tables.lambda[params.activity_scales.len() / 2] as f64;
        let filter = restore::choose(params, &source, &recon.planes, &recon.edges, lambda);
        restore::write_filter(&mut encoder, &mut RestoreModels::new(), &filter);
        restore = Some(filter);
    }
    let mut payload = Vec::with_capacity(encoder.len() + 8);
    payload.extend_from_slice(&(index as u32).to_le_bytes());
    payload.extend_from_slice(&encoder.finish());
    let pixels = reconstruct.then(|| TilePixels {
        restore,
        ..tile_pixels(index, &state)
    });
    (payload, pixels)
}

/// Decodes one tile coded with the block coder.
pub fn decode_tile(params: &ImageParams, payload: &[u8]) -> Result<TilePixels> {
    let index = payload_tile_index(payload)?;
    if index >= params.tile_count() {
        return Err(Error::invalid(format!(
            "tile index {index} but the picture has {} tiles",
            params.tile_count()
        )));
    }
    let luma = params.tile_rect(index, 0);
    let (areas_across, areas_down) = area_grid(&luma);
    let mut reader = RangeDecoder::new(&payload[4..]);
    let mut activity = vec![0u8; areas_across * areas_down];
    read_activity(
        &mut reader,
        &mut ActivityModels::new(),
        &mut activity,
        areas_across,
        params.activity_scales.len(),
    )?;
    let tables = step_tables(params, 0.0);
    let mut state = TileState::new(
        luma.width,
        luma.height,
        params.plane_count(),
        chroma_shift(params),
    );
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
        Error::InvalidStream(message) => Error::invalid(format!("tile {index}: {message}")),
        other => other,
    })?;
    let restore = if params.restore {
        let colour = params.plane_count() > 1;
        let models = &mut RestoreModels::new();
        let filter = restore::read_filter(&mut reader, models, luma.width, luma.height, colour)
            .map_err(|e| Error::invalid(format!("tile {index}: {e}")))?;
        Some(filter)
    } else {
        None
    };
    Ok(TilePixels {
        restore,
        ..tile_pixels(index, &state)
    })
}

fn tile_pixels(index: usize, state: &TileState) -> TilePixels {
    TilePixels {
        index,
        planes: state.planes.iter().map(|p| p.to_plane()).collect(),
        edges: state
            .planes
            .iter()
            .map(|p| EdgeMap {
                units_across: p.units_across,
                vertical: p.vertical_edge.clone(),
                horizontal: p.horizontal_edge.clone(),
            })
            .collect(),
        restore: None,
    }
}
