//! Runs the desktop's `outpost` CLI as a test would ([`Cli`]): a private configuration (`HOME`
//! and `OUTPOST_CONFIG_DIR` in a temporary directory, no ssh-agent, `OUTPOST_AGENT_BIN` a private
//! copy of the portable agent beside the CLI, the one the desktop deploys), always with `--json`,
//! its answers checked and decoded.
//! The desktop's tests and the window bench share it; the binary's path is a parameter (they pass
//! `env!("CARGO_BIN_EXE_outpost")`).
//!
//! - [`local`] — "This computer": the local agent over pipes in a private home ([`Local`]);
//! - [`remote`] — the servers the CLI logs into: a loopback `sshd` with a fresh user
//!   ([`Remote`]), the jump/target topology with both hosts saved ([`Jumped`]);
//! - [`collect`] — a child's output collected in the background ([`Collected`]);
//! - [`numbered`] — the link-cut tests' numbered-lines loop, `outpost attach` collected
//!   ([`Attached`]) and the check that each line arrived once;
//! - [`forwarded`] — agent forwarding: a desktop key only in a real `ssh-agent`, the jump host
//!   saved as `jump` and, forwarding, `jumpf` ([`forwarded::Forwarded`]);
//! - [`relay`] — a session's agent-forwarding relay seen from outside it: `ssh-add -l` as a
//!   user against its socket;
//! - [`ssh_config`] — the CLI's `~/.ssh/config` from a template naming the topology's hosts;
//! - [`digest`] — SHA-256 in hex, to compare a deployed agent with the local one;
//! - [`portable`] — the portable agent (glibc 2.17) beside the CLI, built by `.ci/agent-portable`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod collect;
pub mod digest;
pub mod forward;
pub mod forwarded;
pub mod local;
pub mod numbered;
pub mod portable;
pub mod relay;
pub mod remote;
pub mod ssh_config;

pub use collect::Collected;
pub use digest::{sha256_file, sha256_hex};
pub use local::Local;
pub use numbered::Attached;
pub use remote::{Jumped, Remote};

/// How long anything that crosses SSH may take (2 slow cores, debug builds, a 70 MB upload).
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The agent the desktop deploys, beside the CLI binary `outpost`: the portable build
/// (`outpost-agent-linux-<arch>`), brought up to date by [`portable::portable_agent`] once per
/// process.
pub fn agent_beside(outpost: &Path) -> PathBuf {
    portable::portable_agent(outpost).unwrap_or_else(|e| panic!("{e:#}"))
}

/// A private configuration of the CLI: `HOME` and `OUTPOST_CONFIG_DIR` in a temporary
/// directory, and its own copy of the agent binary (so that a rebuild of the workspace while the
/// test runs cannot change what it deploys and compares against).
pub struct Cli {
    dir: tempfile::TempDir,
    outpost: PathBuf,
    agent: PathBuf,
}

impl Cli {
    /// A fresh, empty configuration (no saved hosts, no trusted keys) of the CLI binary
    /// `outpost` (a test passes `env!("CARGO_BIN_EXE_outpost")`), deploying a copy of the portable
    /// agent beside it ([`agent_beside`]).
    pub fn new(outpost: impl AsRef<Path>) -> Cli {
        let outpost = outpost.as_ref().to_path_buf();
        let dir = tempfile::Builder::new()
            .prefix("ocs")
            .tempdir_in("/tmp")
            .unwrap();
        let agent = dir.path().join("outpost-agent");
        std::fs::copy(agent_beside(&outpost), &agent).unwrap();
        Cli {
            dir,
            outpost,
            agent,
        }
    }

    /// The CLI binary (also the app: `outpost` without arguments opens the window).
    pub fn outpost(&self) -> &Path {
        &self.outpost
    }

    /// The agent binary this CLI deploys (`OUTPOST_AGENT_BIN`).
    pub fn agent(&self) -> &Path {
        &self.agent
    }

