//! The Python oracles the tests use (pyte, asciinema), from the workspace's virtual environment
//! `target/venv`, which `.ci/py-deps` fills from the pinned `.ci/requirements.txt`: pyte's
//! rendering of terminal output (`agent/tests/oracles/pyte_render.py`) and `asciinema cat`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

/// pyte's rendering of `bytes` on a `cols` × `rows` screen (`agent/tests/oracles/pyte_render.py`):
/// its rows (trailing spaces removed, trailing blank rows dropped) and its cursor line
/// (`ROW COL hidden=0|1`, 0-based). Panics when the script fails.
pub fn pyte_render(bytes: &[u8], cols: u16, rows: u16) -> (Vec<String>, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/oracles/pyte_render.py");
    let mut child = Command::new(tool("python3"))
        .arg(&script)
        .args([cols.to_string(), rows.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", script.display()));
    let Some(mut stdin) = child.stdin.take() else {
        panic!("pyte_render.py has no stdin")
    };
    stdin
        .write_all(bytes)
        .unwrap_or_else(|e| panic!("writing to pyte_render.py: {e}"));
    drop(stdin);
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("waiting for pyte_render.py: {e}"));
    assert!(out.status.success(), "pyte_render.py failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let Some((screen, cursor)) = text.rsplit_once("--cursor ") else {
        panic!("no cursor line from pyte_render.py in {text:?}")
    };
    let mut lines: Vec<String> = screen.lines().map(|l| l.trim_end().to_string()).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    (lines, cursor.trim().to_string())
}
