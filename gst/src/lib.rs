//! GStreamer elements for quanta streams: `quantaaudioenc`, `quantaaudiodec`,
//! `quantavideoenc` and `quantavideodec`.
//!
//! The encoders subclass GStreamer's audio and video encoder base classes and put out one
//! container unit per buffer, framed exactly as in a `.qnt` file: the stream header first
//! (flagged `HEADER` and also carried in the caps as `streamheader`), then one buffer per
//! packet, and at the end of the stream the end-of-stream packet. Written one after the
//! other, the buffers are a stream file that `quanta decode` reads. The decoders take the
//! same units back, one per buffer, and put out raw audio or video with the stream's
//! timing; damaged units are reported as element warnings and decoding goes on.

use gst::glib;

mod audiodec;
mod audioenc;
mod planes;
mod units;
mod videodec;
mod videoenc;

fn plugin_init(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    audioenc::register(plugin)?;
    audiodec::register(plugin)?;
    videoenc::register(plugin)?;
    videodec::register(plugin)?;
    Ok(())
}

gst::plugin_define!(
    quanta,
    env!("CARGO_PKG_DESCRIPTION"),
    plugin_init,
    env!("CARGO_PKG_VERSION"),
    // The license string GStreamer knows for MIT-style terms.
    "MIT/X11",
    env!("CARGO_PKG_NAME"),
    env!("CARGO_PKG_NAME"),
    "https://crates.io/crates/quanta",
    "2026-12-07"
);
