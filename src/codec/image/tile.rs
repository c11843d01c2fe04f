//! One tile of a picture: analysis (forward transform), quantization and coding, and the
//! mirror decoding with reconstruction. Tiles are coded independently, each with fresh
//! models, so they can be encoded and decoded in parallel and a damaged one is lost alone.
//!
//! Tile payload: the tile index (u32, little-endian), then the range-coded symbols:
//! the activity level of every 16×16 luma area of the tile in raster order (when the
//! stream has more than one level), then every 8×8 block of the luma plane in raster
//! order, then of each chroma plane.

use super::coeffs::{read_block, write_block, BlockLevels, Neighbours, PlaneModels};
use super::params::{ChromaSampling, ImageParams, Rect};
use crate::entropy::{BitCounter, BitModel, RangeDecoder, RangeEncoder, SymbolWriter};
use crate::error::{Error, Result};
use crate::quant::rdo::optimize_block;
use crate::quant::scalar::{dequantize, quantize, MAX_LEVEL};
use crate::quant::tables::ZIGZAG;
use crate::signal::Plane;
use crate::transform::dct::DEQUANT_ONE;
use crate::transform::{dequant_table, dequantize_block, transform, BlockTransform};

/// Encoder choices that do not travel in the stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodingTuning {
    /// Dead-zone rounding offset of AC levels (0.5 = plain rounding).
    pub ac_rounding: f32,
    /// Lagrange multiplier in squared steps per bit; 0 turns rate-distortion decisions off.
    pub lambda: f32,
}

/// Forward-transformed coefficients of one tile, ready to quantize.
pub struct TileAnalysis {
    pub index: usize,
    /// Per plane: coefficients of each block in raster order within the tile.
    pub planes: Vec<Vec<[f32; 64]>>,
    /// Activity level of each 16×16 luma area of the tile, raster order.
    pub activity: Vec<u8>,
}

/// Reconstructed samples of one tile, per plane, each the size of the tile's rectangle.
pub struct TilePixels {
    pub index: usize,
    pub planes: Vec<Plane>,
    /// Block edges of each plane (block coder tiles; empty for the 8×8 syntax, whose
    /// edges are every 8 samples).
    pub edges: Vec<super::deblock::EdgeMap>,
    /// Restoration filter strengths of the tile (block coder tiles of streams with the
    /// filter).
    pub restore: Option<super::restore::TileFilter>,
}

/// Areas (16×16 luma) across and down in a tile whose luma rectangle is `rect`.
pub fn area_grid(rect: &Rect) -> (usize, usize) {
    (rect.width.div_ceil(16), rect.height.div_ceil(16))
}

/// The area of block (bx, by) of plane `plane`, tile-local.
fn area_of_block(sampling: ChromaSampling, plane: usize, bx: usize, by: usize) -> (usize, usize) {
    if plane > 0 && sampling == ChromaSampling::Yuv420 {
        (bx, by)
    } else {
        (bx / 2, by / 2)
    }
}

/// Stage one of encoding: forward DCT of every block of the tile.
/// `planes` are the padded planes; `activity` is the tile's area levels.
pub fn analyze_tile(
    params: &ImageParams,
    planes: &[Plane],
    index: usize,
    activity: Vec<u8>,
) -> TileAnalysis {
    let member = transform(params.transform);
    let mut out = Vec::with_capacity(planes.len());
    for (p, plane) in planes.iter().enumerate() {
        let rect = params.tile_rect(index, p);
        let (bw, bh) = (rect.width / 8, rect.height / 8);
        let mut blocks = Vec::with_capacity(bw * bh);
        let mut pixels = [0.0f32; 64];
        for by in 0..bh {
            for bx in 0..bw {
                let x0 = rect.x + 8 * bx;
                let y0 = rect.y + 8 * by;
                for y in 0..8 {
                    let row = &plane.data[(y0 + y) * plane.width + x0..][..8];
                    for x in 0..8 {
                        pixels[8 * y + x] = row[x] as f32 - 128.0;
                    }
                }
                let mut coeffs = [0.0f32; 64];
                member.forward(&pixels, &mut coeffs);
                blocks.push(coeffs);
            }
        }
        out.push(blocks);
    }
    TileAnalysis {
        index,
        planes: out,
        activity,
    }
}

