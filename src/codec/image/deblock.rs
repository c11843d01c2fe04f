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
    if strength.is_off() {
        return;
    }
    let (w, h) = (plane.width, plane.height);
    let data = &mut plane.data;
    // Vertical edges.
    for y in 0..h {
        let row = &mut data[y * w..(y + 1) * w];
        let mut x = 8;
        while x + 1 < w {
            let (p1, mut p0, mut q0, q1) = (
                row[x - 2] as i32,
                row[x - 1] as i32,
                row[x] as i32,
                row[x + 1] as i32,
            );
            filter_line(p1, &mut p0, &mut q0, q1, strength);
            row[x - 1] = p0 as u8;
            row[x] = q0 as u8;
            x += 8;
        }
    }
    // Horizontal edges.
    let mut y = 8;
    while y + 1 < h {
        for x in 0..w {
            let p1 = data[(y - 2) * w + x] as i32;
            let mut p0 = data[(y - 1) * w + x] as i32;
            let mut q0 = data[y * w + x] as i32;
            let q1 = data[(y + 1) * w + x] as i32;
            filter_line(p1, &mut p0, &mut q0, q1, strength);
            data[(y - 1) * w + x] = p0 as u8;
            data[y * w + x] = q0 as u8;
        }
        y += 8;
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
    fn fine_quantization_turns_the_filter_off() {
        assert!(DeblockStrength::for_step(16).is_off());
    }
}
