//! Audio stream parameters: the header's parameter block, the packet prefix, the end-of-stream
//! payload, the band layout and the step scale (step sizes, short-block gains), each writer
//! beside its reader.
//!
//! In: an [`AudioParams`] value (or bytes from a stream). Out: the bytes of
//! docs/FORMAT.md, "Audio (media kind 2)", or the validated value, or an error naming the
//! field and the values allowed. Every field a decoder sizes buffers by is checked against
//! [`Limits`] and the format's own ranges before anything is allocated.

use crate::error::{Error, Limits, Result};
use crate::transform::window::WindowShape;

/// The transform id byte of an audio stream header: the MDCT (lossy coding).
pub const AUDIO_TRANSFORM_MDCT: u8 = 1;
/// The transform id byte of a lossless stream: the integer MDCT.
pub const AUDIO_TRANSFORM_INTMDCT: u8 = 2;
/// Version of the parameter block and frame syntax of a lossy (MDCT) stream: 5 since
/// packets with the noise switch carry the energy switch (energy indices of non-zero bands
/// from the noise start); 4 added intensity bands to stereo frames of packets with the
/// noise switch; 3 noise indices for bands quantized to zero (noise filling); 2 the window
/// (block switching). Streams of versions 1 to 4 are refused.
pub const AUDIO_PARAMS_VERSION: u8 = 5;
/// Version of the parameter block and frame syntax of a lossless (integer MDCT) stream of
/// 16-bit PCM: still 1 (block switching does not apply to it, its syntax is unchanged).
pub const AUDIO_LOSSLESS_PARAMS_VERSION: u8 = 1;
/// Version of the parameter block and frame syntax of a lossless stream of 24-bit PCM: the
/// tune byte holds the bit depth (24) and every frame signals its blocks' wasted low bits.
pub const AUDIO_LOSSLESS_24_PARAMS_VERSION: u8 = 2;
/// Bit depths of lossless PCM a stream may carry.
pub const LOSSLESS_BITS: [u8; 2] = [16, 24];
/// Bytes of the parameter block.
pub const AUDIO_PARAMS_BYTES: usize = 27;
/// Bytes of the prefix of every data packet, before the range-coded frames.
pub const PACKET_PREFIX_BYTES: usize = 13;
/// Lowest and highest sample rate the codec accepts, in Hz.
pub const MIN_SAMPLE_RATE: u32 = 8_000;
pub const MAX_SAMPLE_RATE: u32 = 96_000;
/// Most channels the codec codes.
pub const MAX_CHANNELS: u8 = 2;
/// Frame sizes (coefficients per frame) a stream may use.
pub const FRAME_SIZES: [usize; 4] = [256, 512, 1024, 2048];
/// Most frames in one packet.
pub const MAX_FRAMES_PER_PACKET: u8 = 64;

/// Step indices run from 0 to 255; the step is `2^((s - 128) / 4)`.
pub const STEP_INDEX_CENTRE: i32 = 128;
/// Largest step gain of a short block, in either direction (quarter octaves).
pub const MAX_GAIN: i32 = 48;

/// The quantizer step of index `s`: `2^((s - 128) / 4)`, built from exact powers of two and
/// four constants so every machine computes the same value.
pub fn step_size(s: u8) -> f32 {
    const QUARTERS: [f32; 4] = [1.0, 1.189_207_1, std::f32::consts::SQRT_2, 1.681_792_8];
    // 2^octave for octave in -32..=31, built from its exponent bits (exact).
    let octave = (s as i32 >> 2) - 32;
    QUARTERS[(s & 3) as usize] * f32::from_bits(((octave + 127) as u32) << 23)
}

/// The step index of a short block's coefficients: the band's index plus the block's gain,
/// clamped to 0..255.
#[inline]
pub fn effective_step(s: u8, gain: i32) -> u8 {
    (s as i32 + gain).clamp(0, 255) as u8
}

/// The transform of an audio stream, named by the header's transform id byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioTransform {
    /// The MDCT with quantization: lossy (id 1).
    Mdct,
    /// The integer MDCT without quantization: lossless 16-bit PCM (id 2).
    IntMdct,
}

