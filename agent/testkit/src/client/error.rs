//! Why a call or a wait of the test client failed.

use std::time::Duration;

use outpost_protocol::ErrorObject;

/// Why a call or a wait of the [`Client`](super::Client) failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The agent answered with an error.
    #[error("error {}: {}", .0.code, .0.message)]
    Rpc(ErrorObject),
    /// Nothing came within the time allowed.
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long.
        after: Duration,
    },
    /// The agent's standard output ended first.
    #[error("the agent's output ended while waiting for {what}")]
    Closed {
        /// What was awaited.
        what: String,
    },
    /// The agent wrote something that breaks the protocol.
    #[error("protocol violations: {0:#?}")]
    Violations(Vec<String>),
    /// A result did not read as the method's result type.
    #[error("{method} answered {result}: {error}")]
    Decode {
        /// The method.
        method: &'static str,
        /// The raw result.
        result: String,
        /// serde's explanation.
        error: String,
    },
    /// Starting the agent or writing to it failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
}

impl ClientError {
    /// The agent's error, if that is what this is.
    pub fn rpc(&self) -> Option<&ErrorObject> {
        match self {
            ClientError::Rpc(e) => Some(e),
            _ => None,
        }
    }
}
