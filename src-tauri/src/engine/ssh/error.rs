//! [`SshError`]: everything that can go wrong connecting, authenticating and running commands,
//! each with a stable [`SshError::code`] for JSON output and messages that say what to do.

use std::time::Duration;

use crate::engine::ssh::host_cert::CertificateRejected;
use crate::engine::ssh::known_hosts::{ChangedKey, KnownHostsError, ServerKey};

/// An SSH failure. Messages name the host and, where it helps, what to do next.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    /// The server presented a key other than the one on record for it: possibly an attack,
    /// possibly a reinstalled host. Nothing was sent to the server.
    #[error(
        "the host key of {host} has CHANGED: the server presents {fingerprint}, but the key on \
         record is {expected}. Someone may be intercepting the connection (man-in-the-middle), \
         or the host was reinstalled. Nothing was sent to the server. If you know why the key \
         changed, remove the old entry (`ssh-keygen -R '{host}'`, plus `-f <Outpost config \
         dir>/known_hosts` for Outpost's own file) and connect again to accept the new key",
        host = .0.presented.known_hosts_name,
        fingerprint = .0.presented.fingerprint,
        expected = .0.expected_fingerprints.join(" or ")
    )]
    HostKeyChanged(Box<ChangedKey>),
    /// The server's key is marked `@revoked` in a known-hosts file.
    #[error(
        "the host key of {} ({}) is marked as revoked in a known-hosts file; refusing to connect",
        .0.known_hosts_name,
        .0.fingerprint
    )]
    HostKeyRevoked(ServerKey),
    /// The server presented a host certificate that is not trusted (revoked, expired, for
    /// another name, signed by a CA not trusted for the host, …) and its key is not on record
    /// as a plain key either. Nothing was sent to the server.
    #[error(
        "the host certificate of {} (key {}, signed by CA {}) is not accepted: {}; nothing was \
         sent to the server",
        .0.presented.known_hosts_name,
        .0.presented.fingerprint,
        .0.presented.certificate.as_ref().map_or("?", |c| c.ca_fingerprint.as_str()),
        .0.problem
    )]
    HostCertificate(Box<CertificateRejected>),
    /// The server's key is not on record and the user (or the prompter's policy) declined it.
    #[error(
        "the host key of {} ({}) is not known and was not accepted; nothing was sent to the \
         server (accept it when asked, or pass --accept-new-host-key)",
        .0.known_hosts_name,
        .0.fingerprint
    )]
    HostKeyRejected(ServerKey),
    /// Every authentication method allowed by the server and available to us failed.
    #[error(
        "authentication as {user} on {host} failed (tried: {tried}; the server accepts: {allowed})",
        tried = if tried.is_empty() { "nothing".to_owned() } else { tried.join(", ") },
        allowed = if allowed.is_empty() { "nothing more".to_owned() } else { allowed.join(", ") }
    )]
    AuthFailed {
        /// The host.
        host: String,
        /// The user name sent.
        user: String,
        /// What was tried, in order (`publickey (agent: …)`, `password`, …).
        tried: Vec<String>,
        /// The methods the server still accepted at the end.
        allowed: Vec<String>,
    },
    /// The user cancelled a prompt (a passphrase, password or keyboard-interactive question).
    #[error("connecting to {host} was cancelled at a prompt")]
    Cancelled {
        /// The host.
        host: String,
    },
    /// Nothing listens on the port: the host answered the connection with a reset.
    #[error(
        "{host} refused the connection on port {port}: nothing listens there (is the SSH server \
         running, and is {port} its port?)"
    )]
    Refused {
        /// The host.
        host: String,
        /// The port.
        port: u16,
    },
    /// The host name does not resolve to an address (DNS, `/etc/hosts`).
    #[error("the host name {host} does not resolve to an address: {reason}")]
    NameNotResolved {
        /// The host name.
        host: String,
        /// The resolver's words.
        reason: String,
    },
    /// No connection could be made for another reason: no route to the host or its network, or
    /// a jump host could not reach the next hop.
    #[error("cannot reach {host} port {port}: {reason}")]
    Unreachable {
        /// The host.
        host: String,
        /// The port.
        port: u16,
        /// Why (the system's or the jump host's words).
        reason: String,
    },
    /// Connecting (TCP, key exchange, authentication) took longer than the target's
    /// `connect_timeout`; time spent waiting for the user at a prompt does not count.
    #[error("connecting to {host} port {port} timed out after {after:?} ({stage})")]
    Timeout {
        /// The host.
        host: String,
        /// The port.
        port: u16,
        /// The limit that was exceeded.
        after: Duration,
        /// What was under way: `"connecting"`, `"key exchange and authentication"`.
        stage: &'static str,
    },
    /// The `ProxyCommand` that was to carry the connection could not start, or ended before
    /// the connection was up; what it wrote on stderr (its last 4 KiB) says why.
    #[error(
        "the ProxyCommand for {host} {status} before the SSH connection was up (command: \
         {command}){}",
        if stderr.is_empty() { String::new() } else { format!("; it said: {stderr}") }
    )]
    ProxyCommand {
        /// The host it was to reach.
        host: String,
        /// The command, as run by `sh -c`.
        command: String,
        /// How it ended: `exited with status 1`, `was killed by signal 9`, `could not start: …`.
        status: String,
        /// Its stderr (the last 4 KiB, trimmed).
        stderr: String,
    },
    /// The connection is gone (closed by the server, keepalives unanswered, network error).
    #[error("the SSH connection is closed: {reason}")]
    Disconnected {
        /// What ended it, as far as is known.
        reason: String,
    },
    /// The server refused to open a channel, run a command or start a subsystem.
    #[error("the server refused {what}: {reason}")]
    ChannelRefused {
        /// What was asked (`exec "…"`, `subsystem "sftp"`, …).
        what: String,
        /// The server's reason, when it gave one.
        reason: String,
    },
    /// A known-hosts file could not be read or written.
    #[error(transparent)]
    KnownHosts(#[from] KnownHostsError),
    /// The target is not usable (empty host name or user, …).
    #[error("invalid SSH target: {0}")]
    InvalidTarget(String),
    /// An SSH protocol failure (no common algorithm, bad packet, key exchange failure, …).
    #[error("SSH protocol error: {0}")]
    Protocol(String),
    /// A local I/O error.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl SshError {
    /// A stable, machine-readable code: `host_key_changed`, `host_key_revoked`,
    /// `host_key_rejected`, `host_certificate_*` (by problem: `revoked`, `unknown_ca`,
    /// `expired`, `not_yet_valid`, `wrong_principal`, `invalid`), `auth_failed`, `cancelled`, `connection_refused`,
    /// `name_not_resolved`, `unreachable`, `proxy_command`, `timeout`,
    /// `disconnected`, `channel_refused`, `known_hosts`, `invalid_target`, `protocol`, `io`.
    pub fn code(&self) -> &'static str {
        match self {
            SshError::HostKeyChanged(_) => "host_key_changed",
            SshError::HostKeyRevoked(_) => "host_key_revoked",
            SshError::HostKeyRejected(_) => "host_key_rejected",
            SshError::HostCertificate(r) => r.problem.code(),
            SshError::AuthFailed { .. } => "auth_failed",
            SshError::Cancelled { .. } => "cancelled",
            SshError::Refused { .. } => "connection_refused",
            SshError::NameNotResolved { .. } => "name_not_resolved",
            SshError::Unreachable { .. } => "unreachable",
            SshError::ProxyCommand { .. } => "proxy_command",
            SshError::Timeout { .. } => "timeout",
            SshError::Disconnected { .. } => "disconnected",
            SshError::ChannelRefused { .. } => "channel_refused",
            SshError::KnownHosts(_) => "known_hosts",
            SshError::InvalidTarget(_) => "invalid_target",
            SshError::Protocol(_) => "protocol",
            SshError::Io(_) => "io",
        }
    }

    /// True for failures that may go away by themselves (network trouble, timeouts, lost
    /// connections), so reconnecting with backoff makes sense; false for those that need the
    /// user (host keys, credentials, cancelled prompts, configuration).
    pub fn is_transient(&self) -> bool {
        // A refused port or a name that does not resolve may well come back (a rebooting
        // server, a laptop back on its network).
        matches!(
            self,
            SshError::Refused { .. }
                | SshError::NameNotResolved { .. }
                | SshError::Unreachable { .. }
                | SshError::Timeout { .. }
                | SshError::Disconnected { .. }
                | SshError::Io(_)
        )
    }
}

impl From<russh::Error> for SshError {
    fn from(e: russh::Error) -> Self {
        use russh::Error as E;
        match e {
            E::IO(io) => SshError::Io(io),
            E::KeepaliveTimeout => SshError::Disconnected {
                reason: "the server stopped answering keepalives".into(),
            },
            E::InactivityTimeout => SshError::Disconnected {
                reason: "inactivity timeout".into(),
            },
            E::Disconnect | E::HUP | E::SendError | E::RecvError => SshError::Disconnected {
                reason: e.to_string(),
            },
            E::ConnectionTimeout => SshError::Disconnected {
                reason: "connection timeout".into(),
            },
            other => SshError::Protocol(other.to_string()),
        }
    }
}

// The engine moves errors across tasks and into `anyhow`.
const _: () = {
    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<SshError>();
};
