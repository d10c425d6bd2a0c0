//! The single writer of the agent's standard output.
//!
//! Every response and notification is encoded to one line and queued on a bounded channel; one
//! thread writes them in order with plain blocking writes (no hand-off to a blocking pool per
//! write) and flushes whenever the queue runs dry. The bound is what keeps a
//! client that stops reading from growing the agent's memory: producers wait, and session output
//! waits in the daemons' rings instead.

use outpost_protocol::codec::encode_line;
use outpost_protocol::jsonrpc::Response;
use outpost_protocol::notification::NotificationEnvelope;
use outpost_protocol::{ErrorObject, Notification, RequestId};
use serde::Serialize;
use std::io::Write;

use tokio::sync::mpsc;

/// Lines queued for standard output at most (each at most ~90 KiB of session output).
const QUEUE_LINES: usize = 64;

enum Item {
    Line(Vec<u8>),
    Flushed(tokio::sync::oneshot::Sender<()>),
}

/// A handle for queueing lines to the client.
#[derive(Clone)]
pub struct Outbound {
    tx: mpsc::Sender<Item>,
}

impl Outbound {
    /// Starts the writer thread over `sink`; it ends when every handle is gone or writing fails.
    pub fn start<W: Write + Send + 'static>(sink: W) -> Outbound {
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
        Outbound { tx }
    }

    async fn send<T: Serialize>(&self, msg: &T) {
        let mut line = Vec::new();
        if encode_line(msg, &mut line).is_ok() {
            // A closed channel means the client is gone; there is nobody left to tell.
            let _ = self.tx.send(Item::Line(line)).await;
        }
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

    /// Sends a successful response.
    pub async fn result(&self, id: RequestId, result: serde_json::Value) {
        self.send(&Response::result(id, result)).await;
    }

    /// Sends an error response.
    pub async fn error(&self, id: Option<RequestId>, error: ErrorObject) {
        self.send(&Response::error(id, error)).await;
    }

    /// Sends a `session.output` notification: the hot path, encoded straight into the line
    /// (the same JSON serde would write, without the intermediate base64 string and the escape
    /// scan; the unit test below holds it to that).
    pub async fn output(&self, session_id: &str, offset: u64, data: &[u8]) {
        let line = encode_output(session_id, offset, data);
        let _ = self.tx.send(Item::Line(line)).await;
    }

    /// Sends a notification.
    pub async fn notify(&self, n: Notification) {
        self.send(&NotificationEnvelope::from(n)).await;
    }
}

/// The `session.output` line for `data` at `offset`. Session ids are `[a-z0-9]` and base64 needs
/// no escaping, so the JSON is assembled directly.
pub fn encode_output(session_id: &str, offset: u64, data: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    const HEAD: &[u8] = br#"{"jsonrpc":"2.0","method":"session.output","params":{"session_id":"#;
    let b64_len = data.len().div_ceil(3) * 4;
    let mut line = Vec::with_capacity(HEAD.len() + session_id.len() + 48 + b64_len);
    line.extend_from_slice(HEAD);
    // serde_json writes the id as a JSON string; ids are validated to need no escaping.
    line.extend_from_slice(
        serde_json::to_string(session_id)
            .unwrap_or_default()
            .as_bytes(),
    );
    line.extend_from_slice(b",\"offset\":");
    line.extend_from_slice(offset.to_string().as_bytes());
    line.extend_from_slice(b",\"data\":\"");
    let start = line.len();
    line.resize(start + b64_len, 0);
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(data, &mut line[start..])
        .unwrap_or(0);
    line.truncate(start + written);
    line.extend_from_slice(b"\"}}\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use outpost_protocol::session::OutputParams;
    use outpost_protocol::Base64Bytes;

    #[test]
    fn output_line_is_what_serde_writes() {
        for data in [&b""[..], b"a", b"ab", b"abc", b"\x00\xff\x1b[0m\r\n"] {
            let n = NotificationEnvelope::from(Notification::SessionOutput(OutputParams {
                session_id: "k3f9x2ab".into(),
                offset: 18_446_744_073_709_551_000,
                data: Base64Bytes(data.to_vec()),
            }));
            let mut want = Vec::new();
            encode_line(&n, &mut want).unwrap();
            let got = encode_output("k3f9x2ab", 18_446_744_073_709_551_000, data);
            assert_eq!(
                String::from_utf8(got).unwrap(),
                String::from_utf8(want).unwrap()
            );
        }
    }
}
