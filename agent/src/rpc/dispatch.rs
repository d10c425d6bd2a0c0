//! Method dispatch: params validation and the call into the session registry.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use outpost_protocol::initialize::{Capabilities, InitializeParams, InitializeResult};
use outpost_protocol::jsonrpc::{parse_params, NotificationMessage, Request};
use outpost_protocol::method::{self, Method};
use outpost_protocol::session::{
    AttachParams, CreateResult, Empty, InputParams, ListResult, ReadParams, ReadResult,
    ResizeParams, SessionKind, SessionRef, SignalParams, DEFAULT_SCROLLBACK_BYTES,
};
use outpost_protocol::{
    ErrorCode, ErrorObject, Message, RequestId, MAX_LINE_BYTES, PROTOCOL_VERSION,
};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Semaphore;

use super::outbound::Outbound;
use crate::daemon::frames::{DaemonReply, DaemonRequest};
use crate::monitor::hub::{Monitor, Starter};
use crate::sessions::{check_id, check_size, Registry, MAX_SESSIONS};
use outpost_protocol::monitor::SubscribeResult;

/// Requests handled at once at most; more get -32008.
const MAX_IN_FLIGHT: u32 = 256;

/// Routes messages to their handlers.
pub struct Dispatcher {
    registry: Arc<Registry>,
    monitor: Arc<Monitor>,
    out: Outbound,
    initialized: AtomicBool,
    in_flight: Arc<Semaphore>,
}

fn to_value<T: Serialize>(v: T) -> Result<Value, ErrorObject> {
    serde_json::to_value(v).map_err(|e| ErrorObject::new(ErrorCode::InternalError, e.to_string()))
}

fn unexpected(reply: DaemonReply) -> ErrorObject {
    ErrorObject::new(
        ErrorCode::InternalError,
        format!("unexpected daemon reply {reply:?}"),
    )
}

