//! Target quality for pictures: the coarsest step scale whose decoded picture reaches a PSNR
//! or SSIM target, found by [`crate::codec::target::search`] over real encodes.
//!
//! The metrics are those `quanta compare` reports for pictures ([`compare_pictures`]): PSNR
//! is the RGB PSNR (one MSE over every R, G and B sample, peak 255) of colour pictures and
//! the plain PSNR of gray ones, what scikit-image's `peak_signal_noise_ratio(data_range=255)`
//! gives on the decoded and source arrays; SSIM is the mean SSIM of BT.601 full-range luma
//! ([`crate::metrics::ssim`]). The knob is `-log2(step_scale)`, from the scale of quality 1
//! (50) to 1/512, where every step sits at its floor as at quality 100. Each trial encodes
//! into memory with the reconstruction kept (the decoder's exact output). With `auto_chroma`
//! a colour picture aimed at a PSNR is searched in 4:4:4 and in 4:2:0 and the smaller result
//! wins: chroma subsampling caps the RGB PSNR (about 40 dB on skimage's astronaut) and on the
//! corpus 4:4:4 is usually the smaller one from 30 dB up. An SSIM target reads luma only, so
//! `auto_chroma` codes it 4:2:0 (fewer chroma bits for the same luma).

use super::{encode_picture, ChromaSampling, EncodeOutcome, ImageEncoderConfig, ImageParams};
use crate::codec::target::{search, Knob, Target, Trial};
use crate::error::Result;
use crate::metrics::{compare_pictures, PictureComparison};
use crate::signal::{Picture, PixelLayout};

/// The knob range: `-log2(step_scale)` from quality 1's scale to 1/512.
const COARSEST: f64 = -5.643_856_189_774_724; // -log2(50)
const FINEST: f64 = 9.0;
/// How much finer (in octaves) 4:2:0 typically codes than 4:4:4 for one RGB PSNR.
const SUBSAMPLED_OFFSET: f64 = 0.5;

/// A picture encoded to a target.
#[derive(Debug, Clone)]
pub struct PictureTargetOutcome {
    /// The complete stream.
    pub stream: Vec<u8>,
    pub params: ImageParams,
    /// The metric of the decoded picture (PSNR in dB or SSIM).
    pub reached: f64,
    /// The step scale chosen.
    pub step_scale: f64,
    /// Every encode run, in order, over every sampling tried.
    pub trials: Vec<Trial>,
}

impl PictureTargetOutcome {
    /// Encodes run.
    pub fn passes(&self) -> u32 {
        self.trials.len() as u32
    }

    fn best_trial(&self) -> Trial {
        Trial {
            knob: -self.step_scale.log2(),
            value: self.reached,
            bytes: self.stream.len() as u64,
        }
    }
}

/// The value of a picture comparison the target names: RGB PSNR (gray: PSNR) or SSIM-Y.
pub fn picture_metric(target: Target, c: &PictureComparison) -> f64 {
    match target {
        Target::Psnr(_) => c.psnr_rgb.unwrap_or(c.psnr_y),
        Target::Ssim(_) => c.ssim_y,
    }
}

/// The informative header quality nearest a step scale (the inverse of `quality_scale`).
fn quality_for_scale(scale: f64) -> u8 {
    let q = if scale > 1.0 {
        50.0 / scale
    } else {
        100.0 - 50.0 * scale
    };
    q.round().clamp(1.0, 100.0) as u8
}

/// Encodes `picture` at the coarsest step scale whose decoded picture reaches `target`;
/// every other setting comes from `config` (its `quality` and `step_scale` are ignored).
/// With `auto_chroma` a colour picture may be coded 4:4:4 instead of `config.sampling`
/// (see the module documentation).
pub fn encode_picture_to_target(
    picture: &Picture,
    config: &ImageEncoderConfig,
    target: Target,
    auto_chroma: bool,
) -> Result<PictureTargetOutcome> {
    target.validate()?;
    let colour = picture.layout == PixelLayout::Rgb;
    let both = auto_chroma && colour && matches!(target, Target::Psnr(_));
    if !both {
        let sampling = if auto_chroma {
            ChromaSampling::Yuv420
        } else {
            config.sampling
        };
        let config = ImageEncoderConfig {
            sampling,
            ..config.clone()
        };
        return search_sampling(picture, &config, target, start_knob(target));
    }
    let full = ImageEncoderConfig {
        sampling: ChromaSampling::Yuv444,
        ..config.clone()
    };
    let half = ImageEncoderConfig {
        sampling: ChromaSampling::Yuv420,
        ..config.clone()
    };
    let first = search_sampling(picture, &full, target, start_knob(target));
    // 4:2:0 needs finer steps than 4:4:4 for the same RGB PSNR: start half an octave finer.
    let start = match &first {
        Ok(out) => -out.step_scale.log2() + SUBSAMPLED_OFFSET,
        Err(_) => start_knob(target),
    };
    let second = search_sampling(picture, &half, target, start);
    match (first, second) {
        (Ok(a), Ok(b)) => {
            let mut trials = a.trials.clone();
            trials.extend_from_slice(&b.trials);
            let b_wins = target.better(&b.best_trial(), &a.best_trial());
            let mut winner = if b_wins { b } else { a };
            winner.trials = trials;
            Ok(winner)
        }
        (Ok(a), Err(_)) => Ok(a),
        (Err(_), Ok(b)) => Ok(b),
        (Err(e), Err(_)) => Err(e),
    }
}

