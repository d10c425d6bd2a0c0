//! The MCP policy (`policy.json` in the configuration directory) as the settings dialog shows
//! and saves it: read and checked with the MCP server's own loader, written 0600 atomically.

use serde::Serialize;
use tauri::State;

use crate::engine::store::config_dir::write_private;
use crate::engine::EngineError;
use crate::gui::error::CommandResult;
use crate::gui::state::AppState;
use crate::mcp::policy::{Policy, PolicyError, PolicyFile, POLICY_FILE};

/// Why a policy was not saved (or cannot be read), as data for the dialog.
#[derive(Debug, Serialize)]
pub struct PolicyProblem {
    /// The rule at fault (`hosts.web.deny_commands[0]`), when one is.
    pub rule: Option<String>,
    /// What is wrong, for people.
    pub message: String,
}

/// The policy file as read, or why it cannot be used.
#[derive(Debug, Serialize)]
pub struct PolicyShown {
    /// The file's rules (the default policy when the file is missing or broken).
    pub policy: PolicyFile,
    /// The file's path.
    pub path: String,
    /// Why the file on disk cannot be used, when it cannot.
    pub problem: Option<PolicyProblem>,
}

fn problem(e: PolicyError) -> PolicyProblem {
    let rule = match &e {
        PolicyError::Rule { rule, .. } => Some(rule.clone()),
        _ => None,
    };
    PolicyProblem {
        rule,
        message: e.to_string(),
    }
}

/// The policy in `policy.json` (the default one when there is none).
#[tauri::command(rename_all = "snake_case")]
pub async fn policy_get(state: State<'_, AppState>) -> CommandResult<PolicyShown> {
    let path = state.hub.context().config_dir.join(POLICY_FILE);
    let shown = match Policy::load(&path) {
        Ok(p) => PolicyShown {
            policy: p.current().clone(),
            path: path.display().to_string(),
            problem: None,
        },
        Err(e) => PolicyShown {
            policy: PolicyFile::default(),
            path: path.display().to_string(),
            problem: Some(problem(e)),
        },
    };
    Ok(shown)
}

/// Checks `policy` with the MCP server's rules and writes it to `policy.json`; an invalid one is
/// not written and comes back as the problem.
#[tauri::command(rename_all = "snake_case")]
pub async fn policy_set(
    state: State<'_, AppState>,
    policy: serde_json::Value,
) -> CommandResult<Option<PolicyProblem>> {
    let file: PolicyFile = match serde_json::from_value(policy) {
        Ok(f) => f,
        Err(e) => {
            return Ok(Some(PolicyProblem {
                rule: None,
                message: format!("not a valid policy: {e}"),
            }))
        }
    };
    if let Err(e) = Policy::new(file.clone()) {
        return Ok(Some(problem(e)));
    }
    let mut text = serde_json::to_vec_pretty(&file)
        .map_err(|e| crate::gui::error::CommandError::new("internal", e.to_string()))?;
    text.push(b'\n');
    let path = state.hub.context().config_dir.join(POLICY_FILE);
    write_private(&path, &text).map_err(EngineError::from)?;
    tracing::info!(path = %path.display(), "saved the MCP policy");
    Ok(None)
}
