//! The restoration filter of block-coded pictures: a directional filter in the manner of
//! AV1's CDEF, applied after deblocking.
//!
//! Every plane is cut into 8×8 blocks. Each block gets a direction (one of eight, found by
//! projecting the deblocked samples along the direction's lines and keeping the direction
//! whose line sums explain most energy). Each sample then moves towards its neighbours
//! along that direction (primary taps) and along the two directions 45° away (secondary
//! taps), each neighbour's pull limited by a constraint function that ignores large
//! differences (real edges). Strengths come from a fixed table; the encoder picks one
//! entry (or off) per 64×64 luma unit of a tile for luma and one for chroma, by comparing
//! the filtered tile with the source, and codes the choices at the end of the tile's
//! payload, so a lost tile only loses its own filtering. All arithmetic is integer and the
//! filter reads a copy of the deblocked planes, so the result does not depend on the order
//! in which blocks are filtered nor on the thread count.

use super::deblock::{deblock_edges, DeblockStrength, EdgeMap};
use super::params::{ChromaSampling, ImageParams};
use crate::entropy::{BitModel, RangeDecoder, SymbolWriter};
use crate::error::{Error, Result};
use crate::signal::Plane;

/// Side of a filter unit in luma samples.
pub const UNIT: usize = 64;

/// Number of strength indices (0 = off).
pub const STRENGTH_COUNT: usize = 8;

/// (primary, secondary) strength of every index; index 0 is off.
pub const STRENGTHS: [(i32, i32); STRENGTH_COUNT] = [
    (0, 0),
    (1, 0),
    (2, 1),
    (3, 1),
    (4, 2),
    (6, 2),
    (8, 4),
    (11, 4),
];

/// Tap offsets (dx, dy) of the eight directions at distances 1 and 2; the filter uses
/// each offset and its negation.
const DIRECTIONS: [[(i32, i32); 2]; 8] = [
    [(1, -1), (2, -2)],
    [(1, 0), (2, -1)],
    [(1, 0), (2, 0)],
    [(1, 0), (2, 1)],
    [(1, 1), (2, 2)],
    [(0, 1), (1, 2)],
    [(0, 1), (0, 2)],
    [(0, 1), (-1, 2)],
];

const SECONDARY_TAPS: [i32; 2] = [2, 1];

/// The line of direction `d` through sample (x, y) of an 8×8 block (0 to 14).
#[inline]
const fn line_of(d: usize, x: usize, y: usize) -> usize {
    match d {
        0 => x + y,
        1 => y + x / 2,
        2 => y,
        3 => y + 3 - x / 2,
        4 => y + 7 - x,
        5 => x + 3 - y / 2,
        6 => x,
        _ => x + y / 2,
    }
}

/// 840 / (samples on the line) for every direction and line (0 for empty lines).
const fn line_weights() -> [[i64; 15]; 8] {
    let mut counts = [[0i64; 15]; 8];
    let mut d = 0;
    while d < 8 {
        let mut y = 0;
        while y < 8 {
            let mut x = 0;
            while x < 8 {
                counts[d][line_of(d, x, y)] += 1;
                x += 1;
            }
            y += 1;
        }
        d += 1;
    }
    let mut weights = [[0i64; 15]; 8];
    let mut d = 0;
    while d < 8 {
        let mut k = 0;
        while k < 15 {
            if counts[d][k] > 0 {
                weights[d][k] = 840 / counts[d][k];
            }
            k += 1;
        }
        d += 1;
    }
    weights
}

const LINE_WEIGHTS: [[i64; 15]; 8] = line_weights();

/// The direction of the 8×8 block at (bx, by) of `plane` and its contrast (the cost gap
/// between the best direction and the one orthogonal to it, /1024).
pub fn block_direction(plane: &Plane, bx: usize, by: usize) -> (usize, i64) {
    let mut sums = [[0i64; 15]; 8];
    for y in 0..8 {
        let row = &plane.data[(by + y) * plane.width + bx..][..8];
        for (x, &s) in row.iter().enumerate() {
            let v = s as i64 - 128;
            for (d, line) in sums.iter_mut().enumerate() {
                line[line_of(d, x, y)] += v;
            }
        }
    }
    let mut cost = [0i64; 8];
    for d in 0..8 {
        cost[d] = sums[d]
            .iter()
            .zip(LINE_WEIGHTS[d].iter())
            .map(|(&s, &w)| s * s * w)
            .sum();
    }
    let mut best = 0;
    for d in 1..8 {
        if cost[d] > cost[best] {
            best = d;
        }
    }
    (best, (cost[best] - cost[(best + 4) & 7]) >> 10)
}

