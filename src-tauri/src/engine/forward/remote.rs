//! `-R` forwards: the host (the `sshd` the desktop's connection ends at) listens on a port and
//! each connection there comes back to the desktop as a `forwarded-tcpip` channel, which the
//! desktop carries to its destination — `ssh -R [bind:]PORT:DEST:DPORT`.
//!
//! [`bind`] registers the forward in the connection's
//! [`RemotePermits`](super::permit::RemotePermits) (so the SSH handler accepts its channels and
//! no others) and asks the server to listen (`tcpip-forward`); a refusal is
//! [`ForwardError::RemoteRefused`], and a port-0 request comes back with the port the server
//! picked. [`spawn`] then serves it: each channel is accepted once its destination answers from
//! the desktop (else rejected, counted as failed, the forward stays), bytes are counted in
//! [`ForwardStats`], and after the link is lost and made again the same port is asked for on the
//! new connection. [`RemoteTask::close`] cancels it on the server (`cancel-tcpip-forward`),
//! which frees the port there.
//!
//! ```ignore
//! let spec = ForwardSpec::parse_remote("0:127.0.0.1:3000")?;
//! let bound = remote::bind(&session, "jump", &spec).await?; // bound.spec has the port picked
//! let task = remote::spawn(bound, "jump".into(), sessions); // sessions: a SessionWatch
//! // …
//! task.close().await; // the port on the jump host is free again
//! ```

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::error::ForwardError;
use super::listener::SessionWatch;
use super::permit::{Incoming, PermitKey, RemotePermits, MAX_PER_CONNECTION, QUEUE};
use super::relay;
use super::spec::{ForwardSpec, ALL_ADDRESSES};
use super::stats::ForwardStats;
use crate::engine::ssh::SshSession;

/// How long connecting to a destination from the desktop may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait before asking again when the host refused after a reconnect.
const RETRY_REFUSED: Duration = Duration::from_secs(5);
/// How long cancelling on the server may take when the forward is closed.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(5);

/// A port the host listens on for this forward, on one connection. Dropping it withdraws the
/// permit (later channels for it are refused).
struct Listening {
    permits: Arc<RemotePermits>,
    key: PermitKey,
    /// The address as sent to the server (`""` for every address).
    address: String,
    /// The port the server bound.
    port: u16,
    queue: mpsc::Receiver<Incoming>,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.permits.remove(self.key);
    }
}

impl Listening {
    /// Whether this listens on `session`'s connection.
    fn is_on(&self, session: &SshSession) -> bool {
        session
            .last_hop()
            .is_ok_and(|h| Arc::ptr_eq(&h.state.remote_forwards, &self.permits))
    }
}

/// A `-R` forward the host listens for, not served yet.
pub struct RemoteBound {
    /// The forward, with the port the host bound (a port-0 spec gets the port it picked).
    pub spec: ForwardSpec,
    /// Its counters.
    pub stats: Arc<ForwardStats>,
    listening: Option<Listening>,
}

/// The address `sshd` is asked to listen on: [`ALL_ADDRESSES`] is the empty string, as
/// OpenSSH sends it.
fn wire_address(bind: &str) -> &str {
    if bind == ALL_ADDRESSES {
        ""
    } else {
        bind
    }
}

/// Asks `session`'s host (named `host` in errors) to listen for `spec` (a `-R` spec).
pub async fn bind(
    session: &SshSession,
    host: &str,
    spec: &ForwardSpec,
) -> Result<RemoteBound, ForwardError> {
    let listening = listen(session, host, spec).await?;
    Ok(RemoteBound {
        spec: spec.with_port(listening.port),
        stats: Arc::default(),
        listening: Some(listening),
    })
}

/// Registers `spec` on `session`'s connection and sends `tcpip-forward`.
async fn listen(
    session: &SshSession,
    host: &str,
    spec: &ForwardSpec,
) -> Result<Listening, ForwardError> {
    if !spec.is_remote() {
        return Err(ForwardError::Invalid {
            spec: spec.id(),
            reason: "not a remote (-R) forward".into(),
        });
    }
    let (bind, port) = spec.listen();
    let addr = format!("{bind}:{port}");
    let not_connected = |reason: String| ForwardError::Bind {
        addr: format!("{addr} on {host}"),
        source: std::io::Error::new(std::io::ErrorKind::NotConnected, reason),
    };
    let hop = session
        .last_hop()
        .map_err(|e| not_connected(e.to_string()))?;
    let wire = wire_address(bind);
    let (tx, queue) = mpsc::channel(QUEUE);
    let permits = hop.state.remote_forwards.clone();
    let key = permits
        .register(wire, port, tx)
        .ok_or_else(|| ForwardError::Invalid {
            spec: spec.id(),
            reason: format!("one connection holds at most {MAX_PER_CONNECTION} remote forwards"),
        })?;
    let mut listening = Listening {
        permits,
        key,
        address: wire.to_string(),
        port,
        queue,
    };
    match hop.handle.tcpip_forward(wire, u32::from(port)).await {
        Ok(got) => {
            // The reply carries a port only for a port-0 request (RFC 4254, 7.1).
            let got = u16::try_from(got).unwrap_or(0);
            if port == 0 {
                if got == 0 {
                    return Err(not_connected("the server picked no port".into()));
                }
                listening.port = got;
                listening.permits.set_bound(key, got);
            }
            tracing::info!(%host, forward = %spec.id(), port = listening.port, "the host listens");
            Ok(listening)
        }
        Err(russh::Error::RequestDenied) => Err(ForwardError::RemoteRefused {
            addr,
            host: host.to_string(),
        }),
        Err(e) => Err(not_connected(e.to_string())),
    }
}

