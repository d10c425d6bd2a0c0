//! The JSON-RPC server on standard input and output.
//!
//! One task reads lines (bounded by [`MAX_LINE_BYTES`]) and dispatches them ([`dispatch`]):
//! `initialize` and `session.input` are handled in arrival order (input must never be
//! reordered); every other request runs in its own task, so a slow `session.create` never stalls
//! other sessions. Each method's handler is in [`routes`]. Answers and notifications all leave
//! through the one stdout [`Writer`]. End of input (the SSH channel closed) ends the agent;
//! sessions live on in their daemons.

pub mod dispatch;
pub mod routes;

use outpost_protocol::codec::{CodecError, LineDecoder};
use outpost_protocol::{ErrorCode, ErrorObject, MAX_LINE_BYTES};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::outbound::{Sink, Writer};
use crate::paths::Paths;
use crate::registry::Registry;
use dispatch::Dispatcher;
use routes::Context;

/// Serves one client over `input`/`output` until `input` ends.
pub async fn serve<R, W>(mut input: R, output: W, paths: Paths)
where
    R: AsyncRead + Unpin,
    W: std::io::Write + Send + 'static,
{
    let out = Writer::start(output);
    let registry = Registry::new(paths, out.clone());
    {
        // Find live sessions and clean up the remains of dead ones.
        let registry = registry.clone();
        tokio::spawn(async move {
            let n = registry.list().await.len();
            tracing::info!(sessions = n, "found existing sessions");
        });
    }
    let dispatcher = Dispatcher::new(Context::new(registry, out.clone()));
    let mut decoder = LineDecoder::new(MAX_LINE_BYTES);
    let mut buf = vec![0u8; 256 * 1024];
    'read: loop {
        let n = match input.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                tracing::warn!("reading stdin: {e}");
                break;
            }
        };
        decoder.push(&buf[..n]);
        while let Some(line) = decoder.next_line() {
            match line {
                Ok(line) => dispatcher.handle_line(&line).await,
                Err(CodecError::LineTooLong { max }) => {
                    let err = ErrorObject::new(
                        ErrorCode::MessageTooLarge,
                        format!("message longer than {max} bytes; it was discarded"),
                    );
                    out.error(None, err).await;
                }
            }
            if out.is_closed() {
                break 'read;
            }
        }
    }
    if let Some(Ok(line)) = decoder.finish() {
        dispatcher.handle_line(&line).await;
    }
    tracing::info!("input closed; the agent exits and sessions keep running");
    // Let requests in flight finish and their answers go out, then stop.
    dispatcher.wait_idle().await;
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), out.flush()).await;
}
