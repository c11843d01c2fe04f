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

/// Bases of one size: the f32 orthonormal matrix and its integer twin.
struct Basis {
    float: Vec<f32>,
    int: Vec<i64>,
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
    let mut int = vec![0i64; n * n];
    for k in 0..n {
        let a = if k == 0 {
            (1.0 / n as f64).sqrt()
        } else {
            (2.0 / n as f64).sqrt()
        };
        for i in 0..n {
            let c = a * (((2 * i + 1) * k) as f64 * std::f64::consts::PI / (2 * n) as f64).cos();
            float[k * n + i] = c as f32;
            int[k * n + i] = (c * (n as f64).sqrt() * (1u64 << BASIS_BITS) as f64).round() as i64;
        }
    }
    Basis { float, int }
}

fn basis(n: usize) -> &'static Basis {
    &bases()[log2_size(n) as usize - 2]
}

/// Forward 2-D DCT of an `n`×`n` residual block (row-major) into orthonormal coefficients.
/// `rows` is scratch space of at least n·n values.
///
/// Each 1-D pass folds its input first (sums x[i] + x[n−1−i] feed the even basis
/// functions, differences the odd ones, since those are symmetric and antisymmetric), which
/// halves the multiplications.
pub fn forward(n: usize, residual: &[f32], out: &mut [f32], rows: &mut [f32]) {
    let c = &basis(n).float;
    let half = n / 2;
    // Horizontal: rows[y][v] = Σ_x r[y][x] C[v][x].
    let mut even = [0.0f32; MAX_SIZE / 2];
    let mut odd = [0.0f32; MAX_SIZE / 2];
    for y in 0..n {
        let r = &residual[y * n..(y + 1) * n];
        for i in 0..half {
            even[i] = r[i] + r[n - 1 - i];
            odd[i] = r[i] - r[n - 1 - i];
        }
        for v in 0..n {
            let folded = if v % 2 == 0 { &even } else { &odd };
            let basis_row = &c[v * n..v * n + half];
            rows[y * n + v] = folded[..half]
                .iter()
                .zip(basis_row)
                .map(|(a, b)| a * b)
                .sum();
        }
    }
    // Vertical, on whole rows at once: out[u][v] = Σ_y C[u][y] rows[y][v].
    let mut sums = [0.0f32; MAX_SIZE * MAX_SIZE / 2];
    let mut differences = [0.0f32; MAX_SIZE * MAX_SIZE / 2];
    for y in 0..half {
        let (top, bottom) = (
            &rows[y * n..(y + 1) * n],
            &rows[(n - 1 - y) * n..(n - y) * n],
        );
        for v in 0..n {
            sums[y * n + v] = top[v] + bottom[v];
            differences[y * n + v] = top[v] - bottom[v];
        }
    }
    for u in 0..n {
        let folded = if u % 2 == 0 { &sums } else { &differences };
        let o = &mut out[u * n..(u + 1) * n];
        o.fill(0.0);
        for y in 0..half {
            let w = c[u * n + y];
            let r = &folded[y * n..(y + 1) * n];
            for (a, b) in o.iter_mut().zip(r) {
                *a += w * b;
            }
        }
    }
}

/// Inverse 2-D DCT of dequantized coefficients (1/[`DEQUANT_ONE`] units) into a residual.
/// `out` receives `n·n` samples, clamped to ±32767; `mid` is scratch space of at least
/// n·n values.
pub fn inverse(n: usize, coeffs: &[i32], out: &mut [i32], mid: &mut [i64]) {
    let t = &basis(n).int;
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
            inverse(n, &fixed, &mut back, &mut vec![0; n * n]);
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
            inverse(n, &coeffs, &mut out, &mut vec![0; n * n]);
            assert!(out.iter().all(|&v| v == 10), "n {n}: {out:?}");
            let wild = vec![i32::MAX; n * n];
            inverse(n, &wild, &mut out, &mut vec![0; n * n]);
            assert!(out.iter().all(|v| v.abs() <= 32767));
        }
    }
}
