//! The one error type every command rejects with: the engine's [`ErrorReport`], `{code,
//! message, details}` with a stable code and typed details, so the front end maps the code to
//! advice and shows the details as fields. Commands' own failures (no such attachment, the
//! clipboard) use [`ErrorReport::new`] with codes of their own.

pub use crate::engine::ErrorReport as CommandError;

/// What commands return.
pub type CommandResult<T> = Result<T, CommandError>;
