//! `quantavideodec`: quanta video units in, raw frames out in the stream's own layout.

use gst::glib;
use gst::prelude::*;

mod imp;

glib::wrapper! {
    /// The quanta video decoder element.
    pub struct QuantaVideoDec(ObjectSubclass<imp::QuantaVideoDec>)
        @extends gst_video::VideoDecoder, gst::Element, gst::Object;
}

/// Registers `quantavideodec` with `plugin`.
pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    gst::Element::register(
        Some(plugin),
        "quantavideodec",
        gst::Rank::PRIMARY,
        QuantaVideoDec::static_type(),
    )
}
