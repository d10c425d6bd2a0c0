//! Error codes and the JSON-RPC error object.
//!
//! Codes are stable: a code, once given a meaning, keeps it forever. Standard JSON-RPC codes are
//! used where they fit; Outpost's own live in -32001..=-32099.

use serde::{Deserialize, Serialize};

/// Every error code the agent returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The line is not valid JSON.
    ParseError,
    /// The JSON is not a valid JSON-RPC 2.0 request.
    InvalidRequest,
    /// No such method.
    MethodNotFound,
    /// The params are missing, of the wrong type or out of range.
    InvalidParams,
    /// A fault inside the agent; the message says what.
    InternalError,
    /// No session with that id exists for this user.
    SessionNotFound,
    /// A method other than `initialize` was called before `initialize`.
    NotInitialized,
    /// A session could not be created; the message says why.
    SessionCreateFailed,
    /// The client's protocol version is not the agent's; the message names both.
    VersionMismatch,
    /// The session's process has exited, so it takes no input, resize or signal.
    SessionNotRunning,
    /// A monitoring target could not be read (reserved for monitoring).
    TargetUnavailable,
    /// The message is longer than the line limit.
    MessageTooLarge,
    /// A limit (sessions, subscriptions, requests in flight) was reached.
    LimitReached,
    /// The session's shell is not at its prompt (a program runs in it); nothing was typed.
    SessionBusy,
    /// The session holds no exec with that id (never made, or no longer kept).
    ExecNotFound,
    /// The wait ended before what was waited for happened.
    TimedOut,
    /// The program could not be started; the message says why.
    SpawnFailed,
    /// No agent-owned forward with that id exists for this user.
    ForwardNotFound,
    /// A forward's destination did not answer (refused, no route, unknown name); the message
    /// says from where it was tried and why.
    Unreachable,
}

impl ErrorCode {
    /// Every code, for documentation and tests.
    pub const ALL: [ErrorCode; 19] = [
        ErrorCode::ParseError,
        ErrorCode::InvalidRequest,
        ErrorCode::MethodNotFound,
        ErrorCode::InvalidParams,
        ErrorCode::InternalError,
        ErrorCode::SessionNotFound,
        ErrorCode::NotInitialized,
        ErrorCode::SessionCreateFailed,
        ErrorCode::VersionMismatch,
        ErrorCode::SessionNotRunning,
        ErrorCode::TargetUnavailable,
        ErrorCode::MessageTooLarge,
        ErrorCode::LimitReached,
        ErrorCode::SessionBusy,
        ErrorCode::ExecNotFound,
        ErrorCode::TimedOut,
        ErrorCode::SpawnFailed,
        ErrorCode::ForwardNotFound,
        ErrorCode::Unreachable,
    ];

    /// The numeric code on the wire.
    pub const fn code(self) -> i32 {
        match self {
            ErrorCode::ParseError => -32700,
            ErrorCode::InvalidRequest => -32600,
            ErrorCode::MethodNotFound => -32601,
            ErrorCode::InvalidParams => -32602,
            ErrorCode::InternalError => -32603,
            ErrorCode::SessionNotFound => -32001,
            ErrorCode::NotInitialized => -32002,
            ErrorCode::SessionCreateFailed => -32003,
            ErrorCode::VersionMismatch => -32004,
            ErrorCode::SessionNotRunning => -32005,
            ErrorCode::TargetUnavailable => -32006,
            ErrorCode::MessageTooLarge => -32007,
            ErrorCode::LimitReached => -32008,
            ErrorCode::SessionBusy => -32009,
            ErrorCode::ExecNotFound => -32010,
            ErrorCode::TimedOut => -32011,
            ErrorCode::SpawnFailed => -32012,
            ErrorCode::ForwardNotFound => -32013,
            ErrorCode::Unreachable => -32014,
        }
    }

    /// The code for a wire number, if it is one of ours.
    pub fn from_code(code: i32) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// The numeric code; see [`ErrorCode`].
    pub code: i32,
    /// A sentence for people: what went wrong and, where possible, what to do.
    pub message: String,
    /// Optional structured detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

impl ErrorObject {
    /// An error with the given code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code: code.code(),
            message: message.into(),
            data: None,
        }
    }

    /// The code as an [`ErrorCode`], if it is one of ours.
    pub fn kind(&self) -> Option<ErrorCode> {
        ErrorCode::from_code(self.code)
    }
}

impl std::fmt::Display for ErrorObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)
    }
}

impl std::error::Error for ErrorObject {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.code()), "duplicate code {}", c.code());
            assert_eq!(ErrorCode::from_code(c.code()), Some(c));
        }
        assert_eq!(ErrorCode::from_code(-1), None);
    }
}
