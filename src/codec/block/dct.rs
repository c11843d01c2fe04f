//! Square DCT-II of sizes 4, 8, 16 and 32 for the block coder: an f32 forward transform
//! for the encoder and a bit-exact integer inverse shared by the encoder's reconstruction
//! and the decoder.
//!
//! Coefficients are orthonormal (energy preserving), so a squared error in coefficients
//! is the same squared error in samples at every size, and one quantizer step means the
//! same thing for a 4×4 and a 32×32 block. Blocks are row-major, coefficient (u, v)
//! (vertical frequency u, horizontal v) at index `n·u + v`.
//!
//! The inverse takes dequantized coefficients in 1/16 units (clamped to ±2^20) and uses a
//! 14-bit integer basis `T[k][i] = round(2^13·√n·C[k][i])` (C orthonormal) with 64-bit
//! sums: a horizontal pass descaled by 13 bits, clamped to ±2^24, then a vertical pass
//! descaled by 17 + log2 n bits with rounding. Rows and columns past the last nonzero
//! coefficient are skipped, which changes no result.

use std::sync::OnceLock;

/// Largest block side.
pub const MAX_SIZE: usize = 32;
/// Dequantized coefficients are fixed point with this many units per coefficient unit.
pub const DEQUANT_ONE: i32 = 16;
/// Bound on a dequantized coefficient's magnitude passed to [`inverse`].
pub const MAX_DEQUANT: i32 = 1 << 20;

const BASIS_BITS: u32 = 13;
const PASS1_CLAMP: i64 = 1 << 24;

/// Bases of one size: the f32 orthonormal matrix, its transpose, and its integer twin.
struct Basis {
    float: Vec<f32>,
    float_t: Vec<f32>,
    int32: Vec<i32>,
}

/// log2 of a supported size (4 → 2 … 32 → 5).
pub fn log2_size(n: usize) -> u32 {
    debug_assert!(matches!(n, 4 | 8 | 16 | 32));
    n.trailing_zeros()
}

fn bases() -> &'static [Basis; 4] {
    static BASES: OnceLock<[Basis; 4]> = OnceLock::new();
    BASES.get_or_init(|| [4, 8, 16, 32].map(build))
}

fn build(n: usize) -> Basis {
    let mut float = vec![0.0f32; n * n];
    let mut int32 = vec![0i32; n * n];
    for k in 0..n {
        let a = if k == 0 {
            (1.0 / n as f64).sqrt()
        } else {
            (2.0 / n as f64).sqrt()
        };
        for i in 0..n {
            let c = a * (((2 * i + 1) * k) as f64 * std::f64::consts::PI / (2 * n) as f64).cos();
            float[k * n + i] = c as f32;
            int32[k * n + i] = (c * (n as f64).sqrt() * (1u64 << BASIS_BITS) as f64).round() as i32;
        }
    }
    let mut float_t = vec![0.0f32; n * n];
    for k in 0..n {
        for i in 0..n {
            float_t[i * n + k] = float[k * n + i];
        }
    }
    Basis {
        float,
        float_t,
        int32,
    }
}

fn basis(n: usize) -> &'static Basis {
    &bases()[log2_size(n) as usize - 2]
}

/// Forward 2-D DCT of an `n`×`n` residual block (row-major) into orthonormal coefficients.
/// `rows` is scratch space of at least n·n values.
///
/// Both passes work on whole rows at once (a multiple of one row added to another), which
/// the compiler turns into vector code. The vertical pass runs first and folds its input
/// (sums of rows y and n−1−y feed the even basis functions, differences the odd ones,
/// since those are symmetric and antisymmetric), which halves its multiplications; the
/// horizontal pass multiplies by the transposed basis.
pub fn forward(n: usize, residual: &[f32], out: &mut [f32], rows: &mut [f32]) {
    crate::arch::with_avx2(
        #[inline(always)]
        || forward_any(n, residual, out, rows),
    );
}

/// [`forward`] for any size, inlined into each dispatched copy.
#[inline(always)]
fn forward_any(n: usize, residual: &[f32], out: &mut [f32], rows: &mut [f32]) {
    match n {
        4 => forward_sized::<4>(residual, out, rows),
        8 => forward_sized::<8>(residual, out, rows),
        16 => forward_sized::<16>(residual, out, rows),
        _ => forward_sized::<32>(residual, out, rows),
    }
}

