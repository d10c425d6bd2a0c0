//! A session's recordings in the window: list them, load one for the replay tab, start or stop
//! recording. Thin over [`crate::engine::recordings`].

use outpost_protocol::method;
use outpost_protocol::recording::{RecordParams, RecordResult, RecordingInfo};
use tauri::State;

use crate::engine::recordings;
use crate::gui::error::CommandResult;
use crate::gui::state::AppState;

/// The recordings on `host` (of `session_id` when given), oldest first.
#[tauri::command(rename_all = "snake_case")]
pub async fn recordings_list(
    state: State<'_, AppState>,
    host: String,
    session_id: Option<String>,
) -> CommandResult<Vec<RecordingInfo>> {
    let rpc = state.hub.rpc(&host).await?;
    Ok(recordings::list(&rpc, session_id.as_deref()).await?.0)
}

/// One recording's asciicast text, for the replay tab (at most
/// [`recordings::MAX_LOADED_BYTES`]).
#[tauri::command(rename_all = "snake_case")]
pub async fn recording_load(
    state: State<'_, AppState>,
    host: String,
    name: String,
) -> CommandResult<String> {
    let rpc = state.hub.rpc(&host).await?;
    let bytes = recordings::read_all(&rpc, &name).await?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Starts (`on`) or stops recording a session; returns the file being written.
#[tauri::command(rename_all = "snake_case")]
pub async fn session_record(
    state: State<'_, AppState>,
    host: String,
    session_id: String,
    on: bool,
) -> CommandResult<RecordResult> {
    let params = RecordParams {
        session_id,
        on,
        input: false,
        max_bytes: None,
        keep: None,
    };
    Ok(state
        .hub
        .call::<method::SessionRecord>(&host, params)
        .await?)
}
