//! Replays every kept fuzz input of the desktop engine through the fuzz checks, on stable Rust.
//!
//! The checks live in the crate's `fuzzing` module (feature `fuzzing`), which the fuzz targets
//! call too, so both run the same code. Each target's seeds
//! (`src-tauri/fuzz/corpus/<target>/`) and the inputs that once made it fail
//! (`src-tauri/fuzz/regressions/<target>/`) are fed to it; a new crash is fixed, then its input is
//! added to `regressions/` and guarded here from then on. The readers take paths, so each test
//! works in its own temporary directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use outpost_desktop::fuzzing as checks;

use outpost_desktop::engine::store::ssh_config;

/// Runs `check` on every kept input of `target`, each with a fresh scratch `.ssh` directory.
fn replay(target: &str, check: fn(&[u8], &Path)) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    outpost_testkit::fuzz::replay(&fuzz, target, |data| {
        let dir = tempfile::tempdir().unwrap();
        let ssh_dir = dir.path().join(".ssh");
        checks::prepare_ssh_dir(&ssh_dir).unwrap();
        check(data, &ssh_dir);
    });
}

#[test]
fn ssh_config_inputs() {
    replay("ssh_config", checks::ssh_config);
}

#[test]
fn known_hosts_inputs() {
    replay("known_hosts", checks::known_hosts);
}

/// OpenSSH ends a config line at an unquoted word starting with `#`; before the fix the words of
/// a trailing comment on a `Host` line were imported as aliases.
#[test]
fn trailing_comment_ends_the_line() {
    let text = "Host web \"#quoted\" # production box\n  HostName web.example #front\n  User=#x\n";
    let hosts = ssh_config::parse(text, Path::new("/nonexistent/.ssh"));
    let aliases: Vec<&str> = hosts.iter().map(|h| h.alias.as_str()).collect();
    assert_eq!(aliases, ["web", "#quoted"]);
    assert_eq!(hosts[0].hostname.as_deref(), Some("web.example"));
    assert_eq!(hosts[0].user, None);
}
