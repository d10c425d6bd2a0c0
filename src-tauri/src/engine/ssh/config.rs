//! [`SshTarget`]: where to connect and with what, including the ProxyJump chain or the
//! ProxyCommand, the ssh-agent to ask, how unknown host keys are treated and which known-hosts
//! files to read, plus the connection tunables (keepalives).

use std::path::PathBuf;
use std::time::Duration;

/// How often a keepalive is sent when the server has been silent: every 3 s.
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(3);

/// Unanswered keepalives tolerated before the connection is declared dead. russh gives up on
/// the keepalive *after* this many, so the link is declared dead `KEEPALIVE_INTERVAL ×
/// (KEEPALIVE_MAX + 1)` = 9 s after the server's last packet, within the 10 s Outpost promises.
pub const KEEPALIVE_MAX: usize = 2;

/// The default for [`SshTarget::connect_timeout`].
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Key files tried, in this order, when a target names none (`~/.ssh/<name>`).
pub const DEFAULT_IDENTITY_FILES: [&str; 3] = ["id_ed25519", "id_ecdsa", "id_rsa"];

/// What to do with a host key that is not on record (`StrictHostKeyChecking`). A key that
/// *changed* is refused under every policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// Ask the [`Prompter`](super::Prompter) (`ask`, OpenSSH's default).
    #[default]
    Ask,
    /// Refuse it without asking (`yes`).
    Strict,
    /// Trust it and record it in Outpost's own file without asking (`accept-new`; also `no`,
    /// which Outpost does not weaken further). Keys of another type than those on record are
    /// still put to the prompter.
    AcceptNew,
}

impl HostKeyPolicy {
    /// The policy of an `ssh_config` `StrictHostKeyChecking` value (`yes`, `no`, `ask`,
    /// `accept-new`; anything else: ask).
    pub fn from_config(value: &str) -> HostKeyPolicy {
        match value {
            "yes" => HostKeyPolicy::Strict,
            "no" | "accept-new" => HostKeyPolicy::AcceptNew,
            _ => HostKeyPolicy::Ask,
        }
    }
}

/// Which ssh-agent to ask for keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AgentSource {
    /// The agent named by `SSH_AUTH_SOCK` in the process environment, when set.
    #[default]
    Env,
    /// The agent listening on this socket (tests pass one so parallel tests do not share the
    /// process environment).
    Socket(PathBuf),
    /// No agent.
    Disabled,
}

/// One SSH destination and how to reach and authenticate to it.
///
/// ```
/// # use outpost_desktop::engine::ssh::SshTarget;
/// let mut target = SshTarget::new("db.internal", "alice");
/// target.proxy_jump.push(SshTarget::new("bastion.example.com", "alice"));
/// assert_eq!(target.port, 22);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshTarget {
    /// Host name or address, as it is looked up in `known_hosts`; for a hop after a jump host,
    /// the name the *jump host* resolves.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// User name to log in as.
    pub user: String,
    /// Private key files to offer, in order. Empty: the defaults that exist
    /// ([`DEFAULT_IDENTITY_FILES`] in `~/.ssh`), unless [`SshTarget::default_identities`] is
    /// false.
    pub identity_files: Vec<PathBuf>,
    /// User certificate files (`CertificateFile`), each offered with the key it certifies (from
    /// a key file or the agent); `<key>-cert.pub` beside each identity file is offered too,
    /// without being listed here.
    pub certificate_files: Vec<PathBuf>,
    /// Jump hosts, in order: the first is reached directly, each next one through the one
    /// before, and this target through the last. A hop's own `proxy_jump` is followed too.
    pub proxy_jump: Vec<SshTarget>,
    /// Limit for reaching the server and authenticating (per hop); time spent waiting for the
    /// user at a prompt does not count.
    pub connect_timeout: Duration,
    /// Which ssh-agent to ask for keys first.
    pub agent: AgentSource,
    /// Whether to try the default key files when `identity_files` is empty (like OpenSSH);
    /// tests turn it off so keys of the user running them are never offered.
    pub default_identities: bool,
    /// A command whose stdin and stdout carry the connection instead of TCP (`ProxyCommand`,
    /// tokens already expanded), run as `sh -c COMMAND`. Only for a hop reached directly.
    pub proxy_command: Option<String>,
    /// Keepalive interval (`ServerAliveInterval`); `None`: [`KEEPALIVE_INTERVAL`].
    pub keepalive: Option<Duration>,
    /// What to do with an unknown host key.
    pub host_key_policy: HostKeyPolicy,
    /// Known-hosts files to read instead of the context's user file (`UserKnownHostsFile`);
    /// empty: the context's. Outpost's own file is always read (and written).
    pub known_hosts_files: Vec<PathBuf>,
}

impl SshTarget {
    /// `user@host` on port 22 with every other option at its default.
    pub fn new(host: impl Into<String>, user: impl Into<String>) -> Self {
        SshTarget {
            host: host.into(),
            user: user.into(),
            ..SshTarget::default()
        }
    }

    /// `user@host` for ports 22, `user@host:port` otherwise (for messages and logs).
    pub fn display_name(&self) -> String {
        if self.port == 22 {
            format!("{}@{}", self.user, self.host)
        } else {
            format!("{}@{}:{}", self.user, self.host, self.port)
        }
    }

    /// Every hop to connect through, in order, ending with `self` (nested `proxy_jump` lists
    /// flattened depth-first).
    pub fn hops(&self) -> Vec<&SshTarget> {
        let mut out = Vec::new();
        for jump in &self.proxy_jump {
            out.extend(jump.hops());
        }
        out.push(self);
        out
    }
}

impl Default for SshTarget {
    /// An empty host, port 22, the current user ([`current_user`]), default keys, no
    /// certificate files, the environment's agent, [`DEFAULT_CONNECT_TIMEOUT`], no proxy
    /// command, Outpost's keepalives, asking about unknown host keys, the context's
    /// known-hosts files.
    fn default() -> Self {
        SshTarget {
            host: String::new(),
            port: 22,
            user: current_user().unwrap_or_default(),
            identity_files: Vec::new(),
            certificate_files: Vec::new(),
            proxy_jump: Vec::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            agent: AgentSource::Env,
            default_identities: true,
            proxy_command: None,
            keepalive: None,
            host_key_policy: HostKeyPolicy::Ask,
            known_hosts_files: Vec::new(),
        }
    }
}

/// The name of the user running this process (`$USER`, else the password database).
pub fn current_user() -> Option<String> {
    if let Some(user) = std::env::var("USER").ok().filter(|u| !u.is_empty()) {
        return Some(user);
    }
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
}