/// Models of a whole tile: one set for luma, one shared by both chroma planes, and the
/// activity-level models.
struct TileModels {
    planes: [Box<PlaneModels>; 2],
    activity: ActivityModels,
}

impl TileModels {
    fn new() -> TileModels {
        TileModels {
            planes: [PlaneModels::new(), PlaneModels::new()],
            activity: ActivityModels::new(),
        }
    }
}

/// Models of the activity levels of a tile's 16×16 areas.
pub(crate) struct ActivityModels {
    same: [BitModel; 3],
    tree: [BitModel; 8],
}

impl ActivityModels {
    pub(crate) fn new() -> ActivityModels {
        ActivityModels {
            same: [BitModel::new(); 3],
            tree: [BitModel::new(); 8],
        }
    }
}

/// Activity level prediction and its context: (prediction, context).
fn activity_prediction(
    levels: &[u8],
    across: usize,
    ax: usize,
    ay: usize,
    centre: u8,
) -> (u8, usize) {
    let left = (ax > 0).then(|| levels[ay * across + ax - 1]);
    let above = (ay > 0).then(|| levels[(ay - 1) * across + ax]);
    match (left, above) {
        (Some(l), Some(a)) => (l, if l == a { 0 } else { 1 }),
        (Some(l), None) => (l, 2),
        (None, Some(a)) => (a, 2),
        (None, None) => (centre, 2),
    }
}

/// Writes the activity levels of a tile's areas (nothing when there is one level).
pub(crate) fn write_activity<W: SymbolWriter>(
    w: &mut W,
    models: &mut ActivityModels,
    levels: &[u8],
    across: usize,
    count: usize,
) {
    if count < 2 {
        return;
    }
    let centre = (count / 2) as u8;
    for (i, &level) in levels.iter().enumerate() {
        let (pred, ctx) = activity_prediction(levels, across, i % across, i / across, centre);
        w.put_bit(&mut models.same[ctx], level == pred);
        if level != pred {
            // Index among the other levels, 3-bit tree.
            let index = if level > pred { level - 1 } else { level } as usize;
            let mut node = 1usize;
            for bit in (0..3).rev() {
                let b = (index >> bit) & 1 == 1;
                w.put_bit(&mut models.tree[node], b);
                node = 2 * node + b as usize;
            }
        }
    }
}

/// Reads what [`write_activity`] wrote.
pub(crate) fn read_activity(
    r: &mut RangeDecoder<'_>,
    models: &mut ActivityModels,
    levels: &mut [u8],
    across: usize,
    count: usize,
) -> Result<()> {
    let centre = (count / 2) as u8;
    if count < 2 {
        levels.fill(centre);
        return Ok(());
    }
    for i in 0..levels.len() {
        let (pred, ctx) = activity_prediction(levels, across, i % across, i / across, centre);
        if r.get_bit(&mut models.same[ctx]) {
            levels[i] = pred;
        } else {
            let mut node = 1usize;
            for _ in 0..3 {
                let b = r.get_bit(&mut models.tree[node]);
                node = 2 * node + b as usize;
            }
            let index = (node - 8) as u8;
            let level = if index >= pred { index + 1 } else { index };
            if level as usize >= count {
                return Err(Error::invalid(format!("activity level {level} of {count}")));
            }
            levels[i] = level;
        }
    }
    Ok(())
}

/// Per-plane bookkeeping while walking a tile's blocks.
struct PlaneWalk {
    blocks_across: usize,
    blocks_down: usize,
    levels: Vec<BlockLevels>,
    dc: Vec<i32>,
}

