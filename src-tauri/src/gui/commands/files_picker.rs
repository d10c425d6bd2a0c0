//! The file panel's native pickers, Rust side. Choosing files is the dialog plugin's
//! (`tauri-plugin-dialog`: GTK's file chooser on Linux), called by the front end
//! (`ui/src/files/picker.ts`); what it picks goes to the ordinary commands of
//! [`super::files`] (`files_upload`, `files_download`). The one thing those cannot do is
//! "Download to…" a file name the user typed in the save dialog, which
//! [`files_download_as`] does: the remote file is written to that local path (through the
//! engine's temporary name, then renamed), not into a folder.

use std::path::{Component, Path, PathBuf};

use tauri::AppHandle;

use crate::gui::commands::files::{checked_path, invalid, TransferStarted};
use crate::gui::commands::host_args::FilesAt;
use crate::gui::error::CommandResult;

/// Checks the local file a save dialog returned: a path as [`checked_path`] wants it,
/// absolute, naming a file (not a folder) in a folder that exists.
pub fn save_target(file: &str) -> CommandResult<PathBuf> {
    checked_path(file)?;
    let path = PathBuf::from(file);
    if !path.is_absolute() {
        return Err(invalid(format!("{file:?} is not an absolute local path")));
    }
    if file.ends_with('/') || !matches!(path.components().next_back(), Some(Component::Normal(_))) {
        return Err(invalid(format!("{file:?} does not name a file")));
    }
    if path.is_dir() {
        return Err(invalid(format!(
            "{file} is a folder: choose a file name to save as"
        )));
    }
    let parent = path.parent().unwrap_or(Path::new("/"));
    if !parent.is_dir() {
        return Err(invalid(format!(
            "{} is not an existing folder",
            parent.display()
        )));
    }
    Ok(path)
}

/// Downloads remote `path` of `host` (or of the target of its session `session`) to the local
/// file `file`, as chosen in the "Download to…" save dialog. Like `files_download`, it runs
/// in the background and reports through `transfer` events.
#[tauri::command(rename_all = "snake_case")]
pub async fn files_download_as(
    app: AppHandle,
    at: FilesAt<'_>,
    path: String,
    file: String,
) -> CommandResult<TransferStarted> {
    let file = save_target(&file)?;
    at.download_as(&app, &path, file).await
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::engine::transfer::path::MAX_ARG_BYTES;

    #[test]
    fn a_save_target_is_an_absolute_file_in_an_existing_folder() {
        let dir = std::env::temp_dir();
        let ok = dir.join("outpost-save-target-test.bin");
        assert_eq!(save_target(ok.to_str().unwrap()).unwrap(), ok);
        for bad in [
            "",
            "relative.txt",
            "/",
            "/tmp/",
            "/tmp/..",
            "/tmp/a\0b",
            "/no-such-folder-outpost/x.txt",
        ] {
            assert_eq!(save_target(bad).unwrap_err().code, "invalid", "{bad:?}");
        }
        assert_eq!(
            save_target(dir.to_str().unwrap()).unwrap_err().code,
            "invalid"
        );
        let long = format!("/{}", "a".repeat(MAX_ARG_BYTES));
        assert_eq!(save_target(&long).unwrap_err().code, "invalid");
    }
}
