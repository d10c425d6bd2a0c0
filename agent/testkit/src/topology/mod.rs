//! The jump/target test topology ([`Topology`]): a "target" host reachable only from a "jump"
//! host, each with its own OpenSSH server and host name, built from network namespaces when the
//! machine allows it ("netns") and from loopback servers otherwise ("loopback").
//!
//! | | netns | loopback |
//! |---|---|---|
//! | target sshd | `BASE+2:22` in namespace `opt-<pid>-<n>` | `127.0.0.1:<free port>` |
//! | jump sshd | `BASE+6:22` in namespace `opj-<pid>-<n>`, reached from the test via `BASE+5` | `127.0.0.1:<free port>` |
//! | [`Topology::jump_exec`] | inside the jump namespace | in the test's namespace |
//! | target reachable from the test's namespace | no (unreachable route) | yes (cannot be prevented) |
//! | [`Topology::cut_link`] | jump-side veth down: packets to target vanish, new connections fail at once | target sshd and its sessions `SIGSTOP`ped: nothing answers, new TCP connections open but get no banner |
//! | [`Topology::cut_root_link`] | root-side veth to jump down: the test's packets to jump go nowhere, new connections fail at once | jump sshd, its sessions and their daemons `SIGSTOP`ped |
//! | host names | own UTS namespaces: `target-<pid>-<n>`, `jump-<pid>-<n>` | the same when UTS namespaces are allowed, else the machine's |
//!
//! `BASE` is the instance's `/29` in `10.200.0.0/16` (see [`netns`]). The mode is chosen
//! by `OUTPOST_TESTKIT_TOPOLOGY=netns|loopback|auto` (default `auto`: netns when `ip netns add`
//! and veth pairs work), or by [`TopologyBuilder::kind`]; which one ran is printed to standard
//! error (past the test harness's capture) whenever a topology starts.
//!
//! Both "hosts" are this machine: users, home directories and files are shared (a file the test
//! writes is on the target and on the jump host alike; so is `~/.ssh`). Only the network, the
//! host names and the servers differ.
//!
//! Unlike those, [`old_host::OldHost`] is a different system: Debian 11 (on the root
//! [`debian_root::DebianRoot`] builds and caches) with its own `sshd`, users and libraries,
//! chrooted in a network namespace.

mod accounts;
pub mod debian_root;
pub mod glibc;
mod global;
pub mod netns;
pub mod old_host;
pub mod sshd;
mod stale;
pub mod user;

use std::ffi::{CString, OsStr};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use self::netns::NetPair;
use self::sshd::{Sshd, SshdBuilder};
use self::user::TestUser;
use crate::process::{self, Enter};

/// Environment variable choosing the topology kind: `netns`, `loopback` or `auto`.
pub const KIND_ENV: &str = "OUTPOST_TESTKIT_TOPOLOGY";

/// How long [`Topology::restore_link`] waits for the target to answer again.
const RESTORE_TIMEOUT: Duration = Duration::from_secs(15);

/// Which implementation a [`Topology`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopologyKind {
    /// Network namespaces and veth pairs: the target is isolated from everything but "jump".
    Netns,
    /// Servers on `127.0.0.1`: no isolation; see the [module documentation](self).
    Loopback,
}

impl TopologyKind {
    /// `"netns"` or `"loopback"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TopologyKind::Netns => "netns",
            TopologyKind::Loopback => "loopback",
        }
    }

    /// The kind `OUTPOST_TESTKIT_TOPOLOGY` asks for; `None` for `auto` or unset.
    pub fn from_env() -> Result<Option<TopologyKind>> {
        match std::env::var(KIND_ENV).unwrap_or_default().as_str() {
            "" | "auto" => Ok(None),
            "netns" => Ok(Some(TopologyKind::Netns)),
            "loopback" => Ok(Some(TopologyKind::Loopback)),
            other => bail!("{KIND_ENV}={other:?}: expected netns, loopback or auto"),
        }
    }
}

