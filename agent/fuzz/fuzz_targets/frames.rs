//! Fuzz target: agent↔daemon frames: `Frame::decode` and `read_frame` on arbitrary bytes, checked against the documented layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| outpost_agent::fuzzing::frames(data));
