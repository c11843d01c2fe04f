//! Fuzzes one-unit-per-buffer parsing (`read_unit`) and the packet-level audio and video
//! decoders fed from it: never a panic, a hang or an endless run of stand-in frames.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    quanta::fuzzing::container_units(data);
});
