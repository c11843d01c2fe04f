//! The audio codec: PCM in, a quanta stream out, and back, sample-exact.
//!
//! Encoding cuts the input into frames of `N` samples (512 by default, 1024 in the PSNR
//! tune and lossless) and packets of several frames. Frame `j` is the MDCT of input samples
//! `[(j-1)N, (j+1)N)` (zeros before the start and after the end), so `ceil(L/N) + 1` frames
//! cover `L` samples and the decoder drops the first `N` samples it synthesizes (the encoder
//! delay). The framer detects transients as it reads (`transient`) and marks their frames
//! short: eight MDCTs of `N/8` under block-switched windows (`transform::switched`).
//! Packets flow through the pipeline: MDCT, psychoacoustic thresholds and the stereo
//! decision on N workers; quantization and range coding either on the workers too (quality mode) or in
//! order in the sink, where rate control (`rate`) picks each packet's step offset against
//! a bit target (bitrate mode): by default an equal share of the bitrate corrected by the
//! debt so far; with [`AudioEncoderConfig::demand`] above 0 the target follows the
//! packet's demand (its size at a slowly moving reference offset, where every packet's
//! steps follow its own masking threshold) within a reservoir of [`RESERVOIR_SECONDS`] of
//! the bitrate. On the corpus ViSQOL scored the demand no higher than equal shares
//! (docs/BENCH.md, "Rate control by demand"), hence the default. Each packet resets its
//! entropy models, so it is a keyframe: decodable on its own.
//!
//! [`encode_audio_segment`] codes one closed segment of an input: its edge frames take the
//! real samples around it, its first packet carries the segment-start flag, and segments
//! joined into one stream decode to the concatenation of their decodes (the decoder
//! restarts its overlap at each flagged packet).
//!
//! The lossless mode ([`RateMode::Lossless`], header transform id 2) takes 16-bit or 24-bit
//! PCM (the depth the source announces; 24-bit blocks drop their wasted low bits first)
//! through the integer MDCT ([`crate::transform::intmdct`]) on the same frames and packets
//! (long frames only: no block switching) and codes the coefficients without quantization,
//! entirely on the workers (`lossless`, `intcoeffs`); its decoder gives the input back
//! bit for bit.
//!
//! Decoding ([`decode_audio`]) runs the entropy decoding of packets on N workers and the
//! inverse MDCT with overlap-add in order in the sink. Each packet's prefix says which frame it starts at and
//! how many output samples it finishes, so the output is trimmed exactly and a decoder
//! joining or recovering mid-stream knows where it is: missing frames are concealed with
//! silence (their overlap with the neighbouring frames fades out and in), and the first
//! `N` samples after a gap lack the previous frame's overlap half. The encoder never needs
//! the decoder's reconstruction (there is no prediction between frames), so the forward
//! MDCT may use a SIMD FFT while the inverse uses the deterministic plain FFT.

pub(crate) mod analysis;
mod decode;
mod estimate;
pub(crate) mod frame;
mod framer;
mod intcoeffs;
mod lossless;
mod noise;
mod packet_decoder;
mod packet_encoder;
pub mod params;
mod pool;
mod rate;
mod stages;
pub mod target;
pub(crate) mod transient;

use std::io::Write;

use analysis::{quantize_channel, Analysis, Group};
use frame::{
    write_channel, write_energy_switch, write_intensity, write_noise_switch, write_sequence,
    write_stereo, ChannelState, Models,
};
use framer::Framer;
use params::{band_edges, end_payload, short_band_edges, PacketPrefix};
pub use params::{AudioParams, AudioTransform, AudioTune};
use rate::RateControl;
pub use rate::RESERVOIR_SECONDS;
use stages::{Analysed, EncodePlan};

pub use packet_decoder::{AudioPacketDecoder, AudioStreamDecoder};
pub use packet_encoder::{AudioFormat, AudioPacketEncoder};

pub use decode::{
    audio_params, decode_audio, decode_audio_stream, decode_packet_for_fuzzing, AudioDecodeOptions,
    AudioDecodeReport,
};