/// The search at one chroma sampling, then the lambda trim. The deblocking filter's
/// thresholds move in whole units of the step, and at low rates the metric is bumpy, so it can
/// jump across the band between two nearly equal scales. When the scale search ends above
/// the band, a second search keeps its scale and raises the rate-distortion multiplier
/// lambda from the configured one (up to 10; knob `-log2(lambda / configured)`), which lowers
/// quality and size in small steps; its result replaces the first when it is better (in the
/// band, or smaller).
fn search_sampling(
    picture: &Picture,
    config: &ImageEncoderConfig,
    target: Target,
    start: f64,
) -> Result<PictureTargetOutcome> {
    let mut best = search_once(picture, config, target, Knob::scale(start), |c, x| {
        let scale = 2f64.powf(-x);
        (
            ImageEncoderConfig {
                quality: quality_for_scale(scale),
                step_scale: Some(scale),
                ..c.clone()
            },
            scale,
        )
    })?;
    if target.in_band(best.reached) || config.lambda <= 0.0 {
        return Ok(best);
    }
    let scale = best.step_scale;
    let fixed = ImageEncoderConfig {
        quality: quality_for_scale(scale),
        step_scale: Some(scale),
        ..config.clone()
    };
    let lambda0 = f64::from(config.lambda);
    let knob = Knob {
        coarsest: -(MAX_LAMBDA / lambda0).log2(),
        finest: 0.0,
        start: -0.1,
        resolution: 1e-3,
        first_slope: 1.0,
    };
    let trimmed = search_once(picture, &fixed, target, knob, |c, x| {
        let lambda = (lambda0 * 2f64.powf(-x)).min(MAX_LAMBDA) as f32;
        (
            ImageEncoderConfig {
                lambda,
                ..c.clone()
            },
            scale,
        )
    });
    let mut trials = best.trials.clone();
    if let Ok(other) = trimmed {
        trials.extend_from_slice(&other.trials);
        if target.better(&other.best_trial(), &best.best_trial()) {
            best = other;
        }
    }
    best.trials = trials;
    Ok(best)
}

/// The largest lambda the trim tries (the encoder accepts up to 10).
const MAX_LAMBDA: f64 = 10.0;

impl Knob {
    /// The step-scale knob starting at `start`.
    fn scale(start: f64) -> Knob {
        Knob {
            coarsest: COARSEST,
            finest: FINEST,
            start,
            resolution: 1e-3,
            first_slope: 5.0,
        }
    }
}

/// One search: `setting(config, knob)` gives the configuration of a trial and its step
/// scale.
fn search_once(
    picture: &Picture,
    config: &ImageEncoderConfig,
    target: Target,
    knob: Knob,
    setting: impl Fn(&ImageEncoderConfig, f64) -> (ImageEncoderConfig, f64),
) -> Result<PictureTargetOutcome> {
    let out = search(target, knob, |x| {
        let (trial, scale) = setting(config, x);
        let trial = ImageEncoderConfig {
            reconstruct: true,
            ..trial
        };
        let mut stream = Vec::new();
        let outcome: EncodeOutcome = encode_picture(picture, &trial, &mut stream)?;
        let decoded = outcome.reconstruction.as_ref().ok_or_else(|| {
            crate::Error::InvalidArgument("the encoder kept no reconstruction".into())
        })?;
        let value = picture_metric(target, &compare_pictures(picture, decoded)?);
        Ok((value, stream.len() as u64, (stream, outcome.params, scale)))
    })?;
    let (stream, params, step_scale) = out.output;
    Ok(PictureTargetOutcome {
        stream,
        params,
        reached: out.best.value,
        step_scale,
        trials: out.trials,
    })
}

/// A first guess from typical corpus pictures: PSNR about 33 dB at knob 0 and 6 dB per
/// octave; SSIM dB about 12 at knob 0 and 3 per octave.
fn start_knob(target: Target) -> f64 {
    let x = match target {
        Target::Psnr(db) => (db - 33.0) / 6.0,
        Target::Ssim(s) => (crate::codec::target::ssim_db(s) - 12.0) / 3.0,
    };
    x.clamp(COARSEST, FINEST)
}
