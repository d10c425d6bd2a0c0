//! A terminal tab's live view of a session, for a long-lived front end.
//!
//! [`Attachment::spawn`] attaches to a session through the [`Connections`]'s shared connection and runs
//! until the tab detaches, the session exits or an error no reconnect can cure. It:
//!
//! - forwards output in batches: every event already queued is merged into one chunk (at most
//!   [`MAX_BATCH`]), so a flood becomes few large chunks while a keystroke's echo goes out at
//!   once, with no timer;
//! - applies flow control: the front end acknowledges the bytes it has rendered; with
//!   [`HIGH_WATER`] bytes unacknowledged the attachment detaches from the session (the agent's
//!   ring keeps the output) and re-attaches from the next offset once the front end is below
//!   [`LOW_WATER`]. A front end that cannot keep up sees a gap marker, never unbounded memory;
//! - is a [`Follower`] over the hub's shared connection ([`SharedLink`]): it reconnects with the
//!   shared backoff when the connection drops and re-attaches from its [`Cursor`], so nothing is
//!   lost or repeated while the agent still holds it. Another tab may show the same session over
//!   the same connection; each has its own view and cursor.
//!
//! - restores the screen: each (re)connection attaches with `restore: "auto"`, so when the agent
//!   no longer holds the bytes the tab wants, the tab gets [`TabEvent::Snapshot`] and then the
//!   snapshot itself as ordinary output (history: the screen as it stands, drawn from scratch),
//!   followed by the bytes after it. A flow-control resume asks for bytes only and shows a gap;
//! - passes on the session's title and directory changes ([`TabEvent::Changed`]).
//!
//! Calls whose answers come back through the connection's reader (resize) are made from a
//! separate task: the reader may be waiting to hand this task an event, and this task must never
//! wait on the reader in turn.

use std::sync::Arc;
use std::time::Duration;

use outpost_protocol::method;
use outpost_protocol::session::{ResizeParams, Restore, ScreenSnapshot};
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use super::connections::Connections;
use super::follow::{follow, Cursor, Follower, SharedLink, Step};
use crate::engine::agent::routes::{SessionEvent, SessionStream};
use crate::engine::agent::rpc_client::RpcClient;
use crate::engine::{EngineError, ErrorReport};

/// The largest chunk handed to the front end at once.
pub const MAX_BATCH: usize = 256 * 1024;
/// Unacknowledged bytes at which the attachment pauses.
pub const HIGH_WATER: u64 = 2 * 1024 * 1024;
/// Unacknowledged bytes under which a paused attachment resumes.
pub const LOW_WATER: u64 = 512 * 1024;

/// What a tab is told besides its output bytes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TabEvent {
    /// Attached; output follows from `replay_from`.
    Connected {
        /// The offset of the first byte that follows.
        replay_from: u64,
    },
    /// The connection was lost; the next attempt starts in `retry_in_ms`.
    Reconnecting {
        /// Attempts so far.
        attempt: u32,
        /// Wait before the next attempt, in milliseconds.
        retry_in_ms: u64,
        /// Why.
        reason: String,
    },
    /// Bytes `from..to` are no longer held by the agent and will never arrive.
    Gap {
        /// First lost offset.
        from: u64,
        /// Offset after the last lost byte.
        to: u64,
    },
    /// The next `bytes` output bytes are a screen snapshot: escape sequences that draw the
    /// session's screen as of `offset` (the terminal's state then, not new output); output from
    /// `offset` on follows them.
    Snapshot {
        /// The snapshot's length in bytes.
        bytes: u64,
        /// The output offset it stands for.
        offset: u64,
    },
    /// The program in the session set a new title (OSC 0/2) or reported a new working directory
    /// (OSC 7); absent fields are unknown.
    Changed {
        /// The title, cleaned and bounded by the agent.
        terminal_title: Option<String>,
        /// The working directory.
        cwd: Option<String>,
    },
    /// The session's process ended.
    Exited {
        /// Its exit code, when it exited normally.
        code: Option<i32>,
        /// The signal that ended it.
        signal: Option<String>,
    },
    /// The attachment ended with an error: `{code, message, details}` beside `type`.
    Error(ErrorReport),
    /// The tab detached; the session runs on.
    Detached,
}

/// Where an attachment's output and events go (the GUI's channels; a collector in tests).
pub trait TabSink: Send + Sync + 'static {
    /// A chunk of output, in order, each byte exactly once.
    fn output(&self, data: Vec<u8>);
    /// A state change.
    fn event(&self, event: TabEvent);
}

