//! An agent's connection to one session daemon.
//!
//! Requests are numbered and their replies matched by a reader task. That same task forwards
//! output and exit frames to the client through the [`Sink`], and answers `attach` itself, so the
//! client always gets the attach result before the output it announces, in socket order.
//!
//! Each connection sends on a lane of its own ([`Sink::lane`]), which the client's stream serves
//! fairly with the other sessions'. While the lane is full the reader task stops reading the
//! daemon's socket, so a slow client holds the daemon (and its program) back instead of growing
//! the agent's memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use outpost_protocol::session::{
    AttachParams, AttachResult, ChangedParams, ExitParams, MAX_STALL_MS_RANGE,
};
use outpost_protocol::{ErrorCode, ErrorObject, Notification, RequestId};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};

use crate::daemon::frames::{
    read_frame, write_frame, DaemonReply, DaemonRequest, Frame, MAX_CHUNK,
};
use crate::outbound::{Settler, Sink};

/// How long a daemon gets to answer a request (closing waits for the processes to end).
const REPLY_TIMEOUT: Duration = Duration::from_secs(15);

enum Pending {
    Reply(oneshot::Sender<DaemonReply>),
    Attach(RequestId),
}

/// A live connection to a daemon.
pub struct DaemonConn {
    session_id: String,
    frames: mpsc::Sender<Frame>,
    pending: Arc<Mutex<HashMap<u32, Pending>>>,
    next_id: AtomicU32,
    alive: Arc<AtomicBool>,
    attached: Arc<AtomicBool>,
    /// Waits until what this connection sent the client has been written.
    settler: Settler,
}

fn gone(session_id: &str) -> ErrorObject {
    ErrorObject::new(
        ErrorCode::SessionNotFound,
        format!("session {session_id} is gone (its daemon closed the connection)"),
    )
}

impl DaemonConn {
    /// Connects to the daemon at `socket`. `on_close` runs when the connection ends, with whether
    /// the client was attached and had not yet been told of an exit.
    pub async fn connect<S: Sink>(
        session_id: &str,
        socket: &std::path::Path,
        out: S,
        on_close: impl FnOnce(bool) + Send + 'static,
    ) -> std::io::Result<DaemonConn> {
        let stream = crate::socket::connect(socket).await?;
        let (recv, send) = tokio::io::split(stream);
        let (frames, mut frames_rx) = mpsc::channel::<Frame>(64);
        tokio::spawn(async move {
            let mut send = tokio::io::BufWriter::with_capacity(MAX_CHUNK + 64, send);
            while let Some(f) = frames_rx.recv().await {
                if write_frame(&mut send, &f).await.is_err() {
                    return;
                }
                while let Ok(f) = frames_rx.try_recv() {
                    if write_frame(&mut send, &f).await.is_err() {
                        return;
                    }
                }
                if send.flush().await.is_err() {
                    return;
                }
            }
        });
        let pending: Arc<Mutex<HashMap<u32, Pending>>> = Arc::default();
        let alive = Arc::new(AtomicBool::new(true));
        let attached = Arc::new(AtomicBool::new(false));
        let out = out.lane();
        let settler = out.settler();
        let settler2 = settler.clone();
        let reader = Reader {
            session_id: session_id.to_string(),
            pending: pending.clone(),
            out,
            attached: attached.clone(),
            exit_sent: false,
        };
        let alive2 = alive.clone();
        tokio::spawn(async move {
            let attached_unexited = reader.run(recv).await;
            // What this session sent goes out before anything said about its end.
            settler2.settle().await;
            alive2.store(false, Ordering::SeqCst);
            on_close(attached_unexited);
        });
        Ok(DaemonConn {
            session_id: session_id.to_string(),
            frames,
            pending,
            next_id: AtomicU32::new(1),
            alive,
            attached,
            settler,
        })
    }

    /// Stops streaming output to the client; returns once the output sent before has been
    /// written, so the client gets it before the answer.
    pub async fn detach(&self) -> Result<(), ErrorObject> {
        self.request(DaemonRequest::Detach).await?;
        self.attached.store(false, Ordering::SeqCst);
        self.settler.settle().await;
        Ok(())
    }

    /// Closes the session; returns once the last output and the exit forwarded before the
    /// daemon's answer have been written, so the client gets them before the answer.
    pub async fn close(&self) -> Result<(), ErrorObject> {
        self.request(DaemonRequest::Close).await?;
        self.settler.settle().await;
        Ok(())
    }

