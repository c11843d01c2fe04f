//! Shared helpers of the plugin tests: GStreamer set up with the plugin registered from this
//! build (no installed library), harness runs, and collected warnings.

#![allow(dead_code)]

use std::sync::Once;

use gst::prelude::*;
use gst_check::Harness;

/// Initializes GStreamer and registers the quanta elements once per test binary.
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        gst::init().expect("GStreamer initializes");
        gstquanta::plugin_register_static().expect("the quanta plugin registers");
    });
}

/// A harness around `description` (a `gst-launch` style chain) with a bus on the element,
/// so that warnings can be read afterwards.
pub fn harness(description: &str) -> (Harness, gst::Bus) {
    let harness = Harness::new_parse(description);
    let bus = gst::Bus::new();
    harness
        .element()
        .expect("the harness has an element")
        .set_bus(Some(&bus));
    (harness, bus)
}

/// Pushes `buffers` after `caps`, then EOS, and returns every buffer that came out.
pub fn run(harness: &mut Harness, caps: gst::Caps, buffers: Vec<gst::Buffer>) -> Vec<gst::Buffer> {
    harness.set_src_caps(caps);
    let mut out = Vec::new();
    for buffer in buffers {
        harness.push(buffer).expect("push accepted");
        while let Some(b) = harness.try_pull() {
            out.push(b);
        }
    }
    assert!(harness.push_event(gst::event::Eos::new()), "EOS accepted");
    while let Some(b) = harness.try_pull() {
        out.push(b);
    }
    out
}

/// The caps on the harness's output pad (what the element under test put out).
pub fn output_caps(harness: &Harness) -> gst::Caps {
    harness
        .sinkpad()
        .expect("harness sink pad")
        .current_caps()
        .expect("output caps were set")
}

/// The text of every warning posted on `bus` so far.
pub fn warnings(bus: &gst::Bus) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(message) = bus.pop_filtered(&[gst::MessageType::Warning]) {
        if let gst::MessageView::Warning(w) = message.view() {
            out.push(format!("{} ({:?})", w.error(), w.debug()));
        }
    }
    out
}

/// The bytes of every buffer, one after the other.
pub fn concatenate(buffers: &[gst::Buffer]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for buffer in buffers {
        bytes.extend_from_slice(buffer.map_readable().expect("readable").as_slice());
    }
    bytes
}

/// The bytes of one buffer.
pub fn bytes_of(buffer: &gst::Buffer) -> Vec<u8> {
    buffer.map_readable().expect("readable").as_slice().to_vec()
}
