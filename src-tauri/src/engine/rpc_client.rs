//! The JSON-RPC client that speaks to an agent over any byte stream (an SSH exec channel, or
//! pipes to a local agent).
//!
//! Requests are typed by the protocol crate's [`Method`] markers and may run concurrently; a
//! reader task matches responses to requests by id and routes notifications: each session's
//! output and exit to the stream registered for it, monitoring samples to theirs. Lines the agent
//! did not write (a shell startup file printing to stdout before the agent started) are kept as
//! a preamble and reported, instead of breaking the protocol.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use outpost_protocol::codec::{encode_line, LineDecoder};
use outpost_protocol::jsonrpc::{NotificationMessage, Outcome, Request, Version};
use outpost_protocol::monitor::SampleParams;
use outpost_protocol::session::{ExitParams, OutputParams};
use outpost_protocol::{ErrorObject, Message, Method, Notification, RequestId, MAX_LINE_BYTES};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, watch};

/// How long a request may wait for its answer by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The most preamble lines kept for the report.
const MAX_PREAMBLE_LINES: usize = 20;

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

/// What an attached session's stream carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// Output bytes at an offset.
    Output {
        /// Offset of the first byte.
        offset: u64,
        /// The bytes.
        data: Vec<u8>,
    },
    /// The session's process ended.
    Exit(ExitParams),
}

type Pending = HashMap<i64, oneshot::Sender<Result<serde_json::Value, ErrorObject>>>;

#[derive(Default)]
struct Routes {
    sessions: HashMap<String, mpsc::Sender<SessionEvent>>,
    samples: HashMap<String, mpsc::Sender<SampleParams>>,
}

struct Inner {
    out: mpsc::Sender<Vec<u8>>,
    pending: Mutex<Pending>,
    routes: Mutex<Routes>,
    preamble: Mutex<Vec<String>>,
    next_id: AtomicI64,
    closed: watch::Receiver<bool>,
}

/// A connection to one agent. Cheap to clone.
#[derive(Clone)]
pub struct RpcClient {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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
            routes: Mutex::default(),
            preamble: Mutex::default(),
            next_id: AtomicI64::new(1),
            closed,
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
            read_loop(reader, &weak).await;
            if let Some(inner) = weak.upgrade() {
                lock(&inner.pending).clear();
                let mut routes = lock(&inner.routes);
                routes.sessions.clear();
                routes.samples.clear();
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
        let value = self.call_raw(M::NAME, &params, timeout).await?;
        serde_json::from_value(value).map_err(|e| RpcError::BadResult {
            method: M::NAME.into(),
            message: e.to_string(),
        })
    }

    async fn call_raw<P: Serialize>(
        &self,
        method: &str,
        params: &P,
        timeout: Duration,
    ) -> Result<serde_json::Value, RpcError> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&self.inner.pending).insert(id, tx);
        let req = Request {
            jsonrpc: Version,
            id: RequestId::Number(id),
            method: method.into(),
            params: Some(
                serde_json::to_value(params).map_err(|e| RpcError::BadResult {
                    method: method.into(),
                    message: e.to_string(),
                })?,
            ),
        };
        let mut line = Vec::new();
        let _ = encode_line(&req, &mut line);
        if self.inner.out.send(line).await.is_err() {
            lock(&self.inner.pending).remove(&id);
            return Err(RpcError::Closed);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(e))) => Err(RpcError::Remote(e)),
            Ok(Err(_)) => Err(RpcError::Closed),
            Err(_) => {
                lock(&self.inner.pending).remove(&id);
                Err(RpcError::Timeout {
                    method: method.into(),
                    timeout,
                })
            }
        }
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

    /// Routes a session's output and exit to a new stream (replacing any earlier one). Register
    /// before `session.attach` so no output is missed.
    pub fn session_events(&self, session_id: &str) -> mpsc::Receiver<SessionEvent> {
        let (tx, rx) = mpsc::channel(1024);
        lock(&self.inner.routes)
            .sessions
            .insert(session_id.to_string(), tx);
        rx
    }

    /// Stops routing a session's events.
    pub fn drop_session_events(&self, session_id: &str) {
        lock(&self.inner.routes).sessions.remove(session_id);
    }

    /// Routes a monitoring subscription's samples to a new stream.
    pub fn samples(&self, subscription_id: &str) -> mpsc::Receiver<SampleParams> {
        let (tx, rx) = mpsc::channel(256);
        lock(&self.inner.routes)
            .samples
            .insert(subscription_id.to_string(), tx);
        rx
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
}

async fn read_loop<R: AsyncRead + Unpin>(mut reader: R, weak: &std::sync::Weak<Inner>) {
    let mut decoder = LineDecoder::new(MAX_LINE_BYTES * 2);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        decoder.push(&buf[..n]);
        while let Some(line) = decoder.next_line() {
            let Some(inner) = weak.upgrade() else { return };
            match line {
                Ok(line) => handle_line(&inner, &line).await,
                Err(e) => tracing::warn!("agent sent an over-long line: {e}"),
            }
        }
    }
}

async fn handle_line(inner: &Inner, line: &[u8]) {
    match Message::parse(line) {
        Ok(Message::Response(r)) => {
            let Some(RequestId::Number(id)) = r.id else {
                if let Outcome::Error(e) = r.outcome {
                    tracing::warn!("agent error without a request id: {e}");
                }
                return;
            };
            if let Some(tx) = lock(&inner.pending).remove(&id) {
                let _ = tx.send(match r.outcome {
                    Outcome::Result(v) => Ok(v),
                    Outcome::Error(e) => Err(e),
                });
            }
        }
        Ok(Message::Notification(n)) => route(inner, n).await,
        Ok(Message::Request(r)) => {
            tracing::debug!(method = %r.method, "ignoring a request from the agent")
        }
        Err(_) => {
            let text = String::from_utf8_lossy(line).into_owned();
            tracing::warn!(line = %text, "the agent's stream carried a line that is not protocol");
            let mut p = lock(&inner.preamble);
            if p.len() < MAX_PREAMBLE_LINES {
                p.push(text);
            }
        }
    }
}

async fn route(inner: &Inner, n: NotificationMessage) {
    let value = serde_json::json!({"method": n.method, "params": n.params});
    let Ok(note) = serde_json::from_value::<Notification>(value) else {
        tracing::debug!(method = %n.method, "unknown notification");
        return;
    };
    match note {
        Notification::SessionOutput(OutputParams {
            session_id,
            offset,
            data,
        }) => {
            let tx = lock(&inner.routes).sessions.get(&session_id).cloned();
            if let Some(tx) = tx {
                let _ = tx
                    .send(SessionEvent::Output {
                        offset,
                        data: data.into_inner(),
                    })
                    .await;
            }
        }
        Notification::SessionExit(exit) => {
            let tx = lock(&inner.routes).sessions.get(&exit.session_id).cloned();
            if let Some(tx) = tx {
                let _ = tx.send(SessionEvent::Exit(exit)).await;
            }
        }
        Notification::MonitorSample(s) => {
            let tx = lock(&inner.routes).samples.get(&s.subscription_id).cloned();
            if let Some(tx) = tx {
                let _ = tx.send(*s).await;
            }
        }
    }
}