/// What the tab asks of its attachment.
#[derive(Debug)]
enum Control {
    Input(Vec<u8>),
    Ack(u64),
    Detach,
}

/// A handle on a running attachment; dropping it detaches.
pub struct Attachment {
    control: mpsc::UnboundedSender<Control>,
    size: watch::Sender<(u16, u16)>,
}

impl Attachment {
    /// Attaches to `session_id` on `host` (from `from_offset`, or everything the agent holds)
    /// with the terminal size `size`, and starts streaming to `sink`.
    pub fn spawn(
        hub: Arc<Connections>,
        host: String,
        session_id: String,
        from_offset: Option<u64>,
        size: (u16, u16),
        sink: Arc<dyn TabSink>,
    ) -> Attachment {
        let (control, control_rx) = mpsc::unbounded_channel();
        let (size_tx, size_rx) = watch::channel(size);
        let mut task = Task {
            session_id,
            cursor: Cursor::new(from_offset),
            sent: 0,
            acked: 0,
            sink,
            control: control_rx,
            size: size_rx,
        };
        tokio::spawn(async move {
            let mut link = SharedLink::new(hub, host);
            match follow(&mut link, &mut task).await {
                Ok(Ended::Detached) => task.sink.event(TabEvent::Detached),
                Ok(Ended::Exited) => {}
                Err(e) => task.sink.event(TabEvent::Error(e.report())),
            }
        });
        Attachment {
            control,
            size: size_tx,
        }
    }

    /// Types `data` into the session (dropped while reconnecting).
    pub fn input(&self, data: Vec<u8>) {
        let _ = self.control.send(Control::Input(data));
    }

    /// The front end has rendered `bytes` more bytes.
    pub fn ack(&self, bytes: u64) {
        let _ = self.control.send(Control::Ack(bytes));
    }

    /// The terminal's new size.
    pub fn resize(&self, cols: u16, rows: u16) {
        let _ = self.size.send((cols, rows));
    }

    /// Stops watching; the session keeps running.
    pub fn detach(&self) {
        let _ = self.control.send(Control::Detach);
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        self.detach();
    }
}

/// How an attachment ended.
enum Ended {
    /// The tab detached or went away.
    Detached,
    /// The session exited.
    Exited,
}

struct Task {
    session_id: String,
    /// Where the tab's stream stands.
    cursor: Cursor,
    /// Bytes handed to the sink.
    sent: u64,
    /// Bytes the front end acknowledged.
    acked: u64,
    sink: Arc<dyn TabSink>,
    control: mpsc::UnboundedReceiver<Control>,
    size: watch::Receiver<(u16, u16)>,
}

impl Follower for Task {
    type End = Ended;

    async fn run(&mut self, rpc: &RpcClient) -> Result<Step<Ended>, EngineError> {
        let (stream, snapshot) = self.attach(rpc, Restore::Auto).await?;
        let mut events = Some(stream);
        self.sink.event(TabEvent::Connected {
            replay_from: self.cursor.next().unwrap_or(0),
        });
        self.snapshot(snapshot);
        let resizer = spawn_resizer(rpc.clone(), self.session_id.clone(), self.size.clone());
        let _resizer = AbortOnDrop(resizer);
        let mut batch: Vec<u8> = Vec::new();
        loop {
            tokio::select! {
                ev = next_event(&mut events) => {
                    let Some(ev) = ev else {
                        return Err(rpc.closed_error().into());
                    };
                    let mut exit = None;
                    let mut next_ev = Some(ev);
                    // Merge everything already queued into one batch.
                    while let Some(ev) = next_ev.take() {
                        match ev {
                            SessionEvent::Output { offset, data } => {
                                self.accept(offset, data, &mut batch)
                            }
                            SessionEvent::Exit(e) => {
                                exit = Some(e);
                                break;
                            }
                            SessionEvent::Changed(c) => {
                                self.flush(&mut batch);
                                self.sink.event(TabEvent::Changed {
                                    terminal_title: c.terminal_title,
                                    cwd: c.cwd,
                                });
                            }
                        }
                        if batch.len() >= MAX_BATCH {
                            break;
                        }
                        next_ev = events.as_mut().and_then(SessionStream::try_recv);
                    }
                    self.flush(&mut batch);
                    if let Some(e) = exit {
                        self.sink.event(TabEvent::Exited { code: e.exit_code, signal: e.signal });
                        return Ok(Step::Done(Ended::Exited));
                    }
                    if self.unacked() >= HIGH_WATER {
                        // Pause: the agent's ring keeps the output; what was already on its
                        // way is fetched again on resume.
                        if let Some(ev) = events.take() {
                            ev.detach().await;
                        }
                    }
                }
                c = self.control.recv() => match c {
                    None | Some(Control::Detach) => {
                        if let Some(ev) = events.take() {
                            ev.detach().await;
                        }
                        return Ok(Step::Done(Ended::Detached));
                    }
                    Some(Control::Input(data)) => {
                        rpc.input(&self.session_id, &data).await?;
                    }
                    Some(Control::Ack(n)) => {
                        self.acked += n;
                        if events.is_none() && self.unacked() < LOW_WATER {
                            // Bytes only: the tab has the screen up to its cursor, and a gap
                            // marker tells what a slow renderer missed.
                            let (stream, snapshot) = self.attach(rpc, Restore::Bytes).await?;
                            self.snapshot(snapshot);
                            events = Some(stream);
                        }
                    }
                },
                _ = rpc.closed() => return Err(rpc.closed_error().into()),
            }
        }
    }