/// The primary strength of a luma block after its contrast: flat blocks get less.
pub fn adjusted_primary(strength: i32, contrast: i64) -> i32 {
    if contrast == 0 {
        return 0;
    }
    let i = if contrast >> 6 != 0 {
        (63 - ((contrast >> 6) as u64).leading_zeros() as i32).min(12)
    } else {
        0
    };
    (strength * (4 + i) + 8) >> 4
}

/// One block's filter settings.
#[derive(Debug, Clone, Copy)]
pub struct BlockFilter {
    pub direction: usize,
    pub primary: i32,
    pub secondary: i32,
    pub damping: i32,
}

/// The neighbourhoods of the 64 samples of an 8×8 block, tap by tap: lane `y * 8 + x` is
/// sample (x, y). Differences to taps outside the plane are 0 (they pull nothing) and such
/// taps do not widen the range. Laid out so that the filter runs over 64 lanes at once.
struct BlockTaps {
    centre: [i32; 64],
    /// Distance 1 (both signs), then distance 2.
    primary: [[i32; 64]; 4],
    /// Distance 1 of both secondary directions (both signs), then distance 2.
    secondary: [[i32; 64]; 8],
    /// Smallest and largest of the centre and the taps present.
    lo: [i32; 64],
    hi: [i32; 64],
}

impl BlockTaps {
    /// The taps of the 8×8 block at (bx, by) of `src` along `direction`.
    fn gather(src: &Plane, bx: usize, by: usize, direction: usize) -> BlockTaps {
        let mut taps = BlockTaps {
            centre: [0; 64],
            primary: [[0; 64]; 4],
            secondary: [[0; 64]; 8],
            lo: [0; 64],
            hi: [0; 64],
        };
        for y in 0..8 {
            let row = &src.data[(by + y) * src.width + bx..][..8];
            for x in 0..8 {
                taps.centre[y * 8 + x] = row[x] as i32;
            }
        }
        taps.lo = taps.centre;
        taps.hi = taps.centre;
        let second = [(direction + 2) & 7, (direction + 6) & 7];
        for k in 0..2 {
            let (dx, dy) = DIRECTIONS[direction][k];
            taps.read(src, bx, by, dx, dy, Tap::Primary(2 * k));
            taps.read(src, bx, by, -dx, -dy, Tap::Primary(2 * k + 1));
            for (j, &d) in second.iter().enumerate() {
                let (dx, dy) = DIRECTIONS[d][k];
                taps.read(src, bx, by, dx, dy, Tap::Secondary(4 * k + 2 * j));
                taps.read(src, bx, by, -dx, -dy, Tap::Secondary(4 * k + 2 * j + 1));
            }
        }
        taps
    }

    /// Reads the tap at offset (dx, dy) of every sample into `tap`.
    fn read(&mut self, src: &Plane, bx: usize, by: usize, dx: i32, dy: i32, tap: Tap) {
        let diffs = match tap {
            Tap::Primary(i) => &mut self.primary[i],
            Tap::Secondary(i) => &mut self.secondary[i],
        };
        let (w, h) = (src.width as i32, src.height as i32);
        let (x0, y0) = (bx as i32 + dx, by as i32 + dy);
        if x0 >= 0 && y0 >= 0 && x0 + 8 <= w && y0 + 8 <= h {
            // Every tap inside the plane: whole rows, no checks.
            for y in 0..8 {
                let row = &src.data[(y0 as usize + y) * src.width + x0 as usize..][..8];
                for x in 0..8 {
                    let lane = y * 8 + x;
                    let v = row[x] as i32;
                    diffs[lane] = v - self.centre[lane];
                    self.lo[lane] = self.lo[lane].min(v);
                    self.hi[lane] = self.hi[lane].max(v);
                }
            }
            return;
        }
        for y in 0..8 {
            for x in 0..8 {
                let lane = y * 8 + x;
                let (sx, sy) = (x0 + x as i32, y0 + y as i32);
                if sx < 0 || sy < 0 || sx >= w || sy >= h {
                    diffs[lane] = 0;
                    continue;
                }
                let v = src.data[sy as usize * src.width + sx as usize] as i32;
                diffs[lane] = v - self.centre[lane];
                self.lo[lane] = self.lo[lane].min(v);
                self.hi[lane] = self.hi[lane].max(v);
            }
        }
    }

