//! The desktop side of a forward: its listening socket ([`bind`]: "port in use" told apart) and
//! the accept loop ([`serve`]), which hands each connection to the host connection current at
//! that moment — waiting a little for one while the host is reconnecting — as a `-L` relay, a
//! `direct-streamlocal` channel to an agent-owned forward's socket, or a SOCKS5 conversation.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::error::ForwardError;
use super::relay;
use super::socks;
use super::spec::ForwardSpec;
use super::stats::ForwardStats;
use crate::engine::ssh::SshSession;

/// How long a connection accepted while the host is down waits for it to come back.
pub const WAIT_FOR_LINK: Duration = Duration::from_secs(15);

/// The host connection as forwards see it: the current one, or `None` while reconnecting.
pub type SessionWatch = watch::Receiver<Option<Arc<SshSession>>>;

/// One forward whose socket is bound.
pub struct Bound {
    /// The forward, with the port actually bound (a port-0 spec gets its real port).
    pub spec: ForwardSpec,
    /// The address it listens on.
    pub local: SocketAddr,
    /// Its counters.
    pub stats: Arc<ForwardStats>,
    /// For an agent-owned `-L` forward: the socket on the host that the agent keeps (set once
    /// `forward.open` answered); connections then go there instead of to the destination.
    pub agent_socket: Option<String>,
    listener: TcpListener,
}

/// Binds `spec`'s listening socket (a `-L` or `-D` spec; a `-R` one listens on the host, see
/// [`remote::bind`](super::remote::bind)).
pub async fn bind(spec: &ForwardSpec) -> Result<Bound, ForwardError> {
    if spec.is_remote() {
        return Err(ForwardError::Invalid {
            spec: spec.id(),
            reason: "a remote (-R) forward listens on the host, not on this computer".into(),
        });
    }
    let (addr, port) = spec.listen();
    let ip: IpAddr = match addr {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        a => a.parse().map_err(|_| ForwardError::Invalid {
            spec: spec.id(),
            reason: "the bind address is not an IP address".into(),
        })?,
    };
    let wanted = SocketAddr::new(ip, port);
    let listener = TcpListener::bind(wanted).await.map_err(|source| {
        let addr = wanted.to_string();
        if source.kind() == std::io::ErrorKind::AddrInUse {
            ForwardError::PortInUse { addr }
        } else {
            ForwardError::Bind { addr, source }
        }
    })?;
    let local = listener.local_addr().map_err(|source| ForwardError::Bind {
        addr: wanted.to_string(),
        source,
    })?;
    Ok(Bound {
        spec: spec.with_port(local.port()),
        local,
        stats: Arc::default(),
        agent_socket: None,
        listener,
    })
}

/// Accepts connections for `bound` until the task is dropped; `host` names the host in logs
/// and errors.
pub async fn serve(bound: Bound, host: String, sessions: SessionWatch) {
    let Bound {
        spec,
        stats,
        listener,
        agent_socket,
        ..
    } = bound;
    let spec = Arc::new(spec);
    let agent_socket: Option<Arc<str>> = agent_socket.map(Into::into);
    let host: Arc<str> = host.into();
    loop {
        let (conn, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors and the like: wait instead of spinning.
                tracing::warn!(forward = %spec.id(), "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = conn.set_nodelay(true);
        let (spec, stats, host, sessions, socket) = (
            spec.clone(),
            stats.clone(),
            host.clone(),
            sessions.clone(),
            agent_socket.clone(),
        );
        tokio::spawn(async move {
            let _open = stats.opened();
            let Some(session) = current(sessions).await else {
                tracing::info!(forward = %spec.id(), "connection from {peer} dropped: {host} is not connected");
                stats.failed();
                return;
            };
            carry(
                &spec,
                socket.as_deref(),
                conn,
                peer,
                &session,
                &host,
                &stats,
            )
            .await;
        });
    }
}

/// The current host connection, waiting up to [`WAIT_FOR_LINK`] for one.
async fn current(mut sessions: SessionWatch) -> Option<Arc<SshSession>> {
    let wait = sessions.wait_for(|s| s.as_ref().is_some_and(|s| !s.is_closed()));
    match tokio::time::timeout(WAIT_FOR_LINK, wait).await {
        Ok(Ok(s)) => s.clone(),
        _ => None,
    }
}

/// Carries one accepted connection to its destination.
async fn carry(
    spec: &ForwardSpec,
    agent_socket: Option<&str>,
    conn: TcpStream,
    peer: SocketAddr,
    session: &SshSession,
    host: &str,
    stats: &ForwardStats,
) {
    let dest = match (spec, agent_socket) {
        (ForwardSpec::Local { .. }, Some(socket)) => {
            relay::open_streamlocal(session, host, socket).await
        }
        (
            ForwardSpec::Local {
                dest_host,
                dest_port,
                ..
            },
            None,
        ) => relay::open_tcp(session, host, dest_host, *dest_port, peer).await,
        (ForwardSpec::Dynamic { .. }, _) => {
            return socks::serve(conn, peer, session, host, stats).await
        }
        // `bind` refuses these: a `-R` forward listens on the host (see `remote`).
        (ForwardSpec::Remote { .. }, _) => return stats.failed(),
    };
    match dest {
        Ok(dest) => relay::pump(conn, dest, stats).await,
        Err(e) => {
            tracing::info!(forward = %spec.id(), "{e}");
            stats.failed();
        }
    }
}
