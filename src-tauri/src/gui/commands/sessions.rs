//! A host's sessions: list, start, end.

use outpost_protocol::method;
use outpost_protocol::session::{ListParams, SessionInfo, SessionRef};
use tauri::State;

use crate::engine::store::targets;
use crate::gui::error::CommandResult;
use crate::gui::state::AppState;

/// The sessions on `host`, from its agent.
#[tauri::command(rename_all = "snake_case")]
pub async fn sessions_list(
    state: State<'_, AppState>,
    host: String,
) -> CommandResult<Vec<SessionInfo>> {
    Ok(state
        .hub
        .call::<method::SessionList>(&host, ListParams::default())
        .await?
        .sessions)
}

/// Starts a login shell (`kind` "shell") or an SSH session to `target` (`kind` "ssh").
#[tauri::command(rename_all = "snake_case")]
pub async fn session_new(
    state: State<'_, AppState>,
    host: String,
    kind: String,
    target: Option<String>,
    title: Option<String>,
    cols: u16,
    rows: u16,
) -> CommandResult<SessionInfo> {
    let ssh = match kind.as_str() {
        "ssh" => Some(target.unwrap_or_default()),
        _ => None,
    };
    let params = targets::create_params(ssh.as_deref(), title, cols, rows)?;
    Ok(state
        .hub
        .call::<method::SessionCreate>(&host, params)
        .await?
        .session)
}

/// Ends a session: its process, daemon, socket and state go.
#[tauri::command(rename_all = "snake_case")]
pub async fn session_close(
    state: State<'_, AppState>,
    host: String,
    session_id: String,
) -> CommandResult<()> {
    state
        .hub
        .call::<method::SessionClose>(&host, SessionRef { session_id })
        .await?;
    Ok(())
}

/// The aliases in `host`'s own `~/.ssh/config` (targets for "New SSH to…").
#[tauri::command(rename_all = "snake_case")]
pub async fn ssh_hosts(
    state: State<'_, AppState>,
    host: String,
) -> CommandResult<outpost_protocol::ssh_hosts::SshHostsResult> {
    Ok(state
        .hub
        .call::<method::SshHosts>(&host, outpost_protocol::ssh_hosts::SshHostsParams {})
        .await?)
}
