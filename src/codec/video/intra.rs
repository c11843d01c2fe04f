//! Spatial intra prediction of the video codec: a macroblock coded without reference to
//! other frames is predicted from the reconstructed samples just above and left of it in
//! the same slice, and only the difference is transformed.
//!
//! In: the slice's reconstructed rows so far, a macroblock position, one of six modes.
//! Out: the predicted block of each plane (luma 16×16, chroma at its subsampled size; the
//! chroma planes use the luma macroblock's mode). The modes: DC (mean of the edges),
//! vertical, horizontal, planar (a bilinear blend of the edges), and two 45° diagonals
//! (down-left from the row above and above-right, down-right from the corner). Edge
//! samples outside the slice or the picture are substituted as follows, so that every mode
//! is defined everywhere: with neither edge, all are 128; a missing top edge (and corner)
//! repeats the first left sample; a missing left edge (and corner) repeats the first top
//! sample; a missing above-right run repeats the last top sample.

use super::frame::PlaneRows;

/// An intra prediction mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntraMode {
    #[default]
    Dc,
    Vertical,
    Horizontal,
    Planar,
    DiagonalDownLeft,
    DiagonalDownRight,
}

impl IntraMode {
    /// Every mode, in the order of their codes.
    pub const ALL: [IntraMode; 6] = [
        IntraMode::Dc,
        IntraMode::Vertical,
        IntraMode::Horizontal,
        IntraMode::Planar,
        IntraMode::DiagonalDownLeft,
        IntraMode::DiagonalDownRight,
    ];

    /// The mode's code in the stream (0..6).
    pub fn code(self) -> u8 {
        match self {
            IntraMode::Dc => 0,
            IntraMode::Vertical => 1,
            IntraMode::Horizontal => 2,
            IntraMode::Planar => 3,
            IntraMode::DiagonalDownLeft => 4,
            IntraMode::DiagonalDownRight => 5,
        }
    }

    pub fn from_code(code: u8) -> Option<IntraMode> {
        IntraMode::ALL.get(code as usize).copied()
    }
}

/// Largest block side the predictor handles (a 4:4:4 or luma macroblock).
const MAX_SIDE: usize = 16;

/// The edge samples of one block: the column to its left, the corner above-left, and the
/// row above it continued above-right to twice the block's width.
pub struct Edges {
    left: [i32; MAX_SIDE],
    corner: i32,
    top: [i32; 2 * MAX_SIDE],
    width: usize,
    height: usize,
}

impl Edges {
    /// Gathers the edges of the `width`×`height` block at block column `bx` and row `by`
    /// (in blocks of that size) of a slice's rows. Rows above the slice are not available
    /// (slices are independent); everything above and left of the block is reconstructed.
    pub fn gather(
        rows: &PlaneRows<'_>,
        bx: usize,
        by: usize,
        width: usize,
        height: usize,
    ) -> Edges {
        assert!(width <= MAX_SIDE && height <= MAX_SIDE, "block too large");
        let (x0, y0) = (bx * width, by * height);
        let at = |x: usize, y: usize| rows.data[y * rows.width + x] as i32;
        let has_left = x0 > 0;
        let has_top = y0 > 0;
        let has_top_right = has_top && x0 + 2 * width <= rows.width;
        let mut e = Edges {
            left: [128; MAX_SIDE],
            corner: 128,
            top: [128; 2 * MAX_SIDE],
            width,
            height,
        };
        if has_left {
            for r in 0..height {
                e.left[r] = at(x0 - 1, y0 + r);
            }
        }
        if has_top {
            for c in 0..width {
                e.top[c] = at(x0 + c, y0 - 1);
            }
            for c in width..2 * width {
                e.top[c] = if has_top_right {
                    at(x0 + c, y0 - 1)
                } else {
                    e.top[width - 1]
                };
            }
        }
        match (has_left, has_top) {
            (true, true) => e.corner = at(x0 - 1, y0 - 1),
            (true, false) => {
                e.corner = e.left[0];
                e.top[..2 * width].fill(e.left[0]);
            }
            (false, true) => {
                e.corner = e.top[0];
                e.left[..height].fill(e.top[0]);
            }
            (false, false) => {}
        }
        e
    }

    /// Top sample `i` (−1 is the corner), clamped to the gathered run.
    fn t(&self, i: isize) -> i32 {
        if i < 0 {
            self.corner
        } else {
            self.top[(i as usize).min(2 * self.width - 1)]
        }
    }

    /// Left sample `i` (−1 is the corner), clamped to the block's height.
    fn l(&self, i: isize) -> i32 {
        if i < 0 {
            self.corner
        } else {
            self.left[(i as usize).min(self.height - 1)]
        }
    }

