//! Test support for Outpost: throwaway users, real OpenSSH servers and a "jump"/"target" host
//! topology, for integration tests that run the system's `ssh` against real servers.
//!
//! - [`TestUser`] — a fresh local user (home, keys, files, commands run as it), deleted on drop.
//! - [`Sshd`] — `/usr/sbin/sshd` with its own host key and authorized keys, killed on drop.
//! - [`Topology`] — a target host reachable only from a jump host (network namespaces, or
//!   loopback servers where namespaces are not permitted), each with an sshd and its own host
//!   name; the link between them can be cut and restored.
//!
//! Everything needs root (users, namespaces, `sshd`); [`require_root`] fails a test with a clear
//! message otherwise. Every object gets a name unique to the process and instance
//! (`<pid>-<n>`), so tests may run in parallel; what a killed test process leaves behind is
//! removed by the next process that uses the kit.
//!
//! ```no_run
//! use outpost_testkit::{public_key_of, require_root, TestUser, Topology};
//!
//! require_root();
//! let topo = Topology::new().unwrap(); // prints "topology=netns …" or "topology=loopback …"
//! let bob = TestUser::create("bob").unwrap();
//! let key = bob.generate_key("id_ed25519", None).unwrap();
//! topo.authorize_key(&bob, &public_key_of(&key).unwrap()).unwrap();
//! bob.write_file(".ssh/known_hosts", topo.known_hosts(), 0o600).unwrap();
//! bob.write_file(".ssh/config", topo.target_ssh_config("target", &bob, Some(&key)), 0o600)
//!     .unwrap();
//! // "On the jump host", as bob: ssh to the target by its alias.
//! let out = topo.jump_exec(&bob, "ssh").args(["-o", "BatchMode=yes", "target", "hostname"])
//!     .output().unwrap();
//! assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), topo.target_hostname());
//! ```
//!
//! The machine's PID 1 may not reap orphans: servers are child subreapers and are killed
//! leaves-first, so the kit itself leaves no zombies. Processes a test detaches on its own
//! (daemons) become PID 1's zombies when they end; that is harmless but shows in `ps`.

pub mod netns;
pub mod process;
pub mod report;
pub mod soak;
pub mod sshd;
pub mod summary;
pub mod topology;
pub mod user;

mod global;

pub use process::ProcessId;
pub use sshd::{Sshd, SshdBuilder};
pub use topology::{Topology, TopologyBuilder, TopologyKind};
pub use user::{public_key_of, TestUser};

use std::io::Write;

/// True when the test runs as root (effective uid 0).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Fails unless the test runs as root, naming what needs it.
pub fn ensure_root() -> anyhow::Result<()> {
    anyhow::ensure!(
        is_root(),
        "outpost-testkit needs root (it creates users, network namespaces and sshd instances); \
         run the tests as root, e.g. in CI's container or with `sudo -E cargo test`"
    );
    Ok(())
}

/// Panics with a clear message unless the test runs as root: call it first in tests that use
/// the kit, so a missing privilege fails loudly instead of passing silently.
pub fn require_root() {
    if let Err(e) = ensure_root() {
        panic!("{e:#}");
    }
}

/// Writes `outpost-testkit: MESSAGE` straight to the process's standard error, past the test
/// harness's output capture, so it shows in the output of passing tests too.
pub fn note(message: &str) {
    let _ = writeln!(std::io::stderr(), "outpost-testkit: {message}");
}
