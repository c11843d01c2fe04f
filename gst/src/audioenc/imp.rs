//! The implementation of `quantaaudioenc` on GStreamer's audio encoder base class.
//!
//! The base class hands over PCM as it arrives and stamps each output buffer from the count
//! of samples it stands for: a packet's `duration` is the number of output samples it
//! finishes, so the running sum of durations is the packet's `pts` and the buffers get the
//! timing of the gapless output. The end-of-stream packet follows the last packet at the
//! drain, with no duration.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex};

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_audio::prelude::*;
use gst_audio::subclass::prelude::*;

use quanta::codec::audio::{AudioEncoderConfig, AudioTune, RateMode};
use quanta::media::audio::PcmDepth;
use quanta::{AudioFormat, AudioPacketEncoder, EncodedPacket};

use super::Tune;
use crate::units;

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "quantaaudioenc",
        gst::DebugColorFlags::empty(),
        Some("quanta audio encoder"),
    )
});

const DEFAULT_BITRATE: u32 = 96;
const DEFAULT_QUALITY: u32 = 75;

#[derive(Debug, Clone, Copy)]
struct Settings {
    bitrate: u32,
    quality: u32,
    lossless: bool,
    tune: Tune,
    threads: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bitrate: DEFAULT_BITRATE,
            quality: DEFAULT_QUALITY,
            lossless: false,
            tune: Tune::Perceptual,
            threads: 0,
        }
    }
}

impl Settings {
    fn config(&self) -> AudioEncoderConfig {
        let tune = match self.tune {
            Tune::Perceptual => AudioTune::Perceptual,
            Tune::Psnr => AudioTune::Psnr,
        };
        let rate = if self.lossless {
            RateMode::Lossless
        } else if self.bitrate > 0 {
            RateMode::Bitrate(f64::from(self.bitrate))
        } else {
            RateMode::Quality(self.quality.min(100) as u8)
        };
        AudioEncoderConfig {
            rate,
            threads: self.threads as usize,
            ..AudioEncoderConfig::for_tune(tune)
        }
    }
}

/// The running encode: the input layout and the packet encoder of the current stream
/// (`None` after a drain until more input comes).
struct State {
    info: gst_audio::AudioInfo,
    format: AudioFormat,
    encoder: Option<AudioPacketEncoder>,
}

/// What one call produced: packets to push, then maybe the end-of-stream packet.
#[derive(Default)]
struct Output {
    packets: Vec<EncodedPacket>,
    end: Option<Vec<u8>>,
}

#[derive(Default)]
pub struct QuantaAudioEnc {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
    /// The next buffer through `pre_push` is the end-of-stream packet.
    end_pending: AtomicBool,
}

#[glib::object_subclass]
impl ObjectSubclass for QuantaAudioEnc {
    const NAME: &'static str = "GstQuantaAudioEnc";
    type Type = super::QuantaAudioEnc;
    type ParentType = gst_audio::AudioEncoder;
}

impl ObjectImpl for QuantaAudioEnc {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                glib::ParamSpecUInt::builder("bitrate")
                    .nick("Bitrate")
                    .blurb("Average bitrate in kbit/s (0 = constant quality, see quality)")
                    .maximum(1024)
                    .default_value(DEFAULT_BITRATE)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("quality")
                    .nick("Quality")
                    .blurb("Constant quality from 0 (smallest) to 100 (best), when bitrate is 0")
                    .maximum(100)
                    .default_value(DEFAULT_QUALITY)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecBoolean::builder("lossless")
                    .nick("Lossless")
                    .blurb("Code 16-bit PCM bit for bit (integer MDCT, no quantization)")
                    .default_value(false)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("tune", Tune::Perceptual)
                    .nick("Tune")
                    .blurb("Shape the coding noise for the ear or for the least squared error")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("threads")
                    .nick("Threads")
                    .blurb("Worker threads (0 = one per core)")
                    .maximum(256)
                    .default_value(0)
                    .mutable_ready()
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        let mut settings = self.settings.lock().unwrap();
        match pspec.name() {
            "bitrate" => settings.bitrate = value.get().expect("type checked upstream"),
            "quality" => settings.quality = value.get().expect("type checked upstream"),
            "lossless" => settings.lossless = value.get().expect("type checked upstream"),
            "tune" => settings.tune = value.get().expect("type checked upstream"),
            "threads" => settings.threads = value.get().expect("type checked upstream"),
            other => unreachable!("no property {other}"),
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let settings = self.settings.lock().unwrap();
        match pspec.name() {
            "bitrate" => settings.bitrate.to_value(),
            "quality" => settings.quality.to_value(),
            "lossless" => settings.lossless.to_value(),
            "tune" => settings.tune.to_value(),
            "threads" => settings.threads.to_value(),
            other => unreachable!("no property {other}"),
        }
    }
}

