//! The Python oracles the tests use (pyte, asciinema), from the workspace's virtual environment
//! `target/venv`, which `.ci/py-deps` fills from the pinned `.ci/requirements.txt`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/venv/bin/NAME`; panics, naming the fix, when it is missing.
pub fn tool(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/venv/bin")
        .join(name);
    assert!(
        p.exists(),
        "{} is missing: run .ci/py-deps (it installs the oracles pinned in .ci/requirements.txt)",
        p.display()
    );
    p
}

/// What `asciinema cat FILE` prints: a recording's output, played back. Panics with its stderr
/// when it fails.
pub fn asciinema_cat(file: &Path) -> Vec<u8> {
    let out = Command::new(tool("asciinema"))
        .arg("cat")
        .arg(file)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap_or_else(|e| panic!("running asciinema cat {}: {e}", file.display()));
    assert!(
        out.status.success(),
        "asciinema cat {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
