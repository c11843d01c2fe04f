//! Block transforms: the exact DCT and its integer and multiplierless approximations.
//!
//! Takes 8×8 blocks of pixels centred on zero and gives coefficients, and back. Every
//! member of the family sits behind one trait, [`BlockTransform`], and is named by a
//! [`TransformId`] stored in the stream header, so a decoder always inverts with the
//! transform the encoder chose.
//!
//! Normalization is folded into the quantizer, so that a quantizer step means the same for
//! every member:
//! - the encoder's [`BlockTransform::forward`] (f32) gives orthonormal-equivalent
//!   coefficients `Y = A X Aᵀ`, where `A` is the member's 8-point matrix with its rows
//!   normalized (for the exact DCT, the DCT itself);
//! - the decoder multiplies each quantized level by an integer [`dequant_table`] entry,
//!   `round(step16 · f_uv)`, where `step16` is the step in 1/16 units and `f_uv` is the
//!   member's [`BlockTransform::dequant_scales`]; the member's row norms and its inverse's
//!   fixed-point scale live in `f_uv`, so [`BlockTransform::inverse`] is integer-only and,
//!   for the multiplierless members, adds and shifts only;
//! - for the exact DCT `f_uv = 1`: its table is the steps themselves and its inverse is
//!   [`dct::inverse_int`], so streams coded before the family existed decode unchanged.
//!
//! A codec uses a member like this; the encoder reconstructs with the decoder's own calls:
//!
//! ```
//! use quanta::transform::{dequant_table, dequantize_block, transform, TransformId};
//!
//! let id = TransformId::Rdct;
//! let t = transform(id);
//! let pixels = [20.0f32; 64]; // a flat block, already centred on zero
//! let mut coeffs = [0.0f32; 64];
//! t.forward(&pixels, &mut coeffs); // encoder analysis: DC = 8 × 20
//! let steps16 = [32u16; 64]; // quantizer steps in 1/16 units (2.0)
//! let levels: [i32; 64] = std::array::from_fn(|k| (coeffs[k] / 2.0).round() as i32);
//! let table = dequant_table(id, &steps16); // once per step table
//! let mut dequantized = [0i32; 64];
//! dequantize_block(&levels, &table, t.input_limit(), &mut dequantized);
//! let mut out = [0i32; 64];
//! t.inverse(&dequantized, &mut out); // decoder (and encoder reconstruction)
//! assert_eq!(out, [20; 64]);
//! ```
//!
//! [`analysis`] measures every member: coding gain, transform efficiency, orthogonality,
//! round-trip error and speed.

pub mod aan;
pub mod analysis;
pub mod bas2008;
pub mod dct;
pub mod dct4;
pub mod fft;
pub mod h264;
pub mod hevc;
pub mod intmdct;
mod lanes;
pub mod mdct;
pub mod mrdct;
pub mod rdct;
pub mod sdct;
mod separable;
pub mod switched;
pub mod trig;
pub mod wht;
pub mod window;

#[cfg(test)]
mod probe;

use crate::error::{Error, Result};

/// The transform a stream was coded with, as stored in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransformId {
    /// The exact 8×8 DCT-II (f32 matrix forward, 13-bit fixed-point inverse).
    Dct,
    /// The exact DCT by the Arai–Agui–Nakajima factorization (f32 forward, integer
    /// inverse with 11-bit constants, scale factors folded into the quantizer).
    DctFast,
    /// The H.264 8×8 integer transform.
    H264,
    /// The HEVC 8-point core transform.
    Hevc,
    /// The rounded DCT of Cintra and Bayer (2011).
    Rdct,
    /// The approximation of Bouguezel, Ahmad and Swamy (2008).
    Bas2008,
    /// The signed DCT (Haweel 2001), non-orthogonal.
    Sdct,
    /// The modified rounded DCT of Bayer and Cintra (2012), 14 additions.
    Mrdct,
    /// The Walsh–Hadamard transform in sequency order.
    Wht,
}