    /// The filtered values of the 64 samples at (primary, secondary) strength.
    fn filter(&self, primary: i32, secondary: i32, damping: i32, out: &mut [i32; 64]) {
        let weights = if primary & 1 == 0 { [4, 2] } else { [3, 3] };
        let primary_shift = constrain_shift(primary, damping);
        let secondary_shift = constrain_shift(secondary, damping);
        for lane in 0..64 {
            let mut sum = 0;
            for (i, diffs) in self.primary.iter().enumerate() {
                sum += weights[i / 2] * constrain_lane(diffs[lane], primary, primary_shift);
            }
            for (i, diffs) in self.secondary.iter().enumerate() {
                sum +=
                    SECONDARY_TAPS[i / 4] * constrain_lane(diffs[lane], secondary, secondary_shift);
            }
            let moved = self.centre[lane] + ((8 + sum - (sum < 0) as i32) >> 4);
            out[lane] = moved.max(self.lo[lane]).min(self.hi[lane]);
        }
    }
}

/// Which tap array a read fills.
#[derive(Clone, Copy)]
enum Tap {
    Primary(usize),
    Secondary(usize),
}

/// The shift of the constraint at `strength` (any value when the strength is 0, which pulls
/// nothing).
#[inline]
fn constrain_shift(strength: i32, damping: i32) -> u32 {
    if strength == 0 {
        return 0;
    }
    (damping - (31 - strength.leading_zeros() as i32)).max(0) as u32
}

/// How much of a neighbour's difference `diff` a sample takes at `strength`: all of a small
/// difference, less and less of a larger one, none beyond about `strength << damping`
/// (`shift` from [`constrain_shift`]). Written without branches so that it vectorizes; a
/// strength of 0 gives 0, as 0 − (|diff| >> shift) is never above 0.
#[inline(always)]
fn constrain_lane(diff: i32, strength: i32, shift: u32) -> i32 {
    let magnitude = diff.abs();
    let kept = (strength - (magnitude >> shift)).max(0).min(magnitude);
    let sign = diff >> 31;
    (kept ^ sign) - sign
}

/// Filters the 8×8 block at (bx, by) of `src` into `out` (8×8 samples, row-major).
/// Neighbours outside `src` are ignored.
pub fn filter_block(src: &Plane, bx: usize, by: usize, f: &BlockFilter, out: &mut [u8; 64]) {
    let taps = BlockTaps::gather(src, bx, by, f.direction);
    let mut values = [0i32; 64];
    taps.filter(f.primary, f.secondary, f.damping, &mut values);
    for (o, &v) in out.iter_mut().zip(values.iter()) {
        *o = v as u8;
    }
}

/// The damping of the constraint for plane kind `plane` (0 luma): larger for coarser
/// quantization, one less for chroma.
pub fn damping(params: &ImageParams, plane: usize) -> i32 {
    let step = ((params.luma_steps[1] as u32 + params.luma_steps[8] as u32) / 32).max(1);
    let log = 31 - step.leading_zeros() as i32;
    (2 + log).clamp(3, 6) - (plane > 0) as i32
}

/// The deblocking thresholds of plane `plane`, from the step of its first AC coefficients.
pub fn deblock_strength(params: &ImageParams, plane: usize) -> DeblockStrength {
    let steps = if plane == 0 {
        &params.luma_steps
    } else {
        &params.chroma_steps
    };
    DeblockStrength::for_step(((steps[1] as u32 + steps[8] as u32) / 2) as u16)
}

/// Chroma halving (0 or 1) of plane `plane`.
fn plane_shift(params: &ImageParams, plane: usize) -> usize {
    (plane > 0 && params.sampling == ChromaSampling::Yuv420) as usize
}

/// The strength indices a tile carries: one per filter unit for luma and, in colour
/// pictures, one for chroma, raster order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileFilter {
    pub units_across: usize,
    pub luma: Vec<u8>,
    /// Empty for gray pictures.
    pub chroma: Vec<u8>,
}