impl PlaneWalk {
    fn new(rect: &Rect) -> PlaneWalk {
        let (bw, bh) = (rect.width / 8, rect.height / 8);
        PlaneWalk {
            blocks_across: bw,
            blocks_down: bh,
            levels: Vec::with_capacity(bw * bh),
            dc: Vec::with_capacity(bw * bh),
        }
    }

    /// Neighbours of block `i` (all earlier blocks are already pushed).
    fn neighbours(&self, i: usize) -> Neighbours<'_> {
        let (bx, by) = (i % self.blocks_across, i / self.blocks_across);
        let left = (bx > 0).then(|| i - 1);
        let above = (by > 0).then(|| i - self.blocks_across);
        let above_left = (bx > 0 && by > 0).then(|| i - self.blocks_across - 1);
        Neighbours {
            left: left.map(|j| &self.levels[j]),
            above: above.map(|j| &self.levels[j]),
            dc_left: left.map(|j| self.dc[j]),
            dc_above: above.map(|j| self.dc[j]),
            dc_above_left: above_left.map(|j| self.dc[j]),
        }
    }
}

/// Quantizer steps and dequantization tables (the transform's scale folded in) for each
/// plane kind (luma, chroma) and activity level.
#[allow(clippy::type_complexity)]
fn level_tables(params: &ImageParams) -> (Vec<Vec<[u16; 64]>>, Vec<Vec<[i32; 64]>>) {
    let levels = params.activity_scales.len();
    let steps: Vec<Vec<[u16; 64]>> = (0..2)
        .map(|kind| (0..levels).map(|l| params.steps_at(kind, l)).collect())
        .collect();
    let tables = steps
        .iter()
        .map(|per_level| {
            per_level
                .iter()
                .map(|s| dequant_table(params.transform, s))
                .collect()
        })
        .collect();
    (steps, tables)
}

/// Dequantizes (with the member's scale folded into `table`) and inverse-transforms one
/// block into `out` (tile-local), adding 128.
fn reconstruct_block(
    levels: &[i32; 64],
    table: &[i32; 64],
    member: &dyn BlockTransform,
    out: &mut Plane,
    bx: usize,
    by: usize,
) {
    let mut clamped = [0i32; 64];
    for k in 0..64 {
        clamped[k] = levels[k].clamp(-MAX_LEVEL, MAX_LEVEL);
    }
    let mut coeffs = [0i32; 64];
    dequantize_block(&clamped, table, member.input_limit(), &mut coeffs);
    let mut pixels = [0i32; 64];
    member.inverse(&coeffs, &mut pixels);
    for y in 0..8 {
        let row = &mut out.data[(8 * by + y) * out.width + 8 * bx..][..8];
        for x in 0..8 {
            row[x] = (pixels[8 * y + x] + 128).clamp(0, 255) as u8;
        }
    }
}

