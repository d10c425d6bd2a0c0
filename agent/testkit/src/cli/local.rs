//! "This computer" for the CLI's tests ([`Local`]): the local agent runs over pipes, nothing is
//! deployed. One temporary directory holds the agent's home (`OUTPOST_HOME`, `h/`), the
//! desktop's configuration (`OUTPOST_CONFIG_DIR`, `c/`) and `HOME`; the agent is the
//! workspace's own build beside `outpost` ([`local_agent`]). Sessions left behind are closed
//! when it drops. `tests/cli_local.rs` and `tests/mcp.rs` share it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The workspace's `outpost-agent` beside the CLI binary `outpost` (what the local agent runs);
/// panics, saying how to build it, when it is missing.
pub fn local_agent(outpost: &Path) -> PathBuf {
    let p = outpost.with_file_name("outpost-agent");
    assert!(
        p.is_file(),
        "{} is missing: build the workspace (cargo test --workspace, or cargo build -p outpost-agent) first",
        p.display()
    );
    p
}

/// A private agent home, desktop configuration and `HOME` for one test of `outpost`'s local
/// agent; see the [module documentation](self).
pub struct Local {
    dir: tempfile::TempDir,
    outpost: PathBuf,
}

impl Local {
    /// A fresh directory under `/tmp` named `PREFIX…` (short: the agent's socket paths live
    /// inside it) for the CLI binary `outpost` (a test passes `env!("CARGO_BIN_EXE_outpost")`).
    pub fn new(outpost: impl AsRef<Path>, prefix: &str) -> Local {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir_in("/tmp")
            .unwrap_or_else(|e| panic!("a temporary directory in /tmp: {e}"));
        Local {
            dir,
            outpost: outpost.as_ref().to_path_buf(),
        }
    }

    /// The directory, also `HOME`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `OUTPOST_CONFIG_DIR`.
    pub fn config_dir(&self) -> PathBuf {
        self.dir().join("c")
    }

    /// Sets `OUTPOST_HOME`, `OUTPOST_CONFIG_DIR`, `OUTPOST_AGENT_BIN` and `HOME` in `c` (the
    /// CLI's, or that of a client that starts the CLI).
    pub fn envs(&self, c: &mut Command) {
        c.env("OUTPOST_HOME", self.dir().join("h"))
            .env("OUTPOST_CONFIG_DIR", self.config_dir())
            .env("OUTPOST_AGENT_BIN", local_agent(&self.outpost))
            .env("HOME", self.dir());
    }

    /// `outpost` with this environment ([`Local::envs`]), stdin from /dev/null.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(&self.outpost);
        self.envs(&mut c);
        c.stdin(Stdio::null());
        c
    }
}

impl Drop for Local {
    /// Closes the sessions the test left.
    fn drop(&mut self) {
        close_sessions(&self.dir().join("h"), || self.cmd());
    }
}

/// Closes every session the agent home `agent_home` still holds: `outpost close local ID` for
/// each metadata file in its `state/sessions`, with `outpost` from `cmd` (an `outpost` whose
/// `OUTPOST_HOME` is `agent_home`). Failures are ignored: this is a test's clean-up.
pub fn close_sessions(agent_home: &Path, cmd: impl Fn() -> Command) {
    if let Ok(d) = std::fs::read_dir(agent_home.join("state/sessions")) {
        for e in d.flatten() {
            if let Some(id) = e.path().file_stem().and_then(|s| s.to_str()) {
                let _ = cmd().args(["close", "local", id]).output();
            }
        }
    }
}