    /// Predicts the block in `mode` into `out` (`width`×`height`, row by row).
    pub fn predict(&self, mode: IntraMode, out: &mut [u8]) {
        let (w, h) = (self.width, self.height);
        match mode {
            IntraMode::Dc => {
                let sum: i32 =
                    self.top[..w].iter().sum::<i32>() + self.left[..h].iter().sum::<i32>();
                let n = (w + h) as i32;
                out[..w * h].fill(((sum + n / 2) / n) as u8);
            }
            IntraMode::Vertical => {
                for row in out[..w * h].chunks_exact_mut(w) {
                    for (o, &t) in row.iter_mut().zip(&self.top[..w]) {
                        *o = t as u8;
                    }
                }
            }
            IntraMode::Horizontal => {
                for (row, &l) in out[..w * h].chunks_exact_mut(w).zip(&self.left[..h]) {
                    row.fill(l as u8);
                }
            }
            IntraMode::Planar => {
                // Horizontal blend of the left sample and the above-right one, vertical
                // blend of the top sample and the last left one, averaged.
                let (wi, hi) = (w as i32, h as i32);
                let right = self.top[w];
                let bottom = self.left[h - 1];
                for y in 0..h {
                    for x in 0..w {
                        let (xi, yi) = (x as i32, y as i32);
                        let across = (wi - 1 - xi) * self.left[y] + (xi + 1) * right;
                        let down = (hi - 1 - yi) * self.top[x] + (yi + 1) * bottom;
                        let v = (across * hi + down * wi + wi * hi) / (2 * wi * hi);
                        out[y * w + x] = v.clamp(0, 255) as u8;
                    }
                }
            }
            IntraMode::DiagonalDownLeft => {
                for y in 0..h {
                    for x in 0..w {
                        let i = (x + y) as isize;
                        let v = (self.t(i) + 2 * self.t(i + 1) + self.t(i + 2) + 2) >> 2;
                        out[y * w + x] = v as u8;
                    }
                }
            }
            IntraMode::DiagonalDownRight => {
                for y in 0..h {
                    for x in 0..w {
                        let d = x as isize - y as isize;
                        let v = if d > 0 {
                            (self.t(d - 2) + 2 * self.t(d - 1) + self.t(d) + 2) >> 2
                        } else if d < 0 {
                            (self.l(-d - 2) + 2 * self.l(-d - 1) + self.l(-d) + 2) >> 2
                        } else {
                            (self.l(0) + 2 * self.corner + self.t(0) + 2) >> 2
                        };
                        out[y * w + x] = v as u8;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(data: &mut [u8], width: usize) -> PlaneRows<'_> {
        PlaneRows { width, y0: 0, data }
    }

    #[test]
    fn each_mode_extends_its_edges() {
        // A 32×32 plane whose top-left macroblock is known; predict the one right-below it.
        let mut data = vec![0u8; 32 * 32];
        for y in 0..32 {
            for x in 0..32 {
                data[y * 32 + x] = (10 + 2 * x + 3 * y) as u8;
            }
        }
        let rows = rows_of(&mut data, 32);
        let e = Edges::gather(&rows, 1, 1, 16, 16);
        let mut out = [0u8; 256];
        e.predict(IntraMode::Vertical, &mut out);
        assert_eq!(out[15 * 16 + 3], (10 + 2 * 19 + 3 * 15) as u8);
        e.predict(IntraMode::Horizontal, &mut out);
        assert_eq!(out[7 * 16 + 15], (10 + 2 * 15 + 3 * 23) as u8);
        // A linear ramp: planar stays close to the true plane.
        e.predict(IntraMode::Planar, &mut out);
        for y in 0..16 {
            for x in 0..16 {
                let truth = 10 + 2 * (16 + x) + 3 * (16 + y);
                let err = (out[y * 16 + x] as i32 - truth as i32).abs();
                assert!(err <= 40, "planar at ({x}, {y}): {err}");
            }
        }
        // Each diagonal continues a pattern that is constant along its direction exactly
        // (down-left until its run of above-right samples ends).
        let diagonal = |f: &dyn Fn(usize, usize) -> usize, mode: IntraMode| {
            // 48 wide, so that the block at (1, 1) has samples above-right.
            let mut data = vec![0u8; 48 * 32];
            for y in 0..32 {
                for x in 0..48 {
                    data[y * 48 + x] = f(x, y) as u8;
                }
            }
            let rows = rows_of(&mut data, 48);
            let mut out = [0u8; 256];
            Edges::gather(&rows, 1, 1, 16, 16).predict(mode, &mut out);
            for y in 0..16 {
                for x in 0..16 {
                    if mode == IntraMode::DiagonalDownRight || x + y <= 29 {
                        assert_eq!(out[y * 16 + x] as usize, f(16 + x, 16 + y), "{mode:?}");
                    }
                }
            }
        };
        diagonal(&|x, y| 100 + 2 * x - 2 * y, IntraMode::DiagonalDownRight);
        diagonal(&|x, y| 20 + 2 * (x + y), IntraMode::DiagonalDownLeft);
        // Flat edges predict flat blocks in every mode.
        let mut flat = vec![90u8; 32 * 32];
        let rows = rows_of(&mut flat, 32);
        let e = Edges::gather(&rows, 1, 1, 16, 16);
        for mode in IntraMode::ALL {
            e.predict(mode, &mut out);
            assert!(out.iter().all(|&v| v == 90), "{mode:?}");
        }
    }

    #[test]
    fn missing_edges_are_substituted() {
        let mut data = vec![200u8; 32 * 32];
        let rows = rows_of(&mut data, 32);
        let mut out = [0u8; 128];
        // Top-left block of a slice: nothing known, every mode predicts 128.
        let e = Edges::gather(&rows, 0, 0, 8, 16);
        for mode in IntraMode::ALL {
            e.predict(mode, &mut out);
            assert!(out.iter().all(|&v| v == 128), "{mode:?}");
        }
        // First row, second block: only the left column, repeated everywhere.
        let e = Edges::gather(&rows, 1, 0, 8, 16);
        for mode in IntraMode::ALL {
            e.predict(mode, &mut out);
            assert!(out.iter().all(|&v| v == 200), "{mode:?}");
        }
        for code in 0..6 {
            assert_eq!(IntraMode::from_code(code).unwrap().code(), code);
        }
        assert_eq!(IntraMode::from_code(6), None);
    }
}