impl fmt::Display for TopologyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why network namespaces cannot be used on this machine, `None` when they can (checked once
/// per process).
pub fn netns_unavailable_reason() -> Option<String> {
    netns::netns_support().err()
}

/// Options of a [`Topology`]; [`Topology::new`] uses the defaults.
#[derive(Clone, Debug)]
pub struct TopologyBuilder {
    kind: Option<TopologyKind>,
    target: SshdBuilder,
    jump: SshdBuilder,
    jump_sshd: bool,
}

impl Default for TopologyBuilder {
    fn default() -> Self {
        TopologyBuilder {
            kind: None,
            target: Sshd::builder(),
            jump: Sshd::builder(),
            jump_sshd: true,
        }
    }
}

impl TopologyBuilder {
    /// Forces a kind instead of `OUTPOST_TESTKIT_TOPOLOGY` / detection. Forcing `Netns` where
    /// namespaces do not work is an error.
    pub fn kind(mut self, kind: TopologyKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Lets the target's sshd accept passwords (off by default: keys only).
    pub fn password_authentication(mut self, allow: bool) -> Self {
        self.target = self.target.password_authentication(allow);
        self
    }

    /// Options for the target's sshd (passwords, configuration lines, authorized keys). Its
    /// address, namespace, host name and label are the topology's and are overwritten.
    ///
    /// ```no_run
    /// # use outpost_testkit::{Sshd, Topology};
    /// let topo = Topology::builder()
    ///     .target_sshd(Sshd::builder().config_line("ClientAliveInterval 5"))
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn target_sshd(mut self, options: SshdBuilder) -> Self {
        self.target = options;
        self
    }

    /// Options for the jump host's sshd, like [`TopologyBuilder::target_sshd`].
    pub fn jump_sshd_options(mut self, options: SshdBuilder) -> Self {
        self.jump = options;
        self
    }

    /// Whether to start the jump host's own sshd (default: yes).
    pub fn jump_sshd(mut self, start: bool) -> Self {
        self.jump_sshd = start;
        self
    }

    /// Builds the topology and starts its servers.
    pub fn build(self) -> Result<Topology> {
        crate::ensure_root()?;
        sshd::ensure_openssh()?;
        stale::clean_stale_once();
        let chosen_by = if self.kind.is_some() {
            "the test"
        } else {
            KIND_ENV
        };
        let (kind, fallback_reason) = match self.kind.or(TopologyKind::from_env()?) {
            Some(TopologyKind::Netns) => {
                if let Some(why) = netns_unavailable_reason() {
                    bail!(
                        "{chosen_by} asked for network namespaces, which do not work here: {why}"
                    );
                }
                (TopologyKind::Netns, None)
            }
            Some(TopologyKind::Loopback) => (
                TopologyKind::Loopback,
                Some(format!("chosen by {chosen_by}")),
            ),
            None => match netns_unavailable_reason() {
                None => (TopologyKind::Netns, None),
                Some(why) => (
                    TopologyKind::Loopback,
                    Some(format!("network namespaces unavailable: {why}")),
                ),
            },
        };
        let (pid, n) = global::unique_id();
        let uts = kind == TopologyKind::Netns || uts_namespaces_work();
        let (target_hostname, jump_hostname) = if uts {
            (format!("target-{pid}-{n}"), format!("jump-{pid}-{n}"))
        } else {
            let machine = nix::unistd::gethostname()?.to_string_lossy().into_owned();
            (machine.clone(), machine)
        };
        let mut target = self.target.label("target");
        let mut jump = self.jump.label("jump");
        if uts {
            target = target.hostname(&target_hostname);
            jump = jump.hostname(&jump_hostname);
        }

        let topology = match kind {
            TopologyKind::Netns => {
                let net = NetPair::create((pid, n))?;
                let target = target
                    .netns(&net.target_ns)
                    .listen(SocketAddr::new(IpAddr::V4(net.addr(2)), 22))
                    .start()?;
                let jump = self
                    .jump_sshd
                    .then(|| {
                        jump.netns(&net.jump_ns)
                            .listen(SocketAddr::new(IpAddr::V4(net.addr(6)), 22))
                            .start()
                    })
                    .transpose()?;
                let t = Topology {
                    kind,
                    fallback_reason,
                    target,
                    jump,
                    net: Some(net),
                    target_hostname,
                    jump_hostname,
                    uts,
                    link_up: true,
                };
                if !netns::ssh_answers(t.jump_netns(), t.target_addr(), Duration::from_secs(5)) {
                    bail!("the target's sshd does not answer from the jump namespace");
                }
                t
            }
            TopologyKind::Loopback => {
                let any_port = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
                let target = target.listen(any_port).start()?;
                let jump = self
                    .jump_sshd
                    .then(|| jump.listen(any_port).start())
                    .transpose()?;
                Topology {
                    kind,
                    fallback_reason,
                    target,
                    jump,
                    net: None,
                    target_hostname,
                    jump_hostname,
                    uts,
                    link_up: true,
                }
            }
        };
        crate::note(&topology.describe());
        Ok(topology)
    }
}

/// Whether this process may create UTS namespaces (checked once by starting `true` in one).
fn uts_namespaces_work() -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| {
        let mut cmd = Command::new("true");
        Enter {
            hostname: CString::new("outpost-uts-probe").ok(),
            ..Enter::default()
        }
        .apply(&mut cmd);
        cmd.status().is_ok_and(|s| s.success())
    })
}

