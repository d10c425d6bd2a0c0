//! Saved hosts: list, save, remove, import from `~/.ssh/config`, and "Test connection".

use tauri::State;

use crate::engine::agent::connect::ConnectInfo;
use crate::engine::store::hosts::{Host, HostStore};
use crate::engine::{store::ssh_config, EngineError};
use crate::gui::error::{CommandError, CommandResult};
use crate::gui::state::AppState;
use outpost_openssh::home_dir;

fn store(state: &AppState) -> Result<HostStore, EngineError> {
    Ok(HostStore::load(&state.hub.context().config_dir)?)
}

/// Every host, "This computer" (`local`) first.
#[tauri::command(rename_all = "snake_case")]
pub async fn hosts_list(state: State<'_, AppState>) -> CommandResult<Vec<Host>> {
    Ok(store(&state)?.list())
}

/// Adds `host`, or replaces `original_name` with it (a rename when the names differ).
#[tauri::command(rename_all = "snake_case")]
pub async fn host_save(
    state: State<'_, AppState>,
    mut host: Host,
    original_name: Option<String>,
) -> CommandResult<()> {
    let mut store = store(&state)?;
    if host.source.is_none() {
        host.source = Some("manual".into());
    }
    match original_name {
        Some(old) if old != host.name => {
            store.add(host.clone(), false).map_err(EngineError::from)?;
            store.remove(&old).map_err(EngineError::from)?;
            state.hub.forget(&old).await;
        }
        Some(_) => store.add(host.clone(), true).map_err(EngineError::from)?,
        None => store.add(host.clone(), false).map_err(EngineError::from)?,
    }
    state.hub.forget(&host.name).await;
    Ok(())
}

/// Removes a saved host (its sessions keep running on it).
#[tauri::command(rename_all = "snake_case")]
pub async fn host_remove(state: State<'_, AppState>, name: String) -> CommandResult<()> {
    store(&state)?.remove(&name).map_err(EngineError::from)?;
    state.hub.forget(&name).await;
    Ok(())
}

/// Imports the hosts of `~/.ssh/config` not saved yet; returns their names.
#[tauri::command(rename_all = "snake_case")]
pub async fn hosts_import_ssh_config(state: State<'_, AppState>) -> CommandResult<Vec<String>> {
    let ssh_dir = home_dir().map(|h| h.join(".ssh")).ok_or_else(|| {
        CommandError::new("config", "no home directory to read ~/.ssh/config from")
    })?;
    let found = ssh_config::read(&ssh_dir.join("config"), &ssh_dir);
    Ok(store(&state)?.import(found).map_err(EngineError::from)?)
}

/// Connects afresh and reports the host's name, platform, latency and agent.
#[tauri::command(rename_all = "snake_case")]
pub async fn host_test(state: State<'_, AppState>, name: String) -> CommandResult<ConnectInfo> {
    Ok(state.hub.test(&name).await?)
}