use crate::container::{ContainerWriter, PACKET_OVERHEAD_BYTES};
use crate::entropy::RangeEncoder;
use crate::error::{Error, Result};
use crate::media::audio::AudioSource;
use crate::pipeline::{self, PipelineConfig, RunStats};
use crate::transform::switched::WindowSequence;
use crate::transform::window::WindowShape;

/// How the encoder spends bits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateMode {
    /// An average bitrate in kbit/s, held with a bit reservoir.
    Bitrate(f64),
    /// A fixed quality from 0 (smallest) to 100 (best): variable bitrate.
    Quality(u8),
    /// No quantization: 16-bit or 24-bit PCM through the integer MDCT, decoded bit for bit.
    Lossless,
    /// A fixed step offset with a fraction (variable bitrate): the finer knob the
    /// target-quality search drives. Each unit is 1.5 dB of step (quality `q` is the offset
    /// `base + (50 - q) / 4`, base -10 perceptual and -24 PSNR); frame `n` is coded at
    /// `floor(offset) + 1` when [`crate::codec::target::dither`]`(n)` is below the fraction,
    /// else at `floor(offset)`. From -128 to 128.
    StepOffset(f64),
}

/// Everything the audio encoder can be asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioEncoderConfig {
    pub rate: RateMode,
    pub tune: AudioTune,
    /// MDCT coefficients per frame (256, 512, 1024 or 2048), or 0 (the default) for the
    /// mode's and tune's own ([`AudioEncoderConfig::frame_size_used`]).
    pub frame_size: usize,
    /// Frames per packet (1 to 64).
    pub frames_per_packet: u8,
    pub window: WindowShape,
    /// Worker threads per stage (0 = one per core).
    pub threads: usize,
    /// Dead-zone rounding of levels (0.5 = plain rounding); the perceptual tune rounds its
    /// noise-filled bands with at most [`NOISE_BAND_ROUNDING`] (see
    /// [`AudioEncoderConfig::roundings`]).
    pub rounding: f32,
    /// Perceptual tune: how far the noise follows the masking threshold across bands (0 to
    /// 1; 0 gives equal steps within a frame), or `None` for the default of the sample rate
    /// ([`AudioEncoderConfig::masking_used`]).
    pub masking: Option<f32>,
    /// Short blocks on transients (block switching); off: every frame is long.
    pub block_switching: bool,
    /// Transient detector threshold: the energy ratio of a high-passed sub-block over the
    /// recent past that makes an attack (above 1; see `transient`), or `None` for the
    /// default of the tune and sample rate ([`AudioEncoderConfig::transient_threshold_used`]).
    pub transient_threshold: Option<f32>,
    /// Bitrate mode: how far each packet's bits follow its demand, the bits it costs at
    /// the running offset (0 to 1; 0, the default: an equal share per packet, as measured
    /// best; 1: constant quality within the reservoir). See `rate`; docs/BENCH.md has the
    /// measurements.
    pub demand: f32,
}

impl Default for AudioEncoderConfig {
    fn default() -> Self {
        AudioEncoderConfig {
            rate: RateMode::Bitrate(96.0),
            tune: AudioTune::Perceptual,
            frame_size: 0,
            frames_per_packet: 16,
            window: WindowShape::Sine,
            threads: 0,
            rounding: 0.5,
            masking: None,
            block_switching: true,
            transient_threshold: None,
            demand: 0.0,
        }
    }
}

