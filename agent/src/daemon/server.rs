//! The daemon's socket server: one task per connected agent.
//!
//! Each connection has its own read cursor into the ring. Output is sent straight from the ring
//! in chunks of up to [`MAX_CHUNK`], so a slow agent costs no memory. While attached, the
//! connection's cursor holds the PTY reader back rather than let the ring overwrite bytes it has
//! not sent ([`super::flow`]); only once the agent has not taken output for longer than its bound
//! (`max_stall_ms`) does the ring overwrite them: its cursor then jumps to the oldest byte held
//! and the jump shows in the offsets. Requests are answered in order with the output, so an
//! `Attach` reply always comes before the output it announces, and `Exit` only after the last
//! output byte.
//!
//! An attach may ask for a screen snapshot ([`crate::terminal::screen`]): it rides in the
//! `Attached` reply and streaming starts at the offset it stands for. While attached, a
//! connection is told when the program's title or directory changes (`Changed` frames, at most
//! every [`CHANGED_MIN_INTERVAL_MS`]).

use std::sync::Arc;

use interprocess::local_socket::tokio::Stream;
use outpost_protocol::session::{
    Restore, ScreenSnapshot, SessionInfo, SessionKind, CHANGED_MIN_INTERVAL_MS,
    DEFAULT_MAX_STALL_MS, MAX_READ_BYTES, MAX_STALL_MS_RANGE, SIZE_RANGE,
};
use outpost_protocol::{Base64Bytes, ErrorCode};
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::sync::{mpsc, Notify};

use super::exit_owed::{ExitOwed, Owed};
use super::flow::ClientId;
use super::frames::{read_frame, DaemonReply, DaemonRequest, Frame, MAX_CHUNK};
use super::state::{Shared, SnapshotWhen};
use crate::terminal::pty::Pty;

/// What every connection can reach.
pub struct Daemon {
    /// Session state.
    pub shared: Arc<Shared>,
    /// The terminal.
    pub pty: Pty,
    /// Notified when a client asked to close the session.
    pub close_requested: Notify,
    /// Notified once the session's processes and files are gone.
    pub closed: Notify,
    /// Attached connections that have not sent the exit yet.
    pub exit_owed: ExitOwed,
    /// The session's `max_stall_ms` for attaches that do not give one (`session.create`).
    pub max_stall_ms: Option<u64>,
}

fn error(code: ErrorCode, message: impl Into<String>) -> DaemonReply {
    DaemonReply::Error {
        code: code.code(),
        message: message.into(),
    }
}

