//! Replays every kept fuzz input of the agent through the fuzz checks, on stable Rust.
//!
//! The checks live in the crate's `fuzzing` module (feature `fuzzing`), which the fuzz targets
//! call too, so both run the same code. Each target's seeds (`agent/fuzz/corpus/<target>/`)
//! and the inputs that once made it fail (`agent/fuzz/regressions/<target>/`) are fed to it; a new
//! crash is fixed, then its input is added to `regressions/` and guarded here from then on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use outpost_agent::fuzzing as checks;

/// Runs `check` on every kept input of `target`.
fn replay(target: &str, check: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    outpost_testkit::fuzz::replay(&fuzz, target, check);
}

#[test]
fn frames_inputs() {
    replay("frames", checks::frames);
}

#[test]
fn probe_inputs() {
    replay("probe", checks::probe);
}