impl AudioEncoderConfig {
    /// The defaults for a tune. Measured on the corpus: the PSNR tune gains SNR from a dead
    /// zone (rounding 0.4); the perceptual tune scores higher in ViSQOL with plain rounding
    /// where zero levels stay silent (see [`AudioEncoderConfig::roundings`]) and, since
    /// zeroed bands are noise-filled, with equal steps across bands (masking weight 0:
    /// MOS-LQO 4.112 / 4.295 / 4.594 at 48 / 64 / 128 kbit/s against 4.051 / 4.211 / 4.571
    /// with weight 0.1 and 4.014 / 4.134 / 4.509 with 0.25; before noise filling 0.1 beat 0
    /// and full shaping; speech at [`SPEECH_MAX_RATE`] and below takes 0.5, see
    /// [`AudioEncoderConfig::masking_used`]). The PSNR tune keeps the attack threshold its
    /// SNR was measured with (5, the perceptual tune's music default too) and its frames of
    /// 1024.
    pub fn for_tune(tune: AudioTune) -> AudioEncoderConfig {
        let base = AudioEncoderConfig::default();
        match tune {
            AudioTune::Perceptual => base,
            AudioTune::Psnr => AudioEncoderConfig {
                tune,
                rounding: 0.4,
                ..base
            },
        }
    }

    /// True when the perceptual tune's speech settings apply to input at `sample_rate`:
    /// lossy, perceptual, at [`SPEECH_MAX_RATE`] or below.
    pub fn speech_path(&self, sample_rate: u32) -> bool {
        self.tune == AudioTune::Perceptual
            && self.rate != RateMode::Lossless
            && sample_rate <= SPEECH_MAX_RATE
    }

    /// The masking weight an encode at `sample_rate` uses: `masking`, or by default 0 (equal
    /// steps in a frame) and [`SPEECH_MASKING`] on the speech path.
    pub fn masking_used(&self, sample_rate: u32) -> f32 {
        match self.masking {
            Some(m) => m,
            None if self.speech_path(sample_rate) => SPEECH_MASKING,
            None => 0.0,
        }
    }

    /// The attack threshold an encode at `sample_rate` uses: `transient_threshold`, or by
    /// default [`transient::DEFAULT_THRESHOLD`] ([`transient::PSNR_THRESHOLD`] in the PSNR
    /// tune) and [`SPEECH_TRANSIENT_THRESHOLD`] on the speech path.
    pub fn transient_threshold_used(&self, sample_rate: u32) -> f32 {
        match self.transient_threshold {
            Some(t) => t,
            None if self.speech_path(sample_rate) => SPEECH_TRANSIENT_THRESHOLD,
            None if self.tune == AudioTune::Psnr => transient::PSNR_THRESHOLD,
            None => transient::DEFAULT_THRESHOLD,
        }
    }

    /// The first frequency (Hz) an encode at `sample_rate` leaves empty: on the speech path
    /// [`SPEECH_LOWPASS_BELOW_NYQUIST_HZ`] below half the sample rate, else `None`.
    pub fn lowpass_hz(&self, sample_rate: u32) -> Option<u32> {
        self.speech_path(sample_rate)
            .then(|| (sample_rate / 2).saturating_sub(SPEECH_LOWPASS_BELOW_NYQUIST_HZ))
    }

    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<()> {
        match self.rate {
            RateMode::Bitrate(k) if !(k.is_finite() && (6.0..=1024.0).contains(&k)) => {
                return Err(Error::InvalidArgument(format!(
                    "bitrate {k} kbit/s (expected 6 to 1024)"
                )))
            }
            RateMode::Quality(q) if q > 100 => {
                return Err(Error::InvalidArgument(format!(
                    "quality {q} (expected 0 to 100)"
                )))
            }
            RateMode::StepOffset(o) if !(o.is_finite() && (-128.0..=128.0).contains(&o)) => {
                return Err(Error::InvalidArgument(format!(
                    "step offset {o} (expected -128 to 128)"
                )))
            }
            _ => {}
        }
        if self.rate == RateMode::Lossless && self.window != WindowShape::Sine {
            return Err(Error::InvalidArgument(
                "lossless mode uses the sine window".into(),
            ));
        }
        if self.frame_size != 0 && !params::FRAME_SIZES.contains(&self.frame_size) {
            return Err(Error::InvalidArgument(format!(
                "frame size {} (expected 0 for the default, or one of {:?})",
                self.frame_size,
                params::FRAME_SIZES
            )));
        }
        if self.frames_per_packet == 0 || self.frames_per_packet > params::MAX_FRAMES_PER_PACKET {
            return Err(Error::InvalidArgument(format!(
                "{} frames per packet (expected 1 to {})",
                self.frames_per_packet,
                params::MAX_FRAMES_PER_PACKET
            )));
        }
        if let Some(m) = self
            .masking
            .filter(|m| !(m.is_finite() && (0.0..=1.0).contains(m)))
        {
            return Err(Error::InvalidArgument(format!(
                "masking weight {m} (expected 0 to 1)"
            )));
        }
        if let Some(t) = self
            .transient_threshold
            .filter(|t| !(t.is_finite() && *t > 1.0))
        {
            return Err(Error::InvalidArgument(format!(
                "transient threshold {t} (expected above 1)"
            )));
        }
        if !(self.demand.is_finite() && (0.0..=1.0).contains(&self.demand)) {
            return Err(Error::InvalidArgument(format!(
                "demand weight {} (expected 0 to 1)",
                self.demand
            )));
        }
        if !(self.rounding.is_finite() && (0.0..=0.5).contains(&self.rounding)) {
            return Err(Error::InvalidArgument(format!(
                "rounding {} (expected 0 to 0.5)",
                self.rounding
            )));
        }
        Ok(())
    }

