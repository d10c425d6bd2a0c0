//! Fuzz target: the ssh_config reader (`ssh_config::parse`) on arbitrary text; `Include` reaches
//! only files in a scratch directory.
#![no_main]

use std::sync::OnceLock;

static SSH_DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let dir = SSH_DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("outpost-fuzz-ssh-config-")
            .tempdir()
            .unwrap_or_else(|e| panic!("creating a scratch directory: {e}"));
        outpost_desktop::fuzzing::prepare_ssh_dir(dir.path())
            .unwrap_or_else(|e| panic!("preparing the scratch directory: {e}"));
        dir
    });
    outpost_desktop::fuzzing::ssh_config(data, dir.path());
});
