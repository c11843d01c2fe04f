//! The implementation of `quantaaudiodec` on GStreamer's audio decoder base class.
//!
//! Every input buffer is one unit. The stream header (from the caps' `streamheader` or the
//! first buffer) sets up the packet decoder and the output format; each packet gives the
//! samples it finishes, already trimmed to the input's length, so the base class's running
//! sample count times the output. A unit that fails its checks, or a payload the decoder
//! had to conceal, is reported with an element warning and decoding goes on (the decoder
//! fills the gap it leaves).

use std::sync::{LazyLock, Mutex};

use gst::glib;
use gst::subclass::prelude::*;
use gst_audio::prelude::*;
use gst_audio::subclass::prelude::*;

use quanta::codec::audio::AudioTransform;
use quanta::container::StreamHeader;
use quanta::{read_unit, AudioPacketDecoder, Limits, Unit};

use crate::units;

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "quantaaudiodec",
        gst::DebugColorFlags::empty(),
        Some("quanta audio decoder"),
    )
});

/// The decode of the current stream.
struct State {
    header: StreamHeader,
    decoder: AudioPacketDecoder,
    /// Output as 16-bit integers (a lossless 16-bit stream) rather than floats.
    s16: bool,
    channels: usize,
    /// Damage lines of the decoder's report already posted as warnings.
    reported: usize,
    /// The end-of-stream packet has been decoded.
    finished: bool,
}

#[derive(Default)]
pub struct QuantaAudioDec {
    state: Mutex<Option<State>>,
}

#[glib::object_subclass]
impl ObjectSubclass for QuantaAudioDec {
    const NAME: &'static str = "GstQuantaAudioDec";
    type Type = super::QuantaAudioDec;
    type ParentType = gst_audio::AudioDecoder;
}

impl ObjectImpl for QuantaAudioDec {}

impl GstObjectImpl for QuantaAudioDec {}

impl ElementImpl for QuantaAudioDec {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "quanta audio decoder",
                "Codec/Decoder/Audio",
                "Decodes quanta audio units into PCM, concealing damaged packets",
                "quanta developers",
            )
        });
        Some(&*METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static TEMPLATES: LazyLock<Vec<gst::PadTemplate>> = LazyLock::new(|| {
            let sink_caps = gst::Caps::builder(units::AUDIO_CAPS_NAME).build();
            let src_caps = gst_audio::AudioCapsBuilder::new_interleaved()
                .format_list([gst_audio::AudioFormat::S16le, gst_audio::AudioFormat::F32le])
                .rate_range(1..=i32::MAX)
                .channels_range(1..=2)
                .build();
            units::pad_templates(&sink_caps, &src_caps)
        });
        TEMPLATES.as_ref()
    }
}

impl AudioDecoderImpl for QuantaAudioDec {
    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        *self.state.lock().unwrap() = None;
        Ok(())
    }

    fn set_format(&self, caps: &gst::Caps) -> Result<(), gst::LoggableError> {
        let Some(bytes) = units::streamheader_bytes(caps) else {
            return Ok(());
        };
        match read_unit(&bytes, &Limits::default()) {
            Ok(Unit::Header(header)) => self
                .start_stream(header)
                .map_err(|e| gst::loggable_error!(CAT, "{}", e)),
            Ok(_) => Err(gst::loggable_error!(
                CAT,
                "streamheader is not a stream header"
            )),
            Err(e) => Err(gst::loggable_error!(CAT, "bad streamheader: {}", e)),
        }
    }

    fn handle_frame(
        &self,
        buffer: Option<&gst::Buffer>,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let Some(buffer) = buffer else {
            return self.drain();
        };
        let unit = {
            let map = buffer.map_readable().map_err(|_| gst::FlowError::Error)?;
            read_unit(map.as_slice(), &Limits::default())
        };
        let obj = self.obj();
        let unit = match unit {
            Ok(unit) => unit,
            Err(e) => {
                gst::element_imp_warning!(
                    self,
                    gst::StreamError::Decode,
                    ["damaged unit dropped: {}", e]
                );
                return obj.finish_frame(None, 1);
            }
        };
        match unit {
            Unit::Header(header) => {
                let same = self
                    .state
                    .lock()
                    .unwrap()
                    .as_ref()
                    .is_some_and(|s| s.header == header && !s.finished);
                if !same {
                    self.start_stream(header).map_err(|e| {
                        self.post_error_message(e);
                        gst::FlowError::Error
                    })?;
                }
                obj.finish_frame(None, 1)
            }
            Unit::Packet(packet) => {
                let out = self.with_decoder(|state| state.decoder.decode(&packet))?;
                self.push(out)
            }
            Unit::End(payload) => {
                let out = self.with_decoder(|state| {
                    state.finished = true;
                    state.decoder.finish(Some(&payload))
                })?;
                self.push(out)
            }
        }
    }

    fn flush(&self, _hard: bool) {
        // After a seek, packets follow a gap: the packet decoder conceals and re-syncs itself.
    }
}