/// A served `-R` forward; see [`spawn`].
pub struct RemoteTask {
    stop: Option<oneshot::Sender<()>>,
    join: JoinHandle<()>,
}

impl RemoteTask {
    /// Cancels the forward on the host (its port there is free again) and ends it. Connections
    /// already carried keep going until they end.
    pub async fn close(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(CANCEL_TIMEOUT * 2, &mut self.join)
            .await
            .is_err()
        {
            self.join.abort();
        }
    }
}

/// Serves `bound` through the connection current at each moment (`sessions`, as
/// [`link::keep`](super::link::keep) publishes it) until [`RemoteTask::close`] (or the task
/// is dropped, which closes it too); `host` names the host in logs.
pub fn spawn(bound: RemoteBound, host: String, sessions: SessionWatch) -> RemoteTask {
    let (stop, stopped) = oneshot::channel();
    RemoteTask {
        stop: Some(stop),
        join: tokio::spawn(serve(bound, host, sessions, stopped)),
    }
}

async fn serve(
    bound: RemoteBound,
    host: String,
    mut sessions: SessionWatch,
    mut stop: oneshot::Receiver<()>,
) {
    let RemoteBound {
        spec,
        stats,
        listening,
    } = bound;
    let spec = Arc::new(spec);
    let mut first = listening;
    loop {
        let session = tokio::select! {
            s = live(&mut sessions) => match s {
                Some(s) => s,
                None => return,
            },
            _ = &mut stop => return,
        };
        let listening = match first.take() {
            Some(l) if l.is_on(&session) => l,
            _ => tokio::select! {
                l = listen_again(&session, &host, &spec) => match l {
                    Some(l) => l,
                    None => continue,
                },
                _ = &mut stop => return,
            },
        };
        if serve_on(&session, listening, &spec, &host, &stats, &mut stop).await {
            return;
        }
    }
}

/// The current connection once there is a live one; `None` when the link keeper is gone.
async fn live(sessions: &mut SessionWatch) -> Option<Arc<SshSession>> {
    let s = sessions
        .wait_for(|s| s.as_ref().is_some_and(|s| !s.is_closed()))
        .await
        .ok()?;
    s.clone()
}

/// Asks a new connection to listen again (on the port bound first), retrying while the host
/// refuses; `None` when the connection ends first.
async fn listen_again(session: &SshSession, host: &str, spec: &ForwardSpec) -> Option<Listening> {
    loop {
        match listen(session, host, spec).await {
            Ok(l) => return Some(l),
            Err(e) => tracing::warn!(%host, forward = %spec.id(), "after reconnecting: {e}"),
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY_REFUSED) => {}
            () = session.closed() => return None,
        }
    }
}

/// Carries `listening`'s connections until the connection ends (false) or the forward is
/// closed (true: cancelled on the host).
async fn serve_on(
    session: &SshSession,
    mut listening: Listening,
    spec: &Arc<ForwardSpec>,
    host: &str,
    stats: &Arc<ForwardStats>,
    stop: &mut oneshot::Receiver<()>,
) -> bool {
    loop {
        tokio::select! {
            incoming = listening.queue.recv() => {
                let Some(incoming) = incoming else { return false };
                let (spec, stats) = (spec.clone(), stats.clone());
                tokio::spawn(async move { carry(incoming, &spec, &stats).await });
            }
            () = session.closed() => return false,
            _ = &mut *stop => {
                cancel(session, &listening, host, spec).await;
                return true;
            }
        }
    }
}

/// `cancel-tcpip-forward` for `listening`, so the host frees its port.
async fn cancel(session: &SshSession, listening: &Listening, host: &str, spec: &ForwardSpec) {
    let Ok(hop) = session.last_hop() else { return };
    let asked = hop
        .handle
        .cancel_tcpip_forward(listening.address.clone(), u32::from(listening.port));
    match tokio::time::timeout(CANCEL_TIMEOUT, asked).await {
        Ok(Ok(())) => tracing::info!(%host, forward = %spec.id(), "cancelled on the host"),
        Ok(Err(e)) => tracing::warn!(%host, forward = %spec.id(), "cancelling on the host: {e}"),
        Err(_) => tracing::warn!(%host, forward = %spec.id(), "cancelling on the host timed out"),
    }
}

/// Connects to the destination from the desktop and, when it answers, accepts the channel and
/// copies both ways; otherwise rejects it (`connect failed`) and counts it failed.
async fn carry(incoming: Incoming, spec: &ForwardSpec, stats: &ForwardStats) {
    let _open = stats.opened();
    let ForwardSpec::Remote {
        dest_host,
        dest_port,
        ..
    } = spec
    else {
        return;
    };
    let connect = TcpStream::connect((dest_host.as_str(), *dest_port));
    let reason = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(dest)) => {
            let _ = dest.set_nodelay(true);
            incoming.reply.accept().await;
            relay::pump(incoming.channel.into_stream(), dest, stats).await;
            return;
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {CONNECT_TIMEOUT:?}"),
    };
    tracing::info!(forward = %spec.id(), origin = %incoming.origin, "{dest_host}:{dest_port} is unreachable from this computer: {reason}");
    stats.failed();
    incoming
        .reply
        .reject(russh::ChannelOpenFailure::ConnectFailed)
        .await;
}