impl AudioTransform {
    /// The header's transform id byte.
    pub fn to_u8(self) -> u8 {
        match self {
            AudioTransform::Mdct => AUDIO_TRANSFORM_MDCT,
            AudioTransform::IntMdct => AUDIO_TRANSFORM_INTMDCT,
        }
    }

    /// Parses the header's transform id byte.
    pub fn from_u8(id: u8) -> Result<AudioTransform> {
        match id {
            AUDIO_TRANSFORM_MDCT => Ok(AudioTransform::Mdct),
            AUDIO_TRANSFORM_INTMDCT => Ok(AudioTransform::IntMdct),
            _ => Err(Error::Unsupported(format!(
                "audio transform id {id} (this build knows {AUDIO_TRANSFORM_MDCT} = mdct, \
                 {AUDIO_TRANSFORM_INTMDCT} = integer mdct)"
            ))),
        }
    }

    /// The version byte of the parameter block (and frame syntax) of a stream with this
    /// transform and, for the lossless transform, this PCM bit depth (16 or 24).
    pub fn params_version(self, bits: u8) -> u8 {
        match self {
            AudioTransform::Mdct => AUDIO_PARAMS_VERSION,
            AudioTransform::IntMdct if bits > 16 => AUDIO_LOSSLESS_24_PARAMS_VERSION,
            AudioTransform::IntMdct => AUDIO_LOSSLESS_PARAMS_VERSION,
        }
    }

    /// What the mode is called.
    pub fn name(self) -> &'static str {
        match self {
            AudioTransform::Mdct => "lossy (mdct)",
            AudioTransform::IntMdct => "lossless (integer mdct)",
        }
    }
}

/// How the encoder placed its noise (stored for information; the decoder does not need it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioTune {
    /// Noise shaped under the psychoacoustic masking threshold.
    Perceptual,
    /// Equal step sizes in every band: the least mean squared error for the rate.
    Psnr,
}

impl AudioTune {
    pub fn to_u8(self) -> u8 {
        match self {
            AudioTune::Perceptual => 0,
            AudioTune::Psnr => 1,
        }
    }

    pub fn from_u8(code: u8) -> Option<AudioTune> {
        match code {
            0 => Some(AudioTune::Perceptual),
            1 => Some(AudioTune::Psnr),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            AudioTune::Perceptual => "perceptual",
            AudioTune::Psnr => "psnr",
        }
    }
}

/// The parameters of an audio stream, as stored in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioParams {
    /// The transform (from the header's transform id, not from the parameter block).
    pub transform: AudioTransform,
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// 1 or 2.
    pub channels: u8,
    /// MDCT coefficients per frame `N` (the hop); windows are `2N` long.
    pub frame_size: usize,
    /// Frames coded together in one packet.
    pub frames_per_packet: u8,
    pub window: WindowShape,
    pub tune: AudioTune,
    /// Length of the input in samples per channel; 0 when unknown at the start (the true
    /// length is then in the end-of-stream packet).
    pub total_samples: u64,
    /// Samples the decoder drops at the start (always `frame_size`: the first frame only
    /// primes the overlap).
    pub delay: u32,
    /// The average bitrate asked for, in kbit/s; 0 for quality-driven coding.
    pub target_kbps: u32,
    /// Bits per sample of the PCM a lossless stream restores (16 or 24; full scale 1.0 is
    /// `2^(bits-1)`). Lossy streams store no depth and read as 16 (the default output).
    pub bits: u8,
}

