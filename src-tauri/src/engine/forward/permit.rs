//! Which `forwarded-tcpip` channels a connection accepts: only those for a `-R` forward this
//! process asked the server for. Each SSH connection keeps one [`RemotePermits`] (in its
//! `HopState`); a `-R` forward [`register`](RemotePermits::register)s the address and port it
//! asks the server to listen on *before* asking, and the SSH handler
//! ([`answer`]) hands each channel whose connected address and port match to that forward's
//! queue, and refuses every other one — russh's default handler would accept them all.
//!
//! Matching follows what `sshd` sends: the address exactly as the client asked for it (the
//! empty string for "every address") and the port actually bound. For a port-0 request the bound
//! port is known only once the reply arrives, and a connection can overtake the reply on its way
//! to the forward's task; such a channel goes to the one port-0 request still waiting for its
//! reply on that address, when there is exactly one.

use std::sync::Mutex;

use russh::client::{ChannelOpenHandle, Msg};
use russh::{Channel, ChannelOpenFailure};
use tokio::sync::mpsc;

/// The most `-R` forwards one connection holds.
pub const MAX_PER_CONNECTION: usize = 64;
/// The most connections waiting for their forward's task to take them; more are refused.
pub const QUEUE: usize = 64;

/// One channel the server opened for a registered forward, not answered yet: the forward
/// accepts it once its destination answers, or rejects it.
pub struct Incoming {
    /// The channel.
    pub channel: Channel<Msg>,
    /// The answer to give (dropping it rejects the channel).
    pub reply: ChannelOpenHandle,
    /// Who connected to the jump host's port, `address:port` as the server says.
    pub origin: String,
}

/// A registration's handle, to set its bound port and to remove it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PermitKey(u64);

struct Entry {
    key: PermitKey,
    address: String,
    requested: u16,
    bound: Option<u16>,
    queue: mpsc::Sender<Incoming>,
}

/// The `-R` forwards one connection asked for. Small: at most [`MAX_PER_CONNECTION`].
#[derive(Default)]
pub struct RemotePermits {
    entries: Mutex<(u64, Vec<Entry>)>,
}

impl std::fmt::Debug for RemotePermits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.entries.lock().map_or(0, |e| e.1.len());
        write!(f, "RemotePermits({n} forwards)")
    }
}

impl RemotePermits {
    /// Permits channels for `address:port` (`address` exactly as sent to the server, `port` 0
    /// for "the server picks"), queued on `queue`. Fails when the connection holds
    /// [`MAX_PER_CONNECTION`] already.
    pub fn register(
        &self,
        address: &str,
        port: u16,
        queue: mpsc::Sender<Incoming>,
    ) -> Option<PermitKey> {
        let mut g = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if g.1.len() >= MAX_PER_CONNECTION {
            return None;
        }
        g.0 += 1;
        let key = PermitKey(g.0);
        g.1.push(Entry {
            key,
            address: address.to_string(),
            requested: port,
            bound: (port != 0).then_some(port),
            queue,
        });
        Some(key)
    }

    /// Records the port the server bound for `key` (its reply to a port-0 request).
    pub fn set_bound(&self, key: PermitKey, port: u16) {
        let mut g = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = g.1.iter_mut().find(|e| e.key == key) {
            e.bound = Some(port);
        }
    }

    /// Withdraws `key`: later channels for it are refused.
    pub fn remove(&self, key: PermitKey) {
        let mut g = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        g.1.retain(|e| e.key != key);
    }

    /// The queue of the forward listening on `address:port`, if this connection asked for one.
    pub fn route(&self, address: &str, port: u32) -> Option<mpsc::Sender<Incoming>> {
        let g = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let port = u16::try_from(port).ok()?;
        let same = |e: &&Entry| e.address == address;
        if let Some(e) = g.1.iter().filter(same).find(|e| e.bound == Some(port)) {
            return Some(e.queue.clone());
        }
        let mut waiting =
            g.1.iter()
                .filter(same)
                .filter(|e| e.requested == 0 && e.bound.is_none());
        match (waiting.next(), waiting.next()) {
            (Some(e), None) if port != 0 => Some(e.queue.clone()),
            _ => None,
        }
    }
}

/// Answers one `forwarded-tcpip` channel that `host`'s server opened for a connection to its
/// `connected_address:connected_port` from `origin`: queued for the forward that asked for it,
/// refused (administratively prohibited) when none did, or (resource shortage) when its queue
/// is full. Never waits.
pub async fn answer(
    permits: &RemotePermits,
    channel: Channel<Msg>,
    reply: ChannelOpenHandle,
    connected: (&str, u32),
    origin: (&str, u32),
    host: &str,
) {
    let (address, port) = connected;
    let Some(queue) = permits.route(address, port) else {
        tracing::warn!(%host, address, port, "refused a forwarded-tcpip channel for a port this connection did not ask to forward");
        reply
            .reject(ChannelOpenFailure::AdministrativelyProhibited)
            .await;
        return;
    };
    let incoming = Incoming {
        channel,
        reply,
        origin: format!("{}:{}", origin.0, origin.1),
    };
    if let Err(e) = queue.try_send(incoming) {
        tracing::warn!(%host, address, port, "refused a forwarded-tcpip channel: its forward has {QUEUE} connections waiting, or ended");
        e.into_inner()
            .reply
            .reject(ChannelOpenFailure::ResourceShortage)
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue() -> mpsc::Sender<Incoming> {
        mpsc::channel(1).0
    }

    #[test]
    fn only_requested_address_and_port_are_routed() {
        let p = RemotePermits::default();
        let k = p.register("localhost", 8080, queue()).unwrap();
        assert!(p.route("localhost", 8080).is_some());
        // Another port, another address spelling, a port beyond u16: refused.
        assert!(p.route("localhost", 8081).is_none());
        assert!(p.route("127.0.0.1", 8080).is_none());
        assert!(p.route("", 8080).is_none());
        assert!(p.route("localhost", 65536 + 8080).is_none());
        p.remove(k);
        assert!(p.route("localhost", 8080).is_none());
    }

    #[test]
    fn a_port_zero_request_gets_its_bound_port() {
        let p = RemotePermits::default();
        let k = p.register("localhost", 0, queue()).unwrap();
        // Before the reply: the one waiting request on that address takes it; never port 0.
        assert!(p.route("localhost", 41000).is_some());
        assert!(p.route("localhost", 0).is_none());
        assert!(p.route("", 41000).is_none());
        p.set_bound(k, 41000);
        assert!(p.route("localhost", 41000).is_some());
        assert!(p.route("localhost", 41001).is_none());
        // Two requests waiting on one address: a channel cannot be told apart, so refused.
        let a = p.register("*", 0, queue()).unwrap();
        let _b = p.register("*", 0, queue()).unwrap();
        assert!(p.route("*", 42000).is_none());
        p.set_bound(a, 42000);
        assert!(p.route("*", 42000).is_some());
    }

    #[test]
    fn bounded() {
        let p = RemotePermits::default();
        for port in 1..=MAX_PER_CONNECTION as u16 {
            assert!(p.register("localhost", port, queue()).is_some());
        }
        assert!(p.register("localhost", 9999, queue()).is_none());
    }
}
