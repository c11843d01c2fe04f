//! Fuzzes the lossless picture strip decoder on a payload past the CRCs, under parameters
//! chosen by its first 4 bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    quanta::fuzzing::image_lossless_strip(data);
});
