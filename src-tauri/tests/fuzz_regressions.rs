//! Replays every kept fuzz input of the desktop engine through the fuzz checks, on stable Rust.
//!
//! The checks live in `src-tauri/fuzz/src/lib.rs` and are included here as a module, so the fuzz
//! targets and this test run the same code. Each target's seeds
//! (`src-tauri/fuzz/corpus/<target>/`) and the inputs that once made it fail
//! (`src-tauri/fuzz/regressions/<target>/`) are fed to it; a new crash is fixed, then its input is
//! added to `regressions/` and guarded here from then on. The readers take paths, so each test
//! works in its own temporary directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fuzz/src/lib.rs"]
mod checks;

use std::path::{Path, PathBuf};

use outpost_desktop::engine::store::ssh_config;

/// Every file of `corpus/<target>` and `regressions/<target>` (a missing folder is empty).
fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files: Vec<PathBuf> = ["corpus", "regressions"]
        .iter()
        .filter_map(|kind| std::fs::read_dir(fuzz.join(kind).join(target)).ok())
        .flatten()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `check` on every kept input of `target` with a fresh scratch directory each, then fails
/// naming each input that panicked.
fn replay(target: &str, check: fn(&[u8], &Path)) {
    let files = inputs(target);
    assert!(
        files
            .iter()
            .any(|f| f.components().any(|c| c.as_os_str() == "corpus")),
        "no seed inputs for {target}"
    );
    let failed: Vec<String> = files
        .iter()
        .filter(|f| {
            let data = std::fs::read(f).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let ssh_dir = dir.path().join(".ssh");
            checks::prepare_ssh_dir(&ssh_dir).unwrap();
            std::panic::catch_unwind(|| check(&data, &ssh_dir)).is_err()
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{target} fails on {failed:#?}");
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
