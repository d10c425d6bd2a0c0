//! Following a session (or any feed) across lost connections: one pure cursor, one backoff, one
//! loop.
//!
//! - [`Cursor`] is pure offset accounting: given what the agent replays from and the chunks that
//!   arrive, it says which bytes are new, which were already delivered (dropped) and which were
//!   lost (a gap). Property tests hold it to "every offset is delivered once or reported lost,
//!   never both, in order".
//! - [`Backoff`] is the wait between attempts: 0.5 s doubling to 15 s, reset by a success.
//! - [`follow`] is the loop: get a connection from a [`Link`] (a fresh one per attempt for the
//!   CLI, the window's shared one for tabs and monitoring), run one connection's worth of a
//!   [`Follower`], and on a lost link report it, wait and go again. The CLI's `attach`, the
//!   window's tabs and its monitoring feeds are the three followers.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::agent::connect::Connection;
use crate::engine::agent::rpc_client::{RpcClient, RpcError};
use crate::engine::live::connections::Connections;
use crate::engine::store::hosts::Host;
use crate::engine::{EngineContext, EngineError};

/// The first wait before reconnecting.
pub const BACKOFF_START: Duration = Duration::from_millis(500);
/// The longest wait between attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(15);

/// Where the next byte of a session's stream stands, and what an arriving chunk means for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    next: Option<u64>,
}

/// What to do with a chunk of output at some offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// Bytes lost before this chunk: `from..to`, never to arrive.
    pub gap: Option<(u64, u64)>,
    /// How many leading bytes of the chunk were delivered before (drop them).
    pub skip: usize,
    /// The offset of the first new byte.
    pub from: u64,
}

impl Cursor {
    /// A cursor that wants everything from `from` on (`None`: whatever the agent holds).
    pub fn new(from: Option<u64>) -> Cursor {
        Cursor { next: from }
    }

    /// The offset of the next byte wanted (`None` before anything was attached or received).
    pub fn next(&self) -> Option<u64> {
        self.next
    }

    /// The agent will replay from `replay_from`: returns the gap when it no longer holds bytes
    /// this cursor still wants. Bytes before the cursor that the replay repeats are dropped by
    /// [`accept`](Self::accept) (a shared attachment may replay from earlier for another view).
    pub fn attached(&mut self, replay_from: u64) -> Option<(u64, u64)> {
        match self.next {
            Some(want) if replay_from > want => {
                self.next = Some(replay_from);
                Some((want, replay_from))
            }
            Some(_) => None,
            None => {
                self.next = Some(replay_from);
                None
            }
        }
    }

    /// Accounts for `len` bytes at `offset`: `None` when every one was delivered before.
    pub fn accept(&mut self, offset: u64, len: usize) -> Option<Accepted> {
        let end = offset.saturating_add(len as u64);
        let expected = self.next.unwrap_or(offset);
        if end <= expected && len > 0 || len == 0 {
            return None;
        }
        let gap = (offset > expected).then_some((expected, offset));
        let skip = expected.saturating_sub(offset) as usize;
        self.next = Some(end);
        Some(Accepted {
            gap,
            skip,
            from: offset.max(expected),
        })
    }
}

/// The wait between reconnect attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    attempt: u32,
    delay: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            attempt: 0,
            delay: BACKOFF_START,
        }
    }
}

impl Backoff {
    /// The next attempt's number (from 1) and the wait before it; each call doubles the wait up
    /// to [`BACKOFF_MAX`].
    pub fn next_wait(&mut self) -> (u32, Duration) {
        self.attempt += 1;
        let wait = self.delay;
        self.delay = (self.delay * 2).min(BACKOFF_MAX);
        (self.attempt, wait)
    }

    /// A connection worked: start over.
    pub fn reset(&mut self) {
        *self = Backoff::default();
    }
}

/// Where a follower's connections come from.
pub trait Link: Send {
    /// A connection to use now: the current one while it is alive, else a new one.
    fn rpc(&mut self) -> impl Future<Output = Result<RpcClient, EngineError>> + Send;
}

/// A fresh connection per attempt, owned by the follower (the CLI's `attach`).
pub struct OwnLink<'a> {
    host: &'a Host,
    ctx: &'a EngineContext,
    conn: Option<Connection>,
}

impl<'a> OwnLink<'a> {
    /// A link to `host` that has not connected yet.
    pub fn new(host: &'a Host, ctx: &'a EngineContext) -> Self {
        OwnLink {
            host,
            ctx,
            conn: None,
        }
    }

    /// Closes the connection, if any.
    pub async fn close(&mut self) {
        if let Some(conn) = self.conn.take() {
            conn.close().await;
        }
    }
}

impl Link for OwnLink<'_> {
    async fn rpc(&mut self) -> Result<RpcClient, EngineError> {
        if let Some(conn) = &self.conn {
            if !conn.rpc.is_closed() {
                return Ok(conn.rpc.clone());
            }
        }
        self.close().await;
        let conn = Connection::open(self.host, self.ctx).await?;
        let rpc = conn.rpc.clone();
        self.conn = Some(conn);
        Ok(rpc)
    }
}

/// The window's shared connection to a host.
pub struct SharedLink {
    hub: Arc<Connections>,
    host: String,
}

impl SharedLink {
    /// The shared connection to `host` through `hub`.
    pub fn new(hub: Arc<Connections>, host: String) -> Self {
        SharedLink { hub, host }
    }
}

impl Link for SharedLink {
    async fn rpc(&mut self) -> Result<RpcClient, EngineError> {
        self.hub.rpc(&self.host).await
    }
}

