//! Everything the agent sends its client, behind one small trait.
//!
//! The layers below the JSON-RPC server (the session [`registry`](crate::registry), its daemon
//! connections, the [`monitor`](crate::monitor)) send through a [`Sink`]: a response, a
//! notification or the hot `session.output` line. They never build JSON-RPC themselves.
//!
//! [`Writer`] is the one implementation that reaches a client: every message is encoded to one
//! line and queued on a bounded channel; one thread writes them in order with plain blocking
//! writes (no hand-off to a blocking pool per write) and flushes whenever the queue runs dry. The
//! bound is what keeps a client that stops reading from growing the agent's memory: producers
//! wait, and session output waits in the daemons' rings instead. [`Discard`] is for callers with
//! no client (`outpost-agent sessions`).

use std::future::Future;
use std::io::Write;

use outpost_protocol::codec::encode_line;
use outpost_protocol::jsonrpc::Response;
use outpost_protocol::notification::NotificationEnvelope;
use outpost_protocol::{ErrorObject, Notification, RequestId};
use serde::Serialize;
use tokio::sync::mpsc;

/// Where the lower layers send what the client should see. Sending waits while the client is
/// behind; once the client is gone, messages are dropped.
pub trait Sink: Clone + Send + Sync + 'static {
    /// Sends a successful response.
    fn result(&self, id: RequestId, result: serde_json::Value) -> impl Future<Output = ()> + Send;

    /// Sends an error response.
    fn error(&self, id: Option<RequestId>, error: ErrorObject) -> impl Future<Output = ()> + Send;

    /// Sends a notification.
    fn notify(&self, n: Notification) -> impl Future<Output = ()> + Send;

    /// Sends session output: `data` at `offset` of `session_id`'s stream (the hot path).
    fn output(&self, session_id: &str, offset: u64, data: &[u8])
        -> impl Future<Output = ()> + Send;
}

/// Lines queued for the client at most (each at most ~90 KiB of session output).
const QUEUE_LINES: usize = 64;

enum Item {
    Line(Vec<u8>),
    Flushed(tokio::sync::oneshot::Sender<()>),
}

/// The single writer of the agent's standard output: a handle for queueing lines to the client.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Item>,
}

impl Writer {
    /// Starts the writer thread over `sink`; it ends when every handle is gone or writing fails.
    pub fn start<W: Write + Send + 'static>(sink: W) -> Writer {
        let (tx, mut rx) = mpsc::channel::<Item>(QUEUE_LINES);
        let spawned = std::thread::Builder::new()
            .name("stdout-writer".into())
            .spawn(move || {
                let mut w = std::io::BufWriter::with_capacity(256 * 1024, sink);
                let mut waiting = Vec::new();
                while let Some(item) = rx.blocking_recv() {
                    let mut next = Some(item);
                    while let Some(item) = next {
                        match item {
                            Item::Line(line) => {
                                if w.write_all(&line).is_err() {
                                    return;
                                }
                            }
                            Item::Flushed(done) => waiting.push(done),
                        }
                        next = rx.try_recv().ok();
                    }
                    if w.flush().is_err() {
                        return;
                    }
                    for done in waiting.drain(..) {
                        let _ = done.send(());
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the stdout writer: {e}");
        }
        Writer { tx }
    }

    async fn send<T: Serialize>(&self, msg: &T) {
        let mut line = Vec::new();
        if encode_line(msg, &mut line).is_ok() {
            self.send_line(line).await;
        }
    }

    async fn send_line(&self, line: Vec<u8>) {
        // A closed channel means the client is gone; there is nobody left to tell.
        let _ = self.tx.send(Item::Line(line)).await;
    }

    /// Waits until everything queued so far has been written and flushed.
    pub async fn flush(&self) {
        let (done, wait) = tokio::sync::oneshot::channel();
        if self.tx.send(Item::Flushed(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Whether the writer has stopped (the client is gone).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl Sink for Writer {
    async fn result(&self, id: RequestId, result: serde_json::Value) {
        self.send(&Response::result(id, result)).await;
    }

    async fn error(&self, id: Option<RequestId>, error: ErrorObject) {
        self.send(&Response::error(id, error)).await;
    }

    async fn notify(&self, n: Notification) {
        self.send(&NotificationEnvelope::from(n)).await;
    }

    /// Encoded straight into the line by [`outpost_protocol::output::encode`]: one allocation,
    /// no intermediate base64 string, no `serde_json` pass.
    async fn output(&self, session_id: &str, offset: u64, data: &[u8]) {
        self.send_line(outpost_protocol::output::encode(session_id, offset, data))
            .await;
    }
}

/// A sink for callers with no client: everything sent is dropped at once.
#[derive(Clone, Copy, Debug, Default)]
pub struct Discard;

impl Sink for Discard {
    async fn result(&self, _: RequestId, _: serde_json::Value) {}

    async fn error(&self, _: Option<RequestId>, _: ErrorObject) {}

    async fn notify(&self, _: Notification) {}

    async fn output(&self, _: &str, _: u64, _: &[u8]) {}
}
