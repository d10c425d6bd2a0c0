//! The one error type every command returns: `{code, message}` with a stable code, so the front
//! end can map it to advice.

use serde::Serialize;

use crate::engine::EngineError;

/// A failed command, as the front end receives it.
#[derive(Debug, Serialize)]
pub struct CommandError {
    /// A stable, machine-readable code (see [`EngineError::code`]).
    pub code: String,
    /// What happened, in plain words.
    pub message: String,
}

impl CommandError {
    /// An error with `code` and `message`.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        CommandError {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl From<EngineError> for CommandError {
    fn from(e: EngineError) -> Self {
        CommandError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

/// What commands return.
pub type CommandResult<T> = Result<T, CommandError>;