impl TransformId {
    /// Every member, in id order.
    pub const ALL: [TransformId; 9] = [
        TransformId::Dct,
        TransformId::DctFast,
        TransformId::H264,
        TransformId::Hevc,
        TransformId::Rdct,
        TransformId::Bas2008,
        TransformId::Sdct,
        TransformId::Mrdct,
        TransformId::Wht,
    ];

    /// The byte stored in the stream header.
    pub fn to_u8(self) -> u8 {
        match self {
            TransformId::Dct => 0,
            TransformId::DctFast => 1,
            TransformId::H264 => 2,
            TransformId::Hevc => 3,
            TransformId::Rdct => 4,
            TransformId::Bas2008 => 5,
            TransformId::Sdct => 6,
            TransformId::Mrdct => 7,
            TransformId::Wht => 8,
        }
    }

    /// Parses the header byte.
    pub fn from_u8(value: u8) -> Result<TransformId> {
        TransformId::ALL
            .into_iter()
            .find(|id| id.to_u8() == value)
            .ok_or_else(|| {
                Error::Unsupported(format!(
                    "transform id {value} (this build knows 0 to {}: {})",
                    TransformId::ALL.len() - 1,
                    TransformId::known_names()
                ))
            })
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TransformId::Dct => "dct",
            TransformId::DctFast => "dct-fast",
            TransformId::H264 => "h264",
            TransformId::Hevc => "hevc",
            TransformId::Rdct => "rdct",
            TransformId::Bas2008 => "bas2008",
            TransformId::Sdct => "sdct",
            TransformId::Mrdct => "mrdct",
            TransformId::Wht => "wht",
        }
    }

    /// One line saying what the member is.
    pub fn description(self) -> &'static str {
        match self {
            TransformId::Dct => "exact DCT-II, f32 matrix forward, 13-bit integer inverse",
            TransformId::DctFast => "exact DCT-II by Arai-Agui-Nakajima, integer inverse",
            TransformId::H264 => "H.264 8x8 integer transform",
            TransformId::Hevc => "HEVC 8-point core transform",
            TransformId::Rdct => "rounded DCT (Cintra-Bayer 2011)",
            TransformId::Bas2008 => "Bouguezel-Ahmad-Swamy 2008 approximation",
            TransformId::Sdct => "signed DCT (Haweel 2001), exact inverse",
            TransformId::Mrdct => "modified rounded DCT (Bayer-Cintra 2012)",
            TransformId::Wht => "Walsh-Hadamard, sequency order",
        }
    }

    /// Parses a command-line name.
    pub fn from_name(name: &str) -> Result<TransformId> {
        TransformId::ALL
            .into_iter()
            .find(|id| id.name() == name)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "unknown transform '{name}' (known: {})",
                    TransformId::known_names()
                ))
            })
    }

    fn known_names() -> String {
        let names: Vec<&str> = TransformId::ALL.iter().map(|id| id.name()).collect();
        names.join(", ")
    }
}

/// Operation counts of one 8-point 1-D transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "bench", derive(serde::Serialize))]
pub struct ArithmeticCost {
    /// Additions and subtractions.
    pub additions: u32,
    /// Shifts by a constant (multiplications by powers of two).
    pub shifts: u32,
    /// Multiplications by a constant; a fixed-point multiplication with its rounding
    /// counts as one.
    pub multiplications: u32,
}

impl ArithmeticCost {
    pub const fn new(additions: u32, shifts: u32, multiplications: u32) -> ArithmeticCost {
        ArithmeticCost {
            additions,
            shifts,
            multiplications,
        }
    }
}

/// Costs of a member's 8-point butterflies. The normalization (folded into the quantizer)
/// and the rounding shifts between and after the passes of a 2-D transform are not
/// counted; an 8×8 transform costs 16 of these 1-D transforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bench", derive(serde::Serialize))]
pub struct TransformCost {
    /// The encoder's forward butterfly.
    pub forward: ArithmeticCost,
    /// The decoder's integer inverse butterfly.
    pub inverse: ArithmeticCost,
}

/// An 8×8 block transform. Blocks are row-major; coefficient (u, v) (vertical frequency u,
/// horizontal v) is at index `8 u + v`.
pub trait BlockTransform: Send + Sync {
    /// The member's id.
    fn id(&self) -> TransformId;