impl AudioParams {
    /// The parameter block's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(AUDIO_PARAMS_BYTES);
        let version = self.transform.params_version(self.bits);
        out.push(version);
        out.extend_from_slice(&self.sample_rate.to_le_bytes());
        out.push(self.channels);
        out.extend_from_slice(&(self.frame_size as u16).to_le_bytes());
        out.push(self.frames_per_packet);
        out.push(self.window.to_u8());
        // Version 2 of the lossless block holds the bit depth where the tune was.
        if version == AUDIO_LOSSLESS_24_PARAMS_VERSION && self.transform == AudioTransform::IntMdct
        {
            out.push(self.bits);
        } else {
            out.push(self.tune.to_u8());
        }
        out.extend_from_slice(&self.total_samples.to_le_bytes());
        out.extend_from_slice(&self.delay.to_le_bytes());
        out.extend_from_slice(&self.target_kbps.to_le_bytes());
        out
    }

    /// Parses and validates the parameter block of a stream with `transform`.
    pub fn from_bytes(
        bytes: &[u8],
        transform: AudioTransform,
        limits: &Limits,
    ) -> Result<AudioParams> {
        if bytes.len() != AUDIO_PARAMS_BYTES {
            return Err(Error::invalid(format!(
                "audio parameter block is {} bytes, expected {AUDIO_PARAMS_BYTES}",
                bytes.len()
            )));
        }
        let versions = match transform {
            AudioTransform::Mdct => vec![AUDIO_PARAMS_VERSION],
            AudioTransform::IntMdct => vec![
                AUDIO_LOSSLESS_PARAMS_VERSION,
                AUDIO_LOSSLESS_24_PARAMS_VERSION,
            ],
        };
        if !versions.contains(&bytes[0]) {
            return Err(Error::Unsupported(format!(
                "audio parameter version {} for the {} transform (this build reads {})",
                bytes[0],
                transform.name(),
                versions
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )));
        }
        // A 24-bit lossless block holds the depth in the tune byte.
        let depth_block =
            transform == AudioTransform::IntMdct && bytes[0] == AUDIO_LOSSLESS_24_PARAMS_VERSION;
        let bits = if depth_block { bytes[10] } else { 16 };
        if depth_block && bits != 24 {
            return Err(Error::Unsupported(format!(
                "lossless audio of {bits} bits per sample (this build reads 16 and 24)"
            )));
        }
        let u32_at =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let sample_rate = u32_at(1);
        let channels = bytes[5];
        let frame_size = u16::from_le_bytes([bytes[6], bytes[7]]) as usize;
        let mut total = [0u8; 8];
        total.copy_from_slice(&bytes[11..19]);
        let params = AudioParams {
            transform,
            sample_rate,
            channels,
            frame_size,
            frames_per_packet: bytes[8],
            window: WindowShape::from_u8(bytes[9]).ok_or_else(|| {
                Error::invalid(format!(
                    "audio window shape {} (expected 0 sine or 1 KBD)",
                    bytes[9]
                ))
            })?,
            tune: if depth_block {
                AudioTune::Perceptual
            } else {
                AudioTune::from_u8(bytes[10]).ok_or_else(|| {
                    Error::invalid(format!(
                        "audio tune {} (expected 0 perceptual or 1 psnr)",
                        bytes[10]
                    ))
                })?
            },
            total_samples: u64::from_le_bytes(total),
            delay: u32_at(19),
            target_kbps: u32_at(23),
            bits,
        };
        params.validate(limits)?;
        Ok(params)
    }

    /// Checks every field against the format's ranges and `limits`.
    pub fn validate(&self, limits: &Limits) -> Result<()> {
        Limits::check(
            "audio channel count",
            self.channels as u64,
            limits.max_channels as u64,
        )?;
        Limits::check(
            "audio sample rate",
            self.sample_rate as u64,
            limits.max_sample_rate as u64,
        )?;
        if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&self.sample_rate) {
            return Err(Error::Unsupported(format!(
                "audio sample rate {} Hz (expected {MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE})",
                self.sample_rate
            )));
        }
        if self.channels == 0 || self.channels > MAX_CHANNELS {
            return Err(Error::Unsupported(format!(
                "{} audio channels (expected 1 or 2)",
                self.channels
            )));
        }
        if !FRAME_SIZES.contains(&self.frame_size) {
            return Err(Error::invalid(format!(
                "audio frame size {} (expected one of {FRAME_SIZES:?})",
                self.frame_size
            )));
        }
        if self.frames_per_packet == 0 || self.frames_per_packet > MAX_FRAMES_PER_PACKET {
            return Err(Error::invalid(format!(
                "{} frames per packet (expected 1 to {MAX_FRAMES_PER_PACKET})",
                self.frames_per_packet
            )));
        }
        if self.transform == AudioTransform::IntMdct {
            if !LOSSLESS_BITS.contains(&self.bits) {
                return Err(Error::Unsupported(format!(
                    "lossless audio of {} bits per sample (expected 16 or 24)",
                    self.bits
                )));
            }
            if self.window != WindowShape::Sine {
                return Err(Error::invalid(
                    "a lossless audio stream uses the sine window (window byte 0)",
                ));
            }
            if self.channels == 1 && self.frames_per_packet % 2 == 1 {
                return Err(Error::invalid(format!(
                    "{} frames per packet in a lossless mono stream (expected an even number: \
                     its frames are transformed in pairs)",
                    self.frames_per_packet
                )));
            }
        }
        if self.delay as usize != self.frame_size {
            return Err(Error::invalid(format!(
                "audio encoder delay {} (expected the frame size, {})",
                self.delay, self.frame_size
            )));
        }
        Ok(())
    }

    /// Samples per channel one packet covers.
    pub fn samples_per_packet(&self) -> usize {
        self.frame_size * self.frames_per_packet as usize
    }
}

