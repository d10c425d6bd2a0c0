//! Fuzz target: the monitoring probe's output parser (`probe::parse`) and the samples made from it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| outpost_agent::fuzzing::probe(data));