impl Dispatcher {
    /// A dispatcher over `registry`, answering through `out`.
    pub fn new(registry: Arc<Registry>, out: Outbound) -> Self {
        Self {
            monitor: Monitor::new(registry.clone(), out.clone()),
            registry,
            out,
            initialized: AtomicBool::new(false),
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT as usize)),
        }
    }

    /// Waits (up to a few seconds) for requests in flight to finish.
    pub async fn wait_idle(&self) {
        let all = self.in_flight.acquire_many(MAX_IN_FLIGHT);
        let _ = tokio::time::timeout(Duration::from_secs(5), all).await;
    }

    /// Handles one line from the client.
    pub async fn handle_line(self: Arc<Self>, line: &[u8]) {
        match Message::parse(line) {
            Ok(Message::Request(req)) => self.request(req).await,
            Ok(Message::Notification(n)) => self.notification(n).await,
            Ok(Message::Response(_)) => tracing::debug!("ignoring a response from the client"),
            Err(fail) => self.out.error(fail.id, fail.error).await,
        }
    }

    async fn notification(&self, n: NotificationMessage) {
        if !self.initialized.load(Ordering::SeqCst) {
            tracing::debug!(method = %n.method, "notification before initialize ignored");
            return;
        }
        if n.method == method::SessionInput::NAME {
            if let Err(e) = self.input(n.params, false).await {
                tracing::debug!("session.input notification failed: {e}");
            }
        } else {
            tracing::debug!(method = %n.method, "unknown notification ignored");
        }
    }

    async fn request(self: Arc<Self>, req: Request) {
        let Request {
            id, method, params, ..
        } = req;
        if method == method::Initialize::NAME {
            let r = self.initialize(params);
            return self.answer(id, r).await;
        }
        if !self.initialized.load(Ordering::SeqCst) {
            let err = ErrorObject::new(
                ErrorCode::NotInitialized,
                "call initialize before any other method",
            );
            return self.out.error(Some(id), err).await;
        }
        if method == method::SessionInput::NAME {
            // In order with every other input.
            let r = self
                .input(params, true)
                .await
                .and_then(|()| to_value(Empty {}));
            return self.answer(id, r).await;
        }
        if !method::ALL.contains(&method.as_str()) {
            let err = ErrorObject::new(
                ErrorCode::MethodNotFound,
                format!("unknown method {method:?}"),
            );
            return self.out.error(Some(id), err).await;
        }
        let Ok(permit) = self.in_flight.clone().try_acquire_owned() else {
            let err = ErrorObject::new(
                ErrorCode::LimitReached,
                format!("more than {MAX_IN_FLIGHT} requests in flight; wait for answers"),
            );
            return self.out.error(Some(id), err).await;
        };
        tokio::spawn(async move {
            let _permit = permit;
            if method == method::MonitorSubscribe::NAME {
                // Answered first, then its samples start.
                match self.subscribe(params).await {
                    Ok((result, starter)) => {
                        self.answer(id, to_value(result)).await;
                        starter.start();
                    }
                    Err(e) => self.out.error(Some(id), e).await,
                }
                return;
            }
            if method == method::SessionAttach::NAME {
                // The daemon connection answers attach itself, in order with the output.
                if let Err(e) = self.attach(id.clone(), params).await {
                    self.out.error(Some(id), e).await;
                }
                return;
            }
            let r = self.call(&method, params).await;
            self.answer(id, r).await;
        });
    }

    async fn answer(&self, id: RequestId, r: Result<Value, ErrorObject>) {
        match r {
            Ok(v) => self.out.result(id, v).await,
            Err(e) => self.out.error(Some(id), e).await,
        }
    }

    fn initialize(&self, params: Option<Value>) -> Result<Value, ErrorObject> {
        let p: InitializeParams = parse_params(params)?;
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
        self.initialized.store(true, Ordering::SeqCst);
        to_value(InitializeResult {
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

    async fn input(&self, params: Option<Value>, wait: bool) -> Result<(), ErrorObject> {
        let p: InputParams = parse_params(params)?;
        let conn = self.registry.conn(&p.session_id).await?;
        conn.input(p.data.into_inner(), wait).await
    }

    async fn subscribe(
        &self,
        params: Option<Value>,
    ) -> Result<(SubscribeResult, Starter), ErrorObject> {
        let p: outpost_protocol::monitor::SubscribeParams = parse_params(params)?;
        if let outpost_protocol::monitor::MonitorTarget::Session { session_id } = &p.target {
            check_id(session_id)?;
        }
        self.monitor.subscribe(p.target, p.interval_ms).await
    }

    async fn attach(&self, id: RequestId, params: Option<Value>) -> Result<(), ErrorObject> {
        let p: AttachParams = parse_params(params)?;
        let conn = self.registry.conn(&p.session_id).await?;
        conn.attach(id, p.from_offset).await
    }

    async fn call(&self, method: &str, params: Option<Value>) -> Result<Value, ErrorObject> {
        let reg = &self.registry;
        match method {
            method::SessionCreate::NAME => {
                let session = reg.create(parse_params(params)?).await?;
                to_value(CreateResult { session })
            }
            method::SessionList::NAME => {
                let _: outpost_protocol::session::ListParams = parse_params(params)?;
                to_value(ListResult {
                    sessions: reg.list().await,
                })
            }
            method::SessionDetach::NAME => {
                let p: SessionRef = parse_params(params)?;
                reg.conn(&p.session_id).await?.detach().await?;
                to_value(Empty {})
            }
            method::SessionResize::NAME => {
                let p: ResizeParams = parse_params(params)?;
                check_size(p.cols, p.rows)?;
                let req = DaemonRequest::Resize {
                    cols: p.cols,
                    rows: p.rows,
                };
                reg.conn(&p.session_id).await?.request(req).await?;
                to_value(Empty {})
            }
            method::SessionSignal::NAME => {
                let p: SignalParams = parse_params(params)?;
                let req = DaemonRequest::Signal { signal: p.signal };
                reg.conn(&p.session_id).await?.request(req).await?;
                to_value(Empty {})
            }
            method::SessionRead::NAME => {
                let p: ReadParams = parse_params(params)?;
                check_id(&p.session_id)?;
                let req = DaemonRequest::Read {
                    from_offset: p.from_offset,
                    max_bytes: p.max_bytes,
                };
                match reg.conn(&p.session_id).await?.request(req).await? {
                    DaemonReply::Read {
                        offset,
                        data,
                        output_end,
                    } => to_value(ReadResult {
                        offset,
                        data,
                        output_end,
                    }),
                    other => Err(unexpected(other)),
                }
            }
            method::SessionClose::NAME => {
                let p: SessionRef = parse_params(params)?;
                reg.close(&p.session_id).await?;
                to_value(Empty {})
            }
            method::MonitorSnapshot::NAME => {
                let p: outpost_protocol::monitor::SnapshotParams = parse_params(params)?;
                if let outpost_protocol::monitor::MonitorTarget::Session { session_id } = &p.target
                {
                    check_id(session_id)?;
                }
                let sample = self.monitor.snapshot(p.target).await?;
                to_value(outpost_protocol::monitor::SnapshotResult { sample })
            }
            method::MonitorSubscribe::NAME => Err(ErrorObject::new(
                ErrorCode::InternalError,
                "monitor.subscribe is answered by Dispatcher::subscribe",
            )),
            method::MonitorUnsubscribe::NAME => {
                let p: outpost_protocol::monitor::UnsubscribeParams = parse_params(params)?;
                self.monitor.unsubscribe(&p.subscription_id)?;
                to_value(Empty {})
            }
            method::SshHosts::NAME => {
                let _: outpost_protocol::ssh_hosts::SshHostsParams = parse_params(params)?;
                let listed = tokio::task::spawn_blocking(|| {
                    crate::ssh_hosts::list(&crate::ssh_hosts::home_dir()?)
                })
                .await
                .map_err(|e| ErrorObject::new(ErrorCode::InternalError, e.to_string()))?;
                to_value(listed?)
            }
            other => Err(ErrorObject::new(
                ErrorCode::MethodNotFound,
                format!("unknown method {other:?}"),
            )),
        }
    }
}
