//! The exact 8×8 DCT-II: an f64 reference, a fast f32 forward transform for the encoder and
//! a bit-exact fixed-point inverse for the decoder.
//!
//! Coefficients are orthonormal: the 2-D transform preserves energy, so the DC coefficient
//! of a block is 8 × its mean and a squared error in coefficients equals the same squared
//! error in pixels. Blocks are row-major `[f32; 64]` / `[i32; 64]`, coefficient
//! `(u, v)` (vertical frequency u, horizontal v) at index `8 u + v`.
//!
//! The decoder's inverse is integer arithmetic with 13-bit cosines, so every machine and
//! thread count reconstructs the same pixels. Its input is dequantized coefficients in
//! 1/[`DEQUANT_ONE`] units, clamped to ±[`MAX_DEQUANT`]; intermediate values are clamped so
//! that no sum can overflow an `i32` whatever the (possibly damaged) input.
//!
//! As the `dct` member of the transform family ([`member`]) its dequantization factors are
//! all 1, so its dequant table is the quantizer steps themselves.

use super::{ArithmeticCost, BlockTransform, TransformCost, TransformId};

/// Dequantized coefficients are fixed point with this many units per coefficient unit.
pub const DEQUANT_ONE: i32 = 16;
/// Largest magnitude of a dequantized coefficient passed to [`inverse_int`]
/// (orthonormal 8-bit coefficients stay within ±1024, i.e. ±16384 here).
pub const MAX_DEQUANT: i32 = 32_767;

const COS_BITS: u32 = 13;
const PASS1_SHIFT: u32 = COS_BITS + 1; // 1/16 -> 1/8 units
const PASS1_CLAMP: i32 = 65_535;
const PASS2_SHIFT: u32 = COS_BITS + 3; // 1/8 -> whole units

/// The orthonormal 8-point DCT-II matrix: `m[k][n] = c(k) cos((2n+1) k π / 16)`.
pub fn dct_matrix() -> [[f64; 8]; 8] {
    let mut m = [[0.0; 8]; 8];
    for (k, row) in m.iter_mut().enumerate() {
        let scale = if k == 0 { (1.0f64 / 8.0).sqrt() } else { 0.5 };
        for (n, value) in row.iter_mut().enumerate() {
            *value = scale * (((2 * n + 1) * k) as f64 * std::f64::consts::PI / 16.0).cos();
        }
    }
    m
}

/// Reference forward 2-D DCT in f64, straight from the definition.
pub fn forward_f64(block: &[f64; 64]) -> [f64; 64] {
    let m = dct_matrix();
    let mut out = [0.0; 64];
    for u in 0..8 {
        for v in 0..8 {
            let mut sum = 0.0;
            for y in 0..8 {
                for x in 0..8 {
                    sum += m[u][y] * m[v][x] * block[8 * y + x];
                }
            }
            out[8 * u + v] = sum;
        }
    }
    out
}

/// Reference inverse 2-D DCT in f64.
pub fn inverse_f64(coeffs: &[f64; 64]) -> [f64; 64] {
    let m = dct_matrix();
    let mut out = [0.0; 64];
    for y in 0..8 {
        for x in 0..8 {
            let mut sum = 0.0;
            for u in 0..8 {
                for v in 0..8 {
                    sum += m[u][y] * m[v][x] * coeffs[8 * u + v];
                }
            }
            out[8 * y + x] = sum;
        }
    }
    out
}

/// Separable matrix DCT in f32 for the encoder (vectorizes over rows).
#[derive(Debug, Clone)]
pub struct ForwardDct {
    m: [[f32; 8]; 8],
}

impl Default for ForwardDct {
    fn default() -> Self {
        ForwardDct::new()
    }
}

impl ForwardDct {
    /// Precomputes the cosine matrix.
    pub fn new() -> ForwardDct {
        let m64 = dct_matrix();
        let mut m = [[0.0f32; 8]; 8];
        for k in 0..8 {
            for n in 0..8 {
                m[k][n] = m64[k][n] as f32;
            }
        }
        ForwardDct { m }
    }

