//! `quantaaudioenc`: interleaved 16-bit or float PCM in, quanta audio units out (lossy at a
//! bitrate or a quality, or lossless).

use gst::glib;
use gst::prelude::*;

mod imp;

glib::wrapper! {
    /// The quanta audio encoder element.
    pub struct QuantaAudioEnc(ObjectSubclass<imp::QuantaAudioEnc>)
        @extends gst_audio::AudioEncoder, gst::Element, gst::Object;
}

/// The encoder's perceptual tune (the `tune` property).
#[derive(Debug, Eq, PartialEq, Hash, Clone, Copy, glib::Enum)]
#[repr(u32)]
#[enum_type(name = "GstQuantaAudioTune")]
pub enum Tune {
    #[enum_value(name = "Noise shaped for the ear", nick = "perceptual")]
    Perceptual = 0,
    #[enum_value(name = "Least squared error (best SNR)", nick = "psnr")]
    Psnr = 1,
}

/// Registers `quantaaudioenc` with `plugin`.
pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    Tune::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    gst::Element::register(
        Some(plugin),
        "quantaaudioenc",
        gst::Rank::PRIMARY,
        QuantaAudioEnc::static_type(),
    )
}
