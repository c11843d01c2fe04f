//! Audio fidelity: SNR, segmental SNR and PSNR of a decoded signal against its reference.
//!
//! Input: two interleaved sample slices of the same length, as `f32` or `f64` in [-1, 1] or
//! as `i16` (scaled by 1/32768 on the way in, see [`AudioSample`]). Output: a figure in dB.
//! The noise is `test - reference`, sample by sample, every channel pooled.
//!
//! * [`snr`]: `10 log10(Σ ref² / Σ noise²)` over the whole signal (the classic definition).
//! * [`segmental_snr`]: the mean of per-frame SNRs over 20 ms frames (`round(0.02 * rate)`
//!   sample frames, all channels of a frame together; a shorter last frame counts too). A frame
//!   whose reference mean square is below -60 dBFS (1e-6 on a full scale of 1.0) is silent and
//!   skipped, and each frame's SNR is clamped to [-10, 80] dB, the usual bounds (as in Quackenbush
//!   et al., *Objective Measures of Speech Quality*, 1988), so a perfect frame counts as 80 dB.
//! * [`audio_psnr`]: `10 log10(1 / MSE)`, the peak being full scale 1.0.
//!
//! Identical signals give `f64::INFINITY` for [`snr`] and [`audio_psnr`] (print it as "inf").
//! Slices of different lengths, or empty ones, are an [`Error::InvalidArgument`].

use crate::error::{Error, Result};

/// Silence threshold of [`segmental_snr`]: a mean square of -60 dBFS.
pub const SILENCE_MEAN_SQUARE: f64 = 1e-6;
/// Lowest per-frame SNR counted by [`segmental_snr`], in dB.
pub const SEGMENT_SNR_MIN_DB: f64 = -10.0;
/// Highest per-frame SNR counted by [`segmental_snr`], in dB.
pub const SEGMENT_SNR_MAX_DB: f64 = 80.0;
/// Length of one [`segmental_snr`] frame, in seconds.
pub const SEGMENT_SECONDS: f64 = 0.02;

/// A sample type the audio metrics accept, read as `f64` on a full scale of 1.0.
pub trait AudioSample: Copy {
    /// The sample on a full scale of 1.0.
    fn to_unit(self) -> f64;
}

impl AudioSample for f32 {
    fn to_unit(self) -> f64 {
        f64::from(self)
    }
}

impl AudioSample for f64 {
    fn to_unit(self) -> f64 {
        self
    }
}

/// 16-bit PCM, scaled by 1/32768 (so -32768 is -1.0).
impl AudioSample for i16 {
    fn to_unit(self) -> f64 {
        f64::from(self) / 32768.0
    }
}

fn check_lengths<T>(reference: &[T], test: &[T]) -> Result<()> {
    if reference.len() != test.len() {
        return Err(Error::InvalidArgument(format!(
            "audio lengths differ: the reference has {} samples and the test {}",
            reference.len(),
            test.len()
        )));
    }
    if reference.is_empty() {
        return Err(Error::InvalidArgument(
            "audio metrics need at least one sample".to_string(),
        ));
    }
    Ok(())
}

/// Signal energy and noise energy of two equally long slices.
fn energies<T: AudioSample>(reference: &[T], test: &[T]) -> (f64, f64) {
    reference
        .iter()
        .zip(test)
        .fold((0.0, 0.0), |(s, n), (&r, &t)| {
            let (r, t) = (r.to_unit(), t.to_unit());
            (s + r * r, n + (t - r) * (t - r))
        })
}

/// `10 log10(signal / noise)`, with an exact match (`noise == 0`) as infinity.
fn ratio_db(signal: f64, noise: f64) -> f64 {
    if noise == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (signal / noise).log10()
    }
}

/// SNR in dB of `test` against `reference`: `10 log10(Σ ref² / Σ (test - ref)²)`.
///
/// Identical signals give `f64::INFINITY`; a silent reference with any noise gives
/// `f64::NEG_INFINITY`. Non-finite samples give NaN.
pub fn snr<T: AudioSample>(reference: &[T], test: &[T]) -> Result<f64> {
    check_lengths(reference, test)?;
    let (signal, noise) = energies(reference, test);
    Ok(ratio_db(signal, noise))
}

/// PSNR in dB with full scale 1.0 as the peak: `10 log10(1 / MSE)`.
///
/// Identical signals give `f64::INFINITY`.
pub fn audio_psnr<T: AudioSample>(reference: &[T], test: &[T]) -> Result<f64> {
    check_lengths(reference, test)?;
    let (_, noise) = energies(reference, test);
    Ok(ratio_db(1.0, noise / reference.len() as f64))
}