    /// The frame size an encode of `channels` channels uses: `frame_size`, or when it is 0
    /// the default of the mode and tune: [`PERCEPTUAL_FRAME_SIZE`] for the perceptual tune's
    /// lossy modes, except at average bitrates below [`PERCEPTUAL_FRAME_MIN_KBPS`] per
    /// channel, and 1024 for those, for the PSNR tune (whose SNR was measured with it) and
    /// for the lossless mode (whose compression was).
    pub fn frame_size_used(&self, channels: usize) -> usize {
        match (self.frame_size, self.tune, self.rate) {
            (0, _, RateMode::Lossless) | (0, AudioTune::Psnr, _) => 1024,
            (0, AudioTune::Perceptual, RateMode::Bitrate(kbps))
                if kbps < PERCEPTUAL_FRAME_MIN_KBPS * channels.max(1) as f64 =>
            {
                1024
            }
            (0, AudioTune::Perceptual, _) => PERCEPTUAL_FRAME_SIZE,
            (n, _, _) => n,
        }
    }

    /// The dead-zone rounding of the bands below the noise start and of those from it on
    /// (the first band whose zero levels the decoder fills with noise, at 4 kHz): `rounding`
    /// for both, except that the perceptual tune rounds the noise-filled bands with at most
    /// [`NOISE_BAND_ROUNDING`].
    pub fn roundings(&self) -> [f32; 2] {
        match self.tune {
            AudioTune::Perceptual => [self.rounding, self.rounding.min(NOISE_BAND_ROUNDING)],
            AudioTune::Psnr => [self.rounding; 2],
        }
    }

    /// The step offset a quality gives: 1.5 dB per unit.
    fn quality_offset(&self, quality: u8) -> i32 {
        let base = match self.tune {
            AudioTune::Perceptual => -10,
            AudioTune::Psnr => -24,
        };
        base + (50 - quality as i32) / 4
    }
}

/// The most dead-zone rounding of the perceptual tune in the bands whose zero levels are
/// noise-filled (from 4 kHz): a coefficient quantized to zero there comes back as noise of
/// about its size, so the wider dead zone saves bits at little cost, while below the noise
/// start a zeroed coefficient stays silent and plain rounding (0.5) keeps it. Measured on
/// the corpus music (ViSQOL, 48 / 64 / 96 / 128 kbit/s): 0.5 below and 0.38 from the noise
/// start scored 4.528 / 4.570 / 4.628 / 4.662 against 4.510 / 4.540 / 4.625 / 4.658 with
/// the former rule (0.5 at 32 kbit/s per channel or less, 0.42 from 48, in every band);
/// 0.38 in every band 4.529 / 4.573 / 4.630 / 4.661 but the speech 4.399 / 4.691 against
/// 4.446 / 4.727 at 16 / 24 kbit/s; 0.38 below and 0.5 from the noise start 4.512 / 4.540
/// at 48 / 64 (the whole gain is in the noise-filled bands); 0.34 everywhere 4.530 / 4.572
/// / 4.622 / 4.652, 0.42 4.524 / 4.563, 0.46 4.522 / 4.554 at 48 / 64.
pub const NOISE_BAND_ROUNDING: f32 = 0.38;

