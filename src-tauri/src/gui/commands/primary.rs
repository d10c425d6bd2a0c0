//! The X11/Wayland PRIMARY selection (what a middle click pastes), through GTK, which Tauri 2
//! runs on under Linux: [`primary_read`] gives the text another app (or this one) selected
//! last, [`primary_write`] makes a terminal's selection the PRIMARY of the desktop so other apps
//! can middle-click paste it. GTK is used on the main thread only (`run_on_main_thread`), and a
//! read is asynchronous there (`request_text`), answered through a oneshot channel and bounded in
//! time and size. The text is data for the front end's paste guard (`ui/src/terminal/paste.ts`
//! strips bracket markers and control characters); nothing here trusts it.
//!
//! Elsewhere there is no PRIMARY: a read answers null and a write does nothing.

use tauri::AppHandle;

use crate::gui::error::{CommandError, CommandResult};

/// The largest PRIMARY text a read returns, in bytes; a larger one is refused.
pub const MAX_PRIMARY_BYTES: usize = 1 << 20;

/// The text of the PRIMARY selection, or null when there is none (or it holds no text).
#[tauri::command(rename_all = "snake_case")]
pub async fn primary_read(app: AppHandle) -> CommandResult<Option<String>> {
    let text = platform::read(&app).await?;
    match text {
        Some(t) if t.len() > MAX_PRIMARY_BYTES => Err(CommandError::new(
            "clipboard",
            format!(
                "the selection holds {} bytes, more than the {MAX_PRIMARY_BYTES} a paste takes",
                t.len()
            ),
        )),
        other => Ok(other),
    }
}

/// Makes `text` the PRIMARY selection (this app then serves it to others).
#[tauri::command(rename_all = "snake_case")]
pub async fn primary_write(app: AppHandle, text: String) -> CommandResult<()> {
    if text.len() > MAX_PRIMARY_BYTES {
        return Err(CommandError::new(
            "invalid",
            format!(
                "a selection of {} bytes is more than {MAX_PRIMARY_BYTES}",
                text.len()
            ),
        ));
    }
    platform::write(&app, text)
}

#[cfg(target_os = "linux")]
mod platform {
    use std::time::Duration;

    use gtk::gdk::SELECTION_PRIMARY;
    use gtk::Clipboard;
    use tauri::AppHandle;

    use crate::gui::error::{CommandError, CommandResult};

    /// How long the selection's owner may take to answer.
    const READ_TIMEOUT: Duration = Duration::from_secs(5);

    fn main_thread_error(e: tauri::Error) -> CommandError {
        CommandError::new(
            "clipboard",
            format!("reaching the window's main thread: {e}"),
        )
    }

    pub async fn read(app: &AppHandle) -> CommandResult<Option<String>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        app.run_on_main_thread(move || {
            Clipboard::get(&SELECTION_PRIMARY).request_text(move |_, text| {
                // The receiver may have timed out and gone: nothing to tell then.
                let _ = tx.send(text.map(str::to_string));
            });
        })
        .map_err(main_thread_error)?;
        match tokio::time::timeout(READ_TIMEOUT, rx).await {
            Ok(Ok(text)) => Ok(text),
            Ok(Err(_)) => Err(CommandError::new(
                "clipboard",
                "the window closed while reading the selection",
            )),
            Err(_) => Err(CommandError::new(
                "clipboard",
                format!(
                    "the app holding the selection did not answer within {} s",
                    READ_TIMEOUT.as_secs()
                ),
            )),
        }
    }

    pub fn write(app: &AppHandle, text: String) -> CommandResult<()> {
        app.run_on_main_thread(move || Clipboard::get(&SELECTION_PRIMARY).set_text(&text))
            .map_err(main_thread_error)
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use tauri::AppHandle;

    use crate::gui::error::CommandResult;

    pub async fn read(_app: &AppHandle) -> CommandResult<Option<String>> {
        Ok(None)
    }

    pub fn write(_app: &AppHandle, _text: String) -> CommandResult<()> {
        Ok(())
    }
}
