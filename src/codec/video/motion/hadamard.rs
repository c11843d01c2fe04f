//! The Hadamard cost of a motion-compensated block: the sum of absolute 4×4 Hadamard
//! transformed differences, with an AVX2 path and its scalar twin.

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
pub(super) fn satd_any(src: &[u8], pred: &[u8], size: usize) -> u32 {
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