    /// Transforms `block` (pixels, already centred on zero) into orthonormal coefficients.
    pub fn forward(&self, block: &[f32; 64], out: &mut [f32; 64]) {
        // Columns: tmp[u][x] = sum_y m[u][y] block[y][x].
        let mut tmp = [0.0f32; 64];
        for u in 0..8 {
            let mut acc = [0.0f32; 8];
            for y in 0..8 {
                let c = self.m[u][y];
                for x in 0..8 {
                    acc[x] += c * block[8 * y + x];
                }
            }
            tmp[8 * u..8 * u + 8].copy_from_slice(&acc);
        }
        // Rows: out[u][v] = sum_x m[v][x] tmp[u][x].
        for u in 0..8 {
            let row = &tmp[8 * u..8 * u + 8];
            for v in 0..8 {
                let mut sum = 0.0f32;
                for x in 0..8 {
                    sum += self.m[v][x] * row[x];
                }
                out[8 * u + v] = sum;
            }
        }
    }
}

/// Integer cosine table for [`inverse_int`]: `round(m[k][n] · 2^13)`, stored `[k][n]`.
fn int_matrix() -> &'static [[i32; 8]; 8] {
    static TABLE: std::sync::LazyLock<[[i32; 8]; 8]> = std::sync::LazyLock::new(|| {
        let m = dct_matrix();
        let mut t = [[0i32; 8]; 8];
        for k in 0..8 {
            for n in 0..8 {
                t[k][n] = (m[k][n] * (1 << COS_BITS) as f64).round() as i32;
            }
        }
        t
    });
    &TABLE
}

/// Bit-exact inverse DCT. `coeffs` are dequantized coefficients in 1/16 units (clamped to
/// ±[`MAX_DEQUANT`] here); `out` receives pixel values (still centred on zero), rounded.
pub fn inverse_int(coeffs: &[i32; 64], out: &mut [i32; 64]) {
    let c = int_matrix();
    // Pass 1, columns: tmp[y][v] = sum_u c[u][y] coeffs[u][v], 1/16 -> 1/8 units.
    let mut tmp = [0i32; 64];
    for y in 0..8 {
        let mut acc = [0i32; 8];
        for u in 0..8 {
            let cu = c[u][y];
            let row = &coeffs[8 * u..8 * u + 8];
            for v in 0..8 {
                acc[v] += cu * row[v].clamp(-MAX_DEQUANT, MAX_DEQUANT);
            }
        }
        for v in 0..8 {
            tmp[8 * y + v] = ((acc[v] + (1 << (PASS1_SHIFT - 1))) >> PASS1_SHIFT)
                .clamp(-PASS1_CLAMP, PASS1_CLAMP);
        }
    }
    // Pass 2, rows: out[y][x] = sum_v c[v][x] tmp[y][v], 1/8 -> whole units.
    for y in 0..8 {
        let row = &tmp[8 * y..8 * y + 8];
        let mut acc = [0i32; 8];
        for v in 0..8 {
            let t = row[v];
            for x in 0..8 {
                acc[x] += c[v][x] * t;
            }
        }
        for x in 0..8 {
            out[8 * y + x] = (acc[x] + (1 << (PASS2_SHIFT - 1))) >> PASS2_SHIFT;
        }
    }
}

/// The `dct` member of the family: [`ForwardDct`] and [`inverse_int`].
struct ExactDct {
    forward: ForwardDct,
}

/// The `dct` member of the family.
pub fn member() -> &'static dyn BlockTransform {
    static MEMBER: std::sync::LazyLock<ExactDct> = std::sync::LazyLock::new(|| ExactDct {
        forward: ForwardDct::new(),
    });
    &*MEMBER
}

/// Matrix products: 8 multiplications and 7 additions per output, both ways.
const MATRIX_COST: ArithmeticCost = ArithmeticCost::new(56, 0, 64);