    /// The CLI's `HOME`.
    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// `OUTPOST_CONFIG_DIR`.
    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// Outpost's own known-hosts file (keys accepted in Outpost).
    pub fn own_known_hosts(&self) -> PathBuf {
        self.config_dir().join("known_hosts")
    }

    /// Trusts host keys as the user's `~/.ssh/known_hosts` would (`known_hosts` lines).
    pub fn trust(&self, known_hosts: &str) {
        let ssh = self.home().join(".ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        let path = ssh.join("known_hosts");
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str(known_hosts);
        std::fs::write(path, text).unwrap();
    }

    /// `outpost` with this configuration (no `--json` yet), stdin from /dev/null.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(&self.outpost);
        c.env("OUTPOST_CONFIG_DIR", self.config_dir())
            .env("OUTPOST_AGENT_BIN", &self.agent)
            .env("HOME", self.home())
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("OUTPOST_HOME")
            .env_remove("XDG_CONFIG_HOME")
            .stdin(Stdio::null());
        c
    }

    /// Runs `outpost --json ARGS`: (exit code, the JSON it printed, the whole output).
    pub fn run(&self, args: &[&str]) -> (i32, Value, Output) {
        let out = self.cmd().arg("--json").args(args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = text.lines().last().unwrap_or_else(|| {
            panic!(
                "no output from outpost {args:?} (exit {:?}); stderr: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| {
            panic!(
                "outpost {args:?} printed {line:?}, not JSON: {e}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), v, out)
    }

    /// `outpost --json ARGS`, which must succeed: its `data`.
    pub fn ok(&self, args: &[&str]) -> Value {
        let (code, v, out) = self.run(args);
        assert!(
            code == 0 && v["ok"] == true,
            "outpost {args:?} failed (exit {code}): {v}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).lines().count(),
            1,
            "one JSON line"
        );
        v["data"].clone()
    }

    /// `outpost --json ARGS`, which must fail with a non-zero exit: (code, message).
    pub fn err(&self, args: &[&str]) -> (String, String) {
        let (code, v, _) = self.run(args);
        assert_ne!(code, 0, "outpost {args:?} should fail: {v}");
        assert_eq!(v["ok"], false, "{v}");
        (
            v["error"]["code"].as_str().unwrap().to_string(),
            v["error"]["message"].as_str().unwrap().to_string(),
        )
    }

    /// Saves a host: `outpost hosts add NAME USER@ADDR:PORT -i KEY [-J JUMP]`.
    pub fn add_host(
        &self,
        name: &str,
        user: &str,
        addr: std::net::SocketAddr,
        key: &Path,
        jump: Option<&str>,
    ) {
        let dest = format!("{user}@{}:{}", addr.ip(), addr.port());
        let key = key.display().to_string();
        let mut args = vec!["hosts", "add", name, &dest, "-i", &key];
        if let Some(j) = jump {
            args.extend(["-J", j]);
        }
        let h = self.ok(&args);
        assert_eq!(h["name"], name);
    }

    /// A session's held output (`outpost read`, decoded from base64) and the offset of its
    /// first byte.
    pub fn read_bytes(&self, host: &str, sid: &str) -> (u64, Vec<u8>) {
        use base64::Engine as _;
        let r = self.ok(&["read", host, sid]);
        let data = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap();
        (r["offset"].as_u64().unwrap(), data)
    }

    /// A session's held output as text (`outpost read`, decoded from base64).
    pub fn read_text(&self, host: &str, sid: &str) -> String {
        String::from_utf8_lossy(&self.read_bytes(host, sid).1).into_owned()
    }

    /// Waits until a session's output contains `needle`; returns the output.
    pub fn wait_output(&self, host: &str, sid: &str, needle: &str) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let text = self.read_text(host, sid);
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} never showed in session {sid} on {host}; it holds: {text:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