impl GstObjectImpl for QuantaAudioEnc {}

impl ElementImpl for QuantaAudioEnc {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "quanta audio encoder",
                "Codec/Encoder/Audio",
                "Encodes PCM into quanta audio units (lossy MDCT or lossless integer MDCT)",
                "quanta developers",
            )
        });
        Some(&*METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static TEMPLATES: LazyLock<Vec<gst::PadTemplate>> = LazyLock::new(|| {
            let sink_caps = gst_audio::AudioCapsBuilder::new_interleaved()
                .format_list([gst_audio::AudioFormat::S16le, gst_audio::AudioFormat::F32le])
                .rate_range(8000..=96000)
                .channels_range(1..=2)
                .build();
            let src_caps = gst::Caps::builder(units::AUDIO_CAPS_NAME).build();
            units::pad_templates(&sink_caps, &src_caps)
        });
        TEMPLATES.as_ref()
    }
}

impl AudioEncoderImpl for QuantaAudioEnc {
    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        *self.state.lock().unwrap() = None;
        self.end_pending.store(false, Ordering::SeqCst);
        Ok(())
    }

    fn caps(&self, filter: Option<&gst::Caps>) -> gst::Caps {
        // Lossless coding takes integer PCM only: offer S16LE alone so that upstream converts.
        if self.settings.lock().unwrap().lossless {
            let caps = gst_audio::AudioCapsBuilder::new_interleaved()
                .format(gst_audio::AudioFormat::S16le)
                .rate_range(8000..=96000)
                .channels_range(1..=2)
                .build();
            self.obj().proxy_getcaps(Some(&caps), filter)
        } else {
            self.parent_caps(filter)
        }
    }

    fn set_format(&self, info: &gst_audio::AudioInfo) -> Result<(), gst::LoggableError> {
        gst::debug!(CAT, imp = self, "input format {:?}", info);
        let depth = match info.format() {
            gst_audio::AudioFormat::S16le => PcmDepth::Integer(16),
            gst_audio::AudioFormat::F32le => PcmDepth::Float,
            other => {
                return Err(gst::loggable_error!(
                    CAT,
                    "unsupported sample format {other:?}"
                ));
            }
        };
        let format = AudioFormat {
            sample_rate: info.rate(),
            channels: info.channels() as usize,
            depth,
        };
        let mut state = State {
            info: info.clone(),
            format,
            encoder: None,
        };
        self.start_stream(&mut state)
            .map_err(|e| gst::loggable_error!(CAT, "{}", e))?;
        *self.state.lock().unwrap() = Some(state);
        Ok(())
    }

    fn handle_frame(
        &self,
        buffer: Option<&gst::Buffer>,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let output = {
            let mut guard = self.state.lock().unwrap();
            let state = guard.as_mut().ok_or(gst::FlowError::NotNegotiated)?;
            match buffer {
                Some(buffer) => self.encode(state, buffer)?,
                None => self.drain(state)?,
            }
        };
        self.push(output)
    }

    fn pre_push(&self, mut buffer: gst::Buffer) -> Result<Option<gst::Buffer>, gst::FlowError> {
        if self.end_pending.swap(false, Ordering::SeqCst) {
            buffer.make_mut().set_duration(gst::ClockTime::ZERO);
        }
        Ok(Some(buffer))
    }

    fn flush(&self) {
        // A flush ends the stream without its end packet; the next input starts a new one.
        if let Some(state) = self.state.lock().unwrap().as_mut() {
            state.encoder = None;
        }
    }
}

