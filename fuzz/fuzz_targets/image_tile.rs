//! Fuzzes the image tile decoder (range decoder, block syntax, reconstruction) past the
//! container's CRCs: the first bytes choose valid parameters, the rest is the payload.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    quanta::fuzzing::image_tile(data);
});
