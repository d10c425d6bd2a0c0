//! [`ForwardError`]: why a forward could not be set up or could not reach its destination, each
//! with a stable code for `--json` and the window.

/// Why a forward failed.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// The forward's spelling or fields are wrong.
    #[error("invalid forward {spec:?}: {reason}")]
    Invalid {
        /// What was given (at most 300 characters).
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Another program listens on the address already.
    #[error("cannot listen on {addr}: the port is already in use")]
    PortInUse {
        /// `address:port`.
        addr: String,
    },
    /// Listening failed otherwise (no such local address, a privileged port, …).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// `address:port`.
        addr: String,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The jump host could not connect to the destination (refused, no route, name unknown).
    #[error("{dest} is unreachable from {host}: {reason}")]
    Unreachable {
        /// `host:port` of the destination.
        dest: String,
        /// The host that tried.
        host: String,
        /// What the host said.
        reason: String,
    },
    /// The jump host refused to listen for a `-R` forward: the port is in use there, it is a
    /// privileged port, or `sshd` does not permit it (`AllowTcpForwarding`, `PermitListen`).
    /// SSH's reply carries no reason, so the message names the likely ones.
    #[error(
        "{host} refused to listen on {addr} for a remote forward: the port is in use there, \
         privileged (below 1024), or not permitted by its sshd (AllowTcpForwarding, PermitListen)"
    )]
    RemoteRefused {
        /// `address:port` as asked of the jump host.
        addr: String,
        /// The jump host.
        host: String,
    },
    /// The saved forwards file could not be read or written.
    #[error("{0}")]
    Store(String),
}

impl ForwardError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ForwardError::Invalid { .. } => "forward_invalid",
            ForwardError::PortInUse { .. } => "port_in_use",
            ForwardError::Bind { .. } => "forward_bind",
            ForwardError::Unreachable { .. } => "unreachable",
            ForwardError::RemoteRefused { .. } => "remote_refused",
            ForwardError::Store(_) => "config",
        }
    }
}
