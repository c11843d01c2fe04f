//! `quantaaudiodec`: quanta audio units in, interleaved PCM out (16-bit for a lossless
//! 16-bit stream, float otherwise).

use gst::glib;
use gst::prelude::*;

mod imp;

glib::wrapper! {
    /// The quanta audio decoder element.
    pub struct QuantaAudioDec(ObjectSubclass<imp::QuantaAudioDec>)
        @extends gst_audio::AudioDecoder, gst::Element, gst::Object;
}

/// Registers `quantaaudiodec` with `plugin`.
pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    gst::Element::register(
        Some(plugin),
        "quantaaudiodec",
        gst::Rank::PRIMARY,
        QuantaAudioDec::static_type(),
    )
}