    fn reconnecting(&mut self, attempt: u32, retry_in: Duration, reason: &str) {
        self.sink.event(TabEvent::Reconnecting {
            attempt,
            retry_in_ms: retry_in.as_millis() as u64,
            reason: reason.into(),
        });
    }

    /// Waits `d` before the next attempt, still taking acks; ends when the tab detached.
    async fn wait(&mut self, d: Duration) -> Option<Ended> {
        let sleep = tokio::time::sleep(d);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => return None,
                c = self.control.recv() => match c {
                    None | Some(Control::Detach) => return Some(Ended::Detached),
                    Some(Control::Ack(n)) => self.acked += n,
                    // Typing while disconnected is dropped, not replayed later into a shell
                    // that may be in another state.
                    Some(Control::Input(_)) => {}
                },
            }
        }
    }
}

/// The next event of the stream, or never while paused (no stream).
async fn next_event(events: &mut Option<SessionStream>) -> Option<SessionEvent> {
    match events {
        Some(events) => events.recv().await,
        None => std::future::pending().await,
    }
}

impl Task {
    fn unacked(&self) -> u64 {
        self.sent.saturating_sub(self.acked)
    }

    /// Attaches a view from the cursor, reporting bytes the agent no longer holds; returns the
    /// stream and the screen snapshot that comes first, if the agent sent one.
    async fn attach(
        &mut self,
        rpc: &RpcClient,
        restore: Restore,
    ) -> Result<(SessionStream, Option<ScreenSnapshot>), EngineError> {
        let (attached, events) = rpc
            .attach(&self.session_id, self.cursor.next(), restore)
            .await?;
        if let Some((from, to)) = self.cursor.attached(attached.replay_from) {
            self.sink.event(TabEvent::Gap { from, to });
        }
        Ok((events, attached.snapshot))
    }

    /// Hands a snapshot to the tab: the marker, then its bytes as output.
    fn snapshot(&mut self, snapshot: Option<ScreenSnapshot>) {
        let Some(snap) = snapshot else {
            return;
        };
        let mut data = snap.data.0;
        self.sink.event(TabEvent::Snapshot {
            bytes: data.len() as u64,
            offset: snap.offset,
        });
        self.flush(&mut data);
    }

    /// Takes the part of `data` (at `offset`) not delivered yet into `out`, reporting a gap
    /// when bytes were skipped.
    fn accept(&mut self, offset: u64, data: Vec<u8>, out: &mut Vec<u8>) {
        let Some(a) = self.cursor.accept(offset, data.len()) else {
            return;
        };
        if let Some((from, to)) = a.gap {
            self.sink.event(TabEvent::Gap { from, to });
        }
        if a.skip == 0 && out.is_empty() {
            // The usual case (one event, nothing skipped): hand the buffer on without a copy.
            *out = data;
        } else {
            out.extend_from_slice(&data[a.skip..]);
        }
    }

    fn flush(&mut self, batch: &mut Vec<u8>) {
        if batch.is_empty() {
            return;
        }
        let data = std::mem::take(batch);
        self.sent += data.len() as u64;
        self.sink.output(data);
    }
}

/// Sends the latest terminal size whenever it changes (and once at the start).
fn spawn_resizer(
    rpc: RpcClient,
    session_id: String,
    mut size: watch::Receiver<(u16, u16)>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let (cols, rows) = *size.borrow_and_update();
            let _ = rpc
                .call::<method::SessionResize>(ResizeParams {
                    session_id: session_id.clone(),
                    cols,
                    rows,
                })
                .await;
            if size.changed().await.is_err() {
                return;
            }
        }
    })
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
