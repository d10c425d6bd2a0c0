//! Fuzz target: a client's reader of agent lines (`AgentMessage::parse`), output lines read the
//! short way and by the JSON parser alike.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| outpost_protocol::fuzzing::agent_line(data));
