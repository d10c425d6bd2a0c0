//! What the SSH-facing tests of the `outpost` CLI share (`deploy.rs`, `cli_ssh.rs`): a private
//! CLI configuration ([`Cli`], the testkit's), a loopback `sshd` with a fresh user ([`Remote`]),
//! the jump/target topology with hosts saved for both ([`Jumped`]), and small helpers (waits,
//! SHA-256, the agent's install path on the remote user's home). [`numbered`] holds the
//! numbered-lines loop and `outpost attach` collection of the link-cut tests, [`reliability`]
//! their report sections.
//!
//! The CLI always runs with `--json`, `HOME` and `OUTPOST_CONFIG_DIR` in a temporary directory
//! of the test, no ssh-agent (`SSH_AUTH_SOCK` removed) and `OUTPOST_AGENT_BIN` pointing at a
//! private copy of the agent binary built beside it. The remote side runs as a throwaway
//! [`TestUser`], so the agent it starts uses that user's own `/tmp/outpost-<uid>` and
//! `~/.local/state/outpost`, and dropping the user kills every process it left (agents, session
//! daemons).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use outpost_desktop::engine::agent::deploy;
use outpost_testkit::cli::agent_beside;
pub use outpost_testkit::cli::Cli;
use outpost_testkit::{public_key_of, require_root, Sshd, SshdBuilder, TestUser, Topology};
use sha2::{Digest, Sha256};

pub mod numbered;
pub mod reliability;

/// The CLI under test.
pub const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The agent binary beside the CLI (built by `cargo test --workspace`).
pub fn agent_bin() -> PathBuf {
    agent_beside(Path::new(OUTPOST))
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 of a file.
pub fn sha256_file(path: &Path) -> String {
    sha256_hex(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Polls `f` every 50 ms until it is true; fails naming `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The agents' directory in `user`'s home (`~/.local/share/outpost/agent`).
pub fn agent_root(user: &TestUser) -> PathBuf {
    user.home.join(deploy::AGENT_ROOT)
}

/// Where this build's agent is installed in `user`'s home.
pub fn installed_agent(user: &TestUser) -> PathBuf {
    user.home.join(deploy::agent_path(deploy::AGENT_VERSION))
}

/// The names in a directory, sorted (empty when it does not exist).
pub fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// (mtime in ns, inode) of a file: both stay when nothing re-uploads or replaces it.
pub fn stamp(path: &Path) -> (i128, u64) {
    let m = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (
        i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        m.ino(),
    )
}

/// A fresh ed25519 key of `user`, without passphrase.
fn user_key(user: &TestUser) -> PathBuf {
    user.generate_key("id_ed25519", None).expect("user key")
}

/// One loopback `sshd`, one user on it with an authorized key, and a CLI that trusts the
/// server and has it saved as host `h`.
pub struct Remote {
    // Field order is drop order: the CLI's files, the server (and its sessions), the user (its
    // leftover processes killed first).
    /// The CLI.
    pub cli: Cli,
    /// The server.
    pub sshd: Sshd,
    /// The user the CLI logs in as.
    pub user: TestUser,
    /// The user's private key.
    pub key: PathBuf,
}

impl Remote {
    /// Starts a server from `builder` with host `h` saved and its key trusted.
    pub fn start(builder: SshdBuilder) -> Remote {
        let r = Remote::untrusted(builder);
        r.cli.trust(&r.sshd.known_hosts_entry());
        r
    }

    /// Like [`Remote::start`], but the server's host key is not trusted.
    pub fn untrusted(builder: SshdBuilder) -> Remote {
        require_root();
        let sshd = builder.start().expect("sshd");
        let user = TestUser::create("odep").expect("test user");
        let key = user_key(&user);
        sshd.authorize_key(&user.name, &public_key_of(&key).unwrap())
            .unwrap();
        let cli = Cli::new(OUTPOST);
        cli.add_host("h", &user.name, sshd.addr(), &key, None);
        Remote {
            cli,
            sshd,
            user,
            key,
        }
    }

    /// How often `sshd` logged `needle` so far.
    pub fn log_count(&self, needle: &str) -> usize {
        self.sshd.log().matches(needle).count()
    }
}

/// The jump/target topology, a user authorized on both (whose `~/.ssh` on the jump host trusts
/// the target and holds the key, so `ssh` sessions from the jump host work), and a CLI with
/// `jump` (direct) and `target` (`-J jump`) saved and both host keys trusted.
pub struct Jumped {
    // Field order is drop order (see `Remote`).
    /// The CLI.
    pub cli: Cli,
    /// Jump and target.
    pub topo: Topology,
    /// The user on both hosts.
    pub user: TestUser,
    /// The user's private key (also `~/.ssh/id_ed25519` on the jump host).
    pub key: PathBuf,
}

impl Jumped {
    /// Builds the topology and saves both hosts.
    pub fn new() -> Jumped {
        require_root();
        let topo = Topology::new().expect("topology");
        let user = TestUser::create("ojump").expect("test user");
        let key = user_key(&user);
        topo.authorize_key(&user, &public_key_of(&key).unwrap())
            .unwrap();
        user.write_file(".ssh/known_hosts", topo.known_hosts(), 0o600)
            .unwrap();
        let cli = Cli::new(OUTPOST);
        cli.trust(&topo.known_hosts());
        let jump_addr = topo.jump_addr().expect("jump sshd");
        cli.add_host("jump", &user.name, jump_addr, &key, None);
        cli.add_host("target", &user.name, topo.target_addr(), &key, Some("jump"));
        Jumped {
            cli,
            topo,
            user,
            key,
        }
    }
}

/// Collects a child's stdout and stderr in the background.
pub struct Collected {
    /// Everything read from stdout so far.
    pub stdout: Arc<Mutex<Vec<u8>>>,
    /// Everything read from stderr so far.
    pub stderr: Arc<Mutex<Vec<u8>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Collected {
    /// Starts reading `child`'s piped stdout and stderr.
    pub fn start(child: &mut Child) -> Collected {
        fn pump(
            mut r: impl Read + Send + 'static,
            into: Arc<Mutex<Vec<u8>>>,
        ) -> std::thread::JoinHandle<()> {
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                loop {
                    match r.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => into.lock().unwrap().extend_from_slice(&buf[..n]),
                    }
                }
            })
        }
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let threads = vec![
            pump(child.stdout.take().expect("piped stdout"), stdout.clone()),
            pump(child.stderr.take().expect("piped stderr"), stderr.clone()),
        ];
        Collected {
            stdout,
            stderr,
            threads,
        }
    }

    /// stdout so far, as text.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    /// stderr so far, as text.
    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Waits for both streams to end (the child exited).
    pub fn join(self) -> (String, String) {
        for t in self.threads {
            let _ = t.join();
        }
        let out = String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned();
        let err = String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned();
        (out, err)
    }
}

/// Waits up to `timeout` for `child` to exit.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
