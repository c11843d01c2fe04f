//! The implementation of `quantavideoenc` on GStreamer's video encoder base class.
//!
//! Frames go to the packet encoder as they come; each packet it gives back belongs to the
//! frame whose index is the packet's `pts` and finishes that frame (keyframes are sync
//! points), so the base class stamps it with the frame's own timing. At the end of the
//! stream the encoder is drained and the end-of-stream packet is pushed last, at the end
//! time of the stream with no duration.

use std::collections::VecDeque;
use std::sync::{LazyLock, Mutex};

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_video::prelude::*;
use gst_video::subclass::prelude::*;

use quanta::codec::video::params::MAX_BFRAMES;
use quanta::codec::video::slice::Preset as QuantaPreset;
use quanta::codec::video::VideoEncoderConfig;
use quanta::media::y4m::ChromaFormat;
use quanta::{EncodedPacket, FrameFormat, VideoPacketEncoder};

use super::Preset;
use crate::{planes, units};

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "quantavideoenc",
        gst::DebugColorFlags::empty(),
        Some("quanta video encoder"),
    )
});

const DEFAULT_QUALITY: u32 = 60;
const DEFAULT_KEYINT: u32 = 250;
const DEFAULT_LOOKAHEAD: u32 = 4;
/// Most frames the encoder's lookahead takes (`quanta::codec::video::MAX_LOOKAHEAD`).
const MAX_LOOKAHEAD: u32 = 16;

#[derive(Debug, Clone, Copy)]
struct Settings {
    bitrate: u32,
    quality: u32,
    preset: Preset,
    keyint: u32,
    threads: u32,
    lookahead: u32,
    bframes: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bitrate: 0,
            quality: DEFAULT_QUALITY,
            preset: Preset::Medium,
            keyint: DEFAULT_KEYINT,
            threads: 0,
            lookahead: DEFAULT_LOOKAHEAD,
            bframes: 0,
        }
    }
}

impl Settings {
    fn config(&self) -> VideoEncoderConfig {
        let preset = match self.preset {
            Preset::Faster => QuantaPreset::Faster,
            Preset::Fast => QuantaPreset::Fast,
            Preset::Medium => QuantaPreset::Medium,
            Preset::Slow => QuantaPreset::Slow,
            Preset::Slower => QuantaPreset::Slower,
        };
        VideoEncoderConfig {
            quality: self.quality.min(100) as u8,
            bitrate_kbps: (self.bitrate > 0).then_some(self.bitrate),
            keyint: self.keyint,
            lookahead: self.lookahead.min(MAX_LOOKAHEAD) as usize,
            threads: self.threads as usize,
            bframes: self.bframes.min(u32::from(MAX_BFRAMES)) as u8,
            tuning: preset.tuning(),
            ..VideoEncoderConfig::default()
        }
    }
}

/// The running encode.
struct State {
    info: gst_video::VideoInfo,
    chroma: ChromaFormat,
    format: FrameFormat,
    /// `None` after a drain until more frames come.
    encoder: Option<VideoPacketEncoder>,
    /// Frames sent to the current encoder.
    sent: u64,
    /// (frame index in the stream, base-class frame number) of frames without a packet yet.
    waiting: VecDeque<(u64, u32)>,
    /// End time of the last frame sent (where the end-of-stream packet is stamped).
    end_time: Option<gst::ClockTime>,
}

#[derive(Default)]
pub struct QuantaVideoEnc {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
}

#[glib::object_subclass]
impl ObjectSubclass for QuantaVideoEnc {
    const NAME: &'static str = "GstQuantaVideoEnc";
    type Type = super::QuantaVideoEnc;
    type ParentType = gst_video::VideoEncoder;
}