/// Stage two of encoding: quantizes (with rate-distortion decisions) and codes a tile.
/// Returns the payload and, when `reconstruct`, the decoder's reconstruction of the tile.
pub fn code_tile(
    params: &ImageParams,
    tuning: &CodingTuning,
    analysis: &TileAnalysis,
    reconstruct: bool,
) -> (Vec<u8>, Option<TilePixels>) {
    let levels_count = params.activity_scales.len();
    let luma_rect = params.tile_rect(analysis.index, 0);
    let (areas_across, _) = area_grid(&luma_rect);
    let mut models = TileModels::new();
    let estimated = analysis.planes.iter().map(|p| p.len()).sum::<usize>() * 8;
    let mut encoder = RangeEncoder::with_capacity(estimated);
    write_activity(
        &mut encoder,
        &mut models.activity,
        &analysis.activity,
        areas_across,
        levels_count,
    );
    // Step tables per plane kind and activity level.
    let (steps, tables) = level_tables(params);
    let member = transform(params.transform);
    let mut recon_planes = Vec::new();
    for (p, blocks) in analysis.planes.iter().enumerate() {
        let kind = (p > 0) as usize;
        let rect = params.tile_rect(analysis.index, p);
        let mut walk = PlaneWalk::new(&rect);
        let mut recon = reconstruct.then(|| Plane::filled(rect.width, rect.height, 0));
        for (i, coefficients) in blocks.iter().enumerate() {
            let (bx, by) = (i % walk.blocks_across, i / walk.blocks_across);
            let (ax, ay) = area_of_block(params.sampling, p, bx, by);
            let level_index = analysis.activity[ay * areas_across + ax] as usize;
            let step16 = &steps[kind][level_index];
            let mut step = [0.0f32; 64];
            let mut block = BlockLevels::ZERO;
            for k in 0..64 {
                step[k] = step16[k] as f32 / DEQUANT_ONE as f32;
                let rounding = if k == 0 { 0.5 } else { tuning.ac_rounding };
                block.levels[k] = quantize(coefficients[k], step16[k], rounding);
            }
            let neighbours = walk.neighbours(i);
            let plane_models = &mut models.planes[kind];
            if tuning.lambda > 0.0 {
                optimize_block(
                    coefficients,
                    &step,
                    &mut block.levels,
                    &ZIGZAG,
                    tuning.lambda,
                    |candidate| {
                        let mut counter = BitCounter::new();
                        let mut b = BlockLevels {
                            levels: *candidate,
                            nonzero: 0,
                            dc_residual: 0,
                        };
                        b.count_nonzero();
                        write_block(&mut counter, plane_models, &b, &neighbours, step16[0]);
                        counter.bits()
                    },
                );
            }
            block.count_nonzero();
            block.dc_residual = (block.levels[0]
                - super::coeffs::predict_dc_level(&neighbours, step16[0]))
            .unsigned_abs();
            write_block(&mut encoder, plane_models, &block, &neighbours, step16[0]);
            if let Some(out) = recon.as_mut() {
                reconstruct_block(
                    &block.levels,
                    &tables[kind][level_index],
                    member,
                    out,
                    bx,
                    by,
                );
            }
            walk.dc.push(dequantize(block.levels[0], step16[0]));
            walk.levels.push(block);
        }
        if let Some(r) = recon {
            recon_planes.push(r);
        }
    }
    let mut payload = Vec::with_capacity(encoder.len() + 8);
    payload.extend_from_slice(&(analysis.index as u32).to_le_bytes());
    payload.extend_from_slice(&encoder.finish());
    let pixels = reconstruct.then_some(TilePixels {
        index: analysis.index,
        planes: recon_planes,
        edges: Vec::new(),
        restore: None,
    });
    (payload, pixels)
}

/// Reads the tile index at the start of a payload.
pub fn payload_tile_index(payload: &[u8]) -> Result<usize> {
    let bytes: [u8; 4] = payload
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            Error::invalid(format!(
                "tile payload of {} bytes has no tile index",
                payload.len()
            ))
        })?;
    Ok(u32::from_le_bytes(bytes) as usize)
}

/// Decodes and reconstructs one tile from its payload.
pub fn decode_tile(params: &ImageParams, payload: &[u8]) -> Result<TilePixels> {
    decode_tile_prefilled(params, payload, 0)
}

