//! `initialize`: agreeing on the protocol version, which must come before any other method.

use std::sync::atomic::Ordering;

use outpost_protocol::initialize::{Capabilities, InitializeParams, InitializeResult};
use outpost_protocol::method::Initialize;
use outpost_protocol::session::{SessionKind, DEFAULT_SCROLLBACK_BYTES};
use outpost_protocol::{ErrorCode, ErrorObject, MAX_LINE_BYTES, PROTOCOL_VERSION};

use super::{Context, Handler};
use crate::registry::MAX_SESSIONS;

impl Handler for Initialize {
    async fn handle(cx: &Context, p: InitializeParams) -> Result<InitializeResult, ErrorObject> {
        if p.protocol_version != PROTOCOL_VERSION {
            return Err(ErrorObject::new(
                ErrorCode::VersionMismatch,
                format!(
                    "protocol version mismatch: the client speaks {}, this agent ({}) speaks {PROTOCOL_VERSION}",
                    p.protocol_version,
                    env!("CARGO_PKG_VERSION")
                ),
            ));
        }
        tracing::info!(client = %p.client.name, version = %p.client.version, "client initialized");
        cx.initialized.store(true, Ordering::SeqCst);
        Ok(InitializeResult {
            protocol_version: PROTOCOL_VERSION,
            agent_version: env!("CARGO_PKG_VERSION").into(),
            host: crate::host::host_info(),
            capabilities: Capabilities {
                session_kinds: vec![SessionKind::Shell, SessionKind::Ssh],
                max_line_bytes: MAX_LINE_BYTES as u64,
                default_scrollback_bytes: DEFAULT_SCROLLBACK_BYTES,
                max_sessions: MAX_SESSIONS,
            },
        })
    }
}
