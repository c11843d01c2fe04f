//! The implementation of `quantavideodec` on GStreamer's video decoder base class.
//!
//! The decoder is packetized: every input buffer is one unit, and every frame packet becomes
//! one output frame. The stream header (from the caps' `streamheader` or the first buffer)
//! sets up the packet decoder and the output format; the header and the end-of-stream packet
//! give no frame. In streams with B-frames the packet decoder holds frames to put them in
//! display order: their input frames wait, and each frame that comes out finishes the
//! waiting input frame with the earliest timestamp, or the oldest when the input is not
//! timed (so output keeps the input's timing in display order); the
//! end-of-stream packet, or the end of the input, lets the held frames out. A unit that
//! fails its checks is dropped with an element warning; the packet decoder conceals what it
//! can of the frames that depend on it, and its damage reports become warnings too. When a
//! packet follows lost ones, the decoder also gives stand-ins for the lost frames; the input
//! has no buffers for them, so only as many frames go out as input frames wait (the gap
//! stays a gap in the timestamps).

use std::sync::{LazyLock, Mutex};

use gst::glib;
use gst::subclass::prelude::*;
use gst_video::prelude::*;
use gst_video::subclass::prelude::*;

use quanta::container::StreamHeader;
use quanta::{read_unit, Limits, Unit, VideoPacketDecoder};

use crate::{planes, units};

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "quantavideodec",
        gst::DebugColorFlags::empty(),
        Some("quanta video decoder"),
    )
});

/// The decode of the current stream.
struct State {
    header: StreamHeader,
    decoder: VideoPacketDecoder,
    info: gst_video::VideoInfo,
    /// Damage lines of the decoder's report already posted as warnings.
    reported: usize,
}

#[derive(Default)]
pub struct QuantaVideoDec {
    state: Mutex<Option<State>>,
}

#[glib::object_subclass]
impl ObjectSubclass for QuantaVideoDec {
    const NAME: &'static str = "GstQuantaVideoDec";
    type Type = super::QuantaVideoDec;
    type ParentType = gst_video::VideoDecoder;
}

impl ObjectImpl for QuantaVideoDec {
    fn constructed(&self) {
        self.parent_constructed();
        self.obj().set_packetized(true);
    }
}

impl GstObjectImpl for QuantaVideoDec {}

impl ElementImpl for QuantaVideoDec {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "quanta video decoder",
                "Codec/Decoder/Video",
                "Decodes quanta video units into raw frames, concealing damaged packets",
                "quanta developers",
            )
        });
        Some(&*METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static TEMPLATES: LazyLock<Vec<gst::PadTemplate>> = LazyLock::new(|| {
            let sink_caps = gst::Caps::builder(units::VIDEO_CAPS_NAME).build();
            let src_caps = gst_video::VideoCapsBuilder::new()
                .format_list(planes::FORMATS)
                .build();
            units::pad_templates(&sink_caps, &src_caps)
        });
        TEMPLATES.as_ref()
    }
}

impl VideoDecoderImpl for QuantaVideoDec {
    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        *self.state.lock().unwrap() = None;
        Ok(())
    }

    fn set_format(
        &self,
        input: &gst_video::VideoCodecState<'static, gst_video::video_codec_state::Readable>,
    ) -> Result<(), gst::LoggableError> {
        let Some(bytes) = input.caps().and_then(units::streamheader_bytes) else {
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
        frame: gst_video::VideoCodecFrame,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let unit = {
            let input = frame.input_buffer().ok_or(gst::FlowError::Error)?;
            let map = input.map_readable().map_err(|_| gst::FlowError::Error)?;
            read_unit(map.as_slice(), &Limits::default())
        };
        let obj = self.obj();
        let packet = match unit {
            Err(e) => {
                gst::element_imp_warning!(
                    self,
                    gst::StreamError::Decode,
                    ["damaged unit dropped: {}", e]
                );
                return obj.drop_frame(frame);
            }
            Ok(Unit::Header(header)) => {
                let same = self
                    .state
                    .lock()
                    .unwrap()
                    .as_ref()
                    .is_some_and(|s| s.header == header);
                if !same {
                    self.start_stream(header).map_err(|e| {
                        self.post_error_message(e);
                        gst::FlowError::Error
                    })?;
                }
                obj.release_frame(frame);
                return Ok(gst::FlowSuccess::Ok);
            }
            Ok(Unit::End(payload)) => {
                obj.release_frame(frame);
                return self.drain_decoder(Some(&payload));
            }
            Ok(Unit::Packet(packet)) => packet,
        };
        let (decoded, info, fresh) = {
            let mut guard = self.state.lock().unwrap();
            let Some(state) = guard.as_mut() else {
                drop(guard);
                gst::element_imp_warning!(
                    self,
                    gst::StreamError::Decode,
                    ["packet before any stream header dropped"]
                );
                return obj.drop_frame(frame);
            };
            let decoded = state.decoder.decode(&packet);
            let damage = &state.decoder.report().damage;
            let fresh: Vec<String> = damage[state.reported.min(damage.len())..].to_vec();
            state.reported = damage.len();
            (decoded, state.info.clone(), fresh)
        };
        for line in fresh {
            gst::element_imp_warning!(self, gst::StreamError::Decode, ["{}", line]);
        }
        let decoded = match decoded {
            Ok(decoded) => decoded,
            Err(e) => {
                gst::element_imp_warning!(
                    self,
                    gst::StreamError::Decode,
                    ["packet {} not decoded: {}", packet.sequence, e]
                );
                return obj.drop_frame(frame);
            }
        };
        // The input frame waits with those before it for the frames that come out.
        drop(frame);
        self.output(decoded, &info)
    }

    fn finish(&self) -> Result<gst::FlowSuccess, gst::FlowError> {
        self.drain_decoder(None)
    }

    fn drain(&self) -> Result<gst::FlowSuccess, gst::FlowError> {
        self.drain_decoder(None)
    }
}

