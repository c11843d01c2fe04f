//! Fuzzes the whole image decoder on raw bytes (header parsing, packets, tiles).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    quanta::fuzzing::image_stream(data);
});
