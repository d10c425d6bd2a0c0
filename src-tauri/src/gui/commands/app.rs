//! Window-wide commands: prompt answers, saved window state, clipboard, version.

use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::engine::live::prompt_broker::PromptAnswer;
use crate::engine::{store::ui_state, EngineError};
use crate::gui::error::{CommandError, CommandResult};
use crate::gui::state::AppState;

/// Answers prompt `id` (`reject`/`once`/`always` for a host key, the secret or null otherwise).
#[tauri::command(rename_all = "snake_case")]
pub async fn prompt_answer(
    state: State<'_, AppState>,
    id: u64,
    answer: PromptAnswer,
) -> CommandResult<()> {
    if state.prompts.answer(id, answer) {
        Ok(())
    } else {
        Err(CommandError::new(
            "not_found",
            format!("no open prompt {id}"),
        ))
    }
}

/// The saved document `key` (`settings` or `workspace`), or null.
#[tauri::command(rename_all = "snake_case")]
pub async fn state_load(
    state: State<'_, AppState>,
    key: String,
) -> CommandResult<Option<serde_json::Value>> {
    Ok(ui_state::load(&state.hub.context().config_dir, &key).map_err(EngineError::from)?)
}

/// Replaces the saved document `key`.
#[tauri::command(rename_all = "snake_case")]
pub async fn state_save(
    state: State<'_, AppState>,
    key: String,
    value: serde_json::Value,
) -> CommandResult<()> {
    ui_state::save(&state.hub.context().config_dir, &key, &value).map_err(EngineError::from)?;
    Ok(())
}

/// The clipboard's text.
#[tauri::command(rename_all = "snake_case")]
pub async fn clipboard_read(app: AppHandle) -> CommandResult<String> {
    app.clipboard()
        .read_text()
        .map_err(|e| CommandError::new("clipboard", format!("reading the clipboard: {e}")))
}

/// Puts `text` on the clipboard.
#[tauri::command(rename_all = "snake_case")]
pub async fn clipboard_write(app: AppHandle, text: String) -> CommandResult<()> {
    app.clipboard()
        .write_text(text)
        .map_err(|e| CommandError::new("clipboard", format!("writing the clipboard: {e}")))
}

/// The app's version, configuration directory and home directory.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AppInfo {
    /// Outpost's version.
    pub version: &'static str,
    /// Where hosts, keys and window state live.
    pub config_dir: String,
    /// This computer's home directory (as OpenSSH finds it), shown as `~` in tab labels.
    pub home: Option<String>,
}

/// Version, configuration directory and home directory.
#[tauri::command(rename_all = "snake_case")]
pub async fn app_info(state: State<'_, AppState>) -> CommandResult<AppInfo> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        config_dir: state.hub.context().config_dir.display().to_string(),
        home: outpost_openssh::home_dir().map(|h| h.display().to_string()),
    })
}