impl ObjectImpl for QuantaVideoEnc {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                glib::ParamSpecUInt::builder("bitrate")
                    .nick("Bitrate")
                    .blurb("Average bitrate in kbit/s (0 = constant quality, see quality)")
                    .maximum(1_000_000)
                    .default_value(0)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("quality")
                    .nick("Quality")
                    .blurb("Constant quality from 0 (smallest) to 100 (best), when bitrate is 0")
                    .maximum(100)
                    .default_value(DEFAULT_QUALITY)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecEnum::builder_with_default("preset", Preset::Medium)
                    .nick("Preset")
                    .blurb("Speed against compression")
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("keyint")
                    .nick("Keyframe interval")
                    .blurb("Largest distance between keyframes in frames (0 = scene cuts only)")
                    .default_value(DEFAULT_KEYINT)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("threads")
                    .nick("Threads")
                    .blurb("Worker threads (0 = one per core); the output does not depend on it")
                    .maximum(256)
                    .default_value(0)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("lookahead")
                    .nick("Lookahead")
                    .blurb(
                        "Lookahead frames of the stream encoder (quanta encode --lookahead); \
                         the packet encoder analyses each frame as it arrives, so neither the \
                         output nor the latency depends on it",
                    )
                    .maximum(MAX_LOOKAHEAD)
                    .default_value(DEFAULT_LOOKAHEAD)
                    .mutable_ready()
                    .build(),
                glib::ParamSpecUInt::builder("bframes")
                    .nick("B-frames")
                    .blurb(
                        "B-frames between anchors (0 = none, the lowest latency); a group's \
                         frames wait for its anchor, so the latency grows by this many frames",
                    )
                    .maximum(u32::from(MAX_BFRAMES))
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
            "preset" => settings.preset = value.get().expect("type checked upstream"),
            "keyint" => settings.keyint = value.get().expect("type checked upstream"),
            "threads" => settings.threads = value.get().expect("type checked upstream"),
            "lookahead" => settings.lookahead = value.get().expect("type checked upstream"),
            "bframes" => settings.bframes = value.get().expect("type checked upstream"),
            other => unreachable!("no property {other}"),
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let settings = self.settings.lock().unwrap();
        match pspec.name() {
            "bitrate" => settings.bitrate.to_value(),
            "quality" => settings.quality.to_value(),
            "preset" => settings.preset.to_value(),
            "keyint" => settings.keyint.to_value(),
            "threads" => settings.threads.to_value(),
            "lookahead" => settings.lookahead.to_value(),
            "bframes" => settings.bframes.to_value(),
            other => unreachable!("no property {other}"),
        }
    }
}

impl GstObjectImpl for QuantaVideoEnc {}

impl ElementImpl for QuantaVideoEnc {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "quanta video encoder",
                "Codec/Encoder/Video",
                "Encodes raw video into quanta video units",
                "quanta developers",
            )
        });
        Some(&*METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static TEMPLATES: LazyLock<Vec<gst::PadTemplate>> = LazyLock::new(|| {
            let sink_caps = gst_video::VideoCapsBuilder::new()
                .format_list(planes::FORMATS)
                .build();
            let src_caps = gst::Caps::builder(units::VIDEO_CAPS_NAME).build();
            units::pad_templates(&sink_caps, &src_caps)
        });
        TEMPLATES.as_ref()
    }
}

