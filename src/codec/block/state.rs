//! What the block coder knows about one tile while it walks it, identically in the
//! encoder and the decoder: the reconstructed planes, which 4×4 units are decoded, the
//! luma modes and block sizes already chosen (contexts and most probable modes), the
//! transform edges (for deblocking) and the quantizer steps of every block size.
//!
//! The encoder also snapshots and restores rectangles of this state when it tries one
//! partition of a block and then another.

use super::dct::{DEQUANT_ONE, MAX_SIZE};
use crate::signal::Plane;

/// Luma side of the coding tree's root.
pub const ROOT: usize = 32;
/// Marks a unit without a luma mode yet.
pub const NO_MODE: u8 = u8::MAX;

/// One plane of a tile: reconstruction, decoded units and transform edges, 4×4 units.
#[derive(Clone)]
pub struct PlaneState {
    pub width: usize,
    pub height: usize,
    pub recon: Vec<u8>,
    pub units_across: usize,
    pub done: Vec<bool>,
    /// A transform block starts at the unit's left edge.
    pub vertical_edge: Vec<bool>,
    /// A transform block starts at the unit's top edge.
    pub horizontal_edge: Vec<bool>,
}

impl PlaneState {
    pub fn new(width: usize, height: usize) -> PlaneState {
        let units = width.div_ceil(4) * height.div_ceil(4);
        PlaneState {
            width,
            height,
            recon: vec![128; width * height],
            units_across: width.div_ceil(4),
            done: vec![false; units],
            vertical_edge: vec![false; units],
            horizontal_edge: vec![false; units],
        }
    }

    /// True when the sample (x, y) is inside the plane and already reconstructed.
    #[inline]
    pub fn available(&self, x: isize, y: isize) -> bool {
        x >= 0
            && y >= 0
            && (x as usize) < self.width
            && (y as usize) < self.height
            && self.done[(y as usize / 4) * self.units_across + x as usize / 4]
    }

    /// Writes a reconstructed n×n block at (x, y) and marks it decoded, with its edges.
    pub fn commit(&mut self, x: usize, y: usize, n: usize, samples: &[u8]) {
        for row in 0..n {
            self.recon[(y + row) * self.width + x..][..n].copy_from_slice(&samples[row * n..][..n]);
        }
        let units = n.div_ceil(4);
        for uy in 0..units {
            for ux in 0..units {
                let i = (y / 4 + uy) * self.units_across + x / 4 + ux;
                self.done[i] = true;
                self.vertical_edge[i] = ux == 0;
                self.horizontal_edge[i] = uy == 0;
            }
        }
    }

    /// The tile's plane as a [`Plane`].
    pub fn to_plane(&self) -> Plane {
        Plane {
            width: self.width,
            height: self.height,
            data: self.recon.clone(),
        }
    }
}

/// The state of a tile shared by encoder and decoder.
pub struct TileState {
    pub planes: Vec<PlaneState>,
    /// Luma mode of each 4×4 luma unit ([`NO_MODE`] before it is coded).
    pub luma_modes: Vec<u8>,
    /// log2 of the coding block that covers each 4×4 luma unit (0 before it is coded).
    pub block_log2: Vec<u8>,
    pub luma_units_across: usize,
    /// 1 when chroma is halved in both directions, else 0.
    pub chroma_shift: usize,
}

/// A saved rectangle of one plane: samples, then per 4×4 unit decoded flags and edges.
struct PlaneSnapshot {
    recon: Vec<u8>,
    done: Vec<bool>,
    vertical: Vec<bool>,
    horizontal: Vec<bool>,
}

/// A saved rectangle of a [`TileState`] (a coding block and its chroma).
pub struct Snapshot {
    x: usize,
    y: usize,
    n: usize,
    planes: Vec<PlaneSnapshot>,
    luma_modes: Vec<u8>,
    block_log2: Vec<u8>,
}

impl TileState {
    /// A fresh state for a tile whose luma is `width`×`height` (multiples of 8).
    pub fn new(width: usize, height: usize, planes: usize, chroma_shift: usize) -> TileState {
        let mut states = vec![PlaneState::new(width, height)];
        for _ in 1..planes {
            states.push(PlaneState::new(
                width >> chroma_shift,
                height >> chroma_shift,
            ));
        }
        let units = width.div_ceil(4) * height.div_ceil(4);
        TileState {
            planes: states,
            luma_modes: vec![NO_MODE; units],
            block_log2: vec![0; units],
            luma_units_across: width.div_ceil(4),
            chroma_shift,
        }
    }

