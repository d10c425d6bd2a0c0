//! Driving sessions from scripts, AI agents and the window: a command run in a session's
//! persistent shell with its exit code (`session.exec`), waiting for a pattern
//! (`session.expect`), a one-shot command without a terminal on a host or on an ssh session's
//! target (`exec.run`), and the same command on many hosts or sessions at once.
//!
//! | piece | file |
//! |---|---|
//! | typed calls (`session.exec`, `session.exec_result`, `session.expect`, `exec.run`), checks of what is sent, finding an ssh session by its target | [`exec`] |
//! | many at once: bounded concurrency, one outcome per host or session, failures per host | [`group`] |
//!
//! Front ends (the CLI's `exec`, `send --expect`, the window's "Run in selected sessions", the MCP
//! server) call only these. Failures are [`EngineError`](crate::engine::EngineError)s whose codes
//! are stable: the agent's `session_busy`, `exec_not_found`, `timed_out` and `spawn_failed`, and
//! this module's own [`AutomationError`] codes.
//!
//! ```no_run
//! # async fn demo(conns: &outpost_desktop::engine::live::connections::Connections) {
//! use outpost_desktop::engine::automation::{exec::SessionCommand, group};
//! let targets = vec![("local".to_string(), "abc123".to_string())];
//! let command = SessionCommand::new("make test");
//! for outcome in group::run_in_sessions(conns, &targets, &command).await {
//!     println!("{}/{}: ok={}", outcome.host, outcome.session_id, outcome.ok);
//! }
//! # }
//! ```

pub mod exec;
pub mod group;

/// Bad requests the desktop refuses before asking an agent, and what it could not find.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutomationError {
    /// The command is empty (or only blanks).
    #[error("the command is empty")]
    EmptyCommand,
    /// A pattern does not compile as a regular expression, or is out of bounds.
    #[error("the pattern {pattern:?} is not a valid regular expression: {reason}")]
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// Why, in the regex compiler's words.
        reason: String,
    },
    /// An environment assignment is not `NAME=VALUE` with a valid name.
    #[error("{0:?} is not NAME=VALUE (NAME of letters, digits and _, not starting with a digit)")]
    InvalidEnv(String),
    /// No ssh session of the host goes to the target asked for.
    #[error("{}", no_target_message(host, target, open))]
    NoTargetSession {
        /// The host whose sessions were looked at.
        host: String,
        /// The target asked for, `[user@]host[:port]`.
        target: String,
        /// The targets of the host's running ssh sessions.
        open: Vec<String>,
    },
    /// Too many hosts or sessions in one request.
    #[error("{given} {what} at once is more than the {limit} allowed")]
    TooMany {
        /// What was counted (`hosts`, `sessions`).
        what: &'static str,
        /// How many were given.
        given: usize,
        /// The limit.
        limit: usize,
    },
}

fn no_target_message(host: &str, target: &str, open: &[String]) -> String {
    let open = if open.is_empty() {
        "it has none".to_string()
    } else {
        format!("its ssh sessions go to {}", open.join(", "))
    };
    format!(
        "no running ssh session on {host} goes to {target} ({open}); open one with `outpost new {host} --ssh {target}`"
    )
}

impl AutomationError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AutomationError::EmptyCommand => "empty_command",
            AutomationError::InvalidPattern { .. } => "invalid_pattern",
            AutomationError::InvalidEnv(_) => "invalid_env",
            AutomationError::NoTargetSession { .. } => "no_target_session",
            AutomationError::TooMany { .. } => "too_many",
        }
    }
}
