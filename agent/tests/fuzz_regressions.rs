//! Replays every kept fuzz input of the agent through the fuzz checks, on stable Rust.
//!
//! The checks live in `agent/fuzz/src/lib.rs` and are included here as a module, so the fuzz
//! targets and this test run the same code. Each target's seeds (`agent/fuzz/corpus/<target>/`)
//! and the inputs that once made it fail (`agent/fuzz/regressions/<target>/`) are fed to it; a new
//! crash is fixed, then its input is added to `regressions/` and guarded here from then on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fuzz/src/lib.rs"]
mod checks;

use std::path::{Path, PathBuf};

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

/// Runs `check` on every kept input of `target`, then fails naming each input that panicked.
fn replay(target: &str, check: fn(&[u8])) {
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
            std::panic::catch_unwind(|| check(&data)).is_err()
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{target} fails on {failed:#?}");
}

#[test]
fn frames_inputs() {
    replay("frames", checks::frames);
}

#[test]
fn probe_inputs() {
    replay("probe", checks::probe);
}