/// The frame size of the perceptual tune's lossy modes: 512 coefficients, a hop of 10.7 ms
/// and windows of 21 ms at 48 kHz. With every band noise-filled the time resolution decides
/// more than the frequency resolution: long frames of 1024 spread a band's noise over 43 ms
/// windows into quieter neighbours (singularity_nebula's bands from 6 to 16 kHz carried 1.4
/// to 2.3 dB too much energy). Measured on the corpus music (ViSQOL, 48 / 64 / 96 / 128
/// kbit/s): 4.574 / 4.618 / 4.655 / 4.682 against 4.529 / 4.571 / 4.628 / 4.662 with 1024
/// (singularity_nebula 4.56 / 4.59 / 4.62 / 4.65 against 4.41 / 4.43 / 4.49 / 4.54;
/// tecnoballz_fridge 0.01 to 0.02 lower), speech (16 kHz) 4.499 / 4.790 against 4.446 /
/// 4.727 at 16 / 24 kbit/s; 256 scored 4.567 at 64 kbit/s, and 32 frames per packet
/// instead of 16 4.582 / 4.618 at 48 / 64.
pub const PERCEPTUAL_FRAME_SIZE: usize = 512;

/// The lowest average bitrate per channel, in kbit/s, at which the perceptual tune takes
/// frames of [`PERCEPTUAL_FRAME_SIZE`]: below it frames of 1024, whose side information
/// (band flags and noise indices of every frame) costs half as much. With frames of 512 a
/// stereo encode of the corpus music could not go below about 9.7 kbit/s (8 asked: 9.7;
/// frames of 1024: 8.0).
pub const PERCEPTUAL_FRAME_MIN_KBPS: f64 = 8.0;

/// The highest sample rate of the speech path (the perceptual tune's lossy modes, see
/// [`AudioEncoderConfig::speech_path`]): speech is mostly coded at 16 kHz, and below it the
/// bands that hold the music's highs do not exist. Measured on the corpus speech (16 kHz
/// mono, ViSQOL speech mode, 16 / 24 kbit/s; docs/BENCH.md, "Speech path"); the music at 48
/// kHz keeps its settings.
pub const SPEECH_MAX_RATE: u32 = 16_000;

/// The masking weight of the speech path: 4.662 / 4.847 against 4.538 / 4.812 with the
/// music's 0 (0.4 4.662 / 4.854 and 0.6 4.665 / 4.853 with the threshold 12; 1.0 4.530 /
/// 4.776 before pre-masking). With few, narrow bands below 8 kHz and most of the energy
/// below 1 kHz, white noise across the frame is heard in the quiet highs of speech. On the
/// music the weight still loses (0.5: 4.587 / 4.620 / 4.660 / 4.678 against 4.581 / 4.625 /
/// 4.660 / 4.686 at 48 / 64 / 96 / 128 kbit/s).
pub const SPEECH_MASKING: f32 = 0.5;

/// The attack threshold of the speech path: 12 scored 4.671 / 4.858 against 4.662 / 4.847
/// with 5 (20: 4.669 / 4.857). Short blocks of 4 ms at 16 kHz split voiced onsets that
/// long frames code better.
pub const SPEECH_TRANSIENT_THRESHOLD: f32 = 12.0;

/// The speech path codes nothing from this far below half the sample rate (7 kHz at 16
/// kHz): 4.686 / 4.864 against 4.671 / 4.858 without; 6.5 kHz 4.686 / 4.864, 7.5 kHz 4.679
/// / 4.859, 6 kHz 4.649 / 4.823. The bits of the top band (faint fricative noise, filled as
/// noise) go to the formants.
pub const SPEECH_LOWPASS_BELOW_NYQUIST_HZ: u32 = 1_000;

