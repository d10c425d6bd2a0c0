//! The JSON-RPC client that speaks to an agent over any byte stream (an SSH exec channel, or
//! pipes to a local agent).
//!
//! Requests are typed by the protocol crate's [`Method`] markers and may run concurrently. A
//! reader task reads each line once ([`AgentMessage::parse`]: `session.output` borrowed from the
//! line, decoded only when a view is attached), matches responses to requests by id, and hands
//! notifications to the [`routes`](super::routes): every view attached to a session gets its
//! output and exit, monitoring samples go to their subscription. Lines the agent did not write (a
//! shell startup file printing to stdout before the agent started) are kept as a preamble and
//! reported, instead of breaking the protocol.
//!
//! An agent is not trusted with the desktop's memory or arithmetic: a line longer than
//! [`MAX_LINE_BYTES`] is dropped (with a warning at most once per [`WARN_EVERY`], counting the
//! ones not reported), and a `session.output` whose `offset + length` does not fit in 64 bits
//! is a protocol violation: the connection is closed and every view of it ends with
//! [`RpcError::BadResult`] (a `protocol` error) instead of reconnecting to the same agent.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use outpost_protocol::codec::{encode_line, LineDecoder};
use outpost_protocol::incoming::AgentMessage;
use outpost_protocol::jsonrpc::{NotificationMessage, Request, Version};
use outpost_protocol::monitor::SampleParams;
use outpost_protocol::session::{
    AttachParams, AttachResult, InputParams, Restore, MAX_INPUT_BYTES,
};
use outpost_protocol::{
    method, Base64Bytes, ErrorObject, Method, Notification, RequestId, MAX_LINE_BYTES,
};
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, watch};

use super::routes::{Routes, SessionStream};

/// How long a request may wait for its answer by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The most preamble lines kept for the report.
const MAX_PREAMBLE_LINES: usize = 20;

/// The most bytes of each preamble line kept (and logged).
const MAX_PREAMBLE_LINE: usize = 1024;

/// At most one warning about bad lines from the agent per this interval.
pub const WARN_EVERY: Duration = Duration::from_secs(10);

/// Why a call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RpcError {
    /// The agent answered with an error.
    #[error("{0}")]
    Remote(ErrorObject),
    /// The connection to the agent is gone.
    #[error("the connection to the agent closed")]
    Closed,
    /// No answer in time.
    #[error("the agent did not answer {method} within {timeout:?}")]
    Timeout {
        /// The method.
        method: String,
        /// The limit.
        timeout: Duration,
    },
    /// The agent's answer did not have the expected shape.
    #[error("unexpected answer to {method}: {message}")]
    BadResult {
        /// The method.
        method: String,
        /// What was wrong.
        message: String,
    },
}

impl RpcError {
    /// The JSON-RPC error code, when the agent sent one.
    pub fn code(&self) -> Option<i32> {
        match self {
            RpcError::Remote(e) => Some(e.code),
            _ => None,
        }
    }
}

type Answer = Result<Box<RawValue>, ErrorObject>;
type Pending = HashMap<i64, oneshot::Sender<Answer>>;

pub(super) struct Inner {
    out: mpsc::Sender<Vec<u8>>,
    pending: Mutex<Pending>,
    pub(super) routes: Routes,
    preamble: Mutex<Vec<String>>,
    next_id: AtomicI64,
    closed: watch::Receiver<bool>,
    /// Why the connection was closed by this side, when the agent broke the protocol.
    violation: Mutex<Option<String>>,
}