impl BlockTransform for ExactDct {
    fn id(&self) -> TransformId {
        TransformId::Dct
    }
    fn orthogonal(&self) -> bool {
        true
    }
    fn cost(&self) -> TransformCost {
        TransformCost {
            forward: MATRIX_COST,
            inverse: MATRIX_COST,
        }
    }
    fn forward(&self, pixels: &[f32; 64], out: &mut [f32; 64]) {
        self.forward.forward(pixels, out);
    }
    fn dequant_scales(&self) -> [f64; 64] {
        [1.0; 64]
    }
    fn input_limit(&self) -> i32 {
        MAX_DEQUANT
    }
    fn inverse(&self, coeffs: &[i32; 64], out: &mut [i32; 64]) {
        inverse_int(coeffs, out);
    }
    fn analysis_matrix(&self) -> [[f64; 8]; 8] {
        dct_matrix()
    }
    fn synthesis_matrix(&self) -> [[f64; 8]; 8] {
        let m = dct_matrix();
        let mut t = [[0.0; 8]; 8];
        for k in 0..8 {
            for n in 0..8 {
                t[n][k] = m[k][n];
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    fn random_block(seed: &mut u64) -> [f64; 64] {
        let mut b = [0.0; 64];
        for v in b.iter_mut() {
            *v = (xorshift(seed) % 256) as f64 - 128.0;
        }
        b
    }

    #[test]
    fn matrix_is_orthonormal() {
        let m = dct_matrix();
        for a in 0..8 {
            for b in 0..8 {
                let dot: f64 = (0..8).map(|n| m[a][n] * m[b][n]).sum();
                let expected = if a == b { 1.0 } else { 0.0 };
                assert!((dot - expected).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn f32_forward_matches_reference() {
        let mut seed = 42;
        let fdct = ForwardDct::new();
        for _ in 0..100 {
            let b = random_block(&mut seed);
            let reference = forward_f64(&b);
            let mut input = [0.0f32; 64];
            for i in 0..64 {
                input[i] = b[i] as f32;
            }
            let mut out = [0.0f32; 64];
            fdct.forward(&input, &mut out);
            for i in 0..64 {
                assert!(
                    (out[i] as f64 - reference[i]).abs() < 1e-3,
                    "coefficient {i}"
                );
            }
            // DC is 8 × the mean.
            let mean: f64 = b.iter().sum::<f64>() / 64.0;
            assert!((reference[0] - 8.0 * mean).abs() < 1e-9);
        }
    }

    #[test]
    fn reference_round_trip() {
        let mut seed = 3;
        let b = random_block(&mut seed);
        let back = inverse_f64(&forward_f64(&b));
        for i in 0..64 {
            assert!((back[i] - b[i]).abs() < 1e-9);
        }
    }

    #[test]
    fn integer_inverse_matches_reference_within_rounding() {
        let mut seed = 17;
        let mut worst = 0.0f64;
        for _ in 0..500 {
            let b = random_block(&mut seed);
            let coeffs = forward_f64(&b);
            let mut fixed = [0i32; 64];
            for i in 0..64 {
                fixed[i] = (coeffs[i] * DEQUANT_ONE as f64).round() as i32;
            }
            let mut out = [0i32; 64];
            inverse_int(&fixed, &mut out);
            for i in 0..64 {
                worst = worst.max((out[i] as f64 - b[i]).abs());
            }
        }
        assert!(worst <= 1.0, "worst error {worst}");
    }

    #[test]
    fn integer_inverse_survives_extreme_input() {
        for value in [i32::MIN, i32::MAX, MAX_DEQUANT, -MAX_DEQUANT] {
            let coeffs = [value; 64];
            let mut out = [0i32; 64];
            inverse_int(&coeffs, &mut out);
            let mut alternating = [0i32; 64];
            for (i, c) in alternating.iter_mut().enumerate() {
                *c = if (i * 7) % 3 == 0 {
                    value
                } else {
                    value.wrapping_neg()
                };
            }
            inverse_int(&alternating, &mut out);
        }
    }
}