impl QuantaAudioDec {
    /// A packet decoder for `header` and the output format it calls for.
    fn start_stream(&self, header: StreamHeader) -> Result<(), gst::ErrorMessage> {
        let decoder = AudioPacketDecoder::new(&header, &Limits::default())
            .map_err(|e| units::stream_error("cannot decode this stream", &e))?;
        let params = decoder.params();
        let s16 = params.transform == AudioTransform::IntMdct && params.bits == 16;
        let format = if s16 {
            gst_audio::AudioFormat::S16le
        } else {
            gst_audio::AudioFormat::F32le
        };
        let channels = usize::from(params.channels);
        let info =
            gst_audio::AudioInfo::builder(format, params.sample_rate, u32::from(params.channels))
                .build()
                .map_err(|e| gst::error_msg!(gst::CoreError::Negotiation, ["{}", e]))?;
        gst::debug!(CAT, imp = self, "stream {:?}, output {:?}", params, info);
        self.obj()
            .set_output_format(&info)
            .map_err(|_| gst::error_msg!(gst::CoreError::Negotiation, ["output format refused"]))?;
        *self.state.lock().unwrap() = Some(State {
            header,
            decoder,
            s16,
            channels,
            reported: 0,
            finished: false,
        });
        Ok(())
    }

    /// Runs `f` on the current stream, posts any new damage as warnings and returns the
    /// samples as an output buffer (`None` when there are none).
    fn with_decoder(
        &self,
        f: impl FnOnce(&mut State) -> quanta::Result<Vec<f32>>,
    ) -> Result<Option<gst::Buffer>, gst::FlowError> {
        let mut guard = self.state.lock().unwrap();
        let Some(state) = guard.as_mut() else {
            drop(guard);
            gst::element_imp_warning!(
                self,
                gst::StreamError::Decode,
                ["packet before any stream header dropped"]
            );
            return Ok(None);
        };
        let samples = match f(state) {
            Ok(samples) => samples,
            Err(e) => {
                drop(guard);
                gst::element_imp_warning!(
                    self,
                    gst::StreamError::Decode,
                    ["packet not decoded: {}", e]
                );
                return Ok(None);
            }
        };
        let damage = &state.decoder.report().damage;
        let fresh: Vec<String> = damage[state.reported.min(damage.len())..].to_vec();
        state.reported = damage.len();
        let buffer = to_buffer(&samples, state.s16, state.channels);
        drop(guard);
        for line in fresh {
            gst::element_imp_warning!(self, gst::StreamError::Decode, ["{}", line]);
        }
        Ok(buffer)
    }

    /// Pushes one unit's output (or none) for one input buffer.
    fn push(&self, buffer: Option<gst::Buffer>) -> Result<gst::FlowSuccess, gst::FlowError> {
        self.obj().finish_frame(buffer, 1)
    }

    /// End of input without an end-of-stream packet (a cut stream): the samples still held.
    fn drain(&self) -> Result<gst::FlowSuccess, gst::FlowError> {
        let out = {
            let mut guard = self.state.lock().unwrap();
            match guard.as_mut() {
                Some(state) if !state.finished => {
                    state.finished = true;
                    match state.decoder.finish(None) {
                        Ok(samples) => to_buffer(&samples, state.s16, state.channels),
                        Err(e) => {
                            gst::warning!(CAT, imp = self, "cannot finish the stream: {}", e);
                            None
                        }
                    }
                }
                _ => None,
            }
        };
        match out {
            Some(buffer) => self.obj().finish_frame(Some(buffer), 1),
            None => Ok(gst::FlowSuccess::Ok),
        }
    }
}

/// Interleaved samples as an S16LE or F32LE buffer (`None` for no whole sample frame).
fn to_buffer(samples: &[f32], s16: bool, channels: usize) -> Option<gst::Buffer> {
    if samples.len() < channels.max(1) {
        return None;
    }
    let bytes: Vec<u8> = if s16 {
        samples
            .iter()
            .flat_map(|&s| ((s * 32768.0).round().clamp(-32768.0, 32767.0) as i16).to_le_bytes())
            .collect()
    } else {
        samples.iter().flat_map(|s| s.to_le_bytes()).collect()
    };
    Some(gst::Buffer::from_mut_slice(bytes))
}
