//! Container units as GStreamer buffers and caps: the stream header as a `HEADER` buffer and
//! as the caps' `streamheader`, packets as plain buffers, and the header read back from the
//! caps a decoder is given.

use gst::prelude::*;

/// Media type of an audio stream's units on a pad.
pub const AUDIO_CAPS_NAME: &str = "audio/x-quanta";
/// Media type of a video stream's units on a pad.
pub const VIDEO_CAPS_NAME: &str = "video/x-quanta";

/// The framed stream header as a buffer flagged `HEADER`.
pub fn header_buffer(framed: Vec<u8>) -> gst::Buffer {
    let mut buffer = gst::Buffer::from_mut_slice(framed);
    buffer
        .get_mut()
        .expect("a new buffer is writable")
        .set_flags(gst::BufferFlags::HEADER);
    buffer
}

/// `caps` with the header buffer as its `streamheader` field.
pub fn with_streamheader(mut caps: gst::Caps, header: &gst::Buffer) -> gst::Caps {
    caps.make_mut()
        .set("streamheader", gst::Array::new([header.to_send_value()]));
    caps
}

/// The first `streamheader` buffer of `caps`, if the caps carry one.
pub fn streamheader_bytes(caps: &gst::CapsRef) -> Option<Vec<u8>> {
    let structure = caps.structure(0)?;
    let array = structure.get::<gst::ArrayRef>("streamheader").ok()?;
    let buffer = array.first()?.get::<gst::Buffer>().ok()?;
    let map = buffer.map_readable().ok()?;
    Some(map.as_slice().to_vec())
}

/// A buffer for a packet (or the end-of-stream packet): its framed bytes as they stand in a
/// stream file. Packets that are not keyframes are flagged `DELTA_UNIT`.
pub fn packet_buffer(framed: Vec<u8>, keyframe: bool) -> gst::Buffer {
    let mut buffer = gst::Buffer::from_mut_slice(framed);
    if !keyframe {
        buffer
            .get_mut()
            .expect("a new buffer is writable")
            .set_flags(gst::BufferFlags::DELTA_UNIT);
    }
    buffer
}

/// A quanta error as a GStreamer stream error message.
pub fn stream_error(what: &str, error: &quanta::Error) -> gst::ErrorMessage {
    gst::error_msg!(gst::StreamError::Failed, ["{}: {}", what, error])
}

/// The two always-present pad templates of a one-in, one-out element.
pub fn pad_templates(sink_caps: &gst::Caps, src_caps: &gst::Caps) -> Vec<gst::PadTemplate> {
    let template = |name: &str, direction, caps| {
        gst::PadTemplate::new(name, direction, gst::PadPresence::Always, caps)
            .expect("a fixed pad template")
    };
    vec![
        template("sink", gst::PadDirection::Sink, sink_caps),
        template("src", gst::PadDirection::Src, src_caps),
    ]
}