/// A connection to one agent. Cheap to clone.
#[derive(Clone)]
pub struct RpcClient {
    pub(super) inner: Arc<Inner>,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A request written to the agent, whose answer is still to come.
pub(super) struct Sent {
    id: i64,
    method: &'static str,
    answer: oneshot::Receiver<Answer>,
}

impl RpcClient {
    /// Starts the client over a byte stream.
    pub fn start<R, W>(reader: R, writer: W) -> RpcClient
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let (out, mut out_rx) = mpsc::channel::<Vec<u8>>(256);
        let (closed_tx, closed) = watch::channel(false);
        let inner = Arc::new(Inner {
            out,
            pending: Mutex::default(),
            routes: Routes::default(),
            preamble: Mutex::default(),
            next_id: AtomicI64::new(1),
            closed,
            violation: Mutex::default(),
        });
        tokio::spawn(async move {
            let mut w = tokio::io::BufWriter::new(writer);
            while let Some(line) = out_rx.recv().await {
                if w.write_all(&line).await.is_err() {
                    return;
                }
                while let Ok(line) = out_rx.try_recv() {
                    if w.write_all(&line).await.is_err() {
                        return;
                    }
                }
                if w.flush().await.is_err() {
                    return;
                }
            }
            let _ = w.shutdown().await;
        });
        let weak = Arc::downgrade(&inner);
        tokio::spawn(async move {
            let violation = read_loop(reader, &weak).await;
            if let Some(inner) = weak.upgrade() {
                if let Some(v) = violation {
                    tracing::warn!("closing the connection: the agent broke the protocol: {v}");
                    *lock(&inner.violation) = Some(v);
                }
                lock(&inner.pending).clear();
                inner.routes.close_all();
            }
            let _ = closed_tx.send(true);
        });
        RpcClient { inner }
    }

    /// Calls a method and waits for its result (up to [`DEFAULT_TIMEOUT`]).
    pub async fn call<M: Method>(&self, params: M::Params) -> Result<M::Result, RpcError> {
        self.call_timeout::<M>(params, DEFAULT_TIMEOUT).await
    }

    /// Calls a method with a time limit.
    pub async fn call_timeout<M: Method>(
        &self,
        params: M::Params,
        timeout: Duration,
    ) -> Result<M::Result, RpcError> {
        let sent = self.send::<M>(&params).await?;
        self.answer::<M>(sent, timeout).await
    }

    /// Writes a request; its answer is awaited with [`answer`](Self::answer). Requests written
    /// in turn reach the agent in that order.
    pub(super) async fn send<M: Method>(&self, params: &M::Params) -> Result<Sent, RpcError> {
        self.send_with::<M>(params, |_| {}).await
    }

