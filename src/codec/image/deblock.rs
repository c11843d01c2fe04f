//! The deblocking filter: smooths 8×8 block edges where the step across the edge looks
//! like quantization error rather than a real edge in the picture.
//!
//! For every block edge of a plane (vertical edges first, then horizontal), and every line
//! across it with samples p1 p0 | q0 q1: when |p0 − q0| < α and |p1 − p0|, |q1 − q0| < β,
//! the two samples next to the edge move towards each other by
//! δ = clamp((4 (q0 − p0) − (q1 − p1) + 4) >> 3, −tc, tc). The thresholds grow with the
//! quantizer step of the plane, so fine quantization leaves the picture untouched. All
//! arithmetic is integer, shared by the encoder's reconstruction and the decoder.

use crate::signal::Plane;

/// Thresholds of the filter for one plane, in sample units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeblockStrength {
    pub alpha: i32,
    pub beta: i32,
    pub clip: i32,
}

impl DeblockStrength {
    /// Thresholds for a plane whose low-frequency AC step is `step16` (1/16 units).
    pub fn for_step(step16: u16) -> DeblockStrength {
        let step = step16 as i32;
        DeblockStrength {
            alpha: (step * 5) / 32,
            beta: (step * 5) / 128,
            clip: step / 32,
        }
    }

    /// True when the filter cannot change anything.
    pub fn is_off(&self) -> bool {
        self.clip < 1 || self.alpha < 1 || self.beta < 1
    }
}

#[inline]
fn filter_line(p1: i32, p0: &mut i32, q0: &mut i32, q1: i32, s: &DeblockStrength) {
    if (*p0 - *q0).abs() >= s.alpha || (p1 - *p0).abs() >= s.beta || (q1 - *q0).abs() >= s.beta {
        return;
    }
    let delta = ((4 * (*q0 - *p0) - (q1 - p1) + 4) >> 3).clamp(-s.clip, s.clip);
    *p0 = (*p0 + delta).clamp(0, 255);
    *q0 = (*q0 - delta).clamp(0, 255);
}

/// Filters every 8×8 block edge of `plane` in place.
pub fn deblock_plane(plane: &mut Plane, strength: &DeblockStrength) {
    let mut edges = EdgeMap::empty(plane.width, plane.height);
    for (i, (vertical, horizontal)) in edges
        .vertical
        .iter_mut()
        .zip(edges.horizontal.iter_mut())
        .enumerate()
    {
        let (ux, uy) = (i % edges.units_across, i / edges.units_across);
        *vertical = ux % 2 == 0;
        *horizontal = uy % 2 == 0;
    }
    deblock_edges(plane, &edges, strength);
}

/// Where transform blocks start in a plane, on a grid of 4×4 sample units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeMap {
    pub units_across: usize,
    /// A block starts at the unit's left edge.
    pub vertical: Vec<bool>,
    /// A block starts at the unit's top edge.
    pub horizontal: Vec<bool>,
}

impl EdgeMap {
    /// A map of a `width`×`height` plane without edges.
    pub fn empty(width: usize, height: usize) -> EdgeMap {
        let units = width.div_ceil(4) * height.div_ceil(4);
        EdgeMap {
            units_across: width.div_ceil(4),
            vertical: vec![false; units],
            horizontal: vec![false; units],
        }
    }

    /// Copies `tile` (a map of a tile-sized plane) in at unit offset (ux, uy).
    pub fn paste(&mut self, tile: &EdgeMap, ux: usize, uy: usize) {
        let rows = tile.vertical.len() / tile.units_across.max(1);
        for row in 0..rows {
            let from = row * tile.units_across;
            let to = (uy + row) * self.units_across + ux;
            let n = tile.units_across.min(self.units_across - ux);
            self.vertical[to..to + n].copy_from_slice(&tile.vertical[from..from + n]);
            self.horizontal[to..to + n].copy_from_slice(&tile.horizontal[from..from + n]);
        }
    }
}

/// Filters the block edges that `edges` marks (blocks of any size on a 4-sample grid),
/// vertical edges first, then horizontal ones, in place.
pub fn deblock_edges(plane: &mut Plane, edges: &EdgeMap, strength: &DeblockStrength) {
    if strength.is_off() {
        return;
    }
    let (w, h) = (plane.width, plane.height);
    let data = &mut plane.data;
    let units_down = edges.vertical.len() / edges.units_across.max(1);
    for uy in 0..units_down {
        for ux in 1..edges.units_across {
            let x = 4 * ux;
            if !edges.vertical[uy * edges.units_across + ux] || x + 1 >= w {
                continue;
            }
            for y in 4 * uy..(4 * uy + 4).min(h) {
                let row = &mut data[y * w..(y + 1) * w];
                let (p1, mut p0, mut q0, q1) = (
                    row[x - 2] as i32,
                    row[x - 1] as i32,
                    row[x] as i32,
                    row[x + 1] as i32,
                );
                filter_line(p1, &mut p0, &mut q0, q1, strength);
                row[x - 1] = p0 as u8;
                row[x] = q0 as u8;
            }
        }
    }
    for uy in 1..units_down {
        let y = 4 * uy;
        if y + 1 >= h {
            continue;
        }
        for ux in 0..edges.units_across {
            if !edges.horizontal[uy * edges.units_across + ux] {
                continue;
            }
            for x in 4 * ux..(4 * ux + 4).min(w) {
                let p1 = data[(y - 2) * w + x] as i32;
                let mut p0 = data[(y - 1) * w + x] as i32;
                let mut q0 = data[y * w + x] as i32;
                let q1 = data[(y + 1) * w + x] as i32;
                filter_line(p1, &mut p0, &mut q0, q1, strength);
                data[(y - 1) * w + x] = p0 as u8;
                data[y * w + x] = q0 as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_step_is_smoothed_and_a_real_edge_kept() {
        let strength = DeblockStrength::for_step(16 * 40);
        let mut small = Plane::filled(16, 1, 100);
        for x in 8..16 {
            small.data[x] = 104;
        }
        deblock_plane(&mut small, &strength);
        assert!(
            small.data[7] > 100 && small.data[8] < 104,
            "{:?}",
            small.data
        );
        let mut edge = Plane::filled(16, 1, 20);
        for x in 8..16 {
            edge.data[x] = 200;
        }
        let before = edge.clone();
        deblock_plane(&mut edge, &strength);
        assert_eq!(edge, before);
    }

    #[test]
    fn only_marked_edges_are_filtered() {
        let strength = DeblockStrength::for_step(16 * 40);
        let mut plane = Plane::filled(16, 4, 100);
        for y in 0..4 {
            for x in 4..16 {
                plane.data[y * 16 + x] = if x < 12 { 104 } else { 108 };
            }
        }
        let mut edges = EdgeMap::empty(16, 4);
        edges.vertical[1] = true;
        let before = plane.clone();
        deblock_edges(&mut plane, &edges, &strength);
        assert!(
            plane.data[3] > 100 && plane.data[4] < 104,
            "{:?}",
            plane.data
        );
        assert_eq!(plane.data[11..13], before.data[11..13]);
    }

    #[test]
    fn fine_quantization_turns_the_filter_off() {
        assert!(DeblockStrength::for_step(16).is_off());
    }
}
