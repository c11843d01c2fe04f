//! Fuzzes the image header parameter parser.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    quanta::fuzzing::image_params(data);
});