/// [`forward`] of an `N`×`N` block: with the size known, the row loops unroll.
#[inline(always)]
fn forward_sized<const N: usize>(residual: &[f32], out: &mut [f32], rows: &mut [f32]) {
    let b = basis(N);
    let (c, c_t) = (&b.float[..N * N], &b.float_t[..N * N]);
    let residual = &residual[..N * N];
    let (rows, out) = (&mut rows[..N * N], &mut out[..N * N]);
    let half = N / 2;
    // Vertical: rows[u][x] = Σ_y C[u][y] r[y][x].
    let mut sums = [[0.0f32; N]; MAX_SIZE / 2];
    let mut differences = [[0.0f32; N]; MAX_SIZE / 2];
    for y in 0..half {
        let top = &residual[y * N..][..N];
        let bottom = &residual[(N - 1 - y) * N..][..N];
        for x in 0..N {
            sums[y][x] = top[x] + bottom[x];
            differences[y][x] = top[x] - bottom[x];
        }
    }
    for u in 0..N {
        let folded = if u % 2 == 0 { &sums } else { &differences };
        let mut o = [0.0f32; N];
        for y in 0..half {
            let w = c[u * N + y];
            for x in 0..N {
                o[x] += w * folded[y][x];
            }
        }
        rows[u * N..][..N].copy_from_slice(&o);
    }
    // Horizontal: out[u][v] = Σ_x rows[u][x] C[v][x] = Σ_x rows[u][x] Cᵀ[x][v].
    for u in 0..N {
        let mut o = [0.0f32; N];
        for x in 0..N {
            let w = rows[u * N + x];
            let b = &c_t[x * N..][..N];
            for v in 0..N {
                o[v] += w * b[v];
            }
        }
        out[u * N..][..N].copy_from_slice(&o);
    }
}

/// Inverse 2-D DCT of dequantized coefficients (1/[`DEQUANT_ONE`] units) into a residual.
/// `out` receives `n·n` samples, clamped to ±32767.
pub fn inverse(n: usize, coeffs: &[i32], out: &mut [i32]) {
    crate::arch::with_avx2(
        #[inline(always)]
        || inverse_any(n, coeffs, out),
    );
}

/// [`inverse`] for any size, inlined into each dispatched copy.
#[inline(always)]
fn inverse_any(n: usize, coeffs: &[i32], out: &mut [i32]) {
    match n {
        4 => inverse_sized::<4>(coeffs, out),
        8 => inverse_sized::<8>(coeffs, out),
        16 => inverse_sized::<16>(coeffs, out),
        _ => inverse_sized::<32>(coeffs, out),
    }
}