/// A "jump" host and a "target" host behind it, each with an OpenSSH server; see the
/// [module documentation](self). Dropping it kills the servers and every session and removes
/// namespaces and links.
///
/// ```no_run
/// use outpost_testkit::{Topology, TestUser, public_key_of};
///
/// let topo = Topology::new().unwrap();
/// let alice = TestUser::create("alice").unwrap();
/// let key = alice.generate_key("id_ed25519", None).unwrap();
/// topo.authorize_key(&alice, &public_key_of(&key).unwrap()).unwrap();
/// alice.write_file(".ssh/known_hosts", topo.known_hosts(), 0o600).unwrap();
/// let out = topo
///     .jump_exec(&alice, "ssh")
///     .args(["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"])
///     .args(topo.target_destination(&alice))
///     .arg("hostname")
///     .output()
///     .unwrap();
/// assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), topo.target_hostname());
/// ```
#[derive(Debug)]
pub struct Topology {
    kind: TopologyKind,
    fallback_reason: Option<String>,
    // Declaration order is drop order: servers (and their sessions) before the network.
    target: Sshd,
    jump: Option<Sshd>,
    net: Option<NetPair>,
    target_hostname: String,
    jump_hostname: String,
    uts: bool,
    link_up: bool,
}

impl Topology {
    /// A topology with every default: see [`TopologyBuilder`].
    pub fn new() -> Result<Topology> {
        Topology::builder().build()
    }

    /// Options for a topology.
    pub fn builder() -> TopologyBuilder {
        TopologyBuilder::default()
    }

    /// Which implementation runs.
    pub fn kind(&self) -> TopologyKind {
        self.kind
    }

