//! Measurements of the transform family: coding gain, transform efficiency, orthogonality,
//! round-trip error and speed, gathered per member by [`transform_table`].
//!
//! Takes 8-point matrices (rows are basis functions, any row scaling) or members, gives
//! figures. The source model is the first-order Gauss–Markov (AR(1)) process of unit
//! variance, `R[i][j] = ρ^|i-j|`, with ρ = 0.95 in the table, as in the DCT-approximation
//! literature (Cintra and Bayer 2011; Bouguezel, Ahmad and Swamy 2008). Coding gain is the
//! generalized form of Katto and Yasuda (1991), which also holds for non-orthogonal
//! transforms: `C = 10 log10( σ² / Π_k (A_k B_k)^(1/8) )`, `A_k` the variance of
//! coefficient k and `B_k` the squared norm of basis function k of the inverse; for an
//! orthonormal matrix `B_k = 1` and it is the usual ratio of arithmetic to geometric mean.

use std::hint::black_box;
use std::time::Instant;

use super::{transform, ArithmeticCost, BlockTransform, TransformId};

/// The correlation coefficient of the AR(1) source of the table.
pub const RHO: f64 = 0.95;

type Matrix = [[f64; 8]; 8];

/// A seeded xorshift generator for test blocks (deterministic on every machine).
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Pixels of an 8-bit block centred on zero: -128 to 127.
    pub fn pixel_block(&mut self) -> [f32; 64] {
        std::array::from_fn(|_| self.below(256) as f32 - 128.0)
    }
}

/// The covariance matrix of a unit-variance AR(1) source: `ρ^|i-j|`.
pub fn ar1_covariance(rho: f64) -> Matrix {
    std::array::from_fn(|i| std::array::from_fn(|j| rho.powi((i as i32 - j as i32).abs())))
}

fn normalize_rows(matrix: &Matrix) -> Matrix {
    let mut m = *matrix;
    for row in m.iter_mut() {
        let norm = row.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|x| *x /= norm);
        }
    }
    m
}

fn multiply(a: &Matrix, b: &Matrix) -> Matrix {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..8).map(|k| a[i][k] * b[k][j]).sum()))
}

fn transposed(a: &Matrix) -> Matrix {
    std::array::from_fn(|i| std::array::from_fn(|j| a[j][i]))
}

/// Covariance of the coefficients, `A R Aᵀ`, with the rows of `A` normalized.
fn coefficient_covariance(matrix: &Matrix, rho: f64) -> Matrix {
    let a = normalize_rows(matrix);
    multiply(&multiply(&a, &ar1_covariance(rho)), &transposed(&a))
}

/// The inverse of `m` by Gauss–Jordan elimination with partial pivoting; `None` if singular.
pub fn invert(m: &Matrix) -> Option<Matrix> {
    let mut a = *m;
    let mut inv: Matrix = std::array::from_fn(|i| std::array::from_fn(|j| (i == j) as u8 as f64));
    for col in 0..8 {
        let pivot = (col..8).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let p = a[col][col];
        for j in 0..8 {
            a[col][j] /= p;
            inv[col][j] /= p;
        }
        for row in 0..8 {
            if row != col {
                let f = a[row][col];
                for j in 0..8 {
                    a[row][j] -= f * a[col][j];
                    inv[row][j] -= f * inv[col][j];
                }
            }
        }
    }
    Some(inv)
}

/// Generalized coding gain in dB of the 8-point `matrix` for an AR(1) source with
/// correlation `rho`. `B_k` is the squared norm of the k-th basis function of the inverse
/// (column k of `A⁻¹`, the vector coefficient k is synthesized with). `None` if singular.
pub fn coding_gain(matrix: &Matrix, rho: f64) -> Option<f64> {
    let a = normalize_rows(matrix);
    let inverse = invert(&a)?;
    let covariance = coefficient_covariance(&a, rho);
    let log_sum: f64 = (0..8)
        .map(|k| {
            let b: f64 = (0..8).map(|n| inverse[n][k] * inverse[n][k]).sum();
            (covariance[k][k] * b).log10()
        })
        .sum();
    Some(-10.0 * log_sum / 8.0)
}

/// The variant of [`coding_gain`] found in the DCT-approximation literature, with `B_k`
/// the squared norm of row k of `A⁻¹` instead of column k. Equal for orthogonal matrices;
/// for the SDCT it gives 6.03 dB (the published figure) where [`coding_gain`] gives 6.28.
pub fn coding_gain_inverse_rows(matrix: &Matrix, rho: f64) -> Option<f64> {
    let a = normalize_rows(matrix);
    let inverse = invert(&a)?;
    let covariance = coefficient_covariance(&a, rho);
    let log_sum: f64 = (0..8)
        .map(|k| {
            let b: f64 = inverse[k].iter().map(|x| x * x).sum();
            (covariance[k][k] * b).log10()
        })
        .sum();
    Some(-10.0 * log_sum / 8.0)
}