/// Segmental SNR in dB: the mean SNR of the 20 ms frames whose reference is not silent.
///
/// `reference` and `test` are interleaved with `channels` channels at `sample_rate` Hz; their
/// length must be a multiple of `channels`. See the module documentation for the frames, the
/// silence threshold and the clamping. A reference silent in every frame, a zero channel count
/// or sample rate are an [`Error::InvalidArgument`].
pub fn segmental_snr<T: AudioSample>(
    reference: &[T],
    test: &[T],
    channels: usize,
    sample_rate: u32,
) -> Result<f64> {
    check_lengths(reference, test)?;
    if channels == 0 || sample_rate == 0 {
        return Err(Error::InvalidArgument(format!(
            "segmental SNR needs at least one channel and a positive sample rate, got {channels} \
             channel(s) at {sample_rate} Hz"
        )));
    }
    if reference.len() % channels != 0 {
        return Err(Error::InvalidArgument(format!(
            "{} samples is not a whole number of {channels}-channel frames",
            reference.len()
        )));
    }
    let frame_samples = ((f64::from(sample_rate) * SEGMENT_SECONDS).round() as usize).max(1);
    let frame_len = frame_samples.saturating_mul(channels);
    let mut sum = 0.0;
    let mut counted = 0usize;
    for (r, t) in reference.chunks(frame_len).zip(test.chunks(frame_len)) {
        let (signal, noise) = energies(r, t);
        if signal / r.len() as f64 >= SILENCE_MEAN_SQUARE {
            let db = ratio_db(signal, noise);
            sum += if db.is_nan() {
                db
            } else {
                db.clamp(SEGMENT_SNR_MIN_DB, SEGMENT_SNR_MAX_DB)
            };
            counted += 1;
        }
    }
    if counted == 0 {
        return Err(Error::InvalidArgument(format!(
            "segmental SNR: the reference is silent (below -60 dBFS) in all {} frame(s)",
            reference.len().div_ceil(frame_len)
        )));
    }
    Ok(sum / counted as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(n: usize, amplitude: f64, period: f64) -> Vec<f64> {
        (0..n)
            .map(|i| amplitude * (2.0 * std::f64::consts::PI * i as f64 / period).sin())
            .collect()
    }

    #[test]
    fn snr_of_known_noise() {
        // A square wave of amplitude 0.5 plus alternating noise of 0.005: SNR = 20 log10(100).
        let reference: Vec<f64> = (0..1000)
            .map(|i| if i % 10 < 5 { 0.5 } else { -0.5 })
            .collect();
        let test: Vec<f64> = reference
            .iter()
            .enumerate()
            .map(|(i, &v)| v + if i % 2 == 0 { 0.005 } else { -0.005 })
            .collect();
        assert!((snr(&reference, &test).unwrap() - 40.0).abs() < 1e-9);
        // MSE 2.5e-5: PSNR = 10 log10(1 / 2.5e-5).
        let want = 10.0 * (1.0f64 / 2.5e-5).log10();
        assert!((audio_psnr(&reference, &test).unwrap() - want).abs() < 1e-9);
        assert_eq!(snr(&reference, &reference).unwrap(), f64::INFINITY);
        assert_eq!(audio_psnr(&reference, &reference).unwrap(), f64::INFINITY);
        // Same figures through f32 and i16.
        let r32: Vec<f32> = reference.iter().map(|&v| v as f32).collect();
        let t32: Vec<f32> = test.iter().map(|&v| v as f32).collect();
        assert!((snr(&r32, &t32).unwrap() - 40.0).abs() < 1e-3);
        let r16: Vec<i16> = reference.iter().map(|&v| (v * 32768.0) as i16).collect();
        let t16: Vec<i16> = r16.iter().map(|&v| v + 164).collect();
        let want = 20.0 * (16384.0f64 / 164.0).log10();
        assert!((snr(&r16, &t16).unwrap() - want).abs() < 1e-9);
    }

    #[test]
    fn segmental_skips_silence() {
        // 8 kHz mono: 160-sample frames. Two loud frames with 20 dB SNR, two silent frames
        // whose noise would drag the mean down if they counted.
        let rate = 8000;
        let loud = sine(320, 0.5, 40.0);
        let mut reference = loud.clone();
        reference.extend(std::iter::repeat_n(0.0, 320));
        let test: Vec<f64> = reference
            .iter()
            .enumerate()
            .map(|(i, &v)| if i < 320 { v * 1.1 } else { 0.01 })
            .collect();
        let seg = segmental_snr(&reference, &test, 1, rate).unwrap();
        assert!((seg - 20.0).abs() < 1e-9, "{seg}");
        // A perfect loud frame is clamped to 80 dB; a frame of pure noise to -10 dB.
        let mut t2 = loud.clone();
        for v in &mut t2[160..] {
            *v = -*v * 100.0;
        }
        let seg = segmental_snr(&loud, &t2, 1, rate).unwrap();
        assert!((seg - 35.0).abs() < 1e-9, "{seg}");
        // Stereo: a frame holds both channels; 882 sample frames of 44.1 kHz make 20 ms.
        let st: Vec<f64> = sine(2 * 882, 0.3, 50.0);
        let st_test: Vec<f64> = st.iter().map(|v| v * 0.9).collect();
        let seg = segmental_snr(&st, &st_test, 2, 44_100).unwrap();
        assert!((seg - 20.0).abs() < 1e-9, "{seg}");
    }

    #[test]
    fn errors() {
        let a = [0.1f32; 8];
        let b = [0.1f32; 7];
        assert!(snr(&a, &b).is_err());
        assert!(audio_psnr(&a, &b).is_err());
        assert!(segmental_snr(&a, &b, 1, 8000).is_err());
        let empty: [f32; 0] = [];
        assert!(snr(&empty, &empty).is_err());
        assert!(segmental_snr(&a, &a, 0, 8000).is_err());
        assert!(segmental_snr(&a, &a, 1, 0).is_err());
        assert!(segmental_snr(&a, &a, 3, 8000).is_err());
        let silent = [0.0f64; 400];
        let e = segmental_snr(&silent, &silent, 1, 8000).unwrap_err();
        assert!(e.to_string().contains("silent"), "{e}");
        assert_eq!(snr(&silent, &[0.5; 400]).unwrap(), f64::NEG_INFINITY);
    }
}
