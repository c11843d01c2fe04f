//! Intra prediction of square blocks from their already reconstructed neighbours: DC,
//! planar, thirteen directions and chroma from luma.
//!
//! A block of side n predicts from 2n samples above (the row above it and the row above
//! its right neighbour), 2n samples to the left (its left column and the one below it) and
//! the corner. Samples that are not yet decoded or lie outside the tile are substituted
//! from the nearest available one, in the order bottom-left → corner → top-right; with no
//! neighbour at all every edge sample is 128. For larger blocks the edge is smoothed with
//! a [1 2 1] filter before directional and planar prediction.
//!
//! Directions follow a 1/32-sample grid: modes 2–8 predict from the row above with
//! displacements −32, −21, −9, 0, 9, 21, 32 per row (mode 5 is vertical; negative
//! displacements reach left of the block and project the left column onto the row above),
//! modes 9–14 from the left column with −21, −9, 0, 9, 21, 32 per column (mode 11 is
//! horizontal). Mode 2 is the shared diagonal from the corner. All arithmetic is integer.

use super::dct::MAX_SIZE;

/// Number of luma prediction modes.
pub const MODES: usize = 15;
pub const DC: u8 = 0;
pub const PLANAR: u8 = 1;
pub const VERTICAL: u8 = 5;
pub const HORIZONTAL: u8 = 11;

const ANGLES_FROM_ABOVE: [i32; 7] = [-32, -21, -9, 0, 9, 21, 32];
const ANGLES_FROM_LEFT: [i32; 6] = [-21, -9, 0, 9, 21, 32];

/// Direction of a mode: (predicts from the row above, displacement in 1/32 per line).
pub fn direction(mode: u8) -> Option<(bool, i32)> {
    match mode {
        2..=8 => Some((true, ANGLES_FROM_ABOVE[mode as usize - 2])),
        9..=14 => Some((false, ANGLES_FROM_LEFT[mode as usize - 9])),
        _ => None,
    }
}

/// The neighbouring samples of a block: `above[0]` and `left[0]` are the corner,
/// `above[1..=2n]` the row above from the block's left column on, `left[1..=2n]` the
/// column to the left from the block's top row down.
#[derive(Clone)]
pub struct Edges {
    pub n: usize,
    pub above: [i32; 2 * MAX_SIZE + 2],
    pub left: [i32; 2 * MAX_SIZE + 2],
}

impl Edges {
    /// Gathers the edges of the block at (x0, y0) of side `n` from `samples` (row stride
    /// `stride`), asking `available(x, y)` whether a sample is decoded. The callback is
    /// asked only for samples at x0 − 1 or y0 − 1.
    pub fn gather(
        samples: &[u8],
        stride: usize,
        x0: usize,
        y0: usize,
        n: usize,
        available: impl Fn(isize, isize) -> bool,
    ) -> Edges {
        // The 4n + 1 samples in substitution order: left column bottom-up, corner, above.
        let count = 4 * n + 1;
        let mut line = [0i32; 4 * MAX_SIZE + 1];
        let mut have = [false; 4 * MAX_SIZE + 1];
        let (x0i, y0i) = (x0 as isize, y0 as isize);
        for i in 0..count {
            let (x, y) = if i < 2 * n {
                (x0i - 1, y0i + (2 * n - 1 - i) as isize)
            } else if i == 2 * n {
                (x0i - 1, y0i - 1)
            } else {
                (x0i + (i - 2 * n - 1) as isize, y0i - 1)
            };
            if available(x, y) {
                have[i] = true;
                line[i] = samples[y as usize * stride + x as usize] as i32;
            }
        }
        match have[..count].iter().position(|&h| h) {
            None => line[..count].fill(128),
            Some(first) => {
                let v = line[first];
                line[..first].fill(v);
                for i in first + 1..count {
                    if !have[i] {
                        line[i] = line[i - 1];
                    }
                }
            }
        }
        let mut edges = Edges {
            n,
            above: [0; 2 * MAX_SIZE + 2],
            left: [0; 2 * MAX_SIZE + 2],
        };
        edges.above[0] = line[2 * n];
        edges.left[0] = line[2 * n];
        for k in 1..=2 * n {
            edges.left[k] = line[2 * n - k];
            edges.above[k] = line[2 * n + k];
        }
        edges
    }

