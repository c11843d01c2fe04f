//! Fuzzes `quanta::fuzzing::y4m_reader` (see src/fuzzing.rs for what it feeds).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    quanta::fuzzing::y4m_reader(data);
});
