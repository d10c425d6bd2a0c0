//! The MCP server itself: [`OutpostMcp`] holds the shared connections, the policy and the audit
//! log, and every tool call passes through [`OutpostMcp`]'s `call_tool`, which refuses disabled
//! tools and hosts outside the policy, runs the tool, and appends the call and its outcome to
//! the audit log.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{tool_handler, ErrorData, RoleServer, ServerHandler};
use serde_json::Value;

use super::audit::{AuditLog, Outcome, Record};
use super::policy::{Policy, Refusal};
use super::reply::{self, Failure};
use super::tools::forwards::ForwardTable;
use crate::engine::agent::rpc_client::RpcClient;
use crate::engine::live::connections::Connections;

/// What the server tells a model about itself at `initialize`.
const INSTRUCTIONS: &str = "Outpost keeps terminal sessions alive on your hosts (and on SSH \
targets behind them). Start with hosts_list, then sessions_list or session_open. Use \
session_exec to run a command in a session's shell and get its output and exit code (the \
shell keeps its working directory and environment between calls); exec_run for a one-shot \
command without a terminal; session_send/session_expect for interactive programs; files_list, \
file_read, file_write, file_upload/file_download and the other file_* tools for files on a \
saved host (or an ssh session's target); forward_open/forward_list/forward_close for port \
forwards through a host that last while this server runs. Sessions \
outlive this server: leave them running and find them again with sessions_list. A person may \
be watching the same session in the Outpost window. Calls can be refused by the user's policy; \
the error names the rule.";

/// The server: shared by every request.
#[derive(Clone)]
pub struct OutpostMcp {
    conns: Arc<Connections>,
    policy: Arc<RwLock<Policy>>,
    audit: Arc<AuditLog>,
    audit_failed: Arc<AtomicBool>,
    forwards: Arc<ForwardTable>,
    tool_router: ToolRouter<Self>,
}

impl OutpostMcp {
    /// A server over `conns` under `policy`, logging to `audit`.
    pub fn new(conns: Arc<Connections>, policy: Policy, audit: AuditLog) -> Self {
        OutpostMcp {
            conns,
            policy: Arc::new(RwLock::new(policy)),
            audit: Arc::new(audit),
            audit_failed: Arc::new(AtomicBool::new(false)),
            forwards: Arc::default(),
            tool_router: Self::host_tools()
                + Self::session_tools()
                + Self::exec_tools()
                + Self::file_tools()
                + Self::forward_tools()
                + Self::policy_tools(),
        }
    }

    /// Whether a tool of this name exists.
    pub(super) fn knows_tool(&self, name: &str) -> bool {
        self.tool_router.has_route(name)
    }

    /// The connections to hosts.
    pub(super) fn conns(&self) -> &Connections {
        &self.conns
    }

    /// The forwards this server runs.
    pub(super) fn forwards(&self) -> &ForwardTable {
        &self.forwards
    }

    /// Runs `f` over the policy in force.
    pub(super) fn with_policy<T>(&self, f: impl FnOnce(&Policy) -> T) -> T {
        f(&self.policy.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Runs `f` over the policy, to change it.
    pub(super) fn with_policy_mut<T>(&self, f: impl FnOnce(&mut Policy) -> T) -> T {
        f(&mut self.policy.write().unwrap_or_else(|p| p.into_inner()))
    }

    /// Refuses `host` unless the policy allows it.
    pub(super) fn check_host(&self, host: &str) -> Result<(), Refusal> {
        self.with_policy(|p| p.host_allowed(host))
    }

    /// Refuses an action that changes something on `host` when it is read-only.
    pub(super) fn check_writable(&self, host: &str, what: &str) -> Result<(), Refusal> {
        self.with_policy(|p| p.check_writable(host, what))
    }

    /// Refuses a command (or typed text) the policy does not allow on `host`.
    pub(super) fn check_command(&self, host: &str, command: &str) -> Result<(), Refusal> {
        self.with_policy(|p| p.check_command(host, command))
    }

    /// The JSON-RPC client of `host`'s agent, connecting first when needed.
    pub(super) async fn rpc(&self, host: &str) -> Result<RpcClient, Failure> {
        self.check_host(host)?;
        Ok(self.conns.rpc(host).await?)
    }

    /// Logs a call; a failed write makes every later call fail until the log works again.
    fn log(&self, record: &Record) {
        match self.audit.append(record) {
            Ok(()) => self.audit_failed.store(false, Ordering::SeqCst),
            Err(e) => {
                tracing::error!("audit log: {e}");
                self.audit_failed.store(true, Ordering::SeqCst);
            }
        }
    }
}

/// How a tool call ended, read from its result for the audit log.
fn outcome(result: &Result<CallToolResponse, ErrorData>) -> Outcome {
    match result {
        Ok(CallToolResponse::Complete(r)) => {
            let data = r.structured_content.as_ref();
            let error = data.and_then(|d| d.get("error"));
            let field = |k: &str| {
                error
                    .and_then(|e| e.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            Outcome {
                ok: r.is_error != Some(true),
                code: field("code"),
                message: field("message"),
                rule: field("rule"),
                exit_code: data
                    .and_then(|d| d.get("exit_code"))
                    .and_then(Value::as_i64)
                    .and_then(|c| i32::try_from(c).ok()),
            }
        }
        Ok(_) => Outcome {
            ok: true,
            ..Outcome::default()
        },
        Err(e) => Outcome {
            ok: false,
            code: Some(format!("mcp_{}", e.code.0)),
            message: Some(e.message.to_string()),
            ..Outcome::default()
        },
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for OutpostMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("outpost", env!("CARGO_PKG_VERSION"))
                    .with_title("Outpost: persistent terminal sessions on your hosts"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let started = Instant::now();
        let tool = request.name.to_string();
        let args = Value::Object(request.arguments.clone().unwrap_or_default());
        let text = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_string);
        let host = text("host");
        let session = text("session_id").or_else(|| {
            text("exec_id").and_then(|id| {
                outpost_protocol::exec::parse_exec_id(&id).map(|(s, _)| s.to_string())
            })
        });
        let refused = if self.audit_failed.load(Ordering::SeqCst) {
            Some(Failure::AuditUnavailable(format!(
                "the audit log {} cannot be written: no tool runs until it can (see the server's log)",
                self.audit.path().display()
            )))
        } else {
            self.with_policy(|p| p.tool_allowed(&tool, host.as_deref()))
                .err()
                .map(Failure::Refused)
        };
        let result = match refused {
            Some(f) => Ok(CallToolResponse::Complete(reply::error(&f))),
            None => {
                let tcc = ToolCallContext::new(self, request, context);
                self.tool_router.call(tcc).await
            }
        };
        // A new session is logged with the id it got.
        let session = session.or_else(|| match &result {
            Ok(CallToolResponse::Complete(r)) => r
                .structured_content
                .as_ref()
                .and_then(|d| d.get("session_id"))
                .and_then(Value::as_str)
                .map(str::to_string),
            _ => None,
        });
        let record = Record {
            tool,
            host,
            session,
            arguments: super::redact::arguments(&args),
            outcome: outcome(&result),
            duration_ms: started.elapsed().as_millis() as u64,
        };
        tracing::info!(tool = %record.tool, ok = record.outcome.ok, "tool call");
        self.log(&record);
        result
    }
}