/// Transform efficiency in percent: the share of the absolute coefficient covariance on
/// its diagonal, `Σ|C_kk| / Σ|C_ij|`, rows of `matrix` normalized.
pub fn transform_efficiency(matrix: &Matrix, rho: f64) -> f64 {
    let c = coefficient_covariance(matrix, rho);
    let diagonal: f64 = (0..8).map(|k| c[k][k].abs()).sum();
    let total: f64 = c.iter().flatten().map(|x| x.abs()).sum();
    100.0 * diagonal / total
}

/// Deviation from orthogonality: `1 − ‖diag M‖ / ‖M‖` (Frobenius norms) with `M = A Aᵀ`,
/// rows of `A` normalized. 0 for an orthogonal matrix.
pub fn orthogonality_error(matrix: &Matrix) -> f64 {
    let a = normalize_rows(matrix);
    let m = multiply(&a, &transposed(&a));
    let diagonal: f64 = (0..8).map(|k| m[k][k] * m[k][k]).sum();
    let total: f64 = m.iter().flatten().map(|x| x * x).sum();
    1.0 - (diagonal / total).sqrt()
}

/// Absolute pixel error of a forward and inverse transform without quantization.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "bench", derive(serde::Serialize))]
pub struct RoundTripError {
    /// Mean absolute error per pixel.
    pub mean: f64,
    /// Largest absolute error.
    pub max: f64,
}

/// The exact dequantized coefficients of a block: `round(16 · Y · f_k)` (step 1/16).
fn exact_inverse_input(coeffs: &[f32; 64], factors: &[f64; 64]) -> [i32; 64] {
    std::array::from_fn(|k| (coeffs[k] as f64 * 16.0 * factors[k]).round() as i32)
}

/// Forward transform, then the integer inverse of the coefficients dequantized exactly
/// (`round(16 · Y · f_k)`, no quantization), on `blocks` seeded random 8-bit blocks.
pub fn round_trip_error(t: &dyn BlockTransform, blocks: usize, seed: u64) -> RoundTripError {
    let factors = t.dequant_scales();
    let mut rng = Rng::new(seed);
    let (mut sum, mut max) = (0.0f64, 0.0f64);
    let mut coeffs = [0.0f32; 64];
    let mut out = [0i32; 64];
    for _ in 0..blocks {
        let pixels = rng.pixel_block();
        t.forward(&pixels, &mut coeffs);
        t.inverse(&exact_inverse_input(&coeffs, &factors), &mut out);
        for k in 0..64 {
            let e = (out[k] as f64 - pixels[k] as f64).abs();
            sum += e;
            max = max.max(e);
        }
    }
    RoundTripError {
        mean: sum / (64 * blocks.max(1)) as f64,
        max,
    }
}

/// Nanoseconds per 8×8 block of forward plus inverse transform: the best of a few short
/// runs over in-memory blocks (a rough figure; the criterion benches are the careful one).
pub fn time_per_block(t: &dyn BlockTransform) -> f64 {
    const BLOCKS: usize = 256;
    let mut rng = Rng::new(1);
    let factors = t.dequant_scales();
    let pixels: Vec<[f32; 64]> = (0..BLOCKS).map(|_| rng.pixel_block()).collect();
    let inputs: Vec<[i32; 64]> = pixels
        .iter()
        .map(|p| {
            let mut c = [0.0f32; 64];
            t.forward(p, &mut c);
            exact_inverse_input(&c, &factors)
        })
        .collect();
    let mut best = f64::INFINITY;
    let mut coeffs = [0.0f32; 64];
    let mut out = [0i32; 64];
    for _ in 0..20 {
        let start = Instant::now();
        for (p, z) in pixels.iter().zip(&inputs) {
            t.forward(black_box(p), &mut coeffs);
            t.inverse(black_box(z), &mut out);
            black_box((&coeffs, &out));
        }
        best = best.min(start.elapsed().as_nanos() as f64 / BLOCKS as f64);
    }
    best
}