impl VideoEncoderImpl for QuantaVideoEnc {
    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        *self.state.lock().unwrap() = None;
        Ok(())
    }

    fn set_format(
        &self,
        input: &gst_video::VideoCodecState<'static, gst_video::video_codec_state::Readable>,
    ) -> Result<(), gst::LoggableError> {
        // A new format ends the stream of the old one.
        self.finish_stream()
            .map_err(|e| gst::loggable_error!(CAT, "draining failed: {:?}", e))?;
        let info = input.info().clone();
        let chroma = planes::chroma_of(info.format())
            .ok_or_else(|| gst::loggable_error!(CAT, "unsupported format {:?}", info.format()))?;
        let fps = info.fps();
        // Variable-rate input (0/1) is coded at a nominal 25 frames a second.
        let frame_rate = if fps.numer() > 0 && fps.denom() > 0 {
            (fps.numer() as u32, fps.denom() as u32)
        } else {
            (25, 1)
        };
        let par = info.par();
        let pixel_aspect = if par.numer() > 0 && par.denom() > 0 {
            (par.numer() as u32, par.denom() as u32)
        } else {
            (0, 0)
        };
        let format = FrameFormat {
            width: info.width(),
            height: info.height(),
            chroma,
            frame_rate,
            pixel_aspect,
            interlace: field_order(&info),
        };
        let mut state = State {
            info,
            chroma,
            format,
            encoder: None,
            sent: 0,
            waiting: VecDeque::new(),
            end_time: None,
        };
        self.start_stream(&mut state, Some(input))
            .map_err(|e| gst::loggable_error!(CAT, "{}", e))?;
        *self.state.lock().unwrap() = Some(state);
        Ok(())
    }

    fn handle_frame(
        &self,
        frame: gst_video::VideoCodecFrame,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let packets = {
            let mut guard = self.state.lock().unwrap();
            let state = guard.as_mut().ok_or(gst::FlowError::NotNegotiated)?;
            if state.encoder.is_none() {
                self.start_stream(state, None).map_err(|e| {
                    self.post_error_message(e);
                    gst::FlowError::Error
                })?;
            }
            let yuv = {
                let input = frame.input_buffer().ok_or(gst::FlowError::Error)?;
                let mapped = gst_video::VideoFrameRef::from_buffer_ref_readable(input, &state.info)
                    .map_err(|_| gst::FlowError::Error)?;
                planes::read_frame(&mapped, state.chroma)?
            };
            let encoder = state.encoder.as_mut().expect("started above");
            encoder.send_frame(&yuv).map_err(|e| {
                self.post_error_message(units::stream_error("encoding failed", &e));
                gst::FlowError::Error
            })?;
            state
                .waiting
                .push_back((state.sent, frame.system_frame_number()));
            state.sent += 1;
            if let Some(pts) = frame.pts() {
                state.end_time = Some(pts + frame.duration().unwrap_or(gst::ClockTime::ZERO));
            }
            let mut packets = Vec::new();
            while let Some(packet) = encoder.receive_packet() {
                packets.push(packet);
            }
            packets
        };
        drop(frame);
        self.push(packets)?;
        Ok(gst::FlowSuccess::Ok)
    }

    fn finish(&self) -> Result<gst::FlowSuccess, gst::FlowError> {
        self.finish_stream()
    }

    fn flush(&self) -> bool {
        if let Some(state) = self.state.lock().unwrap().as_mut() {
            state.encoder = None;
            state.waiting.clear();
        }
        true
    }
}

impl QuantaVideoEnc {
    /// A new packet encoder for `state`'s format and the current settings; announces its
    /// header (as the first buffer, and in the caps when `input` brings a new format) and
    /// its latency.
    fn start_stream(
        &self,
        state: &mut State,
        input: Option<&gst_video::VideoCodecState<'static, gst_video::video_codec_state::Readable>>,
    ) -> Result<(), gst::ErrorMessage> {
        let settings = *self.settings.lock().unwrap();
        let encoder = VideoPacketEncoder::new(state.format, &settings.config())
            .map_err(|e| units::stream_error("cannot start the encoder", &e))?;
        let header = encoder
            .header_bytes()
            .map_err(|e| units::stream_error("cannot write the stream header", &e))?;
        let header = units::header_buffer(header);
        let (num, den) = state.format.frame_rate;
        let caps = gst::Caps::builder(units::VIDEO_CAPS_NAME)
            .field("width", state.format.width as i32)
            .field("height", state.format.height as i32)
            .field("framerate", gst::Fraction::new(num as i32, den as i32))
            .build();
        let caps = units::with_streamheader(caps, &header);
        let obj = self.obj();
        if let Some(input) = input {
            let output = obj.set_output_state(caps, Some(input)).map_err(|_| {
                gst::error_msg!(gst::CoreError::Negotiation, ["output caps refused"])
            })?;
            obj.negotiate(output).map_err(|_| {
                gst::error_msg!(gst::CoreError::Negotiation, ["negotiation failed"])
            })?;
        }
        obj.set_headers([header]);
        let latency = gst::ClockTime::SECOND
            .mul_div_floor(encoder.delay() * u64::from(den), u64::from(num))
            .unwrap_or(gst::ClockTime::ZERO);
        obj.set_latency(latency, Some(latency));
        gst::debug!(
            CAT,
            imp = self,
            "stream started, delay {} frames",
            encoder.delay()
        );
        state.encoder = Some(encoder);
        state.sent = 0;
        state.waiting.clear();
        Ok(())
    }

