//! Saved hosts: list, save, remove, import from `~/.ssh/config`, and "Test connection" (of a
//! saved host, or of the form's values before they are saved).

use tauri::State;

use crate::engine::agent::connect::{ConnectInfo, Connection};
use crate::engine::store::hosts::{self, Host, HostStore};
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

/// The event carrying the concrete `~/.ssh/config` aliases (with whether each forwards the
/// agent) whenever they change.
pub const SSH_CONFIG_ALIASES_EVENT: &str = "ssh-config-aliases";

/// The concrete aliases of `~/.ssh/config` (connectable by name, unsaved), each with whether
/// connecting by it forwards the desktop's ssh-agent (its resolved `ForwardAgent`); the first call also
/// starts watching the files, after which every change arrives as an `ssh-config-aliases`
/// event.
#[tauri::command(rename_all = "snake_case")]
pub async fn ssh_config_aliases(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<Vec<ssh_config::ConfigAlias>> {
    use tauri::Emitter;
    static WATCHING: std::sync::Once = std::sync::Once::new();
    let dir = state.hub.context().config_dir.clone();
    WATCHING.call_once(|| {
        let load_dir = dir.clone();
        let load = move || ssh_config::SshConfigs::load(&load_dir);
        tauri::async_runtime::spawn(ssh_config::watch_aliases(
            load,
            ssh_config::WATCH_INTERVAL,
            move |aliases| app.emit(SSH_CONFIG_ALIASES_EVENT, aliases).is_ok(),
        ));
    });
    let aliases = tokio::task::spawn_blocking(move || ssh_config::SshConfigs::load(&dir).aliases())
        .await
        .map_err(|e| CommandError::new("config", e.to_string()))?;
    Ok(aliases)
}

/// Connects afresh and reports the host's name, platform, latency and agent.
#[tauri::command(rename_all = "snake_case")]
pub async fn host_test(state: State<'_, AppState>, name: String) -> CommandResult<ConnectInfo> {
    Ok(state.hub.test(&name).await?)
}

/// Connects with a host form's values as they stand, without saving anything, and reports as
/// `host_test` does (host-key questions are asked as usual); failures carry their code and advice.
#[tauri::command(rename_all = "snake_case")]
pub async fn host_test_unsaved(
    state: State<'_, AppState>,
    mut host: Host,
) -> CommandResult<ConnectInfo> {
    // A new host may have no name yet; `local` would mean this computer, not the form's host.
    if host.name.trim().is_empty() || host.is_local() {
        host.name.clone_from(&host.hostname);
    }
    hosts::validate(&host).map_err(EngineError::from)?;
    let conn = Connection::open(&host, state.hub.context()).await?;
    let info = conn.info.clone();
    conn.close().await;
    Ok(info)
}