/// One member's line of the table printed by `quanta transforms`.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "bench", derive(serde::Serialize))]
pub struct TransformReport {
    /// Stream id.
    pub id: u8,
    /// Command-line name.
    pub name: &'static str,
    /// What the member is.
    pub description: &'static str,
    /// Whether the 8-point matrix has orthogonal rows.
    pub orthogonal: bool,
    /// Cost of the encoder's 8-point butterfly.
    pub forward_cost: ArithmeticCost,
    /// Cost of the decoder's 8-point butterfly.
    pub inverse_cost: ArithmeticCost,
    /// Generalized coding gain for AR(1), ρ = 0.95, in dB.
    pub coding_gain_db: f64,
    /// Transform efficiency for AR(1), ρ = 0.95, in percent.
    pub transform_efficiency_percent: f64,
    /// Deviation of `A Aᵀ` from diagonal (0 = orthogonal).
    pub orthogonality_error: f64,
    /// Round trip without quantization, 1000 random 8-bit blocks.
    pub round_trip: RoundTripError,
    /// Forward plus inverse 8×8, nanoseconds per block (this machine, this run).
    pub ns_per_block: f64,
}

/// Measures one member.
pub fn report(id: TransformId) -> TransformReport {
    let t = transform(id);
    let a = t.analysis_matrix();
    let cost = t.cost();
    TransformReport {
        id: id.to_u8(),
        name: id.name(),
        description: id.description(),
        orthogonal: t.orthogonal(),
        forward_cost: cost.forward,
        inverse_cost: cost.inverse,
        coding_gain_db: coding_gain(&a, RHO).unwrap_or(f64::NAN),
        transform_efficiency_percent: transform_efficiency(&a, RHO),
        orthogonality_error: orthogonality_error(&a),
        round_trip: round_trip_error(t, 1000, 2024),
        ns_per_block: time_per_block(t),
    }
}

/// Every member measured, in id order.
pub fn transform_table() -> Vec<TransformReport> {
    TransformId::ALL.into_iter().map(report).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published figures: (member, coding gain dB, efficiency %).
    const TARGETS: [(TransformId, f64, Option<f64>); 8] = [
        (TransformId::Dct, 8.8259, Some(93.99)),
        (TransformId::DctFast, 8.8259, Some(93.99)),
        (TransformId::Hevc, 8.8248, None),
        (TransformId::H264, 8.7833, Some(92.46)),
        (TransformId::Rdct, 8.1827, Some(87.43)),
        (TransformId::Bas2008, 8.1194, Some(86.86)),
        (TransformId::Wht, 7.9461, Some(85.31)),
        (TransformId::Mrdct, 7.3326, Some(80.90)),
    ];

    #[test]
    fn published_coding_gains_and_efficiencies() {
        for (id, gain, efficiency) in TARGETS {
            let a = transform(id).analysis_matrix();
            let g = coding_gain(&a, RHO).unwrap_or(f64::NAN);
            assert!((g - gain).abs() < 0.001, "{}: {g} dB", id.name());
            if let Some(e) = efficiency {
                let eta = transform_efficiency(&a, RHO);
                assert!((eta - e).abs() < 0.01, "{}: {eta} %", id.name());
            }
            if transform(id).orthogonal() {
                let literature = coding_gain_inverse_rows(&a, RHO).unwrap_or(f64::NAN);
                assert!((literature - g).abs() < 1e-9, "{}", id.name());
                assert!(orthogonality_error(&a) < 1e-12, "{}", id.name());
            } else {
                assert!(orthogonality_error(&a) < 1e-5, "{}", id.name());
            }
        }
    }

    #[test]
    fn signed_dct_figures() {
        let a = transform(TransformId::Sdct).analysis_matrix();
        let g = coding_gain(&a, RHO).unwrap_or(f64::NAN);
        assert!((g - 6.2819).abs() < 0.001, "{g}");
        let literature = coding_gain_inverse_rows(&a, RHO).unwrap_or(f64::NAN);
        assert!((literature - 6.0261).abs() < 0.001, "{literature}");
        let eta = transform_efficiency(&a, RHO);
        assert!((eta - 82.62).abs() < 0.01, "{eta}");
        assert!(orthogonality_error(&a) > 0.01);
    }

    #[test]
    fn singular_matrices_have_no_gain() {
        let mut m = transform(TransformId::Wht).analysis_matrix();
        m[3] = m[2];
        assert!(coding_gain(&m, RHO).is_none());
        let inverse = invert(&transform(TransformId::Sdct).analysis_matrix());
        assert!(inverse.is_some());
    }

    #[test]
    fn table_covers_every_member() {
        let table = transform_table();
        assert_eq!(table.len(), TransformId::ALL.len());
        for (line, id) in table.iter().zip(TransformId::ALL) {
            assert_eq!(line.name, id.name());
            assert!(line.round_trip.max <= 1.0, "{line:?}");
        }
        // ns_per_block depends on the machine and is not checked here; benches/transforms.rs
        // measures the members' speed.
    }
}
