//! Target quality for video: the coarsest fractional quantizer index whose decoded clip
//! reaches a PSNR or SSIM target, found by [`crate::codec::target::search`] over real encodes.
//!
//! The metrics are those `quanta compare a.y4m b.y4m` reports ([`VideoQualitySums`]): PSNR is
//! the PSNR-YUV, per frame `(6 Y + Cb + Cr) / 8` of the plane PSNRs (each capped at 100 dB;
//! luma alone for mono), averaged over the frames; SSIM is the per-frame SSIM of luma averaged
//! over the frames. The knob is `-qp / 6` (octaves of step) over the fractional index of
//! [`super::rate::RateControl::constant_fine`], 51 to 0, so the fraction moves the quality by
//! a share of frames one index coarser rather than in whole-index stairs (about 1 dB each).
//! A short clip has few frames to share the fraction among, and the metric can jump, so when
//! the search ends above the band a second one keeps the index and raises the
//! rate-distortion multiplier (`lambda_scale`, up to 16), which lowers quality and size in
//! small steps; the better result is kept (in the band, or smaller). Every trial encodes all
//! frames into memory with [`VideoEncoder::encode_frame`] and measures each frame's
//! reconstruction (the decoder's exact output) as it is made: the caller holds the whole clip
//! in memory.

use super::qp::MAX_QP;
use super::{VideoEncoder, VideoEncoderConfig, VideoSummary};
use crate::codec::target::{search, Knob, Target, Trial};
use crate::error::{Error, Result};
use crate::media::y4m::{Y4mHeader, YuvFrame};
use crate::metrics::video::{VideoComparison, VideoQualitySums};

/// A clip encoded to a target.
#[derive(Debug, Clone)]
pub struct VideoTargetOutcome {
    /// The complete stream.
    pub stream: Vec<u8>,
    pub summary: VideoSummary,
    /// The metric of the decoded clip (PSNR-YUV in dB or SSIM-Y).
    pub reached: f64,
    /// The fractional quantizer index chosen.
    pub qp: f64,
    /// Every encode run, in order.
    pub trials: Vec<Trial>,
}

impl VideoTargetOutcome {
    /// Encodes run.
    pub fn passes(&self) -> u32 {
        self.trials.len() as u32
    }

    fn best_trial(&self) -> Trial {
        Trial {
            knob: -self.qp / 6.0,
            value: self.reached,
            bytes: self.stream.len() as u64,
        }
    }
}

/// The value of a clip comparison the target names: PSNR-YUV or SSIM-Y.
pub fn video_metric(target: Target, c: &VideoComparison) -> f64 {
    match target {
        Target::Psnr(_) => c.psnr_yuv,
        Target::Ssim(_) => c.ssim_y,
    }
}

/// The informative header quality nearest a quantizer index (the inverse of
/// `quality_to_qp`).
fn quality_for_qp(qp: f64) -> u8 {
    (100.0 - (qp - 6.0) * 100.0 / 45.0)
        .round()
        .clamp(0.0, 100.0) as u8
}

/// Encodes `frames` (a clip of `header`'s layout) at the coarsest quantizer whose decoded
/// clip reaches `target`; every other setting comes from `config` (its quality, bitrate and
/// `fine_qp` are replaced).
pub fn encode_video_to_target(
    header: &Y4mHeader,
    frames: &[YuvFrame],
    config: &VideoEncoderConfig,
    target: Target,
) -> Result<VideoTargetOutcome> {
    target.validate()?;
    if frames.is_empty() {
        return Err(Error::InvalidArgument("the video has no frames".into()));
    }
    let knob = Knob {
        coarsest: -(MAX_QP as f64) / 6.0,
        finest: 0.0,
        start: start_knob(target),
        resolution: 1.0 / (6.0 * frames.len() as f64),
        first_slope: 5.0,
    };
    let with_qp = |qp: f64| VideoEncoderConfig {
        quality: quality_for_qp(qp),
        fine_qp: Some(qp),
        bitrate_kbps: None,
        ..config.clone()
    };
    let mut best = search_once(header, frames, target, knob, |x| {
        let qp = (-6.0 * x).clamp(0.0, MAX_QP as f64);
        (with_qp(qp), qp)
    })?;
    let lambda0 = f64::from(config.tuning.lambda_scale);
    if target.in_band(best.reached) || lambda0 <= 0.0 {
        return Ok(best);
    }
    // The lambda trim: the quantizer kept, the rate-distortion multiplier raised.
    let qp = best.qp;
    let knob = Knob {
        coarsest: -(MAX_LAMBDA_SCALE / lambda0).log2(),
        finest: 0.0,
        start: -0.1,
        resolution: 1e-3,
        first_slope: 1.0,
    };
    let trimmed = search_once(header, frames, target, knob, |x| {
        let mut trial = with_qp(qp);
        trial.tuning.lambda_scale = (lambda0 * 2f64.powf(-x)).min(MAX_LAMBDA_SCALE) as f32;
        (trial, qp)
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

/// The largest rate-distortion multiplier scale the lambda trim tries.
const MAX_LAMBDA_SCALE: f64 = 16.0;

/// One search: `setting(knob)` gives the configuration of a trial and its quantizer index.
fn search_once(
    header: &Y4mHeader,
    frames: &[YuvFrame],
    target: Target,
    knob: Knob,
    setting: impl Fn(f64) -> (VideoEncoderConfig, f64),
) -> Result<VideoTargetOutcome> {
    let out = search(target, knob, |x| {
        let (trial, qp) = setting(x);
        let mut encoder = VideoEncoder::new(Vec::new(), header, &trial)?;
        encoder.keep_reconstructions();
        let mut next = frames.iter();
        encoder.encode_stream(|| Ok(next.next().cloned()))?;
        let decoded = encoder.take_reconstructions();
        if decoded.len() != frames.len() {
            return Err(Error::InvalidArgument(format!(
                "the encoder kept {} reconstructions of {} frames",
                decoded.len(),
                frames.len()
            )));
        }
        let mut sums = VideoQualitySums::default();
        for (frame, (_, decoded)) in frames.iter().zip(&decoded) {
            sums.add(frame, decoded)?;
        }
        let (stream, summary) = encoder.finish()?;
        let value = video_metric(target, &sums.finish()?);
        Ok((value, stream.len() as u64, (stream, summary, qp)))
    })?;
    let (stream, summary, qp) = out.output;
    Ok(VideoTargetOutcome {
        stream,
        summary,
        reached: out.best.value,
        qp,
        trials: out.trials,
    })
}

/// A first guess from the corpus clips: PSNR-YUV about 37 dB at index 24 (knob -4) and
/// 5 dB per octave; SSIM dB about 14 there and 3 per octave.
fn start_knob(target: Target) -> f64 {
    let x = match target {
        Target::Psnr(db) => -4.0 + (db - 37.0) / 5.0,
        Target::Ssim(s) => -4.0 + (crate::codec::target::ssim_db(s) - 14.0) / 3.0,
    };
    x.clamp(-(MAX_QP as f64) / 6.0, 0.0)
}