/// [`inverse`] of an `N`×`N` block. Both passes add a multiple of one basis or
/// intermediate row to a row of 64-bit sums, so they run on whole rows at once; integer
/// sums are exact in any order, so this is the arithmetic the format defines.
#[inline(always)]
fn inverse_sized<const N: usize>(coeffs: &[i32], out: &mut [i32]) {
    let t = &basis(N).int32[..N * N];
    let coeffs = &coeffs[..N * N];
    let out = &mut out[..N * N];
    // Extent of the nonzero coefficients.
    let mut last_row = 0;
    let mut last_col = 0;
    for u in 0..N {
        for v in 0..N {
            if coeffs[u * N + v] != 0 {
                last_row = last_row.max(u + 1);
                last_col = last_col.max(v + 1);
            }
        }
    }
    if last_row == 0 {
        out.fill(0);
        return;
    }
    // Horizontal pass on the rows that hold coefficients: mid[u][x], clamped to ±2^24 so
    // that it fits 32 bits.
    let round1 = 1i64 << (BASIS_BITS - 1);
    let mut mid = [[0i32; N]; N];
    for u in 0..last_row {
        let mut sum = [0i64; N];
        for v in 0..last_col {
            let c = coeffs[u * N + v].clamp(-MAX_DEQUANT, MAX_DEQUANT) as i64;
            let basis_row = &t[v * N..][..N];
            for x in 0..N {
                sum[x] += c * basis_row[x] as i64;
            }
        }
        for x in 0..N {
            mid[u][x] = ((sum[x] + round1) >> BASIS_BITS).clamp(-PASS1_CLAMP, PASS1_CLAMP) as i32;
        }
    }
    // Vertical pass.
    let shift = 17 + log2_size(N);
    let round2 = 1i64 << (shift - 1);
    for y in 0..N {
        let mut sum = [0i64; N];
        for u in 0..last_row {
            let w = t[u * N + y] as i64;
            for x in 0..N {
                sum[x] += w * mid[u][x] as i64;
            }
        }
        for x in 0..N {
            out[y * N + x] = ((sum[x] + round2) >> shift).clamp(-32767, 32767) as i32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(seed: &mut u32) -> f32 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 17;
        *seed ^= *seed << 5;
        (*seed % 511) as f32 - 255.0
    }

    #[test]
    fn forward_preserves_energy_and_inverse_restores_samples() {
        let mut seed = 7u32;
        for n in [4, 8, 16, 32] {
            let residual: Vec<f32> = (0..n * n).map(|_| noise(&mut seed)).collect();
            let mut coeffs = vec![0.0f32; n * n];
            forward(n, &residual, &mut coeffs, &mut vec![0.0; n * n]);
            let e_in: f64 = residual.iter().map(|&v| (v as f64).powi(2)).sum();
            let e_out: f64 = coeffs.iter().map(|&v| (v as f64).powi(2)).sum();
            assert!(
                (e_in - e_out).abs() < 1e-4 * e_in,
                "n {n}: {e_in} vs {e_out}"
            );
            let fixed: Vec<i32> = coeffs
                .iter()
                .map(|&c| (c * DEQUANT_ONE as f32).round() as i32)
                .collect();
            let mut back = vec![0i32; n * n];
            inverse(n, &fixed, &mut back);
            for (a, b) in residual.iter().zip(&back) {
                assert!((*a as i32 - b).abs() <= 1, "n {n}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn a_lone_dc_gives_a_flat_block_and_absurd_input_does_not_overflow() {
        for n in [4, 8, 16, 32] {
            let mut coeffs = vec![0i32; n * n];
            // DC of a flat block of 10 is 10·n.
            coeffs[0] = 10 * n as i32 * DEQUANT_ONE;
            let mut out = vec![0i32; n * n];
            inverse(n, &coeffs, &mut out);
            assert!(out.iter().all(|&v| v == 10), "n {n}: {out:?}");
            let wild = vec![i32::MAX; n * n];
            inverse(n, &wild, &mut out);
            assert!(out.iter().all(|v| v.abs() <= 32767));
        }
    }

    /// The inverse as first written (one output at a time), which the format was defined
    /// by: the row-at-once inverse must give the same samples.
    fn inverse_reference(n: usize, coeffs: &[i32], out: &mut [i32], mid: &mut [i64]) {
        let t: Vec<i64> = basis(n).int32.iter().map(|&v| v as i64).collect();
        // Extent of the nonzero coefficients.
        let mut last_row = 0;
        let mut last_col = 0;
        let mut any = false;
        for u in 0..n {
            for v in 0..n {
                if coeffs[u * n + v] != 0 {
                    any = true;
                    last_row = last_row.max(u + 1);
                    last_col = last_col.max(v + 1);
                }
            }
        }
        if !any {
            out[..n * n].fill(0);
            return;
        }
        // Horizontal pass on the rows that hold coefficients: mid[u][x].
        let round1 = 1i64 << (BASIS_BITS - 1);
        for u in 0..last_row {
            let row = &coeffs[u * n..u * n + last_col];
            for x in 0..n {
                let mut sum = 0i64;
                for (v, &c) in row.iter().enumerate() {
                    let c = (c as i64).clamp(-(MAX_DEQUANT as i64), MAX_DEQUANT as i64);
                    sum += c * t[v * n + x];
                }
                mid[u * n + x] = ((sum + round1) >> BASIS_BITS).clamp(-PASS1_CLAMP, PASS1_CLAMP);
            }
        }
        // Vertical pass.
        let shift = 17 + log2_size(n);
        let round2 = 1i64 << (shift - 1);
        for y in 0..n {
            for x in 0..n {
                let mut sum = 0i64;
                for u in 0..last_row {
                    sum += mid[u * n + x] * t[u * n + y];
                }
                out[y * n + x] = ((sum + round2) >> shift).clamp(-32767, 32767) as i32;
            }
        }
    }

    #[test]
    fn the_dispatched_transforms_equal_their_baseline_twins() {
        let mut seed = 5u32;
        for n in [4, 8, 16, 32] {
            let residual: Vec<f32> = (0..n * n).map(|_| noise(&mut seed)).collect();
            let (mut a, mut b) = (vec![0.0f32; n * n], vec![0.0f32; n * n]);
            let mut rows = vec![0.0f32; n * n];
            forward(n, &residual, &mut a, &mut rows);
            forward_any(n, &residual, &mut b, &mut rows);
            assert_eq!(a, b, "forward, n {n}");
            let coeffs: Vec<i32> = a.iter().map(|&c| (c * 16.0) as i32).collect();
            let (mut x, mut y) = (vec![0i32; n * n], vec![0i32; n * n]);
            inverse(n, &coeffs, &mut x);
            inverse_any(n, &coeffs, &mut y);
            assert_eq!(x, y, "inverse, n {n}");
        }
    }

    #[test]
    fn the_row_at_once_inverse_gives_the_reference_samples() {
        let mut seed = 99u32;
        for n in [4, 8, 16, 32] {
            for case in 0..40 {
                // Sparse low-frequency blocks, dense ones, and values at the clamps.
                let coeffs: Vec<i32> = (0..n * n)
                    .map(|i| {
                        let v = noise(&mut seed) as i32;
                        match case % 4 {
                            0 if i % n < 3 && i / n < 3 => v * 40,
                            0 => 0,
                            1 => v * 16,
                            2 => v * 5000,
                            _ if v > 200 => i32::MAX,
                            _ if v < -200 => i32::MIN,
                            _ => v * 3,
                        }
                    })
                    .collect();
                let (mut fast, mut reference) = (vec![0i32; n * n], vec![0i32; n * n]);
                inverse(n, &coeffs, &mut fast);
                inverse_reference(n, &coeffs, &mut reference, &mut vec![0; n * n]);
                assert_eq!(fast, reference, "n {n}, case {case}");
            }
        }
    }
}
