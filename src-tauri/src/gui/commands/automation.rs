//! "Run in selected sessions": one command typed into the shells of the sessions the user chose,
//! through the engine's [`group::run_in_sessions`] (`session.exec` in each, bounded concurrency),
//! answered with one [`SessionOutcome`] per session in the order asked. A session that is busy,
//! gone or unreachable fails only its own outcome, as data (`error` with its code); the
//! command rejects as a whole only when the request itself is out of bounds.
//!
//! Broadcast typing needs no command of its own: the window copies typed input into the other
//! tabs' attachments (`ui/src/automation/`).

use outpost_protocol::exec::{OnTimeout, EXEC_TIMEOUT_RANGE};
use outpost_protocol::session::valid_session_id;
use serde::Deserialize;
use tauri::State;

use crate::engine::automation::exec::SessionCommand;
use crate::engine::automation::group::{self, SessionOutcome, MAX_GROUP};
use crate::gui::error::{CommandError, CommandResult};
use crate::gui::state::AppState;

/// One session to run in.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct SessionTarget {
    /// The saved host's name.
    pub host: String,
    /// The session on it.
    pub session_id: String,
}

/// The request as pairs, after the checks the window can make before anything is typed.
fn checked(
    targets: Vec<SessionTarget>,
    timeout_ms: Option<u64>,
) -> CommandResult<Vec<(String, String)>> {
    if targets.is_empty() {
        return Err(CommandError::new("invalid", "choose at least one session"));
    }
    if targets.len() > MAX_GROUP {
        return Err(CommandError::new(
            "invalid",
            format!(
                "{} sessions at once is more than the {MAX_GROUP} allowed",
                targets.len()
            ),
        ));
    }
    if let Some(t) = timeout_ms {
        if !EXEC_TIMEOUT_RANGE.contains(&t) {
            return Err(CommandError::new(
                "invalid",
                format!(
                    "a timeout of {t} ms is out of range ({}..={} ms)",
                    EXEC_TIMEOUT_RANGE.start(),
                    EXEC_TIMEOUT_RANGE.end()
                ),
            ));
        }
    }
    let mut pairs: Vec<(String, String)> = Vec::with_capacity(targets.len());
    for t in targets {
        if !valid_session_id(&t.session_id) {
            return Err(CommandError::new(
                "invalid",
                format!("{:?} is not a session id", t.session_id),
            ));
        }
        let pair = (t.host, t.session_id);
        // The same session twice would type the command twice into one shell.
        if !pairs.contains(&pair) {
            pairs.push(pair);
        }
    }
    Ok(pairs)
}

/// Runs `command` in each of `targets`' shells and returns one outcome per session.
#[tauri::command(rename_all = "snake_case")]
pub async fn run_in_sessions(
    state: State<'_, AppState>,
    targets: Vec<SessionTarget>,
    command: String,
    timeout_ms: Option<u64>,
    interrupt_on_timeout: bool,
) -> CommandResult<Vec<SessionOutcome>> {
    let pairs = checked(targets, timeout_ms)?;
    let command = SessionCommand {
        timeout_ms,
        on_timeout: interrupt_on_timeout.then_some(OnTimeout::Interrupt),
        ..SessionCommand::new(command)
    };
    tracing::info!(sessions = pairs.len(), "run in selected sessions");
    Ok(group::run_in_sessions(&state.hub, &pairs, &command).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(host: &str, session_id: &str) -> SessionTarget {
        SessionTarget {
            host: host.into(),
            session_id: session_id.into(),
        }
    }

    #[test]
    fn a_session_named_twice_runs_once_and_order_is_kept() {
        let pairs = checked(
            vec![
                target("local", "s2"),
                target("db", "s1"),
                target("local", "s2"),
            ],
            None,
        )
        .unwrap();
        assert_eq!(
            pairs,
            vec![
                ("local".to_string(), "s2".to_string()),
                ("db".to_string(), "s1".to_string())
            ]
        );
    }

    #[test]
    fn bad_requests_are_refused_before_anything_is_typed() {
        assert_eq!(checked(vec![], None).unwrap_err().code, "invalid");
        assert_eq!(
            checked(vec![target("local", "../x")], None)
                .unwrap_err()
                .code,
            "invalid"
        );
        assert_eq!(
            checked(vec![target("local", "s1")], Some(0))
                .unwrap_err()
                .code,
            "invalid"
        );
        let many = (0..=MAX_GROUP).map(|i| target("local", &format!("s{i}")));
        assert_eq!(checked(many.collect(), None).unwrap_err().code, "invalid");
    }
}
