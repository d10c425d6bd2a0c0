//! Test support for the whole Outpost workspace: the agent's integration tests, the desktop's
//! tests, the benches and the soak. Its modules, by job:
//!
//! | module | job |
//! |---|---|
//! | [`client`] | the one test client of the real agent: typed calls, responses by id, output reassembled and checked |
//! | [`fixture`] | the agent's test fixtures: a private `$OUTPOST_HOME` and agents in it, `ssh` sessions across the topology, the monitoring tests' jump-host agent and host oracle; `session.exec` helpers and the exec scenarios local and ssh sessions share ([`fixture::exec`]) |
//! | [`topology`] | throwaway users ([`TestUser`]), OpenSSH servers ([`Sshd`]) and the jump/target [`Topology`] |
//! | [`process`] | running commands (as a user, in a namespace), waiting, killing process trees; a started child killed and reaped on drop ([`process::Running`]) |
//! | [`procfs`] | the one reader of `/proc`: `stat`, `status`, `smaps_rollup`, environment |
//! | [`tmux`] | tmux as a screen oracle: a private server running one program at an exact size, its pane captured, killed on drop; [`tmux::normalise`]d rows |
//! | [`venv`] | the Python oracles from `target/venv`: pyte's rendering of terminal output ([`venv::pyte_render`]), `asciinema cat` |
//! | [`text`] | finding bytes and terminal lines in output; readable tails for failure messages |
//! | [`report`] | rewriting one section of `docs/*.md`; the fault scenarios' sections |
//! | [`ssh_agent`] | a real `ssh-agent` on a socket of the test's choosing, keys added with `ssh-add`, killed on drop |
//! | [`soak`] | the long randomized run against one agent (`make soak`, `tests/soak_short.rs`) |
//! | [`bench`], [`summary`] | what the benches share: options, statistics, machine, results |
//! | [`fuzz`] | replaying the kept fuzz inputs of a crate under `cargo test` |
//! | [`random_file`] | files of seeded pseudo-random bytes for transfer tests |
//! | [`http`] | a real HTTP server in the target's namespace; `curl` from the desktop's side: what a forward or SOCKS proxy carried |
//! | [`cli`] | the desktop's CLI tests: running `outpost` with a private configuration, `--json` answers checked; the servers it logs into ([`cli::Remote`], [`cli::Jumped`], an ssh session through it with `Jumped::ssh_session`); output collected in the background; the link-cut tests' numbered lines and `outpost attach`; SHA-256 of a deployed agent |
//! | `gui` (feature `gui`) | the desktop's real window under a private Xvfb through WebKitWebDriver: the app, waits, screenshots, every process reaped; the steps every window test file shares (timeouts, `data-testid` selectors, markers, a new shell tab) |
//!
//! Lower modules never import higher ones: `procfs`, `text` and `random_file` import nothing of
//! the kit; `process` only `procfs`; `tmux` only `process`; `client` only `text`; `topology`
//! `process` and `procfs`; `fixture` the client, `topology`, `process`, `procfs` and `text`;
//! `soak` the client, `process`, `procfs` and `report`; `cli` and `http` `topology` and
//! `process`; `gui` `cli`, `fixture`, `process` and `procfs`.
//! A test binary imports what it uses from these modules; nothing is included by `#[path]`.
//!
//! Everything that touches users, namespaces or `sshd` needs root; [`require_root`] fails a test
//! with a clear message otherwise. Every object gets a name unique to the process and instance
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

pub mod bench;
pub mod cli;
pub mod client;
pub mod fixture;
pub mod fuzz;
#[cfg(feature = "gui")]
pub mod gui;
pub mod http;
pub mod process;
pub mod procfs;
pub mod random_file;
pub mod report;
pub mod soak;
pub mod ssh_agent;
pub mod summary;
pub mod text;
pub mod tmux;
pub mod topology;
pub mod venv;

pub use process::ProcessId;
pub use topology::sshd::{Sshd, SshdBuilder};
pub use topology::user::{public_key_of, TestUser};
pub use topology::{Topology, TopologyBuilder, TopologyKind};

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