/// [`decode_tile`] into planes that start filled with `fill`: the output must not depend on
/// it, since every sample of a tile is written by its blocks (a test holds two fills equal).
fn decode_tile_prefilled(params: &ImageParams, payload: &[u8], fill: u8) -> Result<TilePixels> {
    let index = payload_tile_index(payload)?;
    if index >= params.tile_count() {
        return Err(Error::invalid(format!(
            "tile index {index} but the picture has {} tiles",
            params.tile_count()
        )));
    }
    let levels_count = params.activity_scales.len();
    let luma_rect = params.tile_rect(index, 0);
    let (areas_across, areas_down) = area_grid(&luma_rect);
    let mut decoder = RangeDecoder::new(&payload[4..]);
    let mut models = TileModels::new();
    let mut activity = vec![0u8; areas_across * areas_down];
    read_activity(
        &mut decoder,
        &mut models.activity,
        &mut activity,
        areas_across,
        levels_count,
    )?;
    let (steps, tables) = level_tables(params);
    let member = transform(params.transform);
    let mut planes = Vec::with_capacity(params.plane_count());
    for p in 0..params.plane_count() {
        let kind = (p > 0) as usize;
        let rect = params.tile_rect(index, p);
        let mut walk = PlaneWalk::new(&rect);
        let mut out = Plane::filled(rect.width, rect.height, fill);
        for i in 0..walk.blocks_across * walk.blocks_down {
            let (bx, by) = (i % walk.blocks_across, i / walk.blocks_across);
            let (ax, ay) = area_of_block(params.sampling, p, bx, by);
            let level_index = activity[ay * areas_across + ax] as usize;
            let step16 = &steps[kind][level_index];
            let neighbours = walk.neighbours(i);
            let block = read_block(
                &mut decoder,
                &mut models.planes[kind],
                &neighbours,
                step16[0],
            )
            .ok_or_else(|| {
                Error::invalid(format!("tile {index}: impossible block data in plane {p}"))
            })?;
            reconstruct_block(
                &block.levels,
                &tables[kind][level_index],
                member,
                &mut out,
                bx,
                by,
            );
            walk.dc.push(dequantize(block.levels[0], step16[0]));
            walk.levels.push(block);
        }
        if decoder.overran() {
            return Err(Error::invalid(format!(
                "tile {index}: payload ends before plane {p} is complete"
            )));
        }
        planes.push(out);
    }
    Ok(TilePixels {
        index,
        planes,
        edges: Vec::new(),
        restore: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::image::{encode_picture, ChromaSampling, ImageEncoderConfig};
    use crate::container::{read_all, ReadEvent};
    use crate::signal::{Picture, PixelLayout};
    use crate::Limits;

    /// Every sample a tile reports is written by the decoder: tiles decoded into planes
    /// pre-filled with 0 and with 255 come out equal, for odd sizes, both samplings and
    /// edge tiles narrower than the tile size.
    #[test]
    fn every_sample_of_a_tile_is_written() {
        let (w, h) = (77, 45);
        let mut seed = 0x2545_f491_u32;
        let data = (0..w * h * 3)
            .map(|i| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                ((i % (3 * w)) as u32 + seed % 64) as u8
            })
            .collect();
        let picture = Picture::new(w, h, PixelLayout::Rgb, data).unwrap();
        for sampling in [ChromaSampling::Yuv420, ChromaSampling::Yuv444] {
            let config = ImageEncoderConfig {
                sampling,
                tile_size: 32,
                threads: 1,
                block_coder: false,
                ..ImageEncoderConfig::default()
            };
            let mut stream = Vec::new();
            let outcome = encode_picture(&picture, &config, &mut stream).unwrap();
            let (_, events) = read_all(stream.as_slice(), Limits::default()).unwrap();
            let mut tiles = 0;
            for event in events {
                let ReadEvent::Packet(packet) = event else {
                    panic!("damage in a clean stream");
                };
                let zeros = decode_tile_prefilled(&outcome.params, &packet.payload, 0).unwrap();
                let ones = decode_tile_prefilled(&outcome.params, &packet.payload, 255).unwrap();
                assert_eq!(zeros.planes.len(), ones.planes.len());
                for (a, b) in zeros.planes.iter().zip(&ones.planes) {
                    assert_eq!(a.data, b.data, "tile {} {sampling:?}", zeros.index);
                }
                tiles += 1;
            }
            assert_eq!(tiles, outcome.params.tile_count());
        }
    }
}
