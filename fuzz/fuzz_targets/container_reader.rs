//! Fuzzes the container reader: any bytes, read to the end, must give an error or events,
//! never a panic, a hang or an allocation beyond the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    quanta::fuzzing::container_reader(data);
});
