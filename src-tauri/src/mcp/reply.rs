//! How a tool answers: a JSON object as structured content (and as text, for clients that read
//! only text), or an error as structured data: `{"error": {"code", "message", "rule"?,
//! "pattern"?, "details"?}}` with `isError` set.
//!
//! Codes: `policy_refused` (with the `rule` that refused), `invalid` (bad arguments), the
//! engine's codes ([`EngineError::code`]: `host_not_found`, `session_busy`, `timed_out`,
//! `disconnected`, …) and `audit_unavailable`.

use rmcp::model::CallToolResult;
use serde::Serialize;
use serde_json::{json, Value};

use super::policy::Refusal;
use crate::engine::EngineError;

/// Why a tool call failed.
#[derive(Debug)]
pub enum Failure {
    /// The policy refused it.
    Refused(Refusal),
    /// The engine or the agent failed.
    Engine(EngineError),
    /// The arguments are wrong.
    Invalid(String),
    /// The audit log cannot be written, so nothing runs.
    AuditUnavailable(String),
}

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Self {
        Failure::Refused(r)
    }
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        Failure::Engine(e)
    }
}

impl From<crate::engine::agent::rpc_client::RpcError> for Failure {
    fn from(e: crate::engine::agent::rpc_client::RpcError) -> Self {
        Failure::Engine(e.into())
    }
}

impl Failure {
    /// The error as the tool returns it.
    pub fn to_value(&self) -> Value {
        let error = match self {
            Failure::Refused(r) => json!({
                "code": "policy_refused",
                "message": r.message,
                "rule": r.rule,
                "pattern": r.pattern,
            }),
            Failure::Engine(e) => {
                let report = e.report();
                json!({"code": report.code, "message": report.message, "details": report.details})
            }
            Failure::Invalid(message) => json!({"code": "invalid", "message": message}),
            Failure::AuditUnavailable(message) => {
                json!({"code": "audit_unavailable", "message": message})
            }
        };
        let mut error = error;
        if let Value::Object(m) = &mut error {
            m.retain(|_, v| !v.is_null());
        }
        json!({ "error": error })
    }
}

/// A tool's answer.
pub type Reply<T> = Result<T, Failure>;

/// The tool result of `r`.
pub fn result<T: Serialize>(r: Reply<T>) -> CallToolResult {
    match r {
        Ok(v) => match serde_json::to_value(v) {
            Ok(v @ Value::Object(_)) => CallToolResult::structured(v),
            Ok(other) => CallToolResult::structured(json!({ "result": other })),
            Err(e) => error(&Failure::Invalid(format!("cannot encode the result: {e}"))),
        },
        Err(f) => error(&f),
    }
}

/// The tool result of a failure.
pub fn error(f: &Failure) -> CallToolResult {
    CallToolResult::structured_error(f.to_value())
}