    /// Each packet finishes the frame it codes. Packets come in coding order: with
    /// B-frames an anchor finishes before the frames shown ahead of it (the base class
    /// derives decoding timestamps from that order).
    fn push(&self, packets: Vec<EncodedPacket>) -> Result<gst::FlowSuccess, gst::FlowError> {
        let obj = self.obj();
        for packet in packets {
            let number = {
                let mut guard = self.state.lock().unwrap();
                let state = guard.as_mut().ok_or(gst::FlowError::Flushing)?;
                let at = state
                    .waiting
                    .iter()
                    .position(|&(index, _)| index == packet.pts);
                at.and_then(|at| state.waiting.remove(at))
                    .map(|(_, number)| number)
            };
            let framed = packet.framed().map_err(|e| {
                self.post_error_message(units::stream_error("cannot frame a packet", &e));
                gst::FlowError::Error
            })?;
            let buffer = units::packet_buffer(framed, packet.keyframe);
            let frame = number.and_then(|n| obj.frame(n as i32));
            match frame {
                Some(mut frame) => {
                    if packet.keyframe {
                        frame.set_flags(gst_video::VideoCodecFrameFlags::SYNC_POINT);
                    }
                    frame.set_output_buffer(buffer);
                    obj.finish_frame(frame)?;
                }
                None => {
                    gst::warning!(CAT, imp = self, "packet {} has no frame", packet.sequence);
                }
            }
        }
        Ok(gst::FlowSuccess::Ok)
    }

    /// Drains the encoder: its last packets, then the end-of-stream packet.
    fn finish_stream(&self) -> Result<gst::FlowSuccess, gst::FlowError> {
        let (packets, end, end_time) = {
            let mut guard = self.state.lock().unwrap();
            let Some(state) = guard.as_mut() else {
                return Ok(gst::FlowSuccess::Ok);
            };
            let Some(mut encoder) = state.encoder.take() else {
                return Ok(gst::FlowSuccess::Ok);
            };
            if state.sent == 0 {
                // No frame, so nothing went out yet (not even the header): no stream.
                return Ok(gst::FlowSuccess::Ok);
            }
            let fail = |e: quanta::Error| {
                self.post_error_message(units::stream_error("finishing the stream failed", &e));
                gst::FlowError::Error
            };
            encoder.flush().map_err(fail)?;
            let mut packets = Vec::new();
            while let Some(packet) = encoder.receive_packet() {
                packets.push(packet);
            }
            let end = encoder.end_packet().map_err(fail)?;
            (packets, end, state.end_time)
        };
        self.push(packets)?;
        let mut buffer = units::packet_buffer(end, true);
        {
            let buffer = buffer.get_mut().expect("a new buffer is writable");
            buffer.set_pts(end_time);
            buffer.set_dts(end_time);
            buffer.set_duration(gst::ClockTime::ZERO);
        }
        self.obj().src_pad().push(buffer)
    }
}

/// The Y4M field-order character of the input: `p` progressive, `t` or `b` interleaved
/// fields with the top or bottom field first, `m` mixed, `?` when GStreamer does not say.
fn field_order(info: &gst_video::VideoInfo) -> char {
    match info.interlace_mode() {
        gst_video::VideoInterlaceMode::Progressive => 'p',
        gst_video::VideoInterlaceMode::Mixed => 'm',
        gst_video::VideoInterlaceMode::Interleaved => match info.field_order() {
            gst_video::VideoFieldOrder::TopFieldFirst => 't',
            gst_video::VideoFieldOrder::BottomFieldFirst => 'b',
            _ => '?',
        },
        _ => '?',
    }
}
