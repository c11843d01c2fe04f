//! The machinery shared by every butterfly member of the family: from a pair of 8-point
//! butterflies to a separable 8×8 [`BlockTransform`].
//!
//! A member gives a forward butterfly `F` (any row scaling) and an integer inverse
//! butterfly `S`, and a [`Shape`]: how its inverse shifts and clamps. Let `A` be `F` with
//! its rows normalized (the analysis matrix) and `S = A⁻¹ · diag(g)` (`g_k` is how much
//! larger basis function k comes out of `S` than from the exact inverse). Then
//! - the encoder computes `Y = A X Aᵀ` as `(F X Fᵀ)[u][v] / (h_u h_v)` with
//!   `h_k = ‖row k of F‖`, so coefficients are orthonormal-equivalent and a quantizer
//!   step means the same for every member;
//! - the decoder receives `Z[u][v] = level · step16 · f_uv` (rounded once, in the dequant
//!   table) with `f_uv = 2^(R-4) / (g_u g_v)` and `R` the total of the shape's shifts, and
//!   computes `X = S Z Sᵀ / 2^R`, which is `A⁻¹ Y A⁻ᵀ` in ideal arithmetic (exactly,
//!   except for HEVC, whose `S` is the transpose of its nearly orthogonal matrix).
//!
//! The factors use only correctly rounded IEEE operations (products, quotients and square
//! roots of constants), so the dequant table, and with it the decoder, is the same on every
//! machine. The inverse computes in wrapping i32 arithmetic: for inputs within
//! ±[`Shape::input_limit`] (what [`super::dequantize_block`] delivers) no intermediate value
//! can wrap, which the tests prove by running the butterflies on a bound-tracking number
//! type; for any other input it cannot panic and its output stays within
//! ±2^(31 − final shift).
//!
//! Each pass is a loop over eight columns (or rows) whose body is the scalar butterfly,
//! which the compiler vectorizes across them; no allocation, everything on the stack. The
//! passes are separate functions, because inlined together small butterflies get unrolled
//! before the vectorizer sees the loops. The transposition between the passes falls on the
//! forward's second-pass loads and on the inverse's first-pass stores, the placements that
//! measured fastest with baseline x86-64 instructions.

use std::marker::PhantomData;
use std::sync::OnceLock;

use super::lanes::{matrix_of, Lane};
use super::{BlockTransform, TransformCost, TransformId};

/// How a member's integer inverse scales, clamps and rounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Shape {
    /// Inputs within ±this are inverted without any intermediate wrap; at least 32767
    /// (the DCT's largest dequantized coefficient) times the largest factor.
    pub input_limit: i32,
    /// Rounding right shift of the input (drops the table's extra precision).
    pub pre_shift: u32,
    /// Rounding right shift between the column and the row pass.
    pub mid_shift: u32,
    /// Clamp after the mid shift.
    pub mid_limit: i32,
    /// Rounding right shift of the output.
    pub final_shift: u32,
    /// `g_k²`: squared gain of basis function k in the integer inverse over the exact one.
    pub synthesis_gain2: [f64; 8],
}

impl Shape {
    /// Total right shift `R` of the inverse.
    pub const fn total_shift(&self) -> u32 {
        self.pre_shift + self.mid_shift + self.final_shift
    }

    /// The dequantization factors `f_uv = 2^(R-4) / sqrt(g_u² g_v²)`, row-major.
    pub fn dequant_factors(&self) -> [f64; 64] {
        let scale = (1u64 << (self.total_shift() - 4)) as f64;
        let mut f = [0.0; 64];
        for u in 0..8 {
            for v in 0..8 {
                f[8 * u + v] = scale / (self.synthesis_gain2[u] * self.synthesis_gain2[v]).sqrt();
            }
        }
        f
    }
}

/// One member of the butterfly family.
pub(crate) trait Member: Send + Sync + 'static {
    const ID: TransformId;
    const ORTHOGONAL: bool;
    const SHAPE: Shape;
    const COST: TransformCost;
    /// The forward 8-point butterfly `F`.
    fn forward<L: Lane>(x: [L; 8]) -> [L; 8];
    /// The inverse 8-point butterfly `S` (integer-exact for integer lanes).
    fn inverse<L: Lane>(z: [L; 8]) -> [L; 8];
}

/// Matrices and scale tables derived once from a member's butterflies.
#[derive(Debug)]
pub(crate) struct Tables {
    /// `1 / (h_u h_v)`, the normalization of the forward output.
    forward_scale: [f32; 64],
    dequant: [f64; 64],
    analysis: [[f64; 8]; 8],
    synthesis: [[f64; 8]; 8],
}

impl Tables {
    fn build<M: Member>() -> Tables {
        let f = matrix_of(M::forward::<f64>);
        let mut h = [0.0; 8];
        let mut analysis = f;
        for k in 0..8 {
            h[k] = f[k].iter().map(|x| x * x).sum::<f64>().sqrt();
            for n in 0..8 {
                analysis[k][n] /= h[k];
            }
        }
        let mut forward_scale = [0.0f32; 64];
        for u in 0..8 {
            for v in 0..8 {
                forward_scale[8 * u + v] = (1.0 / (h[u] * h[v])) as f32;
            }
        }
        let mut synthesis = matrix_of(M::inverse::<f64>);
        for row in synthesis.iter_mut() {
            for k in 0..8 {
                row[k] /= M::SHAPE.synthesis_gain2[k].sqrt();
            }
        }
        Tables {
            forward_scale,
            dequant: M::SHAPE.dequant_factors(),
            analysis,
            synthesis,
        }
    }
}