/// Filter units across and down a tile of luma size `width`×`height`.
pub fn unit_grid(width: usize, height: usize) -> (usize, usize) {
    (width.div_ceil(UNIT), height.div_ceil(UNIT))
}

/// Adaptive models of the strength indices.
pub struct RestoreModels {
    /// [group][neighbours off: 0, 1, 2] — "this unit is off".
    off: [[BitModel; 3]; 2],
    /// [group] — index − 1 as a 3-bit tree.
    tree: [[BitModel; 8]; 2],
}

impl RestoreModels {
    pub fn new() -> RestoreModels {
        RestoreModels {
            off: [[BitModel::new(); 3]; 2],
            tree: [[BitModel::new(); 8]; 2],
        }
    }
}

impl Default for RestoreModels {
    fn default() -> Self {
        RestoreModels::new()
    }
}

/// Context of unit i's "off" flag: how many of its left and upper neighbours are off.
fn off_context(indices: &[u8], across: usize, i: usize) -> usize {
    let left = i % across > 0 && indices[i - 1] == 0;
    let above = i >= across && indices[i - across] == 0;
    left as usize + above as usize
}

/// Writes a tile's strength indices.
pub fn write_filter<W: SymbolWriter>(w: &mut W, models: &mut RestoreModels, filter: &TileFilter) {
    for i in 0..filter.luma.len() {
        for (group, indices) in [&filter.luma, &filter.chroma].into_iter().enumerate() {
            if indices.is_empty() {
                continue;
            }
            let ctx = off_context(indices, filter.units_across, i);
            let index = indices[i];
            w.put_bit(&mut models.off[group][ctx], index == 0);
            if index > 0 {
                let value = (index - 1) as usize;
                let mut node = 1;
                for bit in (0..3).rev() {
                    let b = (value >> bit) & 1 == 1;
                    w.put_bit(&mut models.tree[group][node], b);
                    node = 2 * node + b as usize;
                }
            }
        }
    }
}

/// Reads what [`write_filter`] wrote for a tile of luma size `width`×`height`. An index
/// outside the strength table makes the tile damaged.
pub fn read_filter(
    r: &mut RangeDecoder<'_>,
    models: &mut RestoreModels,
    width: usize,
    height: usize,
    colour: bool,
) -> Result<TileFilter> {
    let (across, down) = unit_grid(width, height);
    let mut filter = TileFilter {
        units_across: across,
        luma: vec![0; across * down],
        chroma: if colour {
            vec![0; across * down]
        } else {
            Vec::new()
        },
    };
    for i in 0..across * down {
        for group in 0..1 + colour as usize {
            let indices = if group == 0 {
                &mut filter.luma
            } else {
                &mut filter.chroma
            };
            let ctx = off_context(indices, across, i);
            if r.get_bit(&mut models.off[group][ctx]) {
                continue;
            }
            let mut node = 1;
            for _ in 0..3 {
                let b = r.get_bit(&mut models.tree[group][node]);
                node = 2 * node + b as usize;
            }
            let index = node - 8 + 1;
            if index >= STRENGTH_COUNT {
                return Err(Error::invalid(format!(
                    "restoration strength index {index} (expected at most {})",
                    STRENGTH_COUNT - 1
                )));
            }
            indices[i] = index as u8;
        }
    }
    Ok(filter)
}

/// Strength index of every 8×8 block of every plane of a picture (0 = off).
pub struct PictureFilter {
    /// [plane] → blocks of 8×8 plane samples, raster order.
    blocks: Vec<Vec<u8>>,
    across: Vec<usize>,
}

impl PictureFilter {
    /// A picture with the filter off everywhere.
    pub fn new(params: &ImageParams) -> PictureFilter {
        let mut blocks = Vec::new();
        let mut across = Vec::new();
        for p in 0..params.plane_count() {
            let (w, h) = params.padded_plane(p);
            across.push(w / 8);
            blocks.push(vec![0; (w / 8) * (h / 8)]);
        }
        PictureFilter { blocks, across }
    }

