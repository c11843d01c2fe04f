//! The video encoder's search and decision settings: everything it may choose that does
//! not travel in the stream (a decoder never reads these).
//!
//! In: a preset name or explicit settings. Out: a [`Tuning`] the slice encoder follows (motion
//! search range and sub-sample rings, when intra and 8×8 splits are tried, dead-zone
//! rounding) and the rate-distortion Lagrange multiplier of a quantizer index
//! ([`Tuning::lambda`], from [`RD_LAMBDA`]).

use super::qp::qstep16;
use crate::transform::dct::DEQUANT_ONE;

/// The rate-distortion Lagrange multiplier per squared quantizer step (in coefficient
/// units): the encoder picks modes, vectors and levels by distortion (sum of squared sample
/// errors) + λ × bits with λ = `RD_LAMBDA` × step² × [`Tuning::lambda_scale`]. 0.109 replaced
/// 0.136 after a BD-rate comparison on five clips (carphone −0.59 %, vtest −0.35 %, the
/// others −0.55 % to −1.16 %; commit a98c880).
pub const RD_LAMBDA: f64 = 0.109;

/// Encoder choices that do not travel in the stream.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Full-sample search range.
    pub search_range: i32,
    /// Rings of half-sample, then of quarter-sample refinement (0: whole samples only).
    pub subpel_rounds: u8,
    /// Intra is tried on an inter frame's macroblock when `intra_gate` × its best inter SAD
    /// reaches its activity (sum of absolute deviations from its mean); `u32::MAX`: always.
    pub intra_gate: u32,
    /// Try splitting macroblocks into four 8×8 quarters with their own vectors.
    pub split: bool,
    /// Multiplier of the default Lagrange multiplier ([`RD_LAMBDA`]).
    pub lambda_scale: f32,
    /// Dead-zone rounding of inter residual levels.
    pub inter_rounding: f32,
    /// Dead-zone rounding of intra AC levels.
    pub intra_rounding: f32,
    /// How many of an inter macroblock's further candidates (an older reference, split,
    /// halves), cheapest by search cost first, are coded for real and compared by rate and
    /// distortion; the newest reference's whole vector always is.
    pub coded_candidates: usize,
    /// Strength of the lookahead's macroblock quantizer offsets (0: none), in quantizer
    /// indices per doubling of a macroblock's estimated weight as a reference.
    pub mb_qp_strength: f32,
    /// Search effort of keyframes coded with the block coder, 0 (fastest) to
    /// [`crate::codec::block::encode::MAX_EFFORT`].
    pub key_effort: u8,
    /// A B-frame macroblock whose skip (both anchors averaged at the predicted vectors)
    /// costs less than this many bits' worth (× λ) is skipped without searching (0: always
    /// search). On the corpus clips 20 left the streams within 0.1 % of searching always,
    /// for 0.95 / 0.82 of the encode time.
    pub b_early_skip: f64,
}

impl Tuning {
    /// The Lagrange multiplier (squared sample error per bit) at quantizer index `qp`:
    /// [`RD_LAMBDA`] × step² × `lambda_scale`, the step (luma) in coefficient units.
    pub fn lambda(&self, qp: u8) -> f64 {
        let unit = qstep16(qp) as f64 / DEQUANT_ONE as f64;
        RD_LAMBDA * unit * unit * self.lambda_scale as f64
    }
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            search_range: 16,
            subpel_rounds: 1,
            intra_gate: 1,
            split: true,
            lambda_scale: 1.0,
            inter_rounding: 0.25,
            intra_rounding: 0.33,
            coded_candidates: 3,
            mb_qp_strength: 1.0,
            key_effort: 2,
            b_early_skip: 20.0,
        }
    }
}

/// Speed against compression: how hard the encoder searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// As fast, without the 8×8 partition search (so without halves either).
    Faster,
    /// As medium, but of the inter candidates beyond the newest reference's whole vector
    /// (an older reference, split, halves) only the cheapest by search cost is coded for
    /// real, and keyframes search less.
    Fast,
    /// One ring of half- and of quarter-sample refinement; intra tried where the best
    /// vector's SAD reaches the macroblock's activity (the default).
    Medium,
    /// Two rings each; intra tried down to half that SAD.
    Slow,
    /// Three rings each; intra tried on every macroblock.
    Slower,
}

impl Preset {
    /// The preset named `name` (faster, fast, medium, slow, slower).
    pub fn from_name(name: &str) -> Option<Preset> {
        match name {
            "faster" => Some(Preset::Faster),
            "fast" => Some(Preset::Fast),
            "medium" => Some(Preset::Medium),
            "slow" => Some(Preset::Slow),
            "slower" => Some(Preset::Slower),
            _ => None,
        }
    }

    /// The preset's search settings (the rest as by default).
    pub fn tuning(self) -> Tuning {
        let (subpel_rounds, intra_gate, split, coded_candidates, key_effort) = match self {
            Preset::Faster => (1, 1, false, 1, 1),
            Preset::Fast => (1, 1, true, 1, 1),
            Preset::Medium => (1, 1, true, 3, 2),
            Preset::Slow => (2, 2, true, 3, 3),
            Preset::Slower => (3, u32::MAX, true, 3, 3),
        };
        let b_early_skip = match self {
            Preset::Faster | Preset::Fast => 50.0,
            Preset::Medium => 20.0,
            Preset::Slow | Preset::Slower => 0.0,
        };
        Tuning {
            subpel_rounds,
            intra_gate,
            split,
            coded_candidates,
            key_effort,
            b_early_skip,
            ..Tuning::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_grows_with_the_squared_step_and_the_scale() {
        let t = Tuning::default();
        // Six indices double the step, so four times the multiplier.
        let ratio = t.lambda(30) / t.lambda(24);
        assert!((ratio - 4.0).abs() < 1e-12, "ratio {ratio}");
        let half = Tuning {
            lambda_scale: 0.5,
            ..t
        };
        assert!((half.lambda(24) / t.lambda(24) - 0.5).abs() < 1e-12);
        // qp 24 is a step of 160/16 = 10 coefficient units.
        let unit = qstep16(24) as f64 / DEQUANT_ONE as f64;
        assert!((t.lambda(24) - RD_LAMBDA * unit * unit).abs() < 1e-12);
    }

    #[test]
    fn presets_by_name() {
        for (name, preset) in [
            ("faster", Preset::Faster),
            ("fast", Preset::Fast),
            ("medium", Preset::Medium),
            ("slow", Preset::Slow),
            ("slower", Preset::Slower),
        ] {
            assert_eq!(Preset::from_name(name), Some(preset));
        }
        assert_eq!(Preset::from_name("veryslow"), None);
        assert_eq!(Preset::Fast.tuning().coded_candidates, 1);
        assert!(!Preset::Faster.tuning().split);
        assert_eq!(Preset::Slower.tuning().intra_gate, u32::MAX);
    }
}
