//! Fuzz target: the known_hosts reader, through `KnownHosts::check`, `known_algorithms` and
//! `add` on arbitrary file contents written to a scratch directory.
#![no_main]

use std::sync::OnceLock;

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("outpost-fuzz-known-hosts-")
            .tempdir()
            .unwrap_or_else(|e| panic!("creating a scratch directory: {e}"))
    });
    outpost_desktop::fuzzing::known_hosts(data, dir.path());
});