    /// [`send`](Self::send), calling `numbered` with the request's id before it is written.
    pub(super) async fn send_with<M: Method>(
        &self,
        params: &M::Params,
        numbered: impl FnOnce(i64),
    ) -> Result<Sent, RpcError> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        numbered(id);
        let (tx, answer) = oneshot::channel();
        let params = serde_json::to_value(params).map_err(|e| RpcError::BadResult {
            method: M::NAME.into(),
            message: e.to_string(),
        })?;
        let req = Request {
            jsonrpc: Version,
            id: RequestId::Number(id),
            method: M::NAME.into(),
            params: Some(params),
        };
        let mut line = Vec::new();
        let _ = encode_line(&req, &mut line);
        lock(&self.inner.pending).insert(id, tx);
        if self.inner.out.send(line).await.is_err() {
            lock(&self.inner.pending).remove(&id);
            return Err(RpcError::Closed);
        }
        Ok(Sent {
            id,
            method: M::NAME,
            answer,
        })
    }

    /// Waits for a sent request's answer and reads it as `M`'s result.
    pub(super) async fn answer<M: Method>(
        &self,
        sent: Sent,
        timeout: Duration,
    ) -> Result<M::Result, RpcError> {
        let raw = match tokio::time::timeout(timeout, sent.answer).await {
            Ok(Ok(Ok(raw))) => raw,
            Ok(Ok(Err(e))) => return Err(RpcError::Remote(e)),
            Ok(Err(_)) => return Err(RpcError::Closed),
            Err(_) => {
                lock(&self.inner.pending).remove(&sent.id);
                return Err(RpcError::Timeout {
                    method: sent.method.into(),
                    timeout,
                });
            }
        };
        serde_json::from_str(raw.get()).map_err(|e| RpcError::BadResult {
            method: sent.method.into(),
            message: e.to_string(),
        })
    }

    /// Sends a method as a notification (no answer; used for low-latency input).
    pub async fn notify<M: Method>(&self, params: M::Params) -> Result<(), RpcError> {
        let n = NotificationMessage {
            jsonrpc: Version,
            method: M::NAME.into(),
            params: serde_json::to_value(params).ok(),
        };
        let mut line = Vec::new();
        let _ = encode_line(&n, &mut line);
        self.inner
            .out
            .send(line)
            .await
            .map_err(|_| RpcError::Closed)
    }

    /// Types `data` into a session, in order, as `session.input` notifications of at most
    /// [`MAX_INPUT_BYTES`] each (a notification: no answer to wait for, for low latency).
    pub async fn input(&self, session_id: &str, data: &[u8]) -> Result<(), RpcError> {
        for chunk in data.chunks(MAX_INPUT_BYTES) {
            self.notify::<method::SessionInput>(InputParams {
                session_id: session_id.into(),
                data: Base64Bytes(chunk.to_vec()),
            })
            .await?;
        }
        Ok(())
    }

    /// Types `data` into a session and waits until the session has it (`session.input` as
    /// requests of at most [`MAX_INPUT_BYTES`] each).
    pub async fn input_confirmed(&self, session_id: &str, data: &[u8]) -> Result<(), RpcError> {
        for chunk in data.chunks(MAX_INPUT_BYTES) {
            self.call::<method::SessionInput>(InputParams {
                session_id: session_id.into(),
                data: Base64Bytes(chunk.to_vec()),
            })
            .await?;
        }
        Ok(())
    }

    /// Attaches a new view to a session: its stream gets every `session.output` and
    /// `session.exit` of the session from the agent's replay on. Several views of one session
    /// share the agent's attachment on this connection; see [`routes`](super::routes). With
    /// `restore` (honoured for the first view of a session) the result may carry a screen
    /// snapshot to show before the stream, which then starts at the snapshot's offset.
    pub async fn attach(
        &self,
        session_id: &str,
        from_offset: Option<u64>,
        restore: Restore,
    ) -> Result<(AttachResult, SessionStream), RpcError> {
        let (stream, sent) = self
            .inner
            .routes
            .attach(self, session_id, from_offset, restore)
            .await?;
        let result = self
            .answer::<method::SessionAttach>(sent, DEFAULT_TIMEOUT)
            .await?;
        Ok((result, stream))
    }

    /// Writes `session.attach` (for the routes, which order it with detaches and need its id
    /// before it is written).
    pub(super) async fn send_attach(
        &self,
        session_id: &str,
        from_offset: Option<u64>,
        restore: Restore,
        numbered: impl FnOnce(i64),
    ) -> Result<Sent, RpcError> {
        let params = AttachParams {
            session_id: session_id.into(),
            from_offset,
            restore,
            max_stall_ms: None,
        };
        self.send_with::<method::SessionAttach>(&params, numbered)
            .await
    }

    /// Routes a monitoring subscription's samples to a new stream.
    pub fn samples(&self, subscription_id: &str) -> mpsc::Receiver<SampleParams> {
        self.inner.routes.samples(subscription_id)
    }

    /// Lines that arrived but were not protocol (e.g. printed by a shell startup file).
    pub fn preamble(&self) -> Vec<String> {
        lock(&self.inner.preamble).clone()
    }

    /// Whether the connection is gone.
    pub fn is_closed(&self) -> bool {
        *self.inner.closed.borrow()
    }

    /// Resolves when the connection is gone.
    pub async fn closed(&self) {
        let mut rx = self.inner.closed.clone();
        let _ = rx.wait_for(|c| *c).await;
    }

    /// Why the connection is gone: [`RpcError::BadResult`] when this side closed it because the
    /// agent broke the protocol (reconnecting to the same agent would not help), else
    /// [`RpcError::Closed`].
    pub fn closed_error(&self) -> RpcError {
        match lock(&self.inner.violation).clone() {
            Some(message) => RpcError::BadResult {
                method: "session.output".into(),
                message,
            },
            None => RpcError::Closed,
        }
    }
}

