//! The audio encoder's stages, set up once and shared by the stream encoder
//! ([`super::encode_audio`], which runs them on the pipeline's workers) and the packet
//! encoder ([`super::AudioPacketEncoder`], which runs them inline as samples arrive).
//!
//! [`EncodePlan::new`] checks the input format against the configuration and derives the
//! stream parameters and header; [`EncodePlan::analyze`] is the parallel stage (MDCT,
//! psychoacoustic model and stereo decision, or the whole lossless packet, and in the
//! fixed-quality modes the coding too) and [`EncodePlan::code`] the in-order one (rate
//! control and range coding of what is left).

use super::analysis::{Analysis, Analyzer, Group};
use super::lossless::code_lossless_packet;
use super::params::{self, AudioParams, AudioTransform, PacketPrefix};
use super::pool::Pool;
use super::{code_packet, AudioEncoderConfig, Layouts, Offset, RateControl, RateMode};
use crate::container::{MediaKind, StreamHeader, PACKET_OVERHEAD_BYTES};
use crate::error::{Error, Limits, Result};
use crate::media::audio::PcmDepth;
use crate::transform::intmdct::IntMdct;

/// What the parallel stage hands to the in-order stage: an analysis still to code at the
/// rate control's offset, or a finished payload.
pub(super) type Analysed = std::result::Result<Analysis, Vec<u8>>;

/// Everything fixed for one encode: parameters, header, band layouts, transform pools.
pub(super) struct EncodePlan {
    pub(super) params: AudioParams,
    pub(super) header: StreamHeader,
    layouts: Layouts,
    config: AudioEncoderConfig,
    /// Dead-zone rounding below the noise start and from it on.
    roundings: [f32; 2],
    lossless: bool,
    fixed_offset: Option<Offset>,
    analyzers: Pool<Analyzer>,
    int_mdcts: Pool<IntMdct>,
}

impl EncodePlan {
    /// Checks the input format (`channels` interleaved at `sample_rate`, samples of
    /// `depth`, `total_samples` per channel when known) against `config` and sets up the
    /// encode.
    pub(super) fn new(
        sample_rate: u32,
        channels: usize,
        depth: PcmDepth,
        total_samples: Option<u64>,
        config: &AudioEncoderConfig,
    ) -> Result<EncodePlan> {
        config.validate()?;
        if channels == 0 || channels > params::MAX_CHANNELS as usize {
            return Err(Error::Unsupported(format!(
                "{channels} audio channels: quanta codes mono and stereo only (downmix first)"
            )));
        }
        let lossless = config.rate == RateMode::Lossless;
        // The depth of the lossless stream: 24 bits for sources of 17 to 24, else 16 (a
        // source that does not say is checked sample by sample against 16 bits).
        let bits = match depth {
            PcmDepth::Float if lossless => {
                return Err(Error::Unsupported(
                    "lossless mode codes 16-bit or 24-bit integer PCM; the input holds float \
                     samples"
                        .into(),
                ))
            }
            PcmDepth::Integer(bits) if lossless && bits > 24 => {
                return Err(Error::Unsupported(format!(
                    "lossless mode codes 16-bit or 24-bit integer PCM; the input holds \
                     {bits}-bit samples"
                )))
            }
            PcmDepth::Integer(bits) if lossless && bits > 16 => 24,
            _ => 16,
        };
        let params = AudioParams {
            transform: if lossless {
                AudioTransform::IntMdct
            } else {
                AudioTransform::Mdct
            },
            sample_rate,
            channels: channels as u8,
            frame_size: config.frame_size_used(channels),
            frames_per_packet: config.frames_per_packet,
            window: config.window,
            tune: config.tune,
            total_samples: total_samples.unwrap_or(0),
            delay: config.frame_size_used(channels) as u32,
            target_kbps: match config.rate {
                RateMode::Bitrate(k) => k.round() as u32,
                RateMode::Quality(_) | RateMode::StepOffset(_) | RateMode::Lossless => 0,
            },
            bits,
        };
        params.validate(&Limits::default())?;
        let header = StreamHeader::new(
            MediaKind::Audio,
            params.transform.to_u8(),
            params.to_bytes(),
        );
        let fixed_offset = match config.rate {
            RateMode::Quality(q) => Some(Offset::whole(config.quality_offset(q))),
            RateMode::StepOffset(o) => Some(Offset::fine(o)),
            RateMode::Bitrate(_) | RateMode::Lossless => None,
        };
        Ok(EncodePlan {
            layouts: Layouts::new(&params),
            params,
            header,
            roundings: config.roundings(),
            config: config.clone(),
            lossless,
            fixed_offset,
            analyzers: Pool::new(),
            int_mdcts: Pool::new(),
        })
    }