impl QuantaAudioEnc {
    /// A new packet encoder for `state`'s layout and the current settings; announces its
    /// header (caps and first buffer) and latency.
    fn start_stream(&self, state: &mut State) -> Result<(), gst::ErrorMessage> {
        let settings = *self.settings.lock().unwrap();
        let encoder = AudioPacketEncoder::new(state.format, &settings.config())
            .map_err(|e| units::stream_error("cannot start the encoder", &e))?;
        let header = encoder
            .header_bytes()
            .map_err(|e| units::stream_error("cannot write the stream header", &e))?;
        let header = units::header_buffer(header);
        let caps = gst::Caps::builder(units::AUDIO_CAPS_NAME)
            .field("rate", state.info.rate() as i32)
            .field("channels", state.info.channels() as i32)
            .build();
        let caps = units::with_streamheader(caps, &header);
        let obj = self.obj();
        obj.set_output_format(&caps)
            .map_err(|_| gst::error_msg!(gst::CoreError::Negotiation, ["output caps refused"]))?;
        obj.set_headers([header]);
        let latency = gst::ClockTime::SECOND
            .mul_div_floor(encoder.delay(), u64::from(state.info.rate()))
            .unwrap_or(gst::ClockTime::ZERO);
        obj.set_latency(latency, Some(latency));
        gst::debug!(
            CAT,
            imp = self,
            "stream started, delay {} samples",
            encoder.delay()
        );
        state.encoder = Some(encoder);
        Ok(())
    }

    fn encode(&self, state: &mut State, buffer: &gst::Buffer) -> Result<Output, gst::FlowError> {
        if state.encoder.is_none() {
            self.start_stream(state).map_err(|e| {
                self.post_error_message(e);
                gst::FlowError::Error
            })?;
        }
        let map = buffer.map_readable().map_err(|_| gst::FlowError::Error)?;
        let samples = to_f32(map.as_slice(), state.info.format());
        let encoder = state.encoder.as_mut().expect("started above");
        encoder.send_samples(&samples).map_err(|e| {
            self.post_error_message(units::stream_error("encoding failed", &e));
            gst::FlowError::Error
        })?;
        let mut output = Output::default();
        while let Some(packet) = encoder.receive_packet() {
            output.packets.push(packet);
        }
        Ok(output)
    }

    /// End of input: the last packets and the end-of-stream packet. The stream is over;
    /// more input starts a new one.
    fn drain(&self, state: &mut State) -> Result<Output, gst::FlowError> {
        let mut output = Output::default();
        let Some(mut encoder) = state.encoder.take() else {
            return Ok(output);
        };
        let fail = |e: quanta::Error| {
            self.post_error_message(units::stream_error("finishing the stream failed", &e));
            gst::FlowError::Error
        };
        encoder.flush().map_err(fail)?;
        while let Some(packet) = encoder.receive_packet() {
            output.packets.push(packet);
        }
        output.end = Some(encoder.end_packet().map_err(fail)?);
        Ok(output)
    }

    /// Hands the packets to the base class, which stamps them from their sample counts.
    fn push(&self, output: Output) -> Result<gst::FlowSuccess, gst::FlowError> {
        let obj = self.obj();
        for packet in output.packets {
            let samples = i32::try_from(packet.duration).map_err(|_| gst::FlowError::Error)?;
            let framed = packet.framed().map_err(|e| {
                self.post_error_message(units::stream_error("cannot frame a packet", &e));
                gst::FlowError::Error
            })?;
            obj.finish_frame(Some(units::packet_buffer(framed, packet.keyframe)), samples)?;
        }
        if let Some(end) = output.end {
            self.end_pending.store(true, Ordering::SeqCst);
            obj.finish_frame(Some(units::packet_buffer(end, true)), 0)?;
        }
        Ok(gst::FlowSuccess::Ok)
    }
}

/// Interleaved samples in [-1, 1) from the mapped input (16-bit samples over 32768).
fn to_f32(bytes: &[u8], format: gst_audio::AudioFormat) -> Vec<f32> {
    if format == gst_audio::AudioFormat::S16le {
        bytes
            .chunks_exact(2)
            .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
            .collect()
    } else {
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }
}