/// What an encode produced.
#[derive(Debug)]
pub struct AudioEncodeOutcome {
    pub params: AudioParams,
    /// Input length in samples per channel.
    pub samples: u64,
    /// Bytes written, header included.
    pub bytes: u64,
    pub packets: u32,
    /// Frames in all, and frames coded as short blocks.
    pub frames: u64,
    pub short_frames: u64,
    pub stats: RunStats,
}

/// The band layouts of a stream: long frames, and short frames (interleaved blocks).
struct Layouts {
    long: Vec<usize>,
    short: Vec<usize>,
    /// The first band of the long and the short layout from which zero levels of coded
    /// bands are noise-filled (`noise::start_band`).
    noise_start: [usize; 2],
}

impl Layouts {
    fn new(params: &AudioParams) -> Layouts {
        let (n, rate) = (params.frame_size, params.sample_rate);
        let long = band_edges(n, rate);
        let short = short_band_edges(n, rate);
        Layouts {
            noise_start: [
                noise::start_band(&long, n, rate),
                noise::start_band(&short, n, rate),
            ],
            long,
            short,
        }
    }

    fn noise_start(&self, sequence: WindowSequence) -> usize {
        self.noise_start[sequence.is_short() as usize]
    }

    fn edges(&self, sequence: WindowSequence) -> &[usize] {
        if sequence.is_short() {
            &self.short
        } else {
            &self.long
        }
    }

    fn channel_state(&self) -> ChannelState {
        let n = self.long[self.long.len() - 1];
        ChannelState::new(n, self.long.len() - 1, self.short.len() - 1)
    }
}

/// A step offset for every frame: a whole offset, plus one for frame `n` when
/// `dither(n) < fraction` (see [`RateMode::StepOffset`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Offset {
    whole: i32,
    fraction: f64,
}

impl Offset {
    fn whole(whole: i32) -> Offset {
        Offset {
            whole,
            fraction: 0.0,
        }
    }

    fn fine(offset: f64) -> Offset {
        let whole = offset.floor();
        Offset {
            whole: whole as i32,
            fraction: offset - whole,
        }
    }

    fn for_frame(&self, n: u64) -> i32 {
        if self.fraction > 0.0 && crate::codec::target::dither(n) < self.fraction {
            self.whole + 1
        } else {
            self.whole
        }
    }
}

