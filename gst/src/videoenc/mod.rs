//! `quantavideoenc`: raw I420, Y42B, Y444 or GRAY8 frames in, quanta video units out.

use gst::glib;
use gst::prelude::*;

mod imp;

glib::wrapper! {
    /// The quanta video encoder element.
    pub struct QuantaVideoEnc(ObjectSubclass<imp::QuantaVideoEnc>)
        @extends gst_video::VideoEncoder, gst::Element, gst::Object;
}

/// Speed against compression (the `preset` property).
#[derive(Debug, Eq, PartialEq, Hash, Clone, Copy, glib::Enum)]
#[repr(u32)]
#[enum_type(name = "GstQuantaVideoPreset")]
pub enum Preset {
    #[enum_value(
        name = "Fast: only the cheapest further inter candidate coded for real",
        nick = "fast"
    )]
    Fast = 0,
    #[enum_value(name = "Medium: the default search", nick = "medium")]
    Medium = 1,
    #[enum_value(name = "Slow: two refinement rings", nick = "slow")]
    Slow = 2,
    #[enum_value(name = "Slower: three rings, intra tried everywhere", nick = "slower")]
    Slower = 3,
    #[enum_value(name = "Faster: as fast, without 8x8 partitions", nick = "faster")]
    Faster = 4,
}

/// Registers `quantavideoenc` with `plugin`.
pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    Preset::static_type().mark_as_plugin_api(gst::PluginAPIFlags::empty());
    gst::Element::register(
        Some(plugin),
        "quantavideoenc",
        gst::Rank::PRIMARY,
        QuantaVideoEnc::static_type(),
    )
}