/// Bit 7 of the prefix's frame-count byte: the packet starts a segment (`quanta encode
/// --segment`), whose first frame only primes the overlap, as frame 0 of a stream does.
pub const SEGMENT_START: u8 = 0x80;

/// The prefix of a data packet: where its frames sit in the stream and how many output
/// samples (per channel) they finish after delay and padding are trimmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketPrefix {
    /// The packet starts a segment: the decoder drops the overlap it holds and the
    /// packet's first frame finishes no output.
    pub segment_start: bool,
    pub first_frame: u64,
    pub frames: u8,
    pub output_samples: u32,
}

impl PacketPrefix {
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.first_frame.to_le_bytes());
        out.push(self.frames | if self.segment_start { SEGMENT_START } else { 0 });
        out.extend_from_slice(&self.output_samples.to_le_bytes());
    }

    /// Reads and checks a prefix; returns it and the range-coded rest.
    pub fn read<'a>(payload: &'a [u8], params: &AudioParams) -> Result<(PacketPrefix, &'a [u8])> {
        if payload.len() < PACKET_PREFIX_BYTES {
            return Err(Error::invalid(format!(
                "audio packet of {} bytes, at least {PACKET_PREFIX_BYTES} expected",
                payload.len()
            )));
        }
        let mut first = [0u8; 8];
        first.copy_from_slice(&payload[..8]);
        let prefix = PacketPrefix {
            segment_start: payload[8] & SEGMENT_START != 0,
            first_frame: u64::from_le_bytes(first),
            frames: payload[8] & !SEGMENT_START,
            output_samples: u32::from_le_bytes([payload[9], payload[10], payload[11], payload[12]]),
        };
        if prefix.frames == 0 || prefix.frames > params.frames_per_packet {
            return Err(Error::invalid(format!(
                "audio packet holds {} frames (expected 1 to {})",
                prefix.frames, params.frames_per_packet
            )));
        }
        if prefix.output_samples as usize > prefix.frames as usize * params.frame_size {
            return Err(Error::invalid(format!(
                "audio packet finishes {} samples, more than its {} frames of {}",
                prefix.output_samples, prefix.frames, params.frame_size
            )));
        }
        Ok((prefix, &payload[PACKET_PREFIX_BYTES..]))
    }
}

/// The end-of-stream payload: the input length in samples per channel and the frame count.
pub fn end_payload(total_samples: u64, frames: u64) -> Vec<u8> {
    let mut out = total_samples.to_le_bytes().to_vec();
    out.extend_from_slice(&frames.to_le_bytes());
    out
}

/// Reads an end-of-stream payload written by [`end_payload`].
pub fn read_end_payload(bytes: &[u8]) -> Option<(u64, u64)> {
    if bytes.len() != 16 {
        return None;
    }
    let mut a = [0u8; 8];
    let mut b = [0u8; 8];
    a.copy_from_slice(&bytes[..8]);
    b.copy_from_slice(&bytes[8..]);
    Some((u64::from_le_bytes(a), u64::from_le_bytes(b)))
}