    /// Whether the connection still stands.
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    fn take_id(&self) -> u32 {
        // Id 0 means "no reply wanted" for input frames.
        loop {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            if id != 0 {
                return id;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Pending>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn send_frame(&self, f: Frame) -> Result<(), ErrorObject> {
        self.frames
            .send(f)
            .await
            .map_err(|_| gone(&self.session_id))
    }

    async fn await_reply(
        &self,
        rx: oneshot::Receiver<DaemonReply>,
    ) -> Result<DaemonReply, ErrorObject> {
        match tokio::time::timeout(REPLY_TIMEOUT, rx).await {
            Ok(Ok(DaemonReply::Error { code, message })) => Err(ErrorObject {
                code,
                message,
                data: None,
            }),
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(_)) => Err(gone(&self.session_id)),
            Err(_) => Err(ErrorObject::new(
                ErrorCode::InternalError,
                format!("session {} did not answer in time", self.session_id),
            )),
        }
    }

    /// Sends a request and waits for its reply; daemon errors come back as `Err`.
    pub async fn request(&self, req: DaemonRequest) -> Result<DaemonReply, ErrorObject> {
        let id = self.take_id();
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id, Pending::Reply(tx));
        if let Err(e) = self.send_frame(Frame::Request { id, req }).await {
            self.lock().remove(&id);
            return Err(e);
        }
        self.await_reply(rx).await
    }

    /// Starts streaming; the reader task answers `rpc_id` and then forwards the output.
    pub async fn attach(&self, rpc_id: RequestId, p: &AttachParams) -> Result<(), ErrorObject> {
        if let Some(ms) = p.max_stall_ms.filter(|ms| !MAX_STALL_MS_RANGE.contains(ms)) {
            return Err(ErrorObject::new(
                ErrorCode::InvalidParams,
                format!(
                    "max_stall_ms must be {}..={} (got {ms})",
                    MAX_STALL_MS_RANGE.start(),
                    MAX_STALL_MS_RANGE.end()
                ),
            ));
        }
        let id = self.take_id();
        self.lock().insert(id, Pending::Attach(rpc_id));
        let sent = self
            .send_frame(Frame::Request {
                id,
                req: DaemonRequest::Attach {
                    from_offset: p.from_offset,
                    restore: p.restore,
                    changes: true,
                    max_stall_ms: p.max_stall_ms,
                },
            })
            .await;
        if sent.is_err() {
            self.lock().remove(&id);
        }
        sent
    }

    /// Types bytes, in order with every other input on this connection. With `wait`, returns
    /// the daemon's verdict; without, returns once queued.
    pub async fn input(&self, data: Vec<u8>, wait: bool) -> Result<(), ErrorObject> {
        let chunks: Vec<Vec<u8>> = if data.is_empty() {
            vec![Vec::new()]
        } else {
            data.chunks(MAX_CHUNK).map(<[u8]>::to_vec).collect()
        };
        let last = chunks.len() - 1;
        let mut verdict = None;
        for (i, chunk) in chunks.into_iter().enumerate() {
            let id = if wait && i == last {
                let id = self.take_id();
                let (tx, rx) = oneshot::channel();
                self.lock().insert(id, Pending::Reply(tx));
                verdict = Some(rx);
                id
            } else {
                0
            };
            self.send_frame(Frame::Input { id, data: chunk }).await?;
        }
        match verdict {
            Some(rx) => self.await_reply(rx).await.map(|_| ()),
            None => Ok(()),
        }
    }
}

struct Reader<S> {
    session_id: String,
    pending: Arc<Mutex<HashMap<u32, Pending>>>,
    out: S,
    attached: Arc<AtomicBool>,
    exit_sent: bool,
}

impl<S: Sink> Reader<S> {
    /// Reads frames until the connection ends; returns whether the client was attached and had
    /// not been told of an exit.
    async fn run(
        mut self,
        recv: tokio::io::ReadHalf<interprocess::local_socket::tokio::Stream>,
    ) -> bool {
        let mut recv = tokio::io::BufReader::with_capacity(MAX_CHUNK + 64, recv);
        loop {
            match read_frame(&mut recv).await {
                Ok(Some(f)) => self.frame(f).await,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(session_id = %self.session_id, "daemon connection: {e}");
                    break;
                }
            }
        }
        // Fail whatever still waits: dropping the senders wakes the waiters with an error.
        let pending: Vec<Pending> = {
            let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            p.drain().map(|(_, v)| v).collect()
        };
        for p in pending {
            if let Pending::Attach(rpc_id) = p {
                self.out.error(Some(rpc_id), gone(&self.session_id)).await;
            }
        }
        self.attached.load(Ordering::SeqCst) && !self.exit_sent
    }

    async fn frame(&mut self, f: Frame) {
        match f {
            Frame::Reply { id, reply } => {
                let p = self
                    .pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&id);
                match p {
                    Some(Pending::Reply(tx)) => {
                        let _ = tx.send(*reply);
                    }
                    Some(Pending::Attach(rpc_id)) => self.attached_reply(rpc_id, *reply).await,
                    None => tracing::debug!(id, "reply nobody waits for"),
                }
            }
            Frame::Output { offset, data } => {
                self.out.output(&self.session_id, offset, data).await;
            }
            Frame::Exit(exit) => {
                self.exit_sent = true;
                self.out
                    .notify(Notification::SessionExit(ExitParams {
                        session_id: self.session_id.clone(),
                        exit_code: exit.exit_code,
                        signal: exit.signal,
                    }))
                    .await;
            }
            Frame::Changed(reported) => {
                if self.attached.load(Ordering::SeqCst) {
                    self.out
                        .notify(Notification::SessionChanged(ChangedParams {
                            session_id: self.session_id.clone(),
                            terminal_title: reported.terminal_title,
                            cwd: reported.cwd,
                        }))
                        .await;
                }
            }
            other => tracing::warn!(?other, "unexpected frame from a daemon"),
        }
    }

    async fn attached_reply(&mut self, rpc_id: RequestId, reply: DaemonReply) {
        match reply {
            DaemonReply::Attached {
                session,
                replay_from,
                truncated,
                snapshot,
            } => {
                self.attached.store(true, Ordering::SeqCst);
                self.exit_sent = false;
                let result = AttachResult {
                    session,
                    replay_from,
                    truncated,
                    snapshot: snapshot.map(|s| *s),
                };
                match serde_json::to_value(result) {
                    Ok(v) => self.out.result(rpc_id, v).await,
                    Err(e) => {
                        let err = ErrorObject::new(ErrorCode::InternalError, e.to_string());
                        self.out.error(Some(rpc_id), err).await
                    }
                }
            }
            DaemonReply::Error { code, message } => {
                let err = ErrorObject {
                    code,
                    message,
                    data: None,
                };
                self.out.error(Some(rpc_id), err).await
            }
            other => {
                let err = ErrorObject::new(
                    ErrorCode::InternalError,
                    format!("unexpected attach reply: {other:?}"),
                );
                self.out.error(Some(rpc_id), err).await
            }
        }
    }
}
