//! Target PSNR for audio: the coarsest fractional step offset whose decoded signal reaches a
//! PSNR target, found by [`crate::codec::target::search`] over real encodes.
//!
//! Only the PSNR tune ([`AudioTune::Psnr`], equal steps in every band) is searched: its noise
//! follows the step everywhere, so the PSNR moves steadily with the knob; the perceptual tune
//! shapes its noise for the ear, not for PSNR. The metric is the PSNR of `quanta compare` for
//! audio as a default decode gives it: the decoded signal rounded to 16-bit samples (as the
//! WAV output of `quanta decode` writes them) and read back on a full scale of 1.0, against
//! the source samples, `10 log10(1 / MSE)` over every sample of every channel
//! ([`audio_psnr`]). The knob is `-offset / 4` (octaves of step) over
//! [`RateMode::StepOffset`], 40 to -96. Each trial encodes the samples held in memory and
//! decodes the stream in memory.

use super::{
    decode_audio, encode_audio, AudioDecodeOptions, AudioEncodeOutcome, AudioEncoderConfig,
    AudioTune, RateMode,
};
use crate::codec::target::{search, Knob, Target, Trial};
use crate::error::{Error, Limits, Result};
use crate::media::audio::{to_int, MemorySource};
use crate::metrics::audio_psnr;

/// The offset range: coarsest and finest.
const COARSEST_OFFSET: f64 = 40.0;
const FINEST_OFFSET: f64 = -96.0;

/// An audio signal encoded to a target.
#[derive(Debug)]
pub struct AudioTargetOutcome {
    /// The complete stream.
    pub stream: Vec<u8>,
    pub outcome: AudioEncodeOutcome,
    /// The PSNR of the decoded signal, in dB.
    pub reached: f64,
    /// The fractional step offset chosen.
    pub offset: f64,
    /// Every encode run, in order.
    pub trials: Vec<Trial>,
}

impl AudioTargetOutcome {
    /// Encodes run.
    pub fn passes(&self) -> u32 {
        self.trials.len() as u32
    }
}

/// A sample as a 16-bit WAV stores it and a reader gives it back (full scale 1.0).
fn through_pcm16(v: f32) -> f32 {
    to_int(v, 16) as f32 / 32768.0
}

/// Encodes `samples` (interleaved, `channels` channels at `rate` Hz, full scale 1.0) at the
/// coarsest step offset whose decoded signal reaches `target`, a PSNR. `config` must be of
/// the PSNR tune; its rate mode is replaced.
pub fn encode_audio_to_target(
    rate: u32,
    channels: usize,
    samples: &[f32],
    config: &AudioEncoderConfig,
    target: Target,
) -> Result<AudioTargetOutcome> {
    target.validate()?;
    let Target::Psnr(db) = target else {
        return Err(Error::InvalidArgument(
            "audio takes a PSNR target only (--target-psnr)".into(),
        ));
    };
    if config.tune != AudioTune::Psnr {
        return Err(Error::InvalidArgument(
            "an audio PSNR target needs the PSNR tune (--tune psnr)".into(),
        ));
    }
    if samples.is_empty() || channels == 0 {
        return Err(Error::InvalidArgument("the audio has no samples".into()));
    }
    let knob = Knob {
        coarsest: -COARSEST_OFFSET / 4.0,
        finest: -FINEST_OFFSET / 4.0,
        start: start_knob(db),
        resolution: 1e-3,
        first_slope: 6.0,
    };
    let out = search(target, knob, |x| {
        let offset = -4.0 * x;
        let trial = AudioEncoderConfig {
            rate: RateMode::StepOffset(offset),
            ..config.clone()
        };
        let source = MemorySource::new(rate, channels, samples.to_vec());
        let mut stream = Vec::new();
        let outcome = encode_audio(source, &trial, &mut stream)?;
        let options = AudioDecodeOptions {
            threads: config.threads,
            limits: Limits::default(),
        };
        let mut decoded = Vec::with_capacity(samples.len());
        decode_audio(&stream[..], &options, |s| {
            decoded.extend(s.iter().map(|&v| through_pcm16(v)));
            Ok(())
        })?;
        if decoded.len() != samples.len() {
            return Err(Error::InvalidArgument(format!(
                "the decoded signal has {} samples, the source {}",
                decoded.len(),
                samples.len()
            )));
        }
        let value = audio_psnr(samples, &decoded)?;
        Ok((value, stream.len() as u64, (stream, outcome, offset)))
    })?;
    let (stream, outcome, offset) = out.output;
    Ok(AudioTargetOutcome {
        stream,
        outcome,
        reached: out.best.value,
        offset,
        trials: out.trials,
    })
}

/// A first guess from the corpus music: PSNR about 70 dB at offset -24 (knob 6), 6 dB per
/// octave of step.
fn start_knob(db: f64) -> f64 {
    (6.0 + (db - 70.0) / 6.0).clamp(-COARSEST_OFFSET / 4.0, -FINEST_OFFSET / 4.0)
}
