//! Motion compensation and estimation: the quarter-sample reference grid, prediction of a
//! block from a motion vector, motion-vector prediction, and the encoder's search.
//!
//! In: a reconstructed reference frame (padded planes) and motion vectors in quarter luma
//! samples. Out: predicted blocks. Luma follows H.264's interpolation: half samples from the
//! 6-tap filter (1, −5, 20, 20, −5, 1)/32 (the centre one filtered twice from unrounded
//! intermediates, /1024), quarter samples as the rounded-up mean of the two nearest integer
//! or half samples (diagonal ones from the two nearest half samples of mixed parity).
//! Chroma is bilinear in 1/8 samples. The reference is extended by edge replication by
//! [`MARGIN`] samples on every side; vectors may point at most [`MV_REACH`] samples outside.
//! The search (encoder only) starts from the best of a few predicted vectors (the median
//! predictor, zero, the spatial neighbours' and the co-located vectors), walks a small
//! diamond and a large hexagon at full-sample steps (SAD; a near-exact start ends it
//! early), then refines to half and quarter samples on the 4×4 Hadamard cost.
//!
//! The 4×4 Hadamard cost lives in `hadamard`, the search in `estimation`.

use crate::signal::Plane;

/// Samples of edge extension around the reference luma plane.
pub const MARGIN: usize = 32;
/// How far (in luma samples) a predicted block may lie outside the padded picture.
pub const MV_REACH: i32 = 24;

/// A motion vector in quarter luma samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mv {
    pub x: i32,
    pub y: i32,
}

impl Mv {
    pub const ZERO: Mv = Mv { x: 0, y: 0 };
}

/// The median motion-vector predictor from the left, upper and upper-right (or upper-left)
/// neighbours; a missing neighbour counts as zero unless only the left one exists.
pub fn predict_mv(left: Option<Mv>, above: Option<Mv>, above_right: Option<Mv>) -> Mv {
    match (left, above, above_right) {
        (Some(l), None, None) => l,
        _ => {
            let a = left.unwrap_or(Mv::ZERO);
            let b = above.unwrap_or(Mv::ZERO);
            let c = above_right.unwrap_or(Mv::ZERO);
            Mv {
                x: median3(a.x, b.x, c.x),
                y: median3(a.y, b.y, c.y),
            }
        }
    }
}

fn median3(a: i32, b: i32, c: i32) -> i32 {
    a.max(b).min(a.min(b).max(c))
}

/// True when a `size`-sample block at luma (x, y) moved by `mv` stays within reach.
pub fn mv_in_range(mv: Mv, x: usize, y: usize, size: usize, width: usize, height: usize) -> bool {
    let px = x as i32 + (mv.x >> 2);
    let py = y as i32 + (mv.y >> 2);
    px >= -MV_REACH
        && py >= -MV_REACH
        && px + size as i32 <= width as i32 + MV_REACH
        && py + size as i32 <= height as i32 + MV_REACH
}

/// The luma plane of a reference frame, extended by [`MARGIN`] on every side and
/// interpolated to half samples: four planes of (width + 2 MARGIN) × (height + 2 MARGIN),
/// rows contiguous. Half-grid sample (2r + a, 2c + b) is `planes[2a + b][r × stride + c]`:
/// plane 0 holds the integer samples, 1 the horizontal half samples, 2 the vertical ones,
/// 3 the centre ones. A quarter sample is the rounded mean of two half-grid samples, taken
/// when a block is predicted; every sample of a block has the same quarter phase, so a row
/// of prediction is the mean of two contiguous rows (or a copy of one).
pub struct QuarterGrid {
    stride: usize,
    planes: [Vec<u8>; 4],
}