    /// Why this is a loopback topology (forced, or what failed with namespaces); `None` for netns.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.fallback_reason.as_deref()
    }

    /// The target's SSH address, as seen from the jump host.
    pub fn target_addr(&self) -> SocketAddr {
        self.target.addr()
    }

    /// The host name `hostname` prints on the target (distinct from the machine's when
    /// [`Topology::has_own_hostnames`]).
    pub fn target_hostname(&self) -> &str {
        &self.target_hostname
    }

    /// The host name of the jump sshd's sessions and of [`Topology::jump_exec`] commands.
    pub fn jump_hostname(&self) -> &str {
        &self.jump_hostname
    }

    /// True when target and jump have host names of their own (UTS namespaces); false only in a
    /// loopback topology on a machine that forbids UTS namespaces.
    pub fn has_own_hostnames(&self) -> bool {
        self.uts
    }

    /// The target's sshd (host key, log, authorized keys).
    pub fn target(&self) -> &Sshd {
        &self.target
    }

    /// The target's sshd, mutable (e.g. [`Sshd::regenerate_host_key`]).
    pub fn target_mut(&mut self) -> &mut Sshd {
        &mut self.target
    }

    /// The jump host's sshd, when started ([`TopologyBuilder::jump_sshd`]).
    pub fn jump(&self) -> Option<&Sshd> {
        self.jump.as_ref()
    }

    /// The jump sshd's address as reachable from the test's own namespace (the desktop's view).
    pub fn jump_addr(&self) -> Option<SocketAddr> {
        self.jump.as_ref().map(Sshd::addr)
    }

    /// The jump network namespace's name (netns only).
    pub fn jump_netns(&self) -> Option<&str> {
        self.net.as_ref().map(|n| n.jump_ns.as_str())
    }

    /// The target network namespace's name (netns only).
    pub fn target_netns(&self) -> Option<&str> {
        self.net.as_ref().map(|n| n.target_ns.as_str())
    }

    /// The root namespace's end of the root ↔ jump veth pair (netns only).
    pub fn root_link(&self) -> Option<&str> {
        self.net.as_ref().map(|n| n.root_dev.as_str())
    }

    /// Authorizes `public_key` for `user` on the target and, if started, the jump sshd.
    pub fn authorize_key(&self, user: &TestUser, public_key: &str) -> Result<()> {
        self.target.authorize_key(&user.name, public_key)?;
        if let Some(jump) = &self.jump {
            jump.authorize_key(&user.name, public_key)?;
        }
        Ok(())
    }

    /// `known_hosts` lines trusting the target's (and the jump sshd's) host key under the
    /// addresses `ssh` looks up ([`Sshd::known_hosts_entry`]).
    pub fn known_hosts(&self) -> String {
        let mut s = self.target.known_hosts_entry();
        if let Some(jump) = &self.jump {
            s.push_str(&jump.known_hosts_entry());
        }
        s
    }

    /// `ssh` arguments naming the target as `user`: `["-p", PORT, "USER@ADDRESS"]`.
    pub fn target_destination(&self, user: &TestUser) -> Vec<String> {
        let a = self.target_addr();
        vec![
            "-p".into(),
            a.port().to_string(),
            format!("{}@{}", user.name, a.ip()),
        ]
    }

    /// A `~/.ssh/config` block making `alias` mean the target for `user`, with `identity` as
    /// its key when given.
    pub fn target_ssh_config(
        &self,
        alias: &str,
        user: &TestUser,
        identity: Option<&Path>,
    ) -> String {
        let a = self.target_addr();
        let mut s = format!(
            "Host {alias}\n  HostName {}\n  Port {}\n  User {}\n",
            a.ip(),
            a.port(),
            user.name
        );
        if let Some(key) = identity {
            s.push_str(&format!(
                "  IdentityFile {}\n  IdentitiesOnly yes\n",
                key.display()
            ));
        }
        s
    }

    /// A command running `program` "on the jump host" as `user`: inside the jump network
    /// namespace (netns) with the jump host name when available, with the environment and
    /// identity of [`TestUser::command`].
    ///
    /// # Panics
    /// When the jump namespace cannot be opened (it exists as long as `self`).
    pub fn jump_exec(&self, user: &TestUser, program: impl AsRef<OsStr>) -> Command {
        self.exec_in(self.jump_netns(), &self.jump_hostname, user, program)
    }

    /// A command running `program` "on the target" as `user` (without ssh): inside the target
    /// network namespace (netns) with the target host name when available, otherwise like
    /// [`Topology::jump_exec`].
    ///
    /// # Panics
    /// When the target namespace cannot be opened (it exists as long as `self`).
    pub fn target_exec(&self, user: &TestUser, program: impl AsRef<OsStr>) -> Command {
        self.exec_in(self.target_netns(), &self.target_hostname, user, program)
    }

    fn exec_in(
        &self,
        ns: Option<&str>,
        hostname: &str,
        user: &TestUser,
        program: impl AsRef<OsStr>,
    ) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear().envs(user.env()).current_dir(&user.home);
        let netns = ns.map(|ns| {
            Enter::netns(ns).unwrap_or_else(|e| panic!("network namespace {ns} is gone: {e:#}"))
        });
        let hostname = self.uts.then(|| {
            CString::new(hostname).unwrap_or_else(|e| panic!("bad host name {hostname:?}: {e}"))
        });
        Enter {
            netns,
            hostname,
            subreaper: false,
            identity: Some(user.identity()),
        }
        .apply(&mut cmd);
        cmd
    }

    /// True when an SSH server answers at `addr` from the jump host, within `timeout`.
    pub fn jump_reaches(&self, addr: SocketAddr, timeout: Duration) -> bool {
        netns::ssh_answers(self.jump_netns(), addr, timeout)
    }

    /// Cuts the jump ↔ target link: netns sets the jump-side veth down; loopback freezes the
    /// target sshd and its sessions (`SIGSTOP`). Open connections go silent, so `ssh` with
    /// `ServerAliveInterval` gives up with exit code 255.
    pub fn cut_link(&mut self) -> Result<()> {
        match &self.net {
            Some(net) => net.set_target_link(false)?,
            None => self.target.suspend(),
        }
        self.link_up = false;
        Ok(())
    }

    /// Restores the link cut by [`Topology::cut_link`] and waits until the target's sshd answers
    /// from the jump host again.
    pub fn restore_link(&mut self) -> Result<()> {
        match &self.net {
            Some(net) => net.set_target_link(true)?,
            None => self.target.resume(),
        }
        self.link_up = true;
        let addr = self.target_addr();
        let back = process::wait_for(RESTORE_TIMEOUT, || {
            self.jump_reaches(addr, Duration::from_millis(500))
                .then_some(())
        });
        back.with_context(|| {
            format!("the target did not answer within {RESTORE_TIMEOUT:?} after the link came back")
        })
    }

    /// Cuts the link between the test (the desktop) and the jump host, the one that
    /// [`Topology::cut_link`] leaves alone: netns sets the root-namespace end of the root ↔ jump
    /// veth ([`Topology::root_link`]) down, so packets to the jump host go nowhere and new
    /// connections fail at once ("no route"); loopback freezes the jump sshd and everything
    /// below it (`SIGSTOP`, sessions and the daemons they started included). Open connections
    /// to the jump host go silent; the jump ↔ target link stays up.
    ///
    /// ```no_run
    /// # use outpost_testkit::Topology;
    /// let mut topo = Topology::new().unwrap();
    /// topo.cut_root_link().unwrap();
    /// // … the desktop's connection to the jump host notices nothing coming back …
    /// topo.restore_root_link().unwrap();
    /// ```
    pub fn cut_root_link(&mut self) -> Result<()> {
        match &self.net {
            Some(net) => net.set_root_link(false)?,
            None => {
                if let Some(jump) = self.jump.as_mut() {
                    jump.suspend();
                }
            }
        }
        Ok(())
    }

    /// Restores the link cut by [`Topology::cut_root_link`] and, when the jump sshd runs, waits
    /// until it answers from the test's namespace again.
    pub fn restore_root_link(&mut self) -> Result<()> {
        match &self.net {
            Some(net) => net.set_root_link(true)?,
            None => {
                if let Some(jump) = self.jump.as_mut() {
                    jump.resume();
                }
            }
        }
        let Some(addr) = self.jump_addr() else {
            return Ok(());
        };
        let back = process::wait_for(RESTORE_TIMEOUT, || {
            netns::ssh_answers(None, addr, Duration::from_millis(500)).then_some(())
        });
        back.with_context(|| {
            format!(
                "the jump host did not answer within {RESTORE_TIMEOUT:?} after the link came back"
            )
        })
    }

    /// False between [`Topology::cut_link`] and [`Topology::restore_link`].
    pub fn link_is_up(&self) -> bool {
        self.link_up
    }

    fn describe(&self) -> String {
        let mut s = format!(
            "topology={} target={} ({}{})",
            self.kind,
            self.target_addr(),
            self.target_hostname,
            self.target_netns()
                .map(|n| format!(", netns {n}"))
                .unwrap_or_default(),
        );
        if let Some(j) = self.jump_addr() {
            s.push_str(&format!(" jump={j} ({})", self.jump_hostname));
        } else if let Some(ns) = self.jump_netns() {
            s.push_str(&format!(" jump=netns {ns}"));
        }
        if let Some(why) = &self.fallback_reason {
            s.push_str(&format!(" [loopback: {why}]"));
        }
        s
    }
}
