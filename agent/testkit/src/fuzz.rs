//! Replays kept fuzz inputs on stable Rust: every file of a fuzz crate's `corpus/<target>/`
//! (its seeds) and `regressions/<target>/` (inputs that once made it fail) is fed to the
//! target's check, and the replay fails naming every input that panicked.
//!
//! Each crate's `tests/fuzz_regressions.rs` calls [`replay`] with its own checks (the fuzz
//! crate's `src/lib.rs`), so the fuzz targets and `cargo test` run the same code.
//!
//! ```no_run
//! # fn check(_: &[u8]) {}
//! let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
//! outpost_testkit::fuzz::replay(&fuzz, "frames", |data| check(data));
//! ```

use std::panic::{catch_unwind, RefUnwindSafe};
use std::path::{Path, PathBuf};

/// Every file of `<fuzz_dir>/corpus/<target>` and `<fuzz_dir>/regressions/<target>`, sorted (a
/// missing folder is empty).
pub fn inputs(fuzz_dir: &Path, target: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["corpus", "regressions"]
        .iter()
        .filter_map(|kind| std::fs::read_dir(fuzz_dir.join(kind).join(target)).ok())
        .flatten()
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `check` on every kept input of `target` under `fuzz_dir`; panics if there is no seed
/// input, or naming each input on which `check` panicked.
pub fn replay(fuzz_dir: &Path, target: &str, check: impl Fn(&[u8]) + RefUnwindSafe) {
    let files = inputs(fuzz_dir, target);
    assert!(
        files
            .iter()
            .any(|f| f.components().any(|c| c.as_os_str() == "corpus")),
        "no seed inputs for {target} in {}",
        fuzz_dir.display()
    );
    let failed: Vec<String> = files
        .iter()
        .filter(|f| {
            let data =
                std::fs::read(f).unwrap_or_else(|e| panic!("cannot read {}: {e}", f.display()));
            catch_unwind(|| check(&data)).is_err()
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{target} fails on {failed:#?}");
}
