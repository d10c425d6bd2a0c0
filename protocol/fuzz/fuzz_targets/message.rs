//! Fuzz target: `Message::parse` on arbitrary lines: accepted messages and error answers round-trip.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| outpost_protocol::fuzzing::message(data));
