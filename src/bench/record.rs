//! What one bench run gives: a [`RunRecord`] with its rate, speeds and quality in typed units,
//! and a [`SourceInfo`] describing the file it ran on.
//!
//! Input: the coded size, the measured times and the quality figures of one encode and
//! decode, and the source's size or length. Output: records whose numbers carry their unit
//! ([`Rate`]: bits per pixel for pictures, kbit/s for audio and video; [`Speed`]: megapixels,
//! millions of sample frames or frames per second) and whose [`Quality`] is the one of their
//! media kind (no picture fields left NaN for audio). Reports read the units from here.

use crate::error::Result;
use crate::metrics::video::VideoComparison;
use crate::metrics::{bits_per_pixel, PictureComparison};

/// The unit of a [`Rate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateUnit {
    /// `8 × bytes / (width × height)`.
    BitsPerPixel,
    /// `8 × bytes / seconds / 1000`.
    KbitPerSecond,
}

impl RateUnit {
    /// "bpp" or "kbit/s", as JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            RateUnit::BitsPerPixel => "bpp",
            RateUnit::KbitPerSecond => "kbit/s",
        }
    }
}

/// A coded size over what it codes, headers included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub value: f64,
    pub unit: RateUnit,
}

impl Rate {
    /// Bits per pixel of `bytes` for a `width × height` picture.
    pub fn bits_per_pixel(bytes: u64, width: usize, height: usize) -> Result<Rate> {
        Ok(Rate {
            value: bits_per_pixel(bytes, width as u32, height as u32)?,
            unit: RateUnit::BitsPerPixel,
        })
    }

    /// kbit/s of `bytes` over `seconds` of signal.
    pub fn kbit_per_second(bytes: u64, seconds: f64) -> Rate {
        Rate {
            value: 8.0 * bytes as f64 / seconds / 1000.0,
            unit: RateUnit::KbitPerSecond,
        }
    }
}

/// The unit of a [`Speed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeedUnit {
    /// Millions of pixels per second (pictures).
    MegapixelsPerSecond,
    /// Millions of sample frames (one sample of every channel) per second (audio).
    MegaSampleFramesPerSecond,
    /// Frames per second (video).
    FramesPerSecond,
}

impl SpeedUnit {
    /// "MP/s", "M sample frames/s" or "frames/s", as JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            SpeedUnit::MegapixelsPerSecond => "MP/s",
            SpeedUnit::MegaSampleFramesPerSecond => "M sample frames/s",
            SpeedUnit::FramesPerSecond => "frames/s",
        }
    }
}

/// Work done per wall-clock second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Speed {
    pub value: f64,
    pub unit: SpeedUnit,
}

impl Speed {
    /// `amount` (in the unit's measure: megapixels, millions of sample frames, frames) over
    /// `seconds`; infinite for a time too short to measure.
    pub fn new(amount: f64, seconds: f64, unit: SpeedUnit) -> Speed {
        let value = if seconds > 0.0 {
            amount / seconds
        } else {
            f64::INFINITY
        };
        Speed { value, unit }
    }
}

/// What an audio run measures on its aligned decoding, in dB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioQuality {
    pub snr: f64,
    pub segsnr: f64,
    pub psnr: f64,
}

/// Everything measured on one decoding, by media kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quality {
    /// PSNRs and SSIM-Y of a picture, and SSIMULACRA2 when the bench asked for it.
    Picture {
        comparison: PictureComparison,
        ssimulacra2: Option<f64>,
    },
    /// SNR, segmental SNR and PSNR of an audio signal.
    Audio(AudioQuality),
    /// Means over frames of the planes' PSNRs, the 6:1:1 PSNR and SSIM-Y of a clip.
    Video(VideoComparison),
}

/// The coded size and the times of one encode and decode, before any measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coding {
    /// Coded size in bytes, headers included.
    pub bytes: u64,
    /// Wall-clock seconds of the encode.
    pub encode_seconds: f64,
    /// Wall-clock seconds of the decode.
    pub decode_seconds: f64,
}

/// One encode and decode of one file by one codec at one setting.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub codec: super::Codec,
    /// The codec's setting (see [`super::Codec::setting_name`]).
    pub setting: f64,
    /// Coded size in bytes, headers included.
    pub bytes: u64,
    pub rate: Rate,
    pub quality: Quality,
    /// Wall-clock seconds of the encode (for anchors: the encoder process).
    pub encode_seconds: f64,
    /// Wall-clock seconds of the decode.
    pub decode_seconds: f64,
    pub encode_speed: Speed,
    pub decode_speed: Speed,
}

impl RunRecord {
    /// The record of `coding` by `codec` at `setting`; each speed is `amount` (megapixels,
    /// millions of sample frames or frames, as `unit` says) over that step's time.
    pub fn new(
        (codec, setting): (super::Codec, f64),
        coding: Coding,
        rate: Rate,
        quality: Quality,
        (amount, unit): (f64, SpeedUnit),
    ) -> RunRecord {
        RunRecord {
            codec,
            setting,
            bytes: coding.bytes,
            rate,
            quality,
            encode_seconds: coding.encode_seconds,
            decode_seconds: coding.decode_seconds,
            encode_speed: Speed::new(amount, coding.encode_seconds, unit),
            decode_speed: Speed::new(amount, coding.decode_seconds, unit),
        }
    }
}

/// What a benchmarked file holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SourceInfo {
    Picture {
        width: usize,
        height: usize,
    },
    Audio {
        sample_rate: u32,
        channels: usize,
        /// Samples per channel.
        frames: usize,
    },
    Video {
        width: usize,
        height: usize,
        frames: u64,
        /// Numerator and denominator, frames per second.
        frame_rate: (u32, u32),
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_values() {
        let rate = Rate::bits_per_pixel(300, 40, 30).unwrap();
        assert_eq!((rate.value, rate.unit), (2.0, RateUnit::BitsPerPixel));
        let rate = Rate::kbit_per_second(16_000, 2.0);
        assert_eq!((rate.value, rate.unit.name()), (64.0, "kbit/s"));
        let speed = Speed::new(3.0, 1.5, SpeedUnit::FramesPerSecond);
        assert_eq!((speed.value, speed.unit.name()), (2.0, "frames/s"));
        assert_eq!(
            Speed::new(1.0, 0.0, SpeedUnit::MegapixelsPerSecond).value,
            f64::INFINITY
        );
    }
}