/// Warnings about bad lines, at most one per [`WARN_EVERY`].
struct BadLines {
    last: Option<std::time::Instant>,
    unreported: u64,
}

impl BadLines {
    fn warn(&mut self, what: &str) {
        let now = std::time::Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < WARN_EVERY)
        {
            self.unreported += 1;
            return;
        }
        tracing::warn!(
            "{what} (and {} more bad lines since the last warning)",
            self.unreported
        );
        self.last = Some(now);
        self.unreported = 0;
    }
}

/// Reads lines until the stream ends (`None`) or the agent breaks the protocol (why).
async fn read_loop<R: AsyncRead + Unpin>(
    mut reader: R,
    weak: &std::sync::Weak<Inner>,
) -> Option<String> {
    let mut decoder = LineDecoder::new(MAX_LINE_BYTES);
    let mut bad = BadLines {
        last: None,
        unreported: 0,
    };
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => n,
        };
        decoder.push(&buf[..n]);
        while let Some(line) = decoder.next_line() {
            let inner = weak.upgrade()?;
            match line {
                Ok(line) => {
                    if let Err(why) = handle_line(&inner, &line, &mut bad).await {
                        return Some(why);
                    }
                }
                Err(e) => bad.warn(&format!("dropped an over-long line from the agent: {e}")),
            }
        }
    }
}

/// Handles one line; `Err` with the reason when it breaks the protocol.
async fn handle_line(inner: &Inner, line: &[u8], bad: &mut BadLines) -> Result<(), String> {
    match AgentMessage::parse(line) {
        Ok(AgentMessage::Output(out)) => {
            let Some(end) = out.end_offset() else {
                return Err(format!(
                    "session.output of {} at offset {} with {} bytes ends past 2^64",
                    out.session_id,
                    out.offset,
                    out.data_len()
                ));
            };
            inner.routes.output(&out, end).await
        }
        Ok(AgentMessage::Notification(Notification::SessionExit(exit))) => {
            inner.routes.exit(exit).await
        }
        Ok(AgentMessage::Notification(Notification::MonitorSample(s))) => {
            inner.routes.sample(*s).await
        }
        Ok(AgentMessage::Notification(Notification::SessionChanged(c))) => inner.routes.changed(c),
        Ok(AgentMessage::Notification(Notification::SessionOutput(_))) => {
            // Output lines always parse as AgentMessage::Output.
        }
        Ok(AgentMessage::Response { id, outcome }) => {
            let Some(RequestId::Number(id)) = id else {
                if let Err(e) = outcome {
                    bad.warn(&format!("agent error without a request id: {e}"));
                }
                return Ok(());
            };
            // A view whose attach this answers gets the output that follows, not what came before.
            inner.routes.answered(id);
            if let Some(tx) = lock(&inner.pending).remove(&id) {
                let _ = tx.send(outcome.map(|raw| raw.to_owned()));
            }
        }
        Ok(AgentMessage::Unknown { method }) => {
            tracing::debug!(%method, "ignoring an unknown message from the agent")
        }
        Err(_) => {
            let text: String =
                String::from_utf8_lossy(&line[..line.len().min(MAX_PREAMBLE_LINE)]).into_owned();
            let mut p = lock(&inner.preamble);
            if p.len() < MAX_PREAMBLE_LINES {
                tracing::warn!(line = %text, "the agent's stream carried a line that is not protocol");
                p.push(text);
            } else {
                bad.warn("the agent's stream carried a line that is not protocol");
            }
        }
    }
    Ok(())
}