    /// The command-line name.
    fn name(&self) -> &'static str {
        self.id().name()
    }

    /// Whether the rows of the 8-point matrix are exactly orthogonal (HEVC's are not quite).
    fn orthogonal(&self) -> bool;

    /// Operation counts of the 8-point butterflies.
    fn cost(&self) -> TransformCost;

    /// Encoder side: pixels centred on zero to orthonormal-equivalent coefficients
    /// `A X Aᵀ` (f32, so not bit-exact across machines; only the decoder needs to be).
    fn forward(&self, pixels: &[f32; 64], out: &mut [f32; 64]);

    /// Per-coefficient factors `f_uv` the decoder folds into dequantization: the inverse's
    /// input for a level is `level · round(step16 · f_uv)`. 1.0 for the exact DCT.
    fn dequant_scales(&self) -> [f64; 64];

    /// Largest input magnitude the inverse handles exactly; [`dequantize_block`] clamps to
    /// it. At least [`dct::MAX_DEQUANT`] times the largest dequantization factor.
    fn input_limit(&self) -> i32;

    /// Decoder side, bit-exact integer: dequantized coefficients (see
    /// [`dequant_table`], [`dequantize_block`]) to pixels centred on zero, rounded.
    /// Never panics, whatever the input: the exact DCT clamps its input, the butterfly
    /// members compute in wrapping arithmetic that cannot wrap within
    /// ±[`BlockTransform::input_limit`] and keeps any output within ±2^25.
    fn inverse(&self, coeffs: &[i32; 64], out: &mut [i32; 64]);

    /// The 8-point analysis matrix `A`, rows normalized: `Y = A X Aᵀ`.
    fn analysis_matrix(&self) -> [[f64; 8]; 8];

    /// The 8-point synthesis matrix `P` the decoder implements (in ideal arithmetic):
    /// `X = P Y Pᵀ`. It is `A⁻¹` (`Aᵀ` for orthogonal members), except for HEVC, whose
    /// decoder uses the transpose of its nearly orthogonal matrix, as the standard does.
    fn synthesis_matrix(&self) -> [[f64; 8]; 8];
}

/// The member named by `id`.
pub fn transform(id: TransformId) -> &'static dyn BlockTransform {
    match id {
        TransformId::Dct => dct::member(),
        TransformId::DctFast => &aan::DCT_FAST,
        TransformId::H264 => &h264::H264,
        TransformId::Hevc => &hevc::HEVC,
        TransformId::Rdct => &rdct::RDCT,
        TransformId::Bas2008 => &bas2008::BAS2008,
        TransformId::Sdct => &sdct::SDCT,
        TransformId::Mrdct => &mrdct::MRDCT,
        TransformId::Wht => &wht::WHT,
    }
}

/// Integer dequantization table of a member for quantizer steps in 1/16 units:
/// `round(steps16[k] · f_k)`. For [`TransformId::Dct`] it equals the steps.
pub fn dequant_table(id: TransformId, steps16: &[u16; 64]) -> [i32; 64] {
    let scales = transform(id).dequant_scales();
    let mut table = [0i32; 64];
    for k in 0..64 {
        // `as` saturates; every factor is positive and finite.
        table[k] = (steps16[k] as f64 * scales[k]).round() as i32;
    }
    table
}