    /// The edges smoothed with [1 2 1] (end samples kept).
    fn smoothed(&self) -> Edges {
        let n = self.n;
        let mut out = self.clone();
        out.above[0] = (self.left[1] + 2 * self.above[0] + self.above[1] + 2) >> 2;
        out.left[0] = out.above[0];
        for k in 1..2 * n {
            out.above[k] = (self.above[k - 1] + 2 * self.above[k] + self.above[k + 1] + 2) >> 2;
            out.left[k] = (self.left[k - 1] + 2 * self.left[k] + self.left[k + 1] + 2) >> 2;
        }
        out
    }

    /// Predicts the block with `mode` into `out` (n·n samples, row-major).
    pub fn predict(&self, mode: u8, out: &mut [i32]) {
        let n = self.n;
        let smooth = match direction(mode) {
            None => mode == PLANAR && n >= 8,
            Some((_, angle)) => (n >= 16 && angle != 0) || (n == 8 && angle.abs() == 32),
        };
        if smooth {
            self.smoothed().predict_unfiltered(mode, out);
        } else {
            self.predict_unfiltered(mode, out);
        }
    }

    fn predict_unfiltered(&self, mode: u8, out: &mut [i32]) {
        let n = self.n;
        let log2n = n.trailing_zeros();
        match direction(mode) {
            None if mode == PLANAR => {
                let top_right = self.above[n + 1];
                let bottom_left = self.left[n + 1];
                for y in 0..n {
                    for x in 0..n {
                        let v = (n - 1 - x) as i32 * self.left[y + 1]
                            + (x + 1) as i32 * top_right
                            + (n - 1 - y) as i32 * self.above[x + 1]
                            + (y + 1) as i32 * bottom_left
                            + n as i32;
                        out[y * n + x] = v >> (log2n + 1);
                    }
                }
            }
            None => {
                let sum: i32 =
                    self.above[1..=n].iter().sum::<i32>() + self.left[1..=n].iter().sum::<i32>();
                let dc = (sum + n as i32) >> (log2n + 1);
                out[..n * n].fill(dc);
            }
            Some((from_above, angle)) => {
                let (main, side) = if from_above {
                    (&self.above, &self.left)
                } else {
                    (&self.left, &self.above)
                };
                // reference[OFFSET + k] for k in −n ..= 2n + 1.
                const OFFSET: usize = MAX_SIZE;
                let mut reference = [0i32; 4 * MAX_SIZE + 2];
                reference[OFFSET..OFFSET + 2 * n + 1].copy_from_slice(&main[..2 * n + 1]);
                reference[OFFSET + 2 * n + 1] = main[2 * n];
                let reach = (n as i32 * angle) >> 5;
                if angle < 0 && reach < -1 {
                    let inverse = -8192 / angle;
                    for k in reach..=-1 {
                        let j = ((k * inverse + 128) >> 8) as usize;
                        reference[(OFFSET as i32 + k) as usize] = side[j.min(2 * n)];
                    }
                }
                // Lines along the main edge: rows when predicting from above, columns
                // from the left (computed as a row, then written down the column).
                let mut column = [0i32; MAX_SIZE];
                for line in 0..n {
                    let position = (line as i32 + 1) * angle;
                    let whole = position >> 5;
                    let fraction = position & 31;
                    let start = (OFFSET as i32 + whole + 1) as usize;
                    let refs = &reference[start..start + n + 1];
                    let values = if from_above {
                        &mut out[line * n..][..n]
                    } else {
                        &mut column[..n]
                    };
                    for (i, v) in values.iter_mut().enumerate() {
                        *v = ((32 - fraction) * refs[i] + fraction * refs[i + 1] + 16) >> 5;
                    }
                    if !from_above {
                        for (i, &v) in column[..n].iter().enumerate() {
                            out[i * n + line] = v;
                        }
                    }
                }
            }
        }
    }
}

/// Chroma from luma: `dc` plus `alpha`/8 times the co-located luma's deviation from its
/// mean. `luma_ac` holds that deviation in 1/8 sample units (see [`luma_ac`]).
pub fn predict_cfl(dc: i32, luma_ac: &[i32], alpha: i32, out: &mut [i32]) {
    for (o, &ac) in out.iter_mut().zip(luma_ac) {
        *o = (dc + ((alpha * ac + 32) >> 6)).clamp(0, 255);
    }
}

