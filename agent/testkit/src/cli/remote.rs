//! The SSH side of the CLI's tests: a loopback `sshd` with a fresh user saved as host `h`
//! ([`Remote`]) and the jump/target topology with both hosts saved ([`Jumped`]), with `ssh`
//! sessions from the jump host to the target ([`Jumped::ssh_session`]). The CLI binary's
//! path is a parameter (a test passes `env!("CARGO_BIN_EXE_outpost")`).
//!
//! The remote side runs as a throwaway [`TestUser`], so the agent it starts uses that user's own
//! `/tmp/outpost-<uid>` and `~/.local/state/outpost`, and dropping the user kills every process
//! it left (agents, session daemons).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Cli, DEADLINE};
use crate::{public_key_of, require_root, Sshd, SshdBuilder, TestUser, Topology};

/// A fresh ed25519 key of `user`, without passphrase.
fn user_key(user: &TestUser) -> PathBuf {
    user.generate_key("id_ed25519", None).expect("user key")
}

/// One loopback `sshd`, one user on it with an authorized key, and a CLI that has the server
/// saved as host `h`.
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
    /// Starts a server from `builder` with host `h` saved and its key trusted, for the CLI
    /// binary `outpost`.
    pub fn start(outpost: impl AsRef<Path>, builder: SshdBuilder) -> Remote {
        let r = Remote::untrusted(outpost, builder);
        r.cli.trust(&r.sshd.known_hosts_entry());
        r
    }

    /// Like [`Remote::start`], but the server's host key is not trusted.
    pub fn untrusted(outpost: impl AsRef<Path>, builder: SshdBuilder) -> Remote {
        require_root();
        let sshd = builder.start().expect("sshd");
        let user = TestUser::create("odep").expect("test user");
        let key = user_key(&user);
        sshd.authorize_key(&user.name, &public_key_of(&key).unwrap())
            .unwrap();
        let cli = Cli::new(outpost);
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
    /// Builds the topology and saves both hosts, for the CLI binary `outpost`.
    pub fn new(outpost: impl AsRef<Path>) -> Jumped {
        require_root();
        let topo = Topology::new().expect("topology");
        let user = TestUser::create("ojump").expect("test user");
        let key = user_key(&user);
        topo.authorize_key(&user, &public_key_of(&key).unwrap())
            .unwrap();
        user.write_file(".ssh/known_hosts", topo.known_hosts(), 0o600)
            .unwrap();
        let cli = Cli::new(outpost);
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
    /// Starts an `ssh` session from the jump host to the target (`outpost new jump --ssh
    /// USER@ADDR:PORT`) and waits until `outpost sessions jump` lists it with its link up; its
    /// id. Panics if the session is not listed or its link is not up within [`DEADLINE`].
    pub fn ssh_session(&self) -> String {
        let dest = format!(
            "{}@{}:{}",
            self.user.name,
            self.topo.target_addr().ip(),
            self.topo.target_addr().port()
        );
        let created = self.cli.ok(&["new", "jump", "--ssh", &dest]);
        let sid = created["session_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {created}"))
            .to_string();
        let deadline = Instant::now() + DEADLINE;
        loop {
            let list = self.cli.ok(&["sessions", "jump"]);
            let Some(s) = list
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["session_id"] == sid.as_str())
            else {
                panic!("session {sid} is not listed: {list}")
            };
            if s["link"] == "up" {
                return sid;
            }
            assert!(
                Instant::now() < deadline,
                "the ssh session's link never came up: {s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
