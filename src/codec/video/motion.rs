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

/// Sum of absolute 4×4 Hadamard-transformed differences (halved per 4×4 block) between two
/// `size`² blocks (`size` 4, 8, 12 or 16).
pub fn satd(src: &[u8], pred: &[u8], size: usize) -> u32 {
    crate::arch::with_avx2(
        #[inline(always)]
        || satd_any(src, pred, size),
    )
}

/// [`satd`], inlined into each dispatched copy.
#[inline(always)]
fn satd_any(src: &[u8], pred: &[u8], size: usize) -> u32 {
    match size {
        4 => satd_square::<1>(src, pred),
        8 => satd_rows::<8>(src, pred),
        12 => satd_square::<3>(src, pred),
        16 => satd_rows::<16>(src, pred),
        _ => panic!("SATD of {size}×{size} blocks"),
    }
}

/// [`satd`] of a `W`×`W` block (`W` 8 or 16) by strips of four rows: the horizontal
/// butterflies of a row pair each sample with its neighbour at distance 1, then 2 (fixed
/// permutations within the row, which vectorize as shuffles), the vertical ones combine
/// the four rows sample by sample, and the absolute values are summed per 4×4 block.
#[inline(always)]
fn satd_rows<const W: usize>(src: &[u8], pred: &[u8]) -> u32 {
    let (src, pred) = (&src[..W * W], &pred[..W * W]);
    let mut total = 0;
    for strip in 0..W / 4 {
        let mut h = [[0i16; W]; 4];
        for (t, out) in h.iter_mut().enumerate() {
            let y = 4 * strip + t;
            let s: &[u8; W] = src[y * W..][..W].try_into().expect("a row");
            let p: &[u8; W] = pred[y * W..][..W].try_into().expect("a row");
            let mut r = [0i16; W];
            for i in 0..W {
                r[i] = s[i] as i16 - p[i] as i16;
            }
            let mut a = [0i16; W];
            for i in 0..W {
                a[i] = if i & 1 == 0 {
                    r[i] + r[i ^ 1]
                } else {
                    r[i ^ 1] - r[i]
                };
            }
            for i in 0..W {
                out[i] = if i & 2 == 0 {
                    a[i] + a[i ^ 2]
                } else {
                    a[i ^ 2] - a[i]
                };
            }
        }
        // Per lane at most 4 × 4080: fits in 16 bits.
        let mut sums = [0u16; W];
        for i in 0..W {
            let (a, b, c, d) = (h[0][i], h[1][i], h[2][i], h[3][i]);
            let (s0, s1, s2, s3) = (a + b, a - b, c + d, c - d);
            sums[i] = (s0 + s2).unsigned_abs()
                + (s1 + s3).unsigned_abs()
                + (s0 - s2).unsigned_abs()
                + (s1 - s3).unsigned_abs();
        }
        for block in sums.chunks_exact(4) {
            total += block.iter().map(|&v| v as u32).sum::<u32>() / 2;
        }
    }
    total
}