/// How one connection's worth of following ended.
#[derive(Debug)]
pub enum Step<T> {
    /// Finished (detached, exited, closed): stop with this.
    Done(T),
    /// The connection was lost: reconnect.
    Lost(String),
}

/// One view that follows something over a connection.
pub trait Follower: Send {
    /// What following ends with.
    type End: Send;

    /// Follows over `rpc` until done or the connection is lost. Errors that
    /// [`is_permanent`](EngineError::is_permanent) end the loop, and so does an agent that broke
    /// the protocol ([`RpcError::BadResult`]: the same agent would do it again); others
    /// reconnect.
    fn run(
        &mut self,
        rpc: &RpcClient,
    ) -> impl Future<Output = Result<Step<Self::End>, EngineError>> + Send;

    /// The link is down; the next attempt is `attempt`, after `retry_in`.
    fn reconnecting(&mut self, attempt: u32, retry_in: Duration, reason: &str);

    /// Waits `d` before the next attempt, still taking what the user does meanwhile; `Some` ends
    /// the loop (the user detached).
    fn wait(&mut self, d: Duration) -> impl Future<Output = Option<Self::End>> + Send;
}

/// Whether the agent broke the protocol (reconnecting to it would not help).
fn broke_protocol(e: &EngineError) -> bool {
    matches!(e, EngineError::Rpc(RpcError::BadResult { .. }))
}

/// Follows until the follower is done or a permanent error.
pub async fn follow<L: Link, F: Follower>(
    link: &mut L,
    follower: &mut F,
) -> Result<F::End, EngineError> {
    let mut backoff = Backoff::default();
    loop {
        let reason = match link.rpc().await {
            Ok(rpc) => match follower.run(&rpc).await {
                Ok(Step::Done(end)) => return Ok(end),
                Ok(Step::Lost(reason)) => {
                    backoff.reset();
                    reason
                }
                Err(e) if e.is_permanent() || broke_protocol(&e) => return Err(e),
                Err(e) if e.is_lost_link() => {
                    backoff.reset();
                    "the connection was lost".to_string()
                }
                Err(e) => e.to_string(),
            },
            Err(e) if e.is_permanent() => return Err(e),
            Err(e) => e.to_string(),
        };
        let (attempt, wait) = backoff.next_wait();
        follower.reconnecting(attempt, wait, &reason);
        if let Some(end) = follower.wait(wait).await {
            return Ok(end);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn backoff_doubles_to_the_cap_and_resets() {
        let mut b = Backoff::default();
        let waits: Vec<u64> = (0..7).map(|_| b.next_wait().1.as_millis() as u64).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 15000, 15000]);
        b.reset();
        assert_eq!(b.next_wait(), (1, BACKOFF_START));
    }

    #[test]
    fn replays_from_earlier_are_dropped_and_later_ones_are_gaps() {
        let mut c = Cursor::new(Some(10));
        assert_eq!(c.attached(4), None);
        assert_eq!(c.accept(4, 6), None);
        assert_eq!(
            c.accept(8, 4),
            Some(Accepted {
                gap: None,
                skip: 2,
                from: 10
            })
        );
        assert_eq!(c.next(), Some(12));
        assert_eq!(c.attached(20), Some((12, 20)));
        assert_eq!(c.next(), Some(20));
        let mut fresh = Cursor::new(None);
        assert_eq!(fresh.attached(7), None);
        assert_eq!(fresh.next(), Some(7));
    }

    /// A stream of `total` bytes, cut into chunks that arrive with repeats, overlaps and holes
    /// (as replays after reconnects and a ring that dropped bytes make them).
    fn chunks() -> impl Strategy<Value = Vec<(u64, usize)>> {
        prop::collection::vec((0u64..400, 0usize..64), 0..60)
    }

    proptest! {
        #[test]
        fn every_offset_is_delivered_once_or_reported_lost(
            start in prop::option::of(0u64..50),
            replay in 0u64..100,
            arrivals in chunks(),
        ) {
            let mut c = Cursor::new(start);
            // What the view ends up with: each offset delivered, lost, or not yet seen.
            let mut delivered: Vec<u64> = Vec::new();
            let mut lost: Vec<u64> = Vec::new();
            if let Some((from, to)) = c.attached(replay) {
                lost.extend(from..to);
            }
            let first = c.next().unwrap();
            for (offset, len) in arrivals {
                let before = c.next().unwrap();
                match c.accept(offset, len) {
                    None => prop_assert!(len == 0 || offset + len as u64 <= before),
                    Some(a) => {
                        if let Some((from, to)) = a.gap {
                            prop_assert_eq!(from, before);
                            lost.extend(from..to);
                        }
                        prop_assert_eq!(a.from, offset + a.skip as u64);
                        prop_assert_eq!(a.from, before.max(offset));
                        delivered.extend(a.from..offset + len as u64);
                    }
                }
            }
            // In order, no offset twice, delivered and lost disjoint, together contiguous.
            let mut all: Vec<u64> = delivered.iter().chain(lost.iter()).copied().collect();
            all.sort_unstable();
            let n = all.len() as u64;
            all.dedup();
            prop_assert_eq!(all.len() as u64, n, "an offset was delivered or lost twice");
            prop_assert!(delivered.windows(2).all(|w| w[0] < w[1]), "out of order");
            let low = start.map_or(first, |s| s.min(first));
            let want: Vec<u64> = (low..c.next().unwrap()).collect();
            prop_assert_eq!(all, want);
        }
    }
}