    /// Luma mode of the unit holding luma sample (x, y), if that sample is coded.
    pub fn luma_mode_at(&self, x: isize, y: isize) -> Option<u8> {
        if x < 0
            || y < 0
            || x as usize >= self.planes[0].width
            || y as usize >= self.planes[0].height
        {
            return None;
        }
        let mode = self.luma_modes[(y as usize / 4) * self.luma_units_across + x as usize / 4];
        (mode != NO_MODE).then_some(mode)
    }

    /// log2 of the coding block holding luma sample (x, y), if coded.
    pub fn block_log2_at(&self, x: isize, y: isize) -> Option<u8> {
        if x < 0
            || y < 0
            || x as usize >= self.planes[0].width
            || y as usize >= self.planes[0].height
        {
            return None;
        }
        let v = self.block_log2[(y as usize / 4) * self.luma_units_across + x as usize / 4];
        (v != 0).then_some(v)
    }

    /// Records the luma mode of an n×n luma block at (x, y).
    pub fn set_luma_mode(&mut self, x: usize, y: usize, n: usize, mode: u8) {
        for uy in y / 4..(y + n) / 4 {
            let row = uy * self.luma_units_across;
            self.luma_modes[row + x / 4..row + (x + n) / 4].fill(mode);
        }
    }

    /// Records the size of a coding block (luma n×n at (x, y)).
    pub fn set_block_size(&mut self, x: usize, y: usize, n: usize) {
        let log2 = n.trailing_zeros() as u8;
        for uy in y / 4..(y + n) / 4 {
            let row = uy * self.luma_units_across;
            self.block_log2[row + x / 4..row + (x + n) / 4].fill(log2);
        }
    }

    /// Saves the coding block of luma side n at (x, y), clipped to the tile.
    pub fn snapshot(&self, x: usize, y: usize, n: usize) -> Snapshot {
        let mut planes = Vec::with_capacity(self.planes.len());
        for (p, plane) in self.planes.iter().enumerate() {
            let shift = if p == 0 { 0 } else { self.chroma_shift };
            let (px, py, pn) = (x >> shift, y >> shift, n >> shift);
            let (w, h) = (pn.min(plane.width - px), pn.min(plane.height - py));
            let mut recon = Vec::with_capacity(w * h);
            for row in 0..h {
                recon.extend_from_slice(&plane.recon[(py + row) * plane.width + px..][..w]);
            }
            let units = |v: &Vec<bool>| {
                let mut out = Vec::new();
                for uy in py / 4..(py + h).div_ceil(4) {
                    let row = uy * plane.units_across;
                    out.extend_from_slice(&v[row + px / 4..row + (px + w).div_ceil(4)]);
                }
                out
            };
            planes.push(PlaneSnapshot {
                recon,
                done: units(&plane.done),
                vertical: units(&plane.vertical_edge),
                horizontal: units(&plane.horizontal_edge),
            });
        }
        let (w, h) = (
            n.min(self.planes[0].width - x),
            n.min(self.planes[0].height - y),
        );
        let mut luma_modes = Vec::new();
        let mut block_log2 = Vec::new();
        for uy in y / 4..(y + h) / 4 {
            let row = uy * self.luma_units_across;
            luma_modes.extend_from_slice(&self.luma_modes[row + x / 4..row + (x + w) / 4]);
            block_log2.extend_from_slice(&self.block_log2[row + x / 4..row + (x + w) / 4]);
        }
        Snapshot {
            x,
            y,
            n,
            planes,
            luma_modes,
            block_log2,
        }
    }

