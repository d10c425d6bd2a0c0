//! The desktop window: Tauri 2 over the [`engine`](crate::engine).
//!
//! [`run`] builds the app: the engine's [`Connections`] (one connection per host), a [`PromptBroker`]
//! that turns host-key and password questions into `prompt` events, and the commands of
//! [`commands`], each a few lines over the engine. Terminal output reaches the front end through
//! `tauri::ipc::Channel`s (raw bytes, batched); events carry only low-rate state. The UI lives in
//! `ui/` and is built into `ui/dist`, which is embedded in the binary. Commands reject with the
//! engine's `{code, message, details}` ([`error`]); the UI's TypeScript types of everything
//! they carry are generated from the Rust types (`bindings`, a test).

#[cfg(test)]
mod bindings;
pub mod commands;
pub mod error;
pub mod state;

use std::sync::Arc;

use tauri::{Emitter, Manager, RunEvent};

use crate::engine::live::connections::Connections;
use crate::engine::live::prompt_broker::PromptBroker;
use crate::engine::store::config_dir::config_dir;
use crate::engine::EngineContext;
use state::AppState;

/// Why the window could not run.
#[derive(Debug, thiserror::Error)]
pub enum GuiError {
    /// Tauri failed to start.
    #[error(transparent)]
    Tauri(#[from] tauri::Error),
}

/// Opens the window and runs until it is closed. Sessions keep running on their hosts.
pub fn run() -> Result<(), GuiError> {
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let handle = app.handle().clone();
            let prompts = Arc::new(PromptBroker::new(move |request| {
                if let Err(e) = handle.emit("prompt", request) {
                    tracing::warn!("could not show a prompt: {e}");
                }
            }));
            let hub = Connections::new(EngineContext::new(config_dir()?, prompts.clone()));
            app.manage(AppState::new(hub, prompts));
            app.manage(commands::files::FilesState::default());
            app.manage(commands::forwards::ForwardsState::default());
            commands::forwards::agent::restore_saved(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::hosts::hosts_list,
            commands::hosts::host_save,
            commands::hosts::host_remove,
            commands::hosts::hosts_import_ssh_config,
            commands::hosts::ssh_config_aliases,
            commands::hosts::host_test,
            commands::hosts::host_test_unsaved,
            commands::sessions::sessions_list,
            commands::sessions::session_new,
            commands::sessions::session_close,
            commands::sessions::ssh_hosts,
            commands::terminal::attach,
            commands::terminal::attachment_ack,
            commands::terminal::input,
            commands::terminal::input_bytes,
            commands::terminal::resize,
            commands::terminal::detach,
            commands::monitor::monitor_subscribe,
            commands::monitor::monitor_unsubscribe,
            commands::app::prompt_answer,
            commands::app::state_load,
            commands::app::state_save,
            commands::app::clipboard_read,
            commands::app::clipboard_write,
            commands::primary::primary_read,
            commands::primary::primary_write,
            commands::app::app_info,
            commands::policy::policy_get,
            commands::policy::policy_set,
            commands::links::link_open,
            commands::recordings::recordings_list,
            commands::recordings::recording_load,
            commands::recordings::session_record,
            commands::automation::run_in_sessions,
            commands::files::files_list,
            commands::files::files_mkdir,
            commands::files::files_rename,
            commands::files::files_remove,
            commands::files::files_close,
            commands::files::files_downloads_dir,
            commands::files::files_upload,
            commands::files::files_download,
            commands::files::transfer_cancel,
            commands::files_picker::files_download_as,
            commands::forwards::forwards_list,
            commands::forwards::forward_add,
            commands::forwards::forward_close,
            commands::forwards::forward_save,
            commands::forwards::agent::agent_forwards_list,
            commands::forwards::agent::agent_forward_add,
            commands::forwards::agent::agent_forward_open_local,
            commands::forwards::agent::agent_forward_close_local,
            commands::forwards::agent::agent_forward_save,
            commands::forwards::agent::agent_forward_close,
        ])
        .build(tauri::generate_context!())?;
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            if let Some(state) = app.try_state::<AppState>() {
                state.clear();
                let hub = state.hub.clone();
                tauri::async_runtime::block_on(hub.shutdown());
            }
        }
    });
    Ok(())
}