/// Quantizes and codes one analysed packet at `offset`; returns the payload.
/// `rounding` holds the dead-zone rounding below the noise start and from it on.
fn code_packet(
    analysis: &Analysis,
    layouts: &Layouts,
    offset: Offset,
    rounding: [f32; 2],
) -> Vec<u8> {
    let n = layouts.long[layouts.long.len() - 1];
    let channels = analysis.frame.first().map_or(0, |f| f.coeffs.len());
    let mut out = Vec::new();
    PacketPrefix {
        segment_start: false,
        first_frame: analysis.first_frame,
        frames: analysis.frames,
        output_samples: analysis.output_samples,
    }
    .write(&mut out);
    let mut enc = RangeEncoder::with_capacity(4096);
    let mut models = Models::default();
    let mut states: Vec<ChannelState> = (0..channels).map(|_| layouts.channel_state()).collect();
    let mut q = vec![0i32; n];
    let mut steps = vec![0u8; layouts.long.len() - 1];
    let mut noise = vec![0u8; layouts.long.len() - 1];
    let mut energies = vec![0u8; layouts.long.len() - 1];
    let mut previous = WindowSequence::Long;
    let noise_syntax = analysis.frame.iter().any(|f| !f.noise.is_empty());
    write_noise_switch(&mut enc, &mut models, noise_syntax);
    write_energy_switch(&mut enc, &mut models, noise_syntax && analysis.energies);
    for (i, frame) in analysis.frame.iter().enumerate() {
        let offset = offset.for_frame(analysis.first_frame + i as u64);
        write_sequence(&mut enc, &mut models, previous, frame.sequence);
        previous = frame.sequence;
        if channels == 2 {
            write_intensity(&mut enc, &mut models, &frame.pan);
            write_stereo(
                &mut enc,
                &mut models,
                &frame.ms[..frame.ms.len() - frame.pan.len()],
            );
        }
        let edges = layouts.edges(frame.sequence);
        for ch in 0..channels {
            let gains = frame.gains.get(ch).map_or(&[][..], |g| &g[..]);
            quantize_channel(
                &frame.coeffs[ch],
                &frame.base_steps[ch],
                gains,
                &frame.peaks[ch],
                edges,
                offset,
                rounding,
                layouts.noise_start(frame.sequence),
                &mut q,
                &mut steps,
            );
            let bands = edges.len() - 1;
            let noise = &mut noise[..bands];
            match frame.noise.get(ch) {
                Some(indices) => {
                    for (b, (n, index)) in noise.iter_mut().zip(indices).enumerate() {
                        let zero = q[edges[b]..edges[b + 1]].iter().all(|&v| v == 0);
                        *n = match index {
                            Some(i) if zero => noise::coded_index(*i),
                            _ => 0,
                        };
                    }
                }
                None => noise.fill(0),
            }
            let start = layouts.noise_start(frame.sequence);
            let fill = if frame.noise.is_empty() {
                0
            } else {
                noise::fill_level(&frame.coeffs[ch], &q, edges, start, &steps, gains)
            };
            if analysis.energies {
                // A coded band's energy index is the noise index the analysis found for it
                // (the band's energy in its blocks' units), from the noise start on.
                let indices = frame.noise.get(ch).map_or(&[][..], |v| &v[..]);
                for (b, e) in energies[..bands].iter_mut().enumerate().skip(start) {
                    *e = indices
                        .get(b)
                        .copied()
                        .flatten()
                        .map_or(1, noise::coded_index);
                }
            }
            write_channel(
                &mut enc,
                &mut models,
                &mut states[ch],
                edges,
                gains,
                &q,
                &steps,
                noise,
                fill,
                start,
                &energies[..bands],
            );
        }
    }
    out.extend_from_slice(&enc.finish());
    out
}

/// Encodes all of `source` into `out` as a complete quanta stream.
pub fn encode_audio<S: AudioSource, W: Write>(
    source: S,
    config: &AudioEncoderConfig,
    out: W,
) -> Result<AudioEncodeOutcome> {
    let plan = EncodePlan::new(
        source.sample_rate(),
        source.channels(),
        source.pcm_depth(),
        source.total_samples(),
        config,
    )?;
    let framer = Framer::new(
        source,
        plan.params,
        plan.frame_multiple(),
        plan.transient_threshold(),
    );
    encode_with(plan, framer, config, out, false)
}

/// Encodes samples `start .. start + length` of `source` (fewer when it ends sooner) as a
/// closed segment: a complete stream of its own whose frames are coded from the real
/// samples around it (the priming frame's first half from the samples before `start`, the
/// last frames' from those after the end), whose first packet carries the segment-start
/// flag, and which decodes to exactly those samples alone or joined after other segments
/// of the same input and settings (`quanta concat`). The samples before `start` are read
/// and dropped.
pub fn encode_audio_segment<S: AudioSource, W: Write>(
    mut source: S,
    config: &AudioEncoderConfig,
    out: W,
    (start, length): (u64, u64),
) -> Result<AudioEncodeOutcome> {
    if length == 0 {
        return Err(Error::InvalidArgument(
            "an audio segment holds at least one sample".into(),
        ));
    }
    let known = source.total_samples();
    if let Some(total) = known {
        if start >= total {
            return Err(Error::InvalidArgument(format!(
                "the segment starts at sample {start}, but the input holds only {total} samples"
            )));
        }
    }
    let plan = EncodePlan::new(
        source.sample_rate(),
        source.channels(),
        source.pcm_depth(),
        known.map(|total| length.min(total - start)),
        config,
    )?;
    let n = plan.params.frame_size as u64;
    let channels = source.channels();
    // Drop what lies before the priming frame, keep up to N samples before `start`.
    let mut skipped = 0u64;
    let mut buffer = Vec::new();
    let skip_to = start.saturating_sub(n);
    while skipped < skip_to {
        buffer.clear();
        let want = (skip_to - skipped).min(1 << 14) as usize;
        let got = source.read_frames(&mut buffer, want)? as u64;
        if got == 0 {
            break;
        }
        skipped += got;
    }
    let mut before = Vec::new();
    while skipped < start {
        let want = (start - skipped).min(1 << 14) as usize;
        let got = source.read_frames(&mut before, want)? as u64;
        if got == 0 {
            break;
        }
        skipped += got;
    }
    if skipped < start {
        return Err(Error::InvalidArgument(format!(
            "the segment starts at sample {start}, but the input holds only {skipped} samples"
        )));
    }
    let mut preroll = vec![vec![0.0f32; n as usize]; channels];
    let have = before.len() / channels.max(1);
    for (i, frame) in before.chunks_exact(channels).enumerate() {
        for (ch, &v) in frame.iter().enumerate() {
            preroll[ch][n as usize - have + i] = v;
        }
    }
    // The frames after the end read up to two frames past it.
    let limited = Limited {
        inner: source,
        left: length.saturating_add(2 * n),
    };
    let framer = Framer::new(
        limited,
        plan.params,
        plan.frame_multiple(),
        plan.transient_threshold(),
    )
    .for_segment(preroll, length);
    let outcome = encode_with(plan, framer, config, out, true)?;
    if outcome.samples == 0 {
        return Err(Error::InvalidArgument(format!(
            "the segment starts at sample {start}, at the end of the input"
        )));
    }
    Ok(outcome)
}