    /// Puts a saved rectangle back.
    pub fn restore(&mut self, s: &Snapshot) {
        let chroma_shift = self.chroma_shift;
        for (p, plane) in self.planes.iter_mut().enumerate() {
            let shift = if p == 0 { 0 } else { chroma_shift };
            let (px, py, pn) = (s.x >> shift, s.y >> shift, s.n >> shift);
            let (w, h) = (pn.min(plane.width - px), pn.min(plane.height - py));
            let PlaneSnapshot {
                recon,
                done,
                vertical,
                horizontal,
            } = &s.planes[p];
            for row in 0..h {
                plane.recon[(py + row) * plane.width + px..][..w]
                    .copy_from_slice(&recon[row * w..][..w]);
            }
            let units_w = (px + w).div_ceil(4) - px / 4;
            for (i, uy) in (py / 4..(py + h).div_ceil(4)).enumerate() {
                let row = uy * plane.units_across + px / 4;
                plane.done[row..row + units_w].copy_from_slice(&done[i * units_w..][..units_w]);
                plane.vertical_edge[row..row + units_w]
                    .copy_from_slice(&vertical[i * units_w..][..units_w]);
                plane.horizontal_edge[row..row + units_w]
                    .copy_from_slice(&horizontal[i * units_w..][..units_w]);
            }
        }
        let (w, h) = (
            s.n.min(self.planes[0].width - s.x),
            s.n.min(self.planes[0].height - s.y),
        );
        let units_w = w / 4;
        for (i, uy) in (s.y / 4..(s.y + h) / 4).enumerate() {
            let row = uy * self.luma_units_across + s.x / 4;
            self.luma_modes[row..row + units_w]
                .copy_from_slice(&s.luma_modes[i * units_w..][..units_w]);
            self.block_log2[row..row + units_w]
                .copy_from_slice(&s.block_log2[i * units_w..][..units_w]);
        }
    }

    /// Marks the coding block of luma side n at (x, y) (and its chroma) as not decoded,
    /// with no modes or sizes.
    pub fn clear(&mut self, x: usize, y: usize, n: usize) {
        let (w, h) = (
            n.min(self.planes[0].width - x),
            n.min(self.planes[0].height - y),
        );
        for uy in y / 4..(y + h) / 4 {
            let row = uy * self.luma_units_across;
            self.luma_modes[row + x / 4..row + (x + w) / 4].fill(NO_MODE);
            self.block_log2[row + x / 4..row + (x + w) / 4].fill(0);
        }
        let chroma_shift = self.chroma_shift;
        for (p, plane) in self.planes.iter_mut().enumerate() {
            let shift = if p == 0 { 0 } else { chroma_shift };
            let (px, py, pn) = (x >> shift, y >> shift, n >> shift);
            let (w, h) = (pn.min(plane.width - px), pn.min(plane.height - py));
            for uy in py / 4..(py + h).div_ceil(4) {
                let row = uy * plane.units_across;
                plane.done[row + px / 4..row + (px + w).div_ceil(4)].fill(false);
            }
        }
    }
}

/// Quantizer steps (1/16 units) of every plane kind, activity level and block size,
/// derived from the stream's 8×8 matrices: the step of coefficient (u, v) of an n×n
/// block is the 8×8 step at the same spatial frequency.
pub struct StepTables {
    /// [kind][level][size index] → n·n steps.
    pub steps: Vec<Vec<[Vec<u16>; 4]>>,
    /// Rate-distortion multiplier of each activity level, in squared sample units per bit.
    pub lambda: Vec<f32>,
}

impl StepTables {
    pub fn new(
        luma: &[u16; 64],
        chroma: &[u16; 64],
        scales: &[u16],
        lambda_factor: f32,
    ) -> StepTables {
        let steps = [luma, chroma]
            .iter()
            .map(|base| {
                scales
                    .iter()
                    .map(|&scale| {
                        [4usize, 8, 16, 32].map(|n| {
                            let mut out = vec![0u16; n * n];
                            for u in 0..n {
                                for v in 0..n {
                                    let su = ((8 * u + n / 2) / n).min(7);
                                    let sv = ((8 * v + n / 2) / n).min(7);
                                    let b = base[su * 8 + sv] as u32;
                                    out[u * n + v] =
                                        ((b * scale as u32 + 128) >> 8).clamp(4, 65535) as u16;
                                }
                            }
                            out
                        })
                    })
                    .collect()
            })
            .collect();
        let lambda = scales
            .iter()
            .map(|&scale| {
                let ac = (luma[1] as f32 + luma[8] as f32) / 2.0 * scale as f32 / 256.0;
                let step = ac / DEQUANT_ONE as f32;
                lambda_factor * step * step
            })
            .collect();
        StepTables { steps, lambda }
    }

    /// Steps of an n×n block of plane kind `kind` (0 luma, 1 chroma) at `level`.
    pub fn of(&self, kind: usize, level: usize, n: usize) -> &[u16] {
        &self.steps[kind][level][n.trailing_zeros() as usize - 2]
    }
}

/// Largest number of samples in a block.
pub const MAX_BLOCK: usize = MAX_SIZE * MAX_SIZE;