/// Serves one connection until it closes.
pub async fn serve_connection(daemon: Arc<Daemon>, conn: Stream) {
    let (recv, send) = tokio::io::split(conn);
    let (tx, mut rx) = mpsc::channel::<Frame>(64);
    let reader = tokio::spawn(async move {
        let mut recv = tokio::io::BufReader::new(recv);
        loop {
            match read_frame(&mut recv).await {
                Ok(Some(f)) => {
                    if tx.send(f).await.is_err() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!("closing connection: {e}");
                    break;
                }
            }
        }
    });
    let mut conn = Connection {
        daemon: daemon.clone(),
        out: BufWriter::with_capacity(WRITE_BUFFER, send),
        cursor: None,
        client: None,
        changes: false,
        exit_sent: false,
        owed: None,
        closing: false,
        frame: Vec::with_capacity(MAX_CHUNK + 16),
        last_frame: None,
    };
    let mut progress = daemon.shared.subscribe();
    let mut changed = daemon.shared.subscribe_changed();
    changed.borrow_and_update();
    let interval = std::time::Duration::from_millis(CHANGED_MIN_INTERVAL_MS);
    // When a pending `Changed` is due, and when the last one went out.
    let mut changed_due: Option<tokio::time::Instant> = None;
    let mut changed_sent: Option<tokio::time::Instant> = None;
    let result: std::io::Result<()> = async {
        loop {
            // Mark the progress seen *before* looking at the ring: a change that lands after
            // this line wakes the select below instead of being lost.
            progress.borrow_and_update();
            // Send everything that is due, answering requests between chunks.
            while conn.send_due().await? {
                while let Ok(f) = rx.try_recv() {
                    conn.handle(f).await?;
                }
            }
            conn.out.flush().await?;
            tokio::select! {
                f = rx.recv() => match f {
                    Some(f) => conn.handle(f).await?,
                    None => break,
                },
                p = progress.changed() => {
                    if p.is_err() {
                        break;
                    }
                    conn.coalesce().await;
                }
                c = changed.changed() => {
                    if c.is_err() {
                        break;
                    }
                    if conn.cursor.is_some() && conn.changes && changed_due.is_none() {
                        let now = tokio::time::Instant::now();
                        changed_due = Some(changed_sent.map_or(now, |t| (t + interval).max(now)));
                    }
                }
                _ = sleep_until(changed_due), if changed_due.is_some() => {
                    changed_due = None;
                    if conn.cursor.is_some() && conn.changes {
                        changed_sent = Some(tokio::time::Instant::now());
                        let reported = conn.daemon.shared.reported();
                        conn.write(&Frame::Changed(reported)).await?;
                    }
                }
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::debug!("connection ended: {e}");
    }
    if conn.cursor.is_some() {
        daemon.shared.add_attached(-1);
    }
    if let Some(client) = conn.client.take() {
        daemon.shared.leave(client);
    }
    reader.abort();
}

/// Sleeps until `at` (never when `None`; the select guards that).
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Daemon {
    /// The session as clients see it, with the foreground process of `shell` sessions.
    pub fn info(&self) -> SessionInfo {
        let mut info = self.shared.info();
        if info.kind == SessionKind::Shell && info.exit_code.is_none() && info.exit_signal.is_none()
        {
            info.foreground = self.pty.foreground();
            if info.cwd.is_none() {
                info.cwd = self.pty.process_cwd();
            }
        }
        info
    }
}

struct Connection {
    daemon: Arc<Daemon>,
    out: BufWriter<tokio::io::WriteHalf<Stream>>,
    /// The next offset to send, while attached.
    cursor: Option<u64>,
    /// This client in the flow control ([`super::flow`]), while attached.
    client: Option<ClientId>,
    /// Whether the agent takes `Changed` frames.
    changes: bool,
    exit_sent: bool,
    /// Held while attached until the exit went out ([`super::exit_owed`]).
    owed: Option<Owed>,
    closing: bool,
    /// The frame being sent; output goes into it straight from the ring.
    frame: Vec<u8>,
    /// When the last output frame went out, and how big it was.
    last_frame: Option<(std::time::Instant, usize)>,
}

/// Under a flood, output is gathered for up to this long so frames carry tens of KiB instead of
/// one PTY read each (a 4 KiB line per read costs the agent and the client far more per byte).
const COALESCE_WAIT: std::time::Duration = std::time::Duration::from_millis(1);

/// A frame at least this big, sent less than [`COALESCE_WAIT`] × 2 ago, means output is flooding.
/// Keystroke echoes are far smaller, so they are never delayed.
const FLOOD_FRAME: usize = 4000;

/// The socket writer's buffer: gathers small frames (replies, echoes) into one write. An output
/// frame under a flood is bigger and goes from its frame straight to the socket, not through
/// this buffer (one copy less per byte).
const WRITE_BUFFER: usize = 16 * 1024;

/// How long a close waits for the exit to be announced and sent to every attached client.
const FAREWELL: std::time::Duration = std::time::Duration::from_secs(5);

impl Connection {
    /// While output floods, waits a moment so the next frame carries more.
    async fn coalesce(&mut self) {
        let (Some(cursor), Some((at, len))) = (self.cursor, self.last_frame) else {
            return;
        };
        if len < FLOOD_FRAME || at.elapsed() > COALESCE_WAIT * 2 {
            return;
        }
        let (_, end) = self.daemon.shared.bounds();
        if end.saturating_sub(cursor) < MAX_CHUNK as u64 && self.daemon.shared.exit().is_none() {
            tokio::time::sleep(COALESCE_WAIT).await;
        }
    }

    async fn write(&mut self, f: &Frame) -> std::io::Result<()> {
        self.frame.clear();
        f.encode(&mut self.frame);
        self.out.write_all(&self.frame).await
    }

    /// Sends one chunk of output (or the exit) if due; returns whether it sent anything.
    async fn send_due(&mut self) -> std::io::Result<bool> {
        let Some(cursor) = self.cursor else {
            return Ok(false);
        };
        self.frame.clear();
        let shared = &self.daemon.shared;
        let (at, len) =
            Frame::encode_output(&mut self.frame, |out| shared.read(cursor, MAX_CHUNK, out));
        if len > 0 {
            if at > cursor {
                tracing::debug!(skipped = at - cursor, "client fell behind the ring");
            }
            let next = at + len as u64;
            self.cursor = Some(next);
            // The bytes are ours now: the ring may overwrite them. The previous frame went out
            // (writes are in order), so this client is taking output.
            if let Some(client) = self.client {
                shared.taken(client, next);
            }
            self.last_frame = Some((std::time::Instant::now(), len));
            self.out.write_all(&self.frame).await?;
            return Ok(true);
        }
        if !self.exit_sent {
            if let Some(exit) = self.daemon.shared.exit() {
                self.exit_sent = true;
                self.write(&Frame::Exit(exit)).await?;
                self.out.flush().await?;
                self.owed = None;
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn handle(&mut self, f: Frame) -> std::io::Result<()> {
        let (id, reply) = match f {
            Frame::Request { id, req } => (id, self.request(req).await),
            Frame::Input { id, data } => {
                let reply = if self.daemon.shared.exit().is_some() {
                    error(ErrorCode::SessionNotRunning, "the session has exited")
                } else {
                    self.daemon.shared.recorder().input(&data);
                    crate::exec::remote::client_input(&self.daemon.shared);
                    match self.daemon.pty.write(data).await {
                        Ok(()) => DaemonReply::Done,
                        Err(e) => error(ErrorCode::SessionNotRunning, e.to_string()),
                    }
                };
                if id == 0 {
                    return Ok(());
                }
                (id, reply)
            }
            other => {
                tracing::warn!(?other, "unexpected frame from a client");
                return Err(std::io::Error::other("unexpected frame"));
            }
        };
        if self.closing {
            self.farewell().await?;
        }
        self.write(&Frame::Reply {
            id,
            reply: Box::new(reply),
        })
        .await?;
        if self.closing {
            // Everything is cleaned up: answer, then end the daemon.
            self.out.flush().await?;
            std::process::exit(0);
        }
        if self.cursor.is_none() {
            self.out.flush().await?;
        }
        Ok(())
    }

    /// Before a close is answered (and the daemon ends): every attached client, on this
    /// connection and the others, gets the last output and the exit. The processes were
    /// signalled already; their exit is announced once the terminal has drained.
    async fn farewell(&mut self) -> std::io::Result<()> {
        let deadline = tokio::time::Instant::now() + FAREWELL;
        let mut progress = self.daemon.shared.subscribe();
        let _ = tokio::time::timeout_at(deadline, progress.wait_for(|p| p.exited)).await;
        while self.send_due().await? {}
        self.out.flush().await?;
        self.owed = None;
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if !self.daemon.exit_owed.all_paid(left).await {
            tracing::warn!("closing before every attached client was sent the exit");
        }
        Ok(())
    }

    async fn request(&mut self, req: DaemonRequest) -> DaemonReply {
        let shared = &self.daemon.shared;
        let running = shared.exit().is_none();
        match req {
            DaemonRequest::Info => DaemonReply::Info {
                session: self.daemon.info(),
            },
            DaemonRequest::Attach {
                from_offset,
                restore,
                changes,
                max_stall_ms,
            } => {
                let max_stall_ms = max_stall_ms
                    .or(self.daemon.max_stall_ms)
                    .unwrap_or(DEFAULT_MAX_STALL_MS);
                if !MAX_STALL_MS_RANGE.contains(&max_stall_ms) {
                    return error(ErrorCode::InvalidParams, "max_stall_ms must be 0..=3600000");
                }
                self.changes = changes;
                let when = match restore {
                    Restore::Bytes => SnapshotWhen::Never,
                    Restore::Screen => SnapshotWhen::Always,
                    Restore::Auto => SnapshotWhen::IfTruncated,
                };
                let (replay_from, truncated, snapshot) = shared.attach_point(
                    from_offset,
                    when,
                    &mut self.client,
                    std::time::Duration::from_millis(max_stall_ms),
                );
                if self.cursor.is_none() {
                    shared.add_attached(1);
                }
                self.cursor = Some(replay_from);
                self.exit_sent = false;
                if self.owed.is_none() {
                    self.owed = Some(self.daemon.exit_owed.owe());
                }
                DaemonReply::Attached {
                    session: self.daemon.info(),
                    replay_from,
                    truncated,
                    snapshot: snapshot.map(|s| {
                        Box::new(ScreenSnapshot {
                            offset: s.offset,
                            data: Base64Bytes(s.data),
                        })
                    }),
                }
            }
            DaemonRequest::Marks => DaemonReply::Marks {
                marks: shared.marks(),
            },
            DaemonRequest::Record {
                on,
                input,
                max_bytes,
                keep,
            } => crate::recording::recorder::reply(
                shared.recorder(),
                running,
                on,
                input,
                max_bytes,
                keep,
            ),
            DaemonRequest::Exec {
                command,
                timeout_ms,
                interrupt,
                max_output,
            } => {
                let ask = crate::exec::daemon::ExecAsk {
                    command,
                    timeout: std::time::Duration::from_millis(timeout_ms),
                    interrupt,
                    max_output: usize::try_from(max_output).unwrap_or(usize::MAX),
                };
                crate::exec::daemon::exec(&self.daemon, ask).await
            }
            DaemonRequest::ExecResult { number, max_output } => {
                let max = usize::try_from(max_output).unwrap_or(usize::MAX);
                crate::exec::daemon::result_reply(&self.daemon, number, max, false)
            }
            DaemonRequest::Detach => {
                if self.cursor.take().is_some() {
                    shared.add_attached(-1);
                }
                self.owed = None;
                if let Some(client) = self.client.take() {
                    shared.leave(client);
                }
                DaemonReply::Done
            }
            DaemonRequest::Resize { cols, rows } => {
                if !SIZE_RANGE.contains(&cols) || !SIZE_RANGE.contains(&rows) {
                    return error(ErrorCode::InvalidParams, "cols and rows must be 1..=1000");
                }
                if !running {
                    return error(ErrorCode::SessionNotRunning, "the session has exited");
                }
                match self.daemon.pty.resize(cols, rows) {
                    Ok(()) => {
                        shared.set_size(cols, rows);
                        DaemonReply::Done
                    }
                    Err(e) => error(ErrorCode::InternalError, e.to_string()),
                }
            }
            DaemonRequest::Signal { signal } => {
                if !running {
                    return error(ErrorCode::SessionNotRunning, "the session has exited");
                }
                match self.daemon.pty.signal(signal) {
                    Ok(()) => DaemonReply::Done,
                    Err(e) => error(ErrorCode::InternalError, e.to_string()),
                }
            }
            DaemonRequest::Read {
                from_offset,
                max_bytes,
            } => {
                if max_bytes == 0 || max_bytes > MAX_READ_BYTES {
                    return error(ErrorCode::InvalidParams, "max_bytes must be 1..=1048576");
                }
                let (_, end) = shared.bounds();
                if from_offset > end {
                    return error(
                        ErrorCode::InvalidParams,
                        format!("from_offset {from_offset} is beyond output_end {end}"),
                    );
                }
                let mut data = Vec::new();
                let offset = shared.read(from_offset, max_bytes as usize, &mut data);
                DaemonReply::Read {
                    offset,
                    data: Base64Bytes(data),
                    output_end: shared.bounds().1,
                }
            }
            DaemonRequest::Close => {
                let closed = self.daemon.closed.notified();
                tokio::pin!(closed);
                closed.as_mut().enable();
                self.daemon.close_requested.notify_one();
                closed.await;
                self.closing = true;
                DaemonReply::Done
            }
        }
    }
}
