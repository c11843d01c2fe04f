//! Fuzzes `quanta::fuzzing::raw_pcm` (see src/fuzzing.rs for what it feeds).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    quanta::fuzzing::raw_pcm(data);
});