/// The luma co-located with an n×n chroma block, as deviations from its mean in 1/8
/// sample units. `luma` is the reconstructed luma plane (stride `stride`), (lx, ly) the
/// block's luma origin, `subsampled` true for 4:2:0 (2×2 luma per chroma sample).
pub fn luma_ac(
    luma: &[u8],
    stride: usize,
    lx: usize,
    ly: usize,
    n: usize,
    subsampled: bool,
    out: &mut [i32],
) {
    for y in 0..n {
        for x in 0..n {
            out[y * n + x] = if subsampled {
                let r0 = (2 * y + ly) * stride + lx + 2 * x;
                let r1 = r0 + stride;
                2 * (luma[r0] as i32 + luma[r0 + 1] as i32 + luma[r1] as i32 + luma[r1 + 1] as i32)
            } else {
                8 * luma[(y + ly) * stride + lx + x] as i32
            };
        }
    }
    let count = (n * n) as i32;
    let sum: i32 = out[..n * n].iter().sum();
    let mean = (sum + count / 2) / count;
    for v in out[..n * n].iter_mut() {
        *v -= mean;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges_of(samples: &[u8], stride: usize, x0: usize, y0: usize, n: usize) -> Edges {
        let h = samples.len() / stride;
        Edges::gather(samples, stride, x0, y0, n, |x, y| {
            x >= 0 && y >= 0 && (x as usize) < stride && (y as usize) < h
        })
    }

    #[test]
    fn directions_continue_lines_of_the_neighbourhood() {
        // A picture of vertical stripes: vertical prediction reproduces it exactly.
        let stride = 48;
        let samples: Vec<u8> = (0..48 * 48).map(|i| ((i % stride) * 5) as u8).collect();
        for n in [4, 8, 16] {
            let edges = edges_of(&samples, stride, 16, 16, n);
            let mut out = vec![0; n * n];
            edges.predict(VERTICAL, &mut out);
            for y in 0..n {
                for x in 0..n {
                    assert_eq!(out[y * n + x], samples[(16 + y) * stride + 16 + x] as i32);
                }
            }
        }
        // Diagonal stripes running down-left are continued by the 32/32 mode from above.
        let samples: Vec<u8> = (0..48 * 48)
            .map(|i| (((i % stride) + i / stride) * 3 % 256) as u8)
            .collect();
        let edges = edges_of(&samples, stride, 16, 16, 4);
        let mut out = vec![0; 16];
        edges.predict(8, &mut out);
        for y in 0..4 {
            for x in 0..4 {
                assert_eq!(out[y * 4 + x], samples[(16 + y) * stride + 16 + x] as i32);
            }
        }
    }

    #[test]
    fn every_mode_stays_in_range_and_missing_edges_are_grey() {
        let samples = vec![0u8; 64 * 64];
        let edges = Edges::gather(&samples, 64, 0, 0, 32, |_, _| false);
        assert!(edges.above.iter().take(65).all(|&v| v == 128));
        let stride = 64;
        let mut seed = 3u32;
        let noisy: Vec<u8> = (0..64 * 64)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (seed >> 24) as u8
            })
            .collect();
        for n in [4, 8, 16, 32] {
            let edges = edges_of(&noisy, stride, 32, 16, n);
            for mode in 0..MODES as u8 {
                let mut out = vec![0; n * n];
                edges.predict(mode, &mut out);
                assert!(
                    out.iter().all(|&v| (0..=255).contains(&v)),
                    "mode {mode} n {n}"
                );
            }
        }
    }

    #[test]
    fn chroma_from_luma_follows_the_luma_shape() {
        let stride = 8;
        let luma: Vec<u8> = (0..64).map(|i| if i % 8 < 4 { 40 } else { 120 }).collect();
        let mut ac = vec![0; 16];
        luma_ac(&luma, stride, 0, 0, 4, true, &mut ac);
        let mut out = vec![0; 16];
        predict_cfl(100, &ac, 4, &mut out);
        // alpha 1/2: the luma swing of ±40 becomes ±20 around 100.
        assert_eq!(out[0], 80);
        assert_eq!(out[3], 120);
    }
}
