//! The agent the desktop deploys, as tests and benches get it: the portable build
//! (`outpost-agent-linux-x86_64`, linked against glibc 2.17 by cargo-zigbuild) beside the CLI
//! binary, built or brought up to date by the project's own script, `.ci/agent-portable`, once
//! per process. `make test` builds it before the tests; a plain `cargo test` builds it on first
//! use (the script installs its tools into `target/venv` when they are missing). See
//! docs/portable-agent.md.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{ensure, Context, Result};

use crate::process::run;

/// The workspace's build script of the portable agent.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/agent-portable")
}

/// The file name of the portable agent for this machine's architecture beside `outpost`.
pub fn file_name() -> String {
    format!("outpost-agent-linux-{}", std::env::consts::ARCH)
}

/// The portable agent beside `beside`, a binary of the build (the CLI `outpost`, or
/// `outpost-agent`): `<its directory>/outpost-agent-linux-<arch>`, built now by
/// `.ci/agent-portable` for that build's profile (`release` when the directory is named
/// `release`, as under `cargo bench`; `debug` otherwise) the first time a process asks.
pub fn portable_agent(beside: &Path) -> Result<PathBuf> {
    static BUILT: Mutex<Vec<(PathBuf, PathBuf)>> = Mutex::new(Vec::new());
    let dir = beside
        .parent()
        .with_context(|| format!("{} has no directory", beside.display()))?;
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, agent)) = built.iter().find(|(d, _)| d == dir) {
        return Ok(agent.clone());
    }
    let release = dir.file_name().is_some_and(|n| n == "release");
    let mut cmd = Command::new(script());
    cmd.arg("--out-dir").arg(dir);
    if release {
        cmd.arg("--release");
    }
    let started = Instant::now();
    let printed = run(&mut cmd).context(
        "building the portable agent failed (.ci/agent-portable; its tools come from \
         .ci/requirements.txt, see docs/portable-agent.md)",
    )?;
    let agent = PathBuf::from(printed.trim());
    ensure!(
        agent == dir.join(file_name()) && agent.is_file(),
        ".ci/agent-portable printed {printed:?}, not {}",
        dir.join(file_name()).display()
    );
    crate::note(&format!(
        "portable agent {} ready in {:.1} s",
        agent.display(),
        started.elapsed().as_secs_f64()
    ));
    built.push((dir.to_path_buf(), agent.clone()));
    Ok(agent)
}