/// A source that ends after `left` more sample frames.
struct Limited<S: AudioSource> {
    inner: S,
    left: u64,
}

impl<S: AudioSource> AudioSource for Limited<S> {
    fn pcm_depth(&self) -> crate::media::audio::PcmDepth {
        self.inner.pcm_depth()
    }
    fn sample_rate(&self) -> u32 {
        self.inner.sample_rate()
    }
    fn channels(&self) -> usize {
        self.inner.channels()
    }
    fn total_samples(&self) -> Option<u64> {
        None
    }
    fn read_frames(&mut self, out: &mut Vec<f32>, frames: usize) -> Result<usize> {
        let want = (frames as u64).min(self.left) as usize;
        if want == 0 {
            return Ok(0);
        }
        let got = self.inner.read_frames(out, want)?;
        self.left -= got as u64;
        Ok(got)
    }
}

/// The encode proper, from the framer on; `segment` flags the first packet as a
/// segment start.
fn encode_with<S: AudioSource, W: Write>(
    plan: EncodePlan,
    mut framer: Framer<S>,
    config: &AudioEncoderConfig,
    out: W,
    segment: bool,
) -> Result<AudioEncodeOutcome> {
    let params = plan.params;
    let mut writer = ContainerWriter::new(out, &plan.header)?;
    let groups = std::iter::from_fn(|| framer.next_group().transpose());
    let mut rate = plan.rate_control();
    let mut frames_total = 0u64;
    let stats = pipeline::run_one(
        &PipelineConfig::with_threads(config.threads),
        groups,
        ("analyze", |group: Group| plan.analyze(&group)),
        |item: Analysed| {
            let mut payload = plan.code(item, rate.as_mut());
            if let Some(end) = plan.frames_after(&payload) {
                frames_total = end;
            }
            if segment && writer.packets_written() == 0 {
                if let Some(count) = payload.get_mut(8) {
                    *count |= params::SEGMENT_START;
                }
            }
            writer.write_packet(true, &payload)
        },
    )?;
    let samples = framer.total;
    let packets = writer.packets_written();
    let bytes = writer.bytes_written() + (PACKET_OVERHEAD_BYTES + 16) as u64;
    let mut inner = writer.finish(&end_payload(samples, frames_total))?;
    inner
        .flush()
        .map_err(|e| Error::io("cannot flush the encoded stream", e))?;
    Ok(AudioEncodeOutcome {
        params: AudioParams {
            total_samples: samples,
            ..params
        },
        samples,
        bytes,
        packets,
        frames: frames_total,
        short_frames: framer.short_frames,
        stats,
    })
}