    /// Frames per packet group are rounded up to this (lossless mono transforms frames in
    /// pairs).
    pub(super) fn frame_multiple(&self) -> u64 {
        if self.lossless && self.params.channels == 1 {
            2
        } else {
            1
        }
    }

    /// The transient detector's threshold, or `None` when every frame is long (block
    /// switching off, or lossless: the integer MDCT has long frames only).
    pub(super) fn transient_threshold(&self) -> Option<f32> {
        (self.config.block_switching && !self.lossless).then(|| {
            self.config
                .transient_threshold_used(self.params.sample_rate)
        })
    }

    /// The bitrate mode's rate control, starting with the header's bits as debt.
    pub(super) fn rate_control(&self) -> Option<RateControl> {
        match self.config.rate {
            RateMode::Bitrate(kbps) => Some(RateControl::new(
                kbps,
                self.params.sample_rate,
                8.0 * self.header.encoded_len() as f64 + 8.0 * (PACKET_OVERHEAD_BYTES + 16) as f64,
                self.config.quality_offset(50),
                self.config.demand,
                (self.params.total_samples > 0).then_some(self.params.total_samples),
                self.roundings,
            )),
            RateMode::Quality(_) | RateMode::StepOffset(_) | RateMode::Lossless => None,
        }
    }

    /// The parallel stage: analyses a group, and codes it when nothing in order decides
    /// its step.
    pub(super) fn analyze(&self, group: &Group) -> Result<Analysed> {
        let params = &self.params;
        if self.lossless {
            let payload = self.int_mdcts.with(
                || IntMdct::new(params.frame_size),
                |t| code_lossless_packet(t, group, params, &self.layouts.long),
            );
            return Ok(Err(payload?));
        }
        let analysis = self.analyzers.with(
            || {
                Analyzer::new(
                    params,
                    &self.layouts.long,
                    &self.layouts.short,
                    self.config.masking_used(params.sample_rate),
                    self.config.lowpass_hz(params.sample_rate),
                    !self.config.speech_path(params.sample_rate),
                )
            },
            |analyzer| analyzer.analyze(group),
        );
        Ok(match self.fixed_offset {
            Some(offset) => Err(code_packet(
                &analysis,
                &self.layouts,
                offset,
                self.roundings,
            )),
            None => Ok(analysis),
        })
    }

    /// The in-order stage: the packet's payload, coded at the rate control's offset when
    /// the parallel stage left it an analysis.
    pub(super) fn code(&self, item: Analysed, rate: Option<&mut RateControl>) -> Vec<u8> {
        let rounding = self.roundings;
        match (item, rate) {
            (Err(payload), _) => payload,
            (Ok(analysis), Some(rc)) => rc.code(&analysis, &self.layouts, self.params.frame_size),
            (Ok(analysis), None) => {
                code_packet(&analysis, &self.layouts, Offset::whole(0), rounding)
            }
        }
    }

    /// The frame after the last one `payload` codes.
    pub(super) fn frames_after(&self, payload: &[u8]) -> Option<u64> {
        PacketPrefix::read(payload, &self.params)
            .ok()
            .map(|(prefix, _)| prefix.first_frame + prefix.frames as u64)
    }
}