/// Band edge frequencies in Hz: about half a Bark apart (Zwicker's critical bands and their
/// midpoints), then wider steps up to 48 kHz.
const BAND_EDGES_HZ: [u32; 58] = [
    0, 50, 100, 150, 200, 250, 300, 350, 400, 455, 510, 570, 630, 700, 770, 845, 920, 1000, 1080,
    1175, 1270, 1375, 1480, 1600, 1720, 1860, 2000, 2160, 2320, 2510, 2700, 2925, 3150, 3425, 3700,
    4050, 4400, 4850, 5300, 5850, 6400, 7050, 7700, 8600, 9500, 10750, 12000, 13750, 15500, 17250,
    19000, 21000, 23000, 26000, 30000, 35000, 40000, 48000,
];

/// Narrowest band, in coefficients.
const MIN_BAND_WIDTH: usize = 4;

/// The band edges (in coefficients, from 0 to `n`) of frames of `n` coefficients at `rate`
/// Hz. Integer arithmetic only, so every decoder derives the same layout.
pub fn band_edges(n: usize, rate: u32) -> Vec<usize> {
    let mut edges = vec![0usize];
    for &hz in &BAND_EDGES_HZ[1..] {
        let bin = ((hz as u64 * 2 * n as u64 + rate as u64 / 2) / rate as u64) as usize;
        let last = edges[edges.len() - 1];
        if bin >= n {
            break;
        }
        if bin >= last + MIN_BAND_WIDTH {
            edges.push(bin);
        }
    }
    let last = edges[edges.len() - 1];
    if n - last < MIN_BAND_WIDTH && edges.len() > 1 {
        edges.pop();
    }
    edges.push(n);
    edges
}