#[inline]
fn clip8(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

#[inline]
fn tap6(a: i32, b: i32, c: i32, d: i32, e: i32, f: i32) -> i32 {
    a - 5 * b + 20 * c + 20 * d - 5 * e + f
}

/// Runs `work(first_row, rows)` over consecutive chunks of `data` (rows of `stride`) on up
/// to `threads` scoped workers.
fn rows_on_workers<T: Send>(
    data: &mut [T],
    stride: usize,
    threads: usize,
    work: impl Fn(usize, &mut [T]) + Sync,
) {
    let rows = data.len() / stride;
    let per_worker = rows.div_ceil(threads.max(1)).max(1);
    if threads <= 1 {
        work(0, data);
        return;
    }
    let work = &work;
    std::thread::scope(|scope| {
        for (i, chunk) in data.chunks_mut(per_worker * stride).enumerate() {
            scope.spawn(move || work(i * per_worker, chunk));
        }
    });
}

impl QuarterGrid {
    /// Interpolates a padded luma plane on up to `threads` workers (the result does not
    /// depend on their number).
    pub fn new(luma: &Plane, threads: usize) -> QuarterGrid {
        let w = luma.width + 2 * MARGIN;
        let h = luma.height + 2 * MARGIN;
        // Integer samples, extended with 3 more on every side for the filter taps.
        const E: usize = 3;
        let (we, he) = (w + 2 * E, h + 2 * E);
        let left = MARGIN + E;
        let mut ext = vec![0u8; we * he];
        for (y, row) in ext.chunks_mut(we).enumerate() {
            let sy = (y as isize - left as isize).clamp(0, luma.height as isize - 1) as usize;
            let src = &luma.data[sy * luma.width..][..luma.width];
            row[..left].fill(src[0]);
            row[left..left + luma.width].copy_from_slice(src);
            row[left + luma.width..].fill(src[luma.width - 1]);
        }
        // Horizontal filter sums (unrounded) of every extended row, centred between
        // integer samples x and x + 1 of the grid.
        let mut inter = vec![0i32; he * w];
        rows_on_workers(&mut inter, w, threads, |first, chunk| {
            for (r, out) in chunk.chunks_mut(w).enumerate() {
                let row = &ext[(first + r) * we..][..we];
                for (x, o) in out.iter_mut().enumerate() {
                    let t = &row[x + 1..x + 7];
                    *o = tap6(
                        t[0] as i32,
                        t[1] as i32,
                        t[2] as i32,
                        t[3] as i32,
                        t[4] as i32,
                        t[5] as i32,
                    );
                }
            }
        });
        // The four planes, computed row by row: each row of each plane from six
        // contiguous rows above and below, so the inner loops vectorize.
        let mut all = vec![0u8; 4 * w * h];
        let (ext, inter) = (&ext, &inter);
        rows_on_workers(&mut all, 4 * w, threads, |first, chunk| {
            for (r, out) in chunk.chunks_mut(4 * w).enumerate() {
                let y = first + r;
                let (full, rest) = out.split_at_mut(w);
                let (right, rest) = rest.split_at_mut(w);
                let (down, centre) = rest.split_at_mut(w);
                let e = |dy: usize| &ext[(y + dy) * we + E..][..w];
                let i = |dy: usize| &inter[(y + dy) * w..][..w];
                full.copy_from_slice(e(E));
                for (o, &v) in right.iter_mut().zip(i(E)) {
                    *o = clip8((v + 16) >> 5);
                }
                let (e0, e1, e2, e3, e4, e5) = (e(1), e(2), e(3), e(4), e(5), e(6));
                for x in 0..w {
                    let v = tap6(
                        e0[x] as i32,
                        e1[x] as i32,
                        e2[x] as i32,
                        e3[x] as i32,
                        e4[x] as i32,
                        e5[x] as i32,
                    );
                    down[x] = clip8((v + 16) >> 5);
                }
                let (i0, i1, i2, i3, i4, i5) = (i(1), i(2), i(3), i(4), i(5), i(6));
                for x in 0..w {
                    let v = tap6(i0[x], i1[x], i2[x], i3[x], i4[x], i5[x]);
                    centre[x] = clip8((v + 512) >> 10);
                }
            }
        });
        // Rows were interleaved per worker (plane rows side by side); split them apart.
        let mut planes: [Vec<u8>; 4] = std::array::from_fn(|_| Vec::with_capacity(w * h));
        for row in all.chunks(4 * w) {
            for (p, part) in planes.iter_mut().zip(row.chunks(w)) {
                p.extend_from_slice(part);
            }
        }
        QuarterGrid { stride: w, planes }
    }

    /// Plane and offset of half-grid sample (`hr`, `hc`).
    #[inline]
    fn half_at(&self, hr: usize, hc: usize) -> (usize, usize) {
        (2 * (hr & 1) + (hc & 1), (hr >> 1) * self.stride + (hc >> 1))
    }

    /// The two half-grid samples (plane, offset) whose rounded mean is the quarter sample
    /// (`y4`, `x4`) of the extended grid; the same sample twice at half and integer
    /// positions.
    #[inline]
    fn sources(&self, y4: usize, x4: usize) -> [(usize, usize); 2] {
        let (hr, hc) = (y4 >> 1, x4 >> 1);
        let (a, b) = match (y4 & 1, x4 & 1) {
            (0, 0) => ((hr, hc), (hr, hc)),
            (0, _) => ((hr, hc), (hr, hc + 1)),
            (_, 0) => ((hr, hc), (hr + 1, hc)),
            // Diagonal: the two nearest half samples of mixed parity.
            _ if (hr + hc) & 1 == 1 => ((hr, hc), (hr + 1, hc + 1)),
            _ => ((hr, hc + 1), (hr + 1, hc)),
        };
        [self.half_at(a.0, a.1), self.half_at(b.0, b.1)]
    }

    /// Predicts the `size`×`size` luma block at (x, y) moved by `mv` (in range).
    pub fn predict(&self, x: usize, y: usize, mv: Mv, size: usize, out: &mut [u8]) {
        let x4 = (4 * (x + MARGIN)) as i32 + mv.x;
        let y4 = (4 * (y + MARGIN)) as i32 + mv.y;
        let [(pa, oa), (pb, ob)] = self.sources(y4 as usize, x4 as usize);
        let (a, b) = (&self.planes[pa], &self.planes[pb]);
        for (r, o) in out[..size * size].chunks_exact_mut(size).enumerate() {
            let ra = &a[oa + r * self.stride..][..size];
            if (pa, oa) == (pb, ob) {
                o.copy_from_slice(ra);
            } else {
                let rb = &b[ob + r * self.stride..][..size];
                for ((m, &u), &v) in o.iter_mut().zip(ra).zip(rb) {
                    *m = ((u as u16 + v as u16 + 1) >> 1) as u8;
                }
            }
        }
    }

    /// Sum of absolute 4×4 Hadamard-transformed differences (halved) between `src` and the
    /// prediction: a closer estimate of the residual's coding cost than SAD.
    pub fn satd(&self, x: usize, y: usize, mv: Mv, size: usize, src: &[u8]) -> u32 {
        let mut pred = [0u8; MAX_BLOCK * MAX_BLOCK];
        self.predict(x, y, mv, size, &mut pred[..size * size]);
        satd(src, &pred[..size * size], size)
    }

    /// SAD at a full-sample displacement (dx, dy) in samples.
    pub fn sad_full(&self, x: usize, y: usize, dx: i32, dy: i32, size: usize, src: &[u8]) -> u32 {
        let px = (x + MARGIN) as i32 + dx;
        let py = (y + MARGIN) as i32 + dy;
        let full = &self.planes[0];
        let mut sad = 0u32;
        for r in 0..size {
            let row = &full[(py as usize + r) * self.stride + px as usize..][..size];
            let s = &src[r * size..(r + 1) * size];
            sad += s
                .iter()
                .zip(row)
                .map(|(&u, &v)| (u as i32 - v as i32).unsigned_abs())
                .sum::<u32>();
        }
        sad
    }
}

/// Largest block [`predict_luma`] predicts, in luma samples.
pub const MAX_BLOCK: usize = 16;

/// Predicts the `size`×`size` luma block at (x, y) moved by `mv` (in range) straight from
/// the reference plane, computing only the half and quarter samples the block needs: equal,
/// sample for sample, to [`QuarterGrid::predict`] on a grid built from the same plane. The
/// decoder uses it, so that it never interpolates a whole frame.
pub fn predict_luma(plane: &Plane, x: usize, y: usize, mv: Mv, size: usize, out: &mut [u8]) {
    assert!(
        size <= MAX_BLOCK,
        "luma blocks are at most {MAX_BLOCK} samples"
    );
    // Quarter-sample position of the block's first sample, in the grid's coordinates
    // (origin MARGIN samples above and left of the picture).
    let qx = (4 * (x + MARGIN)) as i32 + mv.x;
    let qy = (4 * (y + MARGIN)) as i32 + mv.y;
    // The grid's half-sample extent, for the same edge clamp.
    let half_w = 2 * (plane.width + 2 * MARGIN) as i32;
    let half_h = 2 * (plane.height + 2 * MARGIN) as i32;
    // Integer samples the block's taps can reach, copied once with edge replication.
    const SPAN: usize = MAX_BLOCK + 8;
    let ix0 = (qx >> 2) - 3;
    let iy0 = (qy >> 2) - 3;
    let mut window = [0i32; SPAN * SPAN];
    for r in 0..SPAN {
        let sy = (iy0 + r as i32) as isize - MARGIN as isize;
        for c in 0..SPAN {
            let sx = (ix0 + c as i32) as isize - MARGIN as isize;
            window[r * SPAN + c] = plane.at_clamped(sx, sy) as i32;
        }
    }
    let at = |ix: i32, iy: i32| window[(iy - iy0) as usize * SPAN + (ix - ix0) as usize];
    let horizontal = |ix: i32, iy: i32| {
        tap6(
            at(ix - 2, iy),
            at(ix - 1, iy),
            at(ix, iy),
            at(ix + 1, iy),
            at(ix + 2, iy),
            at(ix + 3, iy),
        )
    };
    // Half sample (hr, hc): integer, horizontal half, vertical half or centre.
    let half = |hr: i32, hc: i32| -> u32 {
        let (hr, hc) = (hr.min(half_h - 1), hc.min(half_w - 1));
        let (ix, iy) = (hc >> 1, hr >> 1);
        let v = match (hr & 1, hc & 1) {
            (0, 0) => at(ix, iy) as u8,
            (0, _) => clip8((horizontal(ix, iy) + 16) >> 5),
            (_, 0) => {
                let col = |dy: i32| at(ix, iy + dy);
                clip8((tap6(col(-2), col(-1), col(0), col(1), col(2), col(3)) + 16) >> 5)
            }
            _ => {
                let row = |dy: i32| horizontal(ix, iy + dy);
                clip8((tap6(row(-2), row(-1), row(0), row(1), row(2), row(3)) + 512) >> 10)
            }
        };
        v as u32
    };
    for r in 0..size {
        let y4 = qy + 4 * r as i32;
        let r0 = y4 >> 1;
        for c in 0..size {
            let x4 = qx + 4 * c as i32;
            let c0 = x4 >> 1;
            let v = match (y4 & 1, x4 & 1) {
                (0, 0) => half(r0, c0),
                (0, _) => (half(r0, c0) + half(r0, c0 + 1) + 1) >> 1,
                (_, 0) => (half(r0, c0) + half(r0 + 1, c0) + 1) >> 1,
                _ => {
                    if (r0 + c0) & 1 == 1 {
                        (half(r0, c0) + half(r0 + 1, c0 + 1) + 1) >> 1
                    } else {
                        (half(r0, c0 + 1) + half(r0 + 1, c0) + 1) >> 1
                    }
                }
            };
            out[r * size + c] = v as u8;
        }
    }
}

/// Predicts a chroma block (`w`×`h` at chroma (x, y)) with bilinear 1/8-sample weights.
/// `mv` is the luma vector; `shifts` the chroma subsampling.
#[allow(clippy::too_many_arguments)]
pub fn predict_chroma(
    plane: &Plane,
    x: usize,
    y: usize,
    w: usize,
    h: usize,
    mv: Mv,
    shifts: (u32, u32),
    out: &mut [u8],
) {
    // Position in 1/8 chroma samples.
    let mx = (mv.x * 2) >> shifts.0;
    let my = (mv.y * 2) >> shifts.1;
    let (ix, fx) = (mx >> 3, mx & 7);
    let (iy, fy) = (my >> 3, my & 7);
    let (w00, w01) = ((8 - fx) * (8 - fy), fx * (8 - fy));
    let (w10, w11) = ((8 - fx) * fy, fx * fy);
    // Inside the plane (with the extra sample to the right and below): no clamping.
    let (sx0, sy0) = (x as isize + ix as isize, y as isize + iy as isize);
    if sx0 >= 0 && sy0 >= 0 && sx0 as usize + w < plane.width && sy0 as usize + h < plane.height {
        let (sx0, sy0) = (sx0 as usize, sy0 as usize);
        for (r, o) in out[..w * h].chunks_exact_mut(w).enumerate() {
            let top = &plane.data[(sy0 + r) * plane.width + sx0..][..w + 1];
            let bottom = &plane.data[(sy0 + r + 1) * plane.width + sx0..][..w + 1];
            for (c, v) in o.iter_mut().enumerate() {
                let sum = w00 * top[c] as i32
                    + w01 * top[c + 1] as i32
                    + w10 * bottom[c] as i32
                    + w11 * bottom[c + 1] as i32;
                *v = ((sum + 32) >> 6) as u8;
            }
        }
        return;
    }
    for r in 0..h {
        for c in 0..w {
            let sx = (x + c) as isize + ix as isize;
            let sy = (y + r) as isize + iy as isize;
            let a = plane.at_clamped(sx, sy) as i32;
            let b = plane.at_clamped(sx + 1, sy) as i32;
            let cc = plane.at_clamped(sx, sy + 1) as i32;
            let d = plane.at_clamped(sx + 1, sy + 1) as i32;
            let v = (8 - fx) * (8 - fy) * a + fx * (8 - fy) * b + (8 - fx) * fy * cc + fx * fy * d;
            out[r * w + c] = ((v + 32) >> 6) as u8;
        }
    }
}

mod estimation;
mod hadamard;

pub use estimation::{mvd_bits, search, SearchParams};
pub use hadamard::satd;

#[cfg(test)]
mod tests;
