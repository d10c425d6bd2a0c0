//! Fuzz target: The JSON-RPC line codec: arbitrary chunks into `LineDecoder`, checked against a model of the framing.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| outpost_protocol::fuzzing::line_codec(data));