/// The band edges of a short frame of `n` coefficients (eight interleaved blocks of `n/8`):
/// the layout of one block, [`band_edges`]`(n/8, rate)`, times eight.
pub fn short_band_edges(n: usize, rate: u32) -> Vec<usize> {
    let blocks = crate::transform::switched::SHORT_BLOCKS;
    band_edges(n / blocks, rate)
        .iter()
        .map(|e| e * blocks)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AudioParams {
        AudioParams {
            transform: AudioTransform::Mdct,
            sample_rate: 48_000,
            channels: 2,
            frame_size: 1024,
            frames_per_packet: 16,
            window: WindowShape::Sine,
            tune: AudioTune::Perceptual,
            total_samples: 123_456,
            delay: 1024,
            target_kbps: 96,
            bits: 16,
        }
    }

    #[test]
    fn steps_are_powers_of_two() {
        assert_eq!(step_size(128), 1.0);
        assert_eq!(step_size(132), 2.0);
        assert_eq!(step_size(124), 0.5);
        assert!((step_size(130) - 2f32.sqrt()).abs() < 1e-6);
        assert!(step_size(0) > 0.0 && step_size(255) < 1e10);
        // The exponent-bit power of two is the exact one (the decoder's steps depend on it).
        let quarters = [1.0f32, 1.189_207_1, std::f32::consts::SQRT_2, 1.681_792_8];
        for s in 0..=255u8 {
            let octave = (s as i32 >> 2) - 32;
            assert_eq!(
                step_size(s),
                quarters[(s & 3) as usize] * 2f32.powi(octave),
                "{s}"
            );
        }
    }

    #[test]
    fn round_trip_and_absurd_values() {
        let limits = Limits::default();
        let p = sample();
        let read = |q: &AudioParams| AudioParams::from_bytes(&q.to_bytes(), q.transform, &limits);
        assert_eq!(read(&p).unwrap(), p);
        let lossless = AudioParams {
            transform: AudioTransform::IntMdct,
            ..p
        };
        assert_eq!(read(&lossless).unwrap(), lossless);
        let odd_mono = AudioParams {
            channels: 1,
            frames_per_packet: 3,
            ..lossless
        };
        assert!(read(&odd_mono).unwrap_err().to_string().contains("even"));
        let kbd = AudioParams {
            window: WindowShape::Kbd,
            ..lossless
        };
        assert!(read(&kbd).unwrap_err().to_string().contains("sine"));
        // 24-bit lossless streams are at version 2, the depth in byte 10.
        let deep = AudioParams {
            bits: 24,
            ..lossless
        };
        assert_eq!(deep.to_bytes()[0], 2);
        assert_eq!(deep.to_bytes()[10], 24);
        assert_eq!(read(&deep).unwrap(), deep);
        let mut odd_depth = deep.to_bytes();
        odd_depth[10] = 20;
        let e = AudioParams::from_bytes(&odd_depth, AudioTransform::IntMdct, &limits);
        assert!(e.unwrap_err().to_string().contains("20 bits"));
        let v2_lossy = AudioParams::from_bytes(&deep.to_bytes(), AudioTransform::Mdct, &limits);
        assert!(v2_lossy.is_err());
        assert!(AudioParams {
            bits: 20,
            ..lossless
        }
        .validate(&limits)
        .is_err());
        // Lossy streams are at version 5 (energy indices), lossless ones still 1; a block
        // under the other transform's version is refused, and so are lossy blocks of
        // versions 2 (frames without noise indices), 3 (stereo frames without intensity
        // bands) and 4 (packets without the energy switch).
        assert_eq!(p.to_bytes()[0], 5);
        assert_eq!(lossless.to_bytes()[0], 1);
        let as_lossless = AudioParams::from_bytes(&p.to_bytes(), AudioTransform::IntMdct, &limits);
        assert!(as_lossless.unwrap_err().to_string().contains("version 5"));
        for version in [2u8, 3, 4] {
            let mut old = p.to_bytes();
            old[0] = version;
            let old = AudioParams::from_bytes(&old, AudioTransform::Mdct, &limits).unwrap_err();
            assert!(
                old.to_string().contains(&format!("version {version}")),
                "{old}"
            );
        }
        let as_lossy = AudioParams::from_bytes(&lossless.to_bytes(), AudioTransform::Mdct, &limits);
        assert!(as_lossy.unwrap_err().to_string().contains("version 1"));
        assert_eq!(AudioTransform::from_u8(2).unwrap(), AudioTransform::IntMdct);
        assert!(AudioTransform::from_u8(3).is_err());
        let bad = |f: &dyn Fn(&mut AudioParams)| {
            let mut q = sample();
            f(&mut q);
            AudioParams::from_bytes(&q.to_bytes(), q.transform, &limits)
                .unwrap_err()
                .to_string()
        };
        assert!(bad(&|q| q.sample_rate = 0).contains("sample rate 0"));
        assert!(bad(&|q| q.sample_rate = 1_000_000_000).contains("limit exceeded"));
        assert!(bad(&|q| q.channels = 200).contains("channel count"));
        assert!(bad(&|q| q.channels = 0).contains("0 audio channels"));
        assert!(bad(&|q| q.frame_size = 1000).contains("frame size"));
        assert!(bad(&|q| q.frames_per_packet = 0).contains("frames per packet"));
        assert!(bad(&|q| q.delay = 5).contains("delay"));
        assert!(AudioParams::from_bytes(&[1, 2, 3], AudioTransform::Mdct, &limits).is_err());
    }

    #[test]
    fn band_layouts() {
        for &n in &FRAME_SIZES {
            for rate in [8_000, 16_000, 44_100, 48_000, 96_000] {
                let e = band_edges(n, rate);
                assert_eq!(e[0], 0);
                assert_eq!(*e.last().unwrap(), n);
                for w in e.windows(2) {
                    assert!(w[1] - w[0] >= MIN_BAND_WIDTH, "{n} {rate} {e:?}");
                }
                assert!(e.len() <= 60);
            }
        }
        assert_eq!(band_edges(1024, 48_000).len() - 1, 44);
        for &n in &FRAME_SIZES {
            let e = short_band_edges(n, 48_000);
            assert!(e.iter().all(|v| v % 8 == 0) && *e.last().unwrap() == n);
            assert!(e.len() >= 8, "{n} {e:?}");
        }
    }

    #[test]
    fn prefix_round_trip() {
        let p = sample();
        let prefix = PacketPrefix {
            segment_start: true,
            first_frame: 77,
            frames: 3,
            output_samples: 2000,
        };
        let mut bytes = Vec::new();
        prefix.write(&mut bytes);
        bytes.push(9);
        let (back, rest) = PacketPrefix::read(&bytes, &p).unwrap();
        assert_eq!(back, prefix);
        assert_eq!(rest, &[9]);
        assert!(PacketPrefix::read(&bytes[..5], &p).is_err());
        assert_eq!(read_end_payload(&end_payload(5, 6)), Some((5, 6)));
    }
}