/// [`satd`] of a square of `S`×`S` 4×4 blocks. The differences are loaded into four arrays,
/// one per column phase within a 4×4 block, each indexed (row within the block, block row,
/// block column); both butterfly stages are then element-wise operations between whole
/// arrays (vectorizable), and the absolute values are summed per 4×4 block.
#[inline(always)]
fn satd_square<const S: usize>(src: &[u8], pred: &[u8]) -> u32 {
    let size = 4 * S;
    let (src, pred) = (&src[..size * size], &pred[..size * size]);
    // Lanes of one row phase: S block rows × S block columns.
    const MAX: usize = 16;
    let lanes = S * S;
    let mut x = [[[0i16; MAX]; 4]; 4]; // [column phase][row phase][lane]
    for (y, (s, p)) in src
        .chunks_exact(size)
        .zip(pred.chunks_exact(size))
        .enumerate()
    {
        let (t, by) = (y % 4, y / 4);
        for b in 0..S {
            for c in 0..4 {
                let i = 4 * b + c;
                x[c][t][by * S + b] = s[i] as i16 - p[i] as i16;
            }
        }
    }
    // Horizontal butterflies: across the column phases.
    let mut h = [[[0i16; MAX]; 4]; 4]; // [horizontal frequency][row phase][lane]
    for t in 0..4 {
        for k in 0..lanes {
            let (a, b, c, d) = (x[0][t][k], x[1][t][k], x[2][t][k], x[3][t][k]);
            let (s0, s1, s2, s3) = (a + b, a - b, c + d, c - d);
            h[0][t][k] = s0 + s2;
            h[1][t][k] = s1 + s3;
            h[2][t][k] = s0 - s2;
            h[3][t][k] = s1 - s3;
        }
    }
    // Vertical butterflies across the row phases, absolute values summed per block.
    let mut sums = [0u32; MAX];
    for f in &h {
        for k in 0..lanes {
            let (a, b, c, d) = (f[0][k], f[1][k], f[2][k], f[3][k]);
            let (s0, s1, s2, s3) = (a + b, a - b, c + d, c - d);
            sums[k] += (s0 + s2).unsigned_abs() as u32
                + (s1 + s3).unsigned_abs() as u32
                + (s0 - s2).unsigned_abs() as u32
                + (s1 - s3).unsigned_abs() as u32;
        }
    }
    sums[..lanes].iter().map(|&v| v / 2).sum()
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

/// Approximate bits of one motion-vector difference component.
#[inline]
pub fn mvd_bits(d: i32) -> u32 {
    let m = d.unsigned_abs();
    if m == 0 {
        1
    } else {
        2 * (32 - m.leading_zeros()) + 1
    }
}

/// Most refinement rings per sub-sample step.
pub const MAX_SUBPEL_ROUNDS: u8 = 4;

/// Search settings and the cost weight of vector bits.
#[derive(Debug, Clone, Copy)]
pub struct SearchParams {
    /// SAD units per bit of vector.
    pub lambda: u32,
    /// Largest full-sample distance from the start.
    pub range: i32,
    /// Rings of refinement at half-sample steps, then as many at quarter-sample steps
    /// (0: whole samples only; at most [`MAX_SUBPEL_ROUNDS`]).
    pub subpel_rounds: u8,
}

/// A start whose SAD is below this many sixteenths of a sample per sample ends the
/// full-sample search at once: no vector can gain enough to matter.
const EARLY_SAD_16THS: u32 = 16;

/// The large hexagon of the full-sample search: six points two samples across.
const HEXAGON: [(i32, i32); 6] = [(-2, 0), (-1, -2), (1, -2), (2, 0), (1, 2), (-1, 2)];

/// The small diamond: the four nearest neighbours.
const DIAMOND: [(i32, i32); 4] = [(0, -1), (-1, 0), (1, 0), (0, 1)];

/// The eight neighbours of a point.
const RING: [(i32, i32); 8] = [
    (-1, -1),
    (0, -1),
    (1, -1),
    (-1, 0),
    (1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
];

/// Finds a vector for the `size`×`size` block at (x, y), whose samples are `src`. `pred`
/// is the vector predictor (the vector is coded relative to it); `candidates` are extra
/// starts (the neighbours' and the co-located vectors). Returns the vector and its cost,
/// `u32::MAX` when no start was in range.
///
/// The best start (SAD plus vector bits) is walked by the small diamond at full-sample
/// steps until its centre is best, then by a large hexagon (two samples across) and, where
/// that moved, by the diamond again; a start within one level per sample on average ends
/// the walk early. Sub-sample refinement follows ([`refine`]).
#[allow(clippy::too_many_arguments)]
pub fn search(
    grid: &QuarterGrid,
    (x, y, size): (usize, usize, usize),
    src: &[u8],
    pred: Mv,
    candidates: &[Mv],
    width: usize,
    height: usize,
    params: &SearchParams,
) -> (Mv, u32) {
    let bits = |mv: Mv| params.lambda * (mvd_bits(mv.x - pred.x) + mvd_bits(mv.y - pred.y));
    // Full-sample start: the best of the rounded candidates.
    let mut best = Mv::ZERO;
    let mut best_cost = u32::MAX;
    let mut best_sad = u32::MAX;
    let round = |v: i32| (v + 2) >> 2;
    let mut tried = [Mv::ZERO; 8];
    let mut count = 0;
    let starts = std::iter::once(pred)
        .chain(std::iter::once(Mv::ZERO))
        .chain(candidates.iter().copied());
    for c in starts {
        let m = Mv {
            x: round(c.x) * 4,
            y: round(c.y) * 4,
        };
        if tried[..count].contains(&m) || !mv_in_range(m, x, y, size, width, height) {
            continue;
        }
        if count < tried.len() {
            tried[count] = m;
            count += 1;
        }
        let sad = grid.sad_full(x, y, m.x >> 2, m.y >> 2, size, src);
        let cost = sad + bits(m);
        if cost < best_cost {
            best_cost = cost;
            best_sad = sad;
            best = m;
        }
    }
    if best_cost == u32::MAX {
        return (Mv::ZERO, u32::MAX);
    }
    let early = best_sad * 16 <= EARLY_SAD_16THS * (size * size) as u32;
    if !early {
        let origin = best;
        let range = params.range.max(1);
        // Walks a pattern until its centre is best; true when it moved.
        let mut walk = |pattern: &[(i32, i32)], steps: i32| {
            let start = best;
            for _ in 0..steps {
                let centre = best;
                for &(dx, dy) in pattern {
                    let m = Mv {
                        x: centre.x + 4 * dx,
                        y: centre.y + 4 * dy,
                    };
                    if (m.x - origin.x).abs() > 4 * range
                        || (m.y - origin.y).abs() > 4 * range
                        || !mv_in_range(m, x, y, size, width, height)
                    {
                        continue;
                    }
                    let cost = grid.sad_full(x, y, m.x >> 2, m.y >> 2, size, src) + bits(m);
                    if cost < best_cost {
                        best_cost = cost;
                        best = m;
                    }
                }
                if best == centre {
                    break;
                }
            }
            best != start
        };
        // The small diamond settles near the start, then the hexagon looks two samples
        // further; where it moves, the diamond settles again.
        walk(&DIAMOND, 2 * range);
        if walk(&HEXAGON, range) {
            walk(&DIAMOND, 2 * range);
        }
    }
    if params.subpel_rounds > 0 {
        let rounds = params.subpel_rounds.min(MAX_SUBPEL_ROUNDS) as usize;
        let mut steps = [1i32; 2 * MAX_SUBPEL_ROUNDS as usize];
        steps[..rounds].fill(2);
        return refine(
            grid,
            (x, y, size),
            src,
            pred,
            best,
            &steps[..2 * rounds],
            width,
            height,
            params,
        );
    }
    (best, best_cost)
}

/// Refines a vector around `start` by rings of `steps` quarter samples (2: half samples,
/// 1: quarter samples), comparing Hadamard costs plus vector bits against `pred`. An exact
/// match ends the refinement, and a neighbour whose vector bits alone lose is not
/// predicted.
#[allow(clippy::too_many_arguments)]
pub fn refine(
    grid: &QuarterGrid,
    (x, y, size): (usize, usize, usize),
    src: &[u8],
    pred: Mv,
    start: Mv,
    steps: &[i32],
    width: usize,
    height: usize,
    params: &SearchParams,
) -> (Mv, u32) {
    let bits = |mv: Mv| params.lambda * (mvd_bits(mv.x - pred.x) + mvd_bits(mv.y - pred.y));
    let mut best = start;
    let mut best_satd = grid.satd(x, y, start, size, src);
    let mut best_cost = best_satd + bits(start);
    for &step in steps {
        if best_satd == 0 {
            break;
        }
        let centre = best;
        let pattern: &[(i32, i32)] = &RING;
        for &(dx, dy) in pattern {
            let m = Mv {
                x: centre.x + step * dx,
                y: centre.y + step * dy,
            };
            // Vector bits alone already lose: no need to predict.
            if bits(m) >= best_cost || !mv_in_range(m, x, y, size, width, height) {
                continue;
            }
            let satd = grid.satd(x, y, m, size, src);
            let cost = satd + bits(m);
            if cost < best_cost {
                best_cost = cost;
                best_satd = satd;
                best = m;
            }
        }
    }
    (best, best_cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SATD straight from its definition: each 4×4 block's difference, a 4×4 Hadamard
    /// transform (rows then columns), absolute values summed and halved.
    fn satd_by_definition(src: &[u8], pred: &[u8], size: usize) -> u32 {
        const H: [[i32; 4]; 4] = [[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]];
        let mut total = 0;
        for by in (0..size).step_by(4) {
            for bx in (0..size).step_by(4) {
                let d = |r: usize, c: usize| {
                    let i = (by + r) * size + bx + c;
                    src[i] as i32 - pred[i] as i32
                };
                let mut sum = 0u32;
                for u in 0..4 {
                    for v in 0..4 {
                        let mut acc = 0;
                        for r in 0..4 {
                            for c in 0..4 {
                                acc += H[u][r] * H[v][c] * d(r, c);
                            }
                        }
                        sum += acc.unsigned_abs();
                    }
                }
                total += sum / 2;
            }
        }
        total
    }

    #[test]
    fn satd_matches_its_definition() {
        let mut state = 0x9e37_79b9_u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for size in [4, 8, 12, 16] {
            for round in 0..50 {
                let mut a = vec![0u8; size * size];
                let mut b = vec![0u8; size * size];
                for (u, v) in a.iter_mut().zip(b.iter_mut()) {
                    let r = next();
                    // Extremes in the first rounds, random samples after.
                    (*u, *v) = match round {
                        0 => (255, 0),
                        1 => (0, 255),
                        2 => {
                            if r & 1 == 0 {
                                (255, 0)
                            } else {
                                (0, 255)
                            }
                        }
                        _ => (r as u8, (r >> 8) as u8),
                    };
                }
                let dispatched = satd(&a, &b, size);
                assert_eq!(dispatched, satd_by_definition(&a, &b, size), "{size}");
                // Called directly, the body runs as built for the baseline CPU.
                let baseline = satd_any(&a, &b, size);
                assert_eq!(dispatched, baseline, "{size}: baseline twin");
            }
        }
    }

    #[test]
    fn chroma_prediction_inside_equals_the_clamped_formula() {
        let (w, h) = (23, 17);
        let mut plane = Plane::filled(w, h, 0);
        for (i, v) in plane.data.iter_mut().enumerate() {
            *v = ((i * 7919 + i / 5) % 251) as u8;
        }
        let mut out = [0u8; 64];
        for (mx, my) in [(0, 0), (3, 5), (-7, 9), (13, -3), (40, 30), (-50, -40)] {
            for (x, y) in [(0, 0), (4, 4), (12, 8), (16, 12)] {
                let mv = Mv { x: mx, y: my };
                predict_chroma(&plane, x, y, 4, 4, mv, (1, 1), &mut out);
                let (cx, cy) = ((mx * 2) >> 1, (my * 2) >> 1);
                let (fx, fy) = (cx & 7, cy & 7);
                for r in 0..4 {
                    for c in 0..4 {
                        let sx = (x + c) as isize + (cx >> 3) as isize;
                        let sy = (y + r) as isize + (cy >> 3) as isize;
                        let at = |dx: isize, dy: isize| plane.at_clamped(sx + dx, sy + dy) as i32;
                        let v = (8 - fx) * (8 - fy) * at(0, 0)
                            + fx * (8 - fy) * at(1, 0)
                            + (8 - fx) * fy * at(0, 1)
                            + fx * fy * at(1, 1);
                        assert_eq!(out[r * 4 + c] as i32, (v + 32) >> 6, "{mv:?} at {x},{y}");
                    }
                }
            }
        }
    }

    #[test]
    fn median_prediction() {
        let a = Mv { x: 4, y: -2 };
        let b = Mv { x: 8, y: 6 };
        let c = Mv { x: -1, y: 1 };
        assert_eq!(predict_mv(Some(a), Some(b), Some(c)), Mv { x: 4, y: 1 });
        assert_eq!(predict_mv(Some(a), None, None), a);
        assert_eq!(predict_mv(None, None, None), Mv::ZERO);
    }

    #[test]
    fn block_prediction_equals_the_quarter_grid() {
        // Odd sizes so that the edges clamp differently on each side.
        let (w, h) = (53, 37);
        let mut plane = Plane::filled(w, h, 0);
        let mut state = 0x2545_f491_u32;
        for v in plane.data.iter_mut() {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            *v = (state >> 24) as u8;
        }
        let grid = QuarterGrid::new(&plane, 1);
        let (mut a, mut b) = ([0u8; 256], [0u8; 256]);
        let mut checked = 0;
        for size in [8, 16] {
            for (x, y) in [(0, 0), (16, 16), (32, 16), (40, 24)] {
                for my in -4 * MV_REACH..=4 * MV_REACH {
                    for mx in (-4 * MV_REACH..=4 * MV_REACH).step_by(3) {
                        let mv = Mv { x: mx, y: my };
                        if !mv_in_range(mv, x, y, size, w, h) {
                            continue;
                        }
                        grid.predict(x, y, mv, size, &mut a[..size * size]);
                        predict_luma(&plane, x, y, mv, size, &mut b[..size * size]);
                        assert_eq!(a[..size * size], b[..size * size], "{x},{y} {mv:?} {size}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 10_000, "only {checked} vectors were in range");
    }

    #[test]
    fn integer_vectors_copy_and_search_finds_a_shift() {
        let mut plane = Plane::filled(48, 48, 0);
        for y in 0..48 {
            for x in 0..48 {
                plane.data[y * 48 + x] = ((x * 37 + y * 91 + x * y * 7) % 251) as u8;
            }
        }
        let grid = QuarterGrid::new(&plane, 2);
        let mut out = [0u8; 256];
        grid.predict(16, 16, Mv { x: 8, y: -4 }, 16, &mut out);
        assert_eq!(out[0], plane.data[15 * 48 + 18]);
        // A flat plane interpolates to itself at every quarter position.
        let flat = QuarterGrid::new(&Plane::filled(16, 16, 77), 1);
        flat.predict(0, 0, Mv { x: 3, y: 5 }, 16, &mut out);
        assert!(out.iter().all(|&v| v == 77));
        // The search finds a block displaced by (2, 1) samples.
        let mut src = [0u8; 256];
        grid.predict(16, 16, Mv { x: 8, y: 4 }, 16, &mut src);
        let params = SearchParams {
            lambda: 1,
            range: 8,
            subpel_rounds: 1,
        };
        let (mv, cost) = search(&grid, (16, 16, 16), &src, Mv::ZERO, &[], 48, 48, &params);
        assert_eq!(mv, Mv { x: 8, y: 4 });
        assert_eq!(cost, mvd_bits(8) + mvd_bits(4));
    }
}