/// Dequantizes a block for the inverse: `levels[k] · table[k]`, clamped to ±`limit`, the
/// member's [`BlockTransform::input_limit`]. With the DCT's table and limit and levels
/// within `quant::scalar::MAX_LEVEL` this is exactly `quant::scalar::dequantize`.
pub fn dequantize_block(levels: &[i32; 64], table: &[i32; 64], limit: i32, out: &mut [i32; 64]) {
    for k in 0..64 {
        out[k] = levels[k].saturating_mul(table[k]).clamp(-limit, limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_round_trip() {
        for (i, id) in TransformId::ALL.into_iter().enumerate() {
            assert_eq!(id.to_u8() as usize, i);
            assert_eq!(TransformId::from_u8(id.to_u8()).ok(), Some(id));
            assert_eq!(TransformId::from_name(id.name()).ok(), Some(id));
            assert_eq!(transform(id).id(), id);
            assert_eq!(transform(id).name(), id.name());
        }
        assert_eq!(TransformId::Dct.to_u8(), 0);
        assert_eq!(TransformId::Dct.name(), "dct");
        assert!(TransformId::from_u8(9).is_err());
        let message = TransformId::from_name("dst").err().map(|e| e.to_string());
        assert!(message.is_some_and(|m| m.contains("dst") && m.contains("mrdct")));
    }

    #[test]
    fn dct_table_is_the_steps() {
        let mut steps = [0u16; 64];
        for (k, s) in steps.iter_mut().enumerate() {
            *s = [1, 16, 17, 255, 1000, 4097, 32_768, u16::MAX - 64][k % 8] + k as u16;
        }
        let table = dequant_table(TransformId::Dct, &steps);
        for k in 0..64 {
            assert_eq!(table[k], steps[k] as i32);
        }
        assert_eq!(transform(TransformId::Dct).dequant_scales(), [1.0; 64]);
    }

    #[test]
    fn tables_are_positive_and_fit() {
        for id in TransformId::ALL {
            let table = dequant_table(id, &[u16::MAX; 64]);
            let small = dequant_table(id, &[16; 64]);
            for k in 0..64 {
                assert!(table[k] > 0 && small[k] >= 16, "{} k={k}", id.name());
            }
        }
    }

    /// FNV-1a over the decoder's output for seeded quantized blocks: the decoders define
    /// the bitstream, so any change to their arithmetic must show up here.
    fn decoder_fingerprint(id: TransformId) -> u64 {
        let t = transform(id);
        let mut rng = analysis::Rng::new(77);
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        for _ in 0..64 {
            let steps: [u16; 64] = std::array::from_fn(|_| 8 + rng.below(400) as u16);
            let levels: [i32; 64] = std::array::from_fn(|_| rng.below(31) as i32 - 15);
            let table = dequant_table(id, &steps);
            let mut coeffs = [0i32; 64];
            dequantize_block(&levels, &table, t.input_limit(), &mut coeffs);
            let mut out = [0i32; 64];
            t.inverse(&coeffs, &mut out);
            for v in table.iter().chain(&out) {
                for byte in v.to_le_bytes() {
                    hash = (hash ^ byte as u64).wrapping_mul(0x0100_0000_01b3);
                }
            }
        }
        hash
    }

    #[test]
    fn decoders_are_unchanged() {
        let fingerprints: Vec<u64> = TransformId::ALL
            .iter()
            .map(|&id| decoder_fingerprint(id))
            .collect();
        let expected: [u64; 9] = [
            0xdd5e39564bb167b8,
            0x73b7751497657803,
            0xfc85f0e9e457ed1f,
            0x764980a15a57bdbb,
            0x06a0beddc5f87f85,
            0xc23d35932caecbf8,
            0x87b192b44b2a4e40,
            0x18e9686043611a3b,
            0xa16337f3015fb690,
        ];
        assert_eq!(fingerprints, expected, "{fingerprints:#x?}");
    }

    #[test]
    fn dequantize_saturates() {
        let mut out = [0; 64];
        dequantize_block(&[i32::MAX; 64], &[3; 64], i32::MAX, &mut out);
        assert_eq!(out, [i32::MAX; 64]);
        dequantize_block(&[i32::MIN; 64], &[3; 64], 100, &mut out);
        assert_eq!(out, [-100; 64]);
        dequantize_block(&[-5; 64], &[7; 64], 1000, &mut out);
        assert_eq!(out, [-35; 64]);
        // The DCT path equals quant::scalar::dequantize: (level × step) clamped to 32767.
        let dct = transform(TransformId::Dct);
        let table = dequant_table(TransformId::Dct, &[40; 64]);
        dequantize_block(&[1000; 64], &table, dct.input_limit(), &mut out);
        assert_eq!(out, [dct::MAX_DEQUANT; 64]);
    }
}