    /// Copies tile `index`'s choices in.
    pub fn paste(&mut self, params: &ImageParams, index: usize, filter: &TileFilter) {
        let luma = params.tile_rect(index, 0);
        let (across, down) = unit_grid(luma.width, luma.height);
        if filter.units_across != across || filter.luma.len() != across * down {
            return;
        }
        for (p, blocks) in self.blocks.iter_mut().enumerate() {
            let indices = if p == 0 { &filter.luma } else { &filter.chroma };
            if indices.len() != filter.luma.len() {
                continue;
            }
            let rect = params.tile_rect(index, p);
            let shift = plane_shift(params, p);
            for by in 0..rect.height / 8 {
                for bx in 0..rect.width / 8 {
                    let unit = ((by * 8) << shift) / UNIT * across + ((bx * 8) << shift) / UNIT;
                    blocks[(rect.y / 8 + by) * self.across[p] + rect.x / 8 + bx] = indices[unit];
                }
            }
        }
    }

    /// Filters the deblocked `planes` in place.
    pub fn apply(&self, params: &ImageParams, planes: &mut [Plane]) {
        for (p, plane) in planes.iter_mut().enumerate() {
            let Some(blocks) = self.blocks.get(p) else {
                continue;
            };
            if blocks.iter().all(|&i| i == 0) {
                continue;
            }
            let src = plane.clone();
            let damping = damping(params, p);
            let across = self.across[p];
            let mut out = [0u8; 64];
            for (b, &index) in blocks.iter().enumerate() {
                let Some(&(primary, secondary)) = STRENGTHS.get(index as usize) else {
                    continue;
                };
                if primary == 0 && secondary == 0 {
                    continue;
                }
                let (bx, by) = (8 * (b % across), 8 * (b / across));
                let Some(f) = block_filter(&src, bx, by, p, primary, secondary, damping) else {
                    continue;
                };
                filter_block(&src, bx, by, &f, &mut out);
                for y in 0..8 {
                    plane.data[(by + y) * plane.width + bx..][..8]
                        .copy_from_slice(&out[8 * y..8 * y + 8]);
                }
            }
        }
    }
}

/// The filter of one block at a table strength, `None` when it changes nothing.
fn block_filter(
    src: &Plane,
    bx: usize,
    by: usize,
    plane: usize,
    primary: i32,
    secondary: i32,
    damping: i32,
) -> Option<BlockFilter> {
    let (direction, contrast) = block_direction(src, bx, by);
    let primary = if plane == 0 {
        adjusted_primary(primary, contrast)
    } else {
        primary
    };
    (primary != 0 || secondary != 0).then_some(BlockFilter {
        direction,
        primary,
        secondary,
        damping,
    })
}