/// A member wrapped as a [`BlockTransform`].
pub(crate) struct Separable<M> {
    tables: OnceLock<Tables>,
    member: PhantomData<M>,
}

impl<M: Member> Separable<M> {
    pub const fn new() -> Separable<M> {
        Separable {
            tables: OnceLock::new(),
            member: PhantomData,
        }
    }

    fn tables(&self) -> &Tables {
        self.tables.get_or_init(Tables::build::<M>)
    }
}

/// Pass 1 of the forward transform, down the columns: `t = F X`. The loop runs over
/// columns with the scalar butterfly as its body, so the compiler vectorizes it across
/// columns. (Kept out of line: inlined into one function with pass 2, small butterflies
/// get unrolled before the vectorizer sees the loop.)
#[inline(never)]
fn forward_columns<M: Member>(pixels: &[f32; 64], t: &mut [f32; 64]) {
    for x in 0..8 {
        let column: [f32; 8] = std::array::from_fn(|y| pixels[8 * y + x]);
        let c = M::forward(column);
        for u in 0..8 {
            t[8 * u + x] = c[u];
        }
    }
}

/// Pass 2 of the forward transform, along the rows, with the normalization:
/// `out[u][v] = (t Fᵀ)[u][v] · scale[u][v]`.
#[inline(never)]
fn forward_rows<M: Member>(t: &[f32; 64], scale: &[f32; 64], out: &mut [f32; 64]) {
    for u in 0..8 {
        let row: [f32; 8] = std::array::from_fn(|x| t[8 * u + x]);
        let c = M::forward(row);
        for v in 0..8 {
            out[8 * u + v] = c[v] * scale[8 * u + v];
        }
    }
}

/// Pass 1 of the inverse, down the columns, descaled by the mid shift and stored
/// transposed: `t[v][y] = (S Z)[y][v]`.
#[inline(never)]
fn inverse_columns<M: Member>(coeffs: &[i32; 64], t: &mut [i32; 64]) {
    let shape = M::SHAPE;
    for v in 0..8 {
        let column: [i32; 8] =
            std::array::from_fn(|u| round_shift(coeffs[8 * u + v], shape.pre_shift));
        let c = M::inverse(column);
        for y in 0..8 {
            let m = round_shift(c[y], shape.mid_shift);
            t[8 * v + y] = if shape.mid_limit < i32::MAX {
                m.clamp(-shape.mid_limit, shape.mid_limit)
            } else {
                m
            };
        }
    }
}

/// Pass 2 of the inverse, down the columns of `t` (the rows of `S Z`), descaled by the
/// final shift: `out = S Z Sᵀ`.
#[inline(never)]
fn inverse_rows<M: Member>(t: &[i32; 64], out: &mut [i32; 64]) {
    let shape = M::SHAPE;
    for y in 0..8 {
        let column: [i32; 8] = std::array::from_fn(|v| t[8 * v + y]);
        let c = M::inverse(column);
        for x in 0..8 {
            out[8 * y + x] = round_shift(c[x], shape.final_shift);
        }
    }
}

/// `Y = F X Fᵀ` scaled by `scale`.
#[inline(always)]
fn forward_2d<M: Member>(pixels: &[f32; 64], scale: &[f32; 64], out: &mut [f32; 64]) {
    let mut t = [0.0f32; 64];
    forward_columns::<M>(pixels, &mut t);
    forward_rows::<M>(&t, scale, out);
}

/// `X = S Z Sᵀ / 2^R` with the rounding shifts and clamp of the member's shape.
#[inline(always)]
fn inverse_2d<M: Member>(coeffs: &[i32; 64], out: &mut [i32; 64]) {
    let mut t = [0i32; 64];
    inverse_columns::<M>(coeffs, &mut t);
    inverse_rows::<M>(&t, out);
}

#[inline(always)]
fn round_shift(x: i32, bits: u32) -> i32 {
    if bits == 0 {
        x
    } else {
        x.wrapping_add(1 << (bits - 1)) >> bits
    }
}

impl<M: Member> BlockTransform for Separable<M> {
    fn id(&self) -> TransformId {
        M::ID
    }

    fn orthogonal(&self) -> bool {
        M::ORTHOGONAL
    }

    fn cost(&self) -> TransformCost {
        M::COST
    }

    fn forward(&self, pixels: &[f32; 64], out: &mut [f32; 64]) {
        forward_2d::<M>(pixels, &self.tables().forward_scale, out);
    }

    fn dequant_scales(&self) -> [f64; 64] {
        self.tables().dequant
    }

    fn input_limit(&self) -> i32 {
        M::SHAPE.input_limit
    }

    fn inverse(&self, coeffs: &[i32; 64], out: &mut [i32; 64]) {
        inverse_2d::<M>(coeffs, out);
    }

    fn analysis_matrix(&self) -> [[f64; 8]; 8] {
        self.tables().analysis
    }

    fn synthesis_matrix(&self) -> [[f64; 8]; 8] {
        self.tables().synthesis
    }
}
