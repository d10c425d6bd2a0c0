//! Staying attached to a session from a terminal front end (the CLI's `attach`).
//!
//! [`run_attached`] attaches to a session and forwards its output to an [`AttachSink`]. It is a
//! [`Follower`] over its own connection ([`OwnLink`]): when the connection drops it reports
//! `reconnecting`, waits with the shared [`Backoff`](super::follow::Backoff), connects again
//! (re-authenticating with what is in memory) and re-attaches from the offset after the last byte
//! received: nothing is lost and nothing arrives twice. If the agent no longer holds some of the
//! missed bytes, the sink is told of the gap so it can show a marker. Every attach asks for
//! `restore: "auto"`: when bytes are missing the agent sends a screen snapshot, which the sink
//! writes before the output after it, so the terminal shows the program's real screen.

use std::time::Duration;

use outpost_protocol::method;
use outpost_protocol::session::{ExitParams, ResizeParams, Restore};
use tokio::sync::mpsc;

use super::follow::{follow, Cursor, Follower, OwnLink, Step};
use crate::engine::agent::routes::SessionEvent;
use crate::engine::agent::rpc_client::RpcClient;
use crate::engine::store::hosts::Host;
use crate::engine::{EngineContext, EngineError};

/// What the user does while attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputEvent {
    /// Bytes typed.
    Data(Vec<u8>),
    /// The terminal changed size.
    Resize {
        /// Width.
        cols: u16,
        /// Height.
        rows: u16,
    },
    /// Stop watching (the session keeps running).
    Detach,
}

/// The connection's state, as shown to the user.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionState {
    /// Attached and streaming.
    Connected,
    /// Lost; the next attempt starts after `retry_in`.
    Reconnecting {
        /// Attempts so far.
        attempt: u32,
        /// Wait before the next attempt.
        retry_in: Duration,
        /// Why the last attempt or the connection failed.
        reason: String,
    },
}

/// Where an attached session's stream goes.
pub trait AttachSink: Send {
    /// Output bytes, in order, each exactly once.
    fn output(&mut self, offset: u64, data: &[u8]);
    /// Bytes `from..to` were lost (no longer held by the agent).
    fn gap(&mut self, from: u64, to: u64);
    /// A screen snapshot standing for `offset` (escape sequences that draw the screen as it
    /// is); output from `offset` follows. By default written like output.
    fn snapshot(&mut self, offset: u64, data: &[u8]) {
        self.output(offset, data);
    }
    /// The connection's state changed.
    fn state(&mut self, state: &ConnectionState);
}

/// How an attachment ended.
#[derive(Debug, Clone, PartialEq)]
pub enum AttachEnd {
    /// The user detached; the session runs on. Holds the next offset to resume from.
    Detached(u64),
    /// The session's process ended.
    Exited(ExitParams),
}

/// Attaches to `session_id` on `host` and stays attached until the user detaches or the session
/// exits, reconnecting whenever the connection drops.
pub async fn run_attached(
    host: &Host,
    ctx: &EngineContext,
    session_id: &str,
    from_offset: Option<u64>,
    size: Option<(u16, u16)>,
    input: &mut mpsc::Receiver<InputEvent>,
    sink: &mut dyn AttachSink,
) -> Result<AttachEnd, EngineError> {
    let mut link = OwnLink::new(host, ctx);
    let mut attached = Attached {
        session_id,
        cursor: Cursor::new(from_offset),
        size,
        input,
        input_open: true,
        sink,
    };
    let end = follow(&mut link, &mut attached).await;
    link.close().await;
    end
}

/// The CLI's view of one session.
struct Attached<'a> {
    session_id: &'a str,
    cursor: Cursor,
    size: Option<(u16, u16)>,
    input: &'a mut mpsc::Receiver<InputEvent>,
    input_open: bool,
    sink: &'a mut dyn AttachSink,
}

/// Tells the session the terminal's size, when known.
async fn resize(rpc: &RpcClient, session_id: &str, size: Option<(u16, u16)>) {
    if let Some((cols, rows)) = size {
        let _ = rpc
            .call::<method::SessionResize>(ResizeParams {
                session_id: session_id.into(),
                cols,
                rows,
            })
            .await;
    }
}

impl Follower for Attached<'_> {
    type End = AttachEnd;

    async fn run(&mut self, rpc: &RpcClient) -> Result<Step<AttachEnd>, EngineError> {
        let (attached, mut events) = rpc
            .attach(self.session_id, self.cursor.next(), Restore::Auto)
            .await?;
        if let Some((from, to)) = self.cursor.attached(attached.replay_from) {
            self.sink.gap(from, to);
        }
        if let Some(snap) = &attached.snapshot {
            self.sink.snapshot(snap.offset, &snap.data.0);
        }
        self.sink.state(&ConnectionState::Connected);
        resize(rpc, self.session_id, self.size).await;
        loop {
            tokio::select! {
                ev = events.recv() => match ev {
                    Some(SessionEvent::Output { offset, data }) => {
                        if let Some(a) = self.cursor.accept(offset, data.len()) {
                            if let Some((from, to)) = a.gap {
                                self.sink.gap(from, to);
                            }
                            self.sink.output(a.from, &data[a.skip..]);
                        }
                    }
                    Some(SessionEvent::Exit(exit)) => return Ok(Step::Done(AttachEnd::Exited(exit))),
                    Some(SessionEvent::Changed(_)) => {}
                    None => return Err(rpc.closed_error().into()),
                },
                ev = self.input.recv(), if self.input_open => match ev {
                    Some(InputEvent::Data(data)) => {
                        rpc.input(self.session_id, &data).await?;
                    }
                    Some(InputEvent::Resize { cols, rows }) => {
                        self.size = Some((cols, rows));
                        resize(rpc, self.session_id, self.size).await;
                    }
                    Some(InputEvent::Detach) => {
                        events.detach().await;
                        return Ok(Step::Done(AttachEnd::Detached(self.cursor.next().unwrap_or(0))));
                    }
                    // No more input (stdin closed): keep streaming until exit or detach signal.
                    None => self.input_open = false,
                },
                _ = rpc.closed() => return Err(rpc.closed_error().into()),
            }
        }
    }

    fn reconnecting(&mut self, attempt: u32, retry_in: Duration, reason: &str) {
        self.sink.state(&ConnectionState::Reconnecting {
            attempt,
            retry_in,
            reason: reason.into(),
        });
    }

    /// Waits, still honouring a detach (typing while disconnected is dropped, not replayed later
    /// into a shell that may be in another state).
    async fn wait(&mut self, d: Duration) -> Option<AttachEnd> {
        let wait = tokio::time::sleep(d);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                _ = &mut wait => return None,
                ev = self.input.recv(), if self.input_open => match ev {
                    Some(InputEvent::Detach) => {
                        return Some(AttachEnd::Detached(self.cursor.next().unwrap_or(0)))
                    }
                    Some(InputEvent::Resize { cols, rows }) => self.size = Some((cols, rows)),
                    Some(InputEvent::Data(_)) => {}
                    None => self.input_open = false,
                },
            }
        }
    }
}