/// The encoder's choice for one tile: `source` and `recon` are the tile's planes, `edges`
/// its block edges, `lambda` the price of a bit in squared sample units.
pub fn choose(
    params: &ImageParams,
    source: &[Plane],
    recon: &[Plane],
    edges: &[EdgeMap],
    lambda: f64,
) -> TileFilter {
    let (across, down) = unit_grid(source[0].width, source[0].height);
    let units = across * down;
    // [group][unit][index] → squared error.
    let mut errors = vec![vec![[0u64; STRENGTH_COUNT]; units]; 2];
    for (p, (src, rec)) in source.iter().zip(recon.iter()).enumerate() {
        let mut deblocked = rec.clone();
        if params.deblock {
            deblock_edges(&mut deblocked, &edges[p], &deblock_strength(params, p));
        }
        let shift = plane_shift(params, p);
        let group = (p > 0) as usize;
        let damping = damping(params, p);
        for by in (0..src.height / 8 * 8).step_by(8) {
            for bx in (0..src.width / 8 * 8).step_by(8) {
                let unit = (by << shift) / UNIT * across + (bx << shift) / UNIT;
                let (direction, contrast) = block_direction(&deblocked, bx, by);
                let primaries = STRENGTHS.map(|(primary, _)| {
                    if p == 0 {
                        adjusted_primary(primary, contrast)
                    } else {
                        primary
                    }
                });
                let errors = &mut errors[group][unit];
                let taps = BlockTaps::gather(&deblocked, bx, by, direction);
                let mut source = [0i32; 64];
                for y in 0..8 {
                    let row = &src.data[(by + y) * src.width + bx..][..8];
                    for x in 0..8 {
                        source[y * 8 + x] = row[x] as i32;
                    }
                }
                let mut values = [0i32; 64];
                for (index, &(_, secondary)) in STRENGTHS.iter().enumerate() {
                    let values: &[i32; 64] = if primaries[index] == 0 && secondary == 0 {
                        &taps.centre
                    } else {
                        taps.filter(primaries[index], secondary, damping, &mut values);
                        &values
                    };
                    let mut error = 0u64;
                    for (v, s) in values.iter().zip(source.iter()) {
                        error += ((v - s) * (v - s)) as u64;
                    }
                    errors[index] += error;
                }
            }
        }
    }
    let pick = |unit: &[u64; STRENGTH_COUNT]| -> u8 {
        let mut best = (unit[0] as f64 + lambda, 0u8);
        for (index, &e) in unit.iter().enumerate().skip(1) {
            let cost = e as f64 + 4.0 * lambda;
            if cost < best.0 {
                best = (cost, index as u8);
            }
        }
        best.1
    };
    TileFilter {
        units_across: across,
        luma: errors[0].iter().map(pick).collect(),
        chroma: if source.len() > 1 {
            errors[1].iter().map(pick).collect()
        } else {
            Vec::new()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_horizontal_stripe_pattern_has_the_horizontal_direction() {
        let mut plane = Plane::filled(8, 8, 0);
        for y in 0..8 {
            for x in 0..8 {
                plane.data[y * 8 + x] = if y % 2 == 0 { 40 } else { 200 };
            }
        }
        let (direction, contrast) = block_direction(&plane, 0, 0);
        assert_eq!(direction, 2);
        assert!(contrast > 0);
        let mut vertical = Plane::filled(8, 8, 0);
        for y in 0..8 {
            for x in 0..8 {
                vertical.data[y * 8 + x] = if x % 3 == 0 { 30 } else { 90 };
            }
        }
        assert_eq!(block_direction(&vertical, 0, 0).0, 6);
    }

    /// The constraint as first written, sample by sample: the reference of
    /// [`constrain_lane`].
    fn constrain(diff: i32, strength: i32, damping: i32) -> i32 {
        if strength == 0 {
            return 0;
        }
        let shift = (damping - (31 - strength.leading_zeros() as i32)).max(0);
        let magnitude = (strength - (diff.abs() >> shift)).clamp(0, diff.abs());
        if diff < 0 {
            -magnitude
        } else {
            magnitude
        }
    }

    /// The filter of one sample as first written (taps read one by one with their bounds
    /// checked): the reference of [`BlockTaps`].
    fn reference_sample(src: &Plane, px: usize, py: usize, f: &BlockFilter) -> u8 {
        let (w, h) = (src.width as i32, src.height as i32);
        let centre = src.data[py * src.width + px] as i32;
        let (mut lo, mut hi) = (centre, centre);
        let mut read = |dx: i32, dy: i32| -> i32 {
            let (sx, sy) = (px as i32 + dx, py as i32 + dy);
            if sx < 0 || sy < 0 || sx >= w || sy >= h {
                return 0;
            }
            let v = src.data[sy as usize * src.width + sx as usize] as i32;
            lo = lo.min(v);
            hi = hi.max(v);
            v - centre
        };
        let weights = if f.primary & 1 == 0 { [4, 2] } else { [3, 3] };
        let second = [(f.direction + 2) & 7, (f.direction + 6) & 7];
        let mut sum = 0;
        for k in 0..2 {
            let (dx, dy) = DIRECTIONS[f.direction][k];
            for sign in [1, -1] {
                sum += weights[k] * constrain(read(sign * dx, sign * dy), f.primary, f.damping);
            }
            for &d in &second {
                let (dx, dy) = DIRECTIONS[d][k];
                for sign in [1, -1] {
                    let diff = read(sign * dx, sign * dy);
                    sum += SECONDARY_TAPS[k] * constrain(diff, f.secondary, f.damping);
                }
            }
        }
        (centre + ((8 + sum - (sum < 0) as i32) >> 4)).clamp(lo, hi) as u8
    }

    #[test]
    fn the_block_filter_equals_the_filter_sample_by_sample() {
        // A noisy 19×21 plane: blocks at its corners, edges and inside, every direction,
        // strength and damping in use.
        let (w, h) = (19, 21);
        let mut plane = Plane::filled(w, h, 0);
        let mut seed = 12345u32;
        for (i, v) in plane.data.iter_mut().enumerate() {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *v = ((i * 9) % 160) as u8 + (seed >> 27) as u8 * 3;
        }
        let mut out = [0u8; 64];
        for (bx, by) in [(0, 0), (11, 0), (0, 13), (11, 13), (5, 6), (2, 2)] {
            for direction in 0..8 {
                for &(primary, secondary) in &STRENGTHS {
                    for damping in 2..7 {
                        for primary in [primary, primary + 1] {
                            let f = BlockFilter {
                                direction,
                                primary,
                                secondary,
                                damping,
                            };
                            filter_block(&plane, bx, by, &f, &mut out);
                            for y in 0..8 {
                                for x in 0..8 {
                                    let want = reference_sample(&plane, bx + x, by + y, &f);
                                    assert_eq!(out[y * 8 + x], want, "{f:?} at ({bx}, {by})");
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn constrain_keeps_small_differences_and_drops_large_ones() {
        assert_eq!(constrain(1, 4, 5), 1);
        assert_eq!(constrain(-3, 4, 5), -3);
        assert_eq!(constrain(200, 4, 3), 0);
        assert_eq!(constrain(5, 0, 5), 0);
    }

    #[test]
    fn noise_along_a_direction_is_smoothed_and_edges_kept() {
        // Vertical stripes of 100 and 180 with ±2 noise: the filter averages the noise
        // along the stripes and leaves the stripe edges alone.
        let mut plane = Plane::filled(16, 16, 0);
        for y in 0..16 {
            for x in 0..16 {
                let base = if (x / 4) % 2 == 0 { 100 } else { 180 };
                let noise = [0i32, 2, -2, 1, -1][(x * 7 + y * 3) % 5];
                plane.data[y * 16 + x] = (base + noise) as u8;
            }
        }
        let (direction, contrast) = block_direction(&plane, 4, 4);
        assert_eq!(direction, 6);
        let f = BlockFilter {
            direction,
            primary: adjusted_primary(8, contrast),
            secondary: 2,
            damping: 5,
        };
        let mut out = [0u8; 64];
        filter_block(&plane, 4, 4, &f, &mut out);
        let spread = |v: &mut dyn Iterator<Item = u8>| {
            let v: Vec<u8> = v.collect();
            v.iter().max().unwrap() - v.iter().min().unwrap()
        };
        // Column x = 5 of the picture is column 1 of the block (base 180 from x = 4).
        let before = spread(&mut (4..12).map(|y| plane.data[y * 16 + 5]));
        let after = spread(&mut (0..8).map(|y| out[y * 8 + 1]));
        assert!(after < before, "{before} → {after}");
        // The stripe edge between picture columns 7 (180) and 8 (100) stays sharp.
        for y in 0..8 {
            assert!(out[y * 8 + 3] > 160 && out[y * 8 + 4] < 120, "{out:?}");
        }
    }

    #[test]
    fn filter_indices_round_trip_and_an_index_past_the_table_is_refused() {
        let filter = TileFilter {
            units_across: 3,
            luma: vec![0, 1, 7, 3, 0, 0],
            chroma: vec![2, 0, 0, 5, 6, 0],
        };
        let mut encoder = crate::entropy::RangeEncoder::new();
        write_filter(&mut encoder, &mut RestoreModels::new(), &filter);
        let bytes = encoder.finish();
        let mut reader = RangeDecoder::new(&bytes);
        let read = read_filter(&mut reader, &mut RestoreModels::new(), 150, 100, true).unwrap();
        assert_eq!(read, filter);

        // The tree can spell index 8, one past the table: a damaged tile, no panic.
        let mut encoder = crate::entropy::RangeEncoder::new();
        let mut models = RestoreModels::new();
        encoder.put_bit(&mut models.off[0][0], false);
        let mut node = 1;
        for _ in 0..3 {
            encoder.put_bit(&mut models.tree[0][node], true);
            node = 2 * node + 1;
        }
        let bytes = encoder.finish();
        let mut reader = RangeDecoder::new(&bytes);
        assert!(read_filter(&mut reader, &mut RestoreModels::new(), 64, 64, false).is_err());
    }
}
