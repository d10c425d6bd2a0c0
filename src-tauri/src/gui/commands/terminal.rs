//! A tab's attachment to a session: output through a raw [`Channel`], state through a JSON
//! channel, and typing, resizing, acknowledging and detaching by attachment id.
//!
//! A session's title or directory change reaches its tabs as [`TabEvent::Changed`] and the
//! whole window as the app event [`SESSION_CHANGED`] ([`SessionChangedEvent`]), for the sidebar.

use std::sync::Arc;

use serde::Serialize;
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::{AppHandle, Emitter, State};

use crate::engine::live::attachment::{Attachment, TabEvent, TabSink};
use crate::gui::error::{CommandError, CommandResult};
use crate::gui::state::AppState;

/// The app event telling the window that a session's title or directory changed.
pub const SESSION_CHANGED: &str = "session-changed";

/// The payload of the window event `session-changed` ([`SESSION_CHANGED`]): a session's title or
/// working directory changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SessionChangedEvent {
    /// The saved host's name.
    pub host: String,
    /// The session.
    pub session_id: String,
    /// The title the program set (OSC 0/2), cleaned and bounded by the agent.
    pub terminal_title: Option<String>,
    /// The working directory the shell reported (OSC 7).
    pub cwd: Option<String>,
}

/// Sends output as raw bytes (an `ArrayBuffer` on the other side) and events as JSON.
struct ChannelSink {
    output: Channel<InvokeResponseBody>,
    events: Channel<TabEvent>,
    app: AppHandle,
    host: String,
    session_id: String,
}

impl TabSink for ChannelSink {
    fn output(&self, data: Vec<u8>) {
        if let Err(e) = self.output.send(InvokeResponseBody::Raw(data)) {
            tracing::debug!("tab output channel closed: {e}");
        }
    }

    fn event(&self, event: TabEvent) {
        if let TabEvent::Changed {
            terminal_title,
            cwd,
        } = &event
        {
            let changed = SessionChangedEvent {
                host: self.host.clone(),
                session_id: self.session_id.clone(),
                terminal_title: terminal_title.clone(),
                cwd: cwd.clone(),
            };
            if let Err(e) = self.app.emit(SESSION_CHANGED, changed) {
                tracing::debug!("could not emit {SESSION_CHANGED}: {e}");
            }
        }
        if let Err(e) = self.events.send(event) {
            tracing::debug!("tab event channel closed: {e}");
        }
    }
}

fn valid_size(cols: u16, rows: u16) -> CommandResult<()> {
    let range = outpost_protocol::session::SIZE_RANGE;
    if !range.contains(&cols) || !range.contains(&rows) {
        return Err(CommandError::new(
            "invalid",
            format!(
                "terminal size {cols}x{rows} is out of range ({}..={})",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(())
}

/// Attaches to `session_id` on `host` (from `from_offset`, or everything the agent holds) and
/// returns the attachment's id.
#[allow(clippy::too_many_arguments)]
#[tauri::command(rename_all = "snake_case")]
pub async fn attach(
    app: AppHandle,
    state: State<'_, AppState>,
    host: String,
    session_id: String,
    cols: u16,
    rows: u16,
    from_offset: Option<u64>,
    output: Channel<InvokeResponseBody>,
    events: Channel<TabEvent>,
) -> CommandResult<String> {
    valid_size(cols, rows)?;
    if !outpost_protocol::session::valid_session_id(&session_id) {
        return Err(CommandError::new(
            "invalid",
            format!("{session_id:?} is not a session id"),
        ));
    }
    let sink = Arc::new(ChannelSink {
        output,
        events,
        app,
        host: host.clone(),
        session_id: session_id.clone(),
    });
    let a = Attachment::spawn(
        state.hub.clone(),
        host,
        session_id,
        from_offset,
        (cols, rows),
        sink,
    );
    Ok(state.add_attachment(a))
}

fn with(state: &AppState, id: &str, f: impl FnOnce(&Attachment)) -> CommandResult<()> {
    if state.with_attachment(id, f) {
        Ok(())
    } else {
        Err(CommandError::new(
            "not_attached",
            format!("no attachment {id:?}"),
        ))
    }
}

/// The front end rendered `bytes` more bytes of output.
#[tauri::command(rename_all = "snake_case")]
pub async fn attachment_ack(
    state: State<'_, AppState>,
    attachment_id: String,
    bytes: u64,
) -> CommandResult<()> {
    with(&state, &attachment_id, |a| a.ack(bytes))
}

/// Types text (sent as UTF-8).
#[tauri::command(rename_all = "snake_case")]
pub async fn input(
    state: State<'_, AppState>,
    attachment_id: String,
    data: String,
) -> CommandResult<()> {
    with(&state, &attachment_id, |a| a.input(data.into_bytes()))
}

/// Types raw bytes.
#[tauri::command(rename_all = "snake_case")]
pub async fn input_bytes(
    state: State<'_, AppState>,
    attachment_id: String,
    data: Vec<u8>,
) -> CommandResult<()> {
    with(&state, &attachment_id, |a| a.input(data))
}

/// The terminal's new size.
#[tauri::command(rename_all = "snake_case")]
pub async fn resize(
    state: State<'_, AppState>,
    attachment_id: String,
    cols: u16,
    rows: u16,
) -> CommandResult<()> {
    valid_size(cols, rows)?;
    with(&state, &attachment_id, |a| a.resize(cols, rows))
}

/// Stops watching; the session keeps running.
#[tauri::command(rename_all = "snake_case")]
pub async fn detach(state: State<'_, AppState>, attachment_id: String) -> CommandResult<()> {
    if let Some(a) = state.remove_attachment(&attachment_id) {
        a.detach();
    }
    Ok(())
}