impl QuantaVideoDec {
    /// Ends the stream (`end_payload`: its end-of-stream packet's, `None` when the input
    /// ended without one) and outputs the frames the decoder still held.
    fn drain_decoder(
        &self,
        end_payload: Option<&[u8]>,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let (decoded, info) = {
            let mut guard = self.state.lock().unwrap();
            let Some(state) = guard.as_mut() else {
                return Ok(gst::FlowSuccess::Ok);
            };
            state.decoder.finish(end_payload);
            let decoded: Vec<_> = std::iter::from_fn(|| state.decoder.receive_frame()).collect();
            (decoded, state.info.clone())
        };
        self.output(decoded, &info)
    }

    /// Finishes the waiting input frames with `decoded`, in display order (each the
    /// earliest still waiting); frames beyond the waiting ones (stand-ins for lost
    /// packets) are not output.
    fn output(
        &self,
        decoded: Vec<quanta::codec::video::DecodedFrame>,
        info: &gst_video::VideoInfo,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let obj = self.obj();
        let total = decoded.len();
        for (done, out) in decoded.into_iter().enumerate() {
            let Some(mut frame) = earliest_frame(&obj) else {
                gst::debug!(
                    CAT,
                    imp = self,
                    "{} stand-ins for lost frames not output",
                    total - done
                );
                break;
            };
            obj.allocate_output_frame(&mut frame, None)?;
            {
                let buffer = frame.output_buffer_mut().ok_or(gst::FlowError::Error)?;
                let mut mapped = gst_video::VideoFrameRef::from_buffer_ref_writable(buffer, info)
                    .map_err(|_| gst::FlowError::Error)?;
                planes::write_frame(&out.frame, &mut mapped)?;
            }
            obj.finish_frame(frame)?;
        }
        Ok(gst::FlowSuccess::Ok)
    }

    /// A packet decoder for `header` and the output format of its layout.
    fn start_stream(&self, header: StreamHeader) -> Result<(), gst::ErrorMessage> {
        let decoder = VideoPacketDecoder::new(&header, &Limits::default(), 0)
            .map_err(|e| units::stream_error("cannot decode this stream", &e))?;
        let params = decoder.params();
        let format = planes::format_of(params.chroma);
        let (num, den) = params.frame_rate;
        let (par_n, par_d) = params.aspect;
        let info = gst_video::VideoInfo::builder(format, params.width, params.height)
            .fps(gst::Fraction::new(num as i32, den as i32))
            .par_if(
                gst::Fraction::new(par_n as i32, par_d.max(1) as i32),
                par_n > 0 && par_d > 0,
            )
            .build()
            .map_err(|e| gst::error_msg!(gst::CoreError::Negotiation, ["{}", e]))?;
        gst::debug!(CAT, imp = self, "stream {:?}", params);
        let obj = self.obj();
        let mut output = obj
            .set_output_state(format, params.width, params.height, None)
            .map_err(|_| gst::error_msg!(gst::CoreError::Negotiation, ["output format refused"]))?;
        output.set_info(info.clone());
        // The base class negotiates this state when the first frame is allocated.
        drop(output);
        *self.state.lock().unwrap() = Some(State {
            header,
            decoder,
            info,
            reported: 0,
        });
        Ok(())
    }
}

/// The waiting input frame shown first: the one with the earliest timestamp (units of a
/// stream with B-frames arrive in coding order), or the oldest when some frame carries no
/// timestamp.
fn earliest_frame(obj: &super::QuantaVideoDec) -> Option<gst_video::VideoCodecFrame<'_>> {
    let waiting = obj.frames();
    if waiting.iter().all(|f| f.pts().is_some()) {
        waiting.into_iter().min_by_key(|f| f.pts())
    } else {
        obj.oldest_frame()
    }
}
