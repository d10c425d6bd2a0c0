//! Staying attached to a session across lost connections.
//!
//! [`run_attached`] attaches to a session and forwards its output to a [`AttachSink`]. When the
//! connection drops it reports `reconnecting`, waits with backoff from 0.5 s to 15 s, connects
//! again (re-authenticating with what is in memory) and re-attaches from the offset after the
//! last byte received: nothing is lost and nothing arrives twice. If the agent no longer holds
//! some of the missed bytes, the sink is told of the gap so it can show a marker.

use std::time::Duration;

use outpost_protocol::method;
use outpost_protocol::session::{AttachParams, ExitParams, InputParams, ResizeParams, SessionRef};
use outpost_protocol::{Base64Bytes, ErrorCode};

use super::connect::Connection;
use super::hosts::Host;
use super::rpc_client::{RpcError, SessionEvent};
use super::{EngineContext, EngineError};

/// The first wait before reconnecting.
pub const BACKOFF_START: Duration = Duration::from_millis(500);
/// The longest wait between attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(15);

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
pub enum LinkState {
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
    /// The connection's state changed.
    fn state(&mut self, state: &LinkState);
}

/// How an attachment ended.
#[derive(Debug, Clone, PartialEq)]
pub enum AttachEnd {
    /// The user detached; the session runs on. Holds the next offset to resume from.
    Detached(u64),
    /// The session's process ended.
    Exited(ExitParams),
}

/// Errors that no reconnect can cure.
fn fatal(e: &EngineError) -> bool {
    match e {
        EngineError::Rpc(RpcError::Remote(o)) => {
            o.code == ErrorCode::SessionNotFound.code() || o.code == ErrorCode::InvalidParams.code()
        }
        EngineError::Hosts(_) | EngineError::NoAgentBinary(_) | EngineError::Usage(_) => true,
        EngineError::Config(_) | EngineError::Deploy(_) | EngineError::UiState(_) => true,
        EngineError::Ssh(e) => !e.is_transient(),
        _ => false,
    }
}

/// Attaches to `session_id` on `host` and stays attached until the user detaches or the session
/// exits, reconnecting whenever the connection drops.
pub async fn run_attached(
    host: &Host,
    ctx: &EngineContext,
    session_id: &str,
    from_offset: Option<u64>,
    size: Option<(u16, u16)>,
    input: &mut tokio::sync::mpsc::Receiver<InputEvent>,
    sink: &mut dyn AttachSink,
) -> Result<AttachEnd, EngineError> {
    let mut next = from_offset;
    let mut size = size;
    let mut attempt = 0u32;
    let mut backoff = BACKOFF_START;
    loop {
        let reason = match Connection::open(host, ctx).await {
            Ok(conn) => {
                let result = stream(&conn, session_id, &mut next, &mut size, input, sink).await;
                conn.close().await;
                match result {
                    Ok(Some(end)) => return Ok(end),
                    Ok(None) => {
                        attempt = 0;
                        backoff = BACKOFF_START;
                        "the connection was lost".to_string()
                    }
                    Err(e) if fatal(&e) => return Err(e),
                    Err(e) => e.to_string(),
                }
            }
            Err(e) if fatal(&e) => return Err(e),
            Err(e) => e.to_string(),
        };
        attempt += 1;
        sink.state(&LinkState::Reconnecting {
            attempt,
            retry_in: backoff,
            reason,
        });
        // Wait, still honouring a detach (typing while disconnected is dropped, not replayed
        // later into a shell that may be in another state).
        let wait = tokio::time::sleep(backoff);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                _ = &mut wait => break,
                ev = input.recv(), if !input.is_closed() => match ev {
                    Some(InputEvent::Detach) => return Ok(AttachEnd::Detached(next.unwrap_or(0))),
                    Some(InputEvent::Resize { cols, rows }) => size = Some((cols, rows)),
                    _ => {}
                },
            }
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// Streams one connection's worth; `Ok(None)` when the connection was lost.
async fn stream(
    conn: &Connection,
    session_id: &str,
    next: &mut Option<u64>,
    size: &mut Option<(u16, u16)>,
    input: &mut tokio::sync::mpsc::Receiver<InputEvent>,
    sink: &mut dyn AttachSink,
) -> Result<Option<AttachEnd>, EngineError> {
    let rpc = &conn.rpc;
    let mut events = rpc.session_events(session_id);
    let attached = rpc
        .call::<method::SessionAttach>(AttachParams {
            session_id: session_id.into(),
            from_offset: *next,
        })
        .await;
    let attached = match attached {
        Ok(a) => a,
        Err(RpcError::Closed | RpcError::Timeout { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if let Some(want) = *next {
        if attached.replay_from > want {
            sink.gap(want, attached.replay_from);
        }
    }
    let mut expected = attached.replay_from;
    *next = Some(expected);
    sink.state(&LinkState::Connected);
    if let Some((cols, rows)) = *size {
        let _ = rpc
            .call::<method::SessionResize>(ResizeParams {
                session_id: session_id.into(),
                cols,
                rows,
            })
            .await;
    }
    let mut input_open = true;
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Some(SessionEvent::Output { offset, data }) => {
                    let end = offset + data.len() as u64;
                    if end <= expected {
                        continue;
                    }
                    if offset > expected {
                        sink.gap(expected, offset);
                    }
                    let skip = expected.saturating_sub(offset) as usize;
                    let from = offset.max(expected);
                    sink.output(from, &data[skip..]);
                    expected = end;
                    *next = Some(expected);
                }
                Some(SessionEvent::Exit(exit)) => return Ok(Some(AttachEnd::Exited(exit))),
                None => return Ok(None),
            },
            ev = input.recv(), if input_open => match ev {
                Some(InputEvent::Data(data)) => {
                    let r = rpc.notify::<method::SessionInput>(InputParams {
                        session_id: session_id.into(),
                        data: Base64Bytes(data),
                    }).await;
                    if r.is_err() {
                        return Ok(None);
                    }
                }
                Some(InputEvent::Resize { cols, rows }) => {
                    *size = Some((cols, rows));
                    let _ = rpc.call::<method::SessionResize>(ResizeParams {
                        session_id: session_id.into(), cols, rows,
                    }).await;
                }
                Some(InputEvent::Detach) => {
                    let _ = rpc.call::<method::SessionDetach>(SessionRef {
                        session_id: session_id.into(),
                    }).await;
                    return Ok(Some(AttachEnd::Detached(expected)));
                }
                // No more input (stdin closed): keep streaming until exit or detach signal.
                None => input_open = false,
            },
            _ = rpc.closed() => return Ok(None),
        }
    }
}
