//! Fuzz target: Typed params, results and notifications of every method: what parses round-trips.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| outpost_protocol::fuzzing::params(data));
