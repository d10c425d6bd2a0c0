//! The arguments that open most file-panel and forwards-panel commands, read as one value: the
//! host the window names (and for files, its session), together with the state those commands
//! act on. A command takes `at: FilesAt<'_>` or `of: ForwardsOf<'_>` where it took the same four
//! or three parameters before; the front end still sends `host` (and `session`) as top-level
//! keys, and a missing or mistyped key is refused exactly as a plain parameter of that name is
//! (each part is read by Tauri's own [`CommandArg`] under its own key).
//!
//! What the commands then do with them is their panel's: [`super::files`] opens the place,
//! [`super::forwards`] loads the saved forwards and asks the manager what runs.

use tauri::ipc::{CommandArg, CommandItem, InvokeError};
use tauri::{Runtime, State};

use super::files::FilesState;
use super::forwards::ForwardsState;
use crate::gui::state::AppState;

/// A place of the file panel: `host` (`HOST:`) or the target of its session `session`
/// (`HOST:SESSION:`), unchecked, with the state the panel's commands use.
pub struct FilesAt<'r> {
    /// The window's shared state (its connections).
    pub state: State<'r, AppState>,
    /// The panel's open file systems and transfers.
    pub files: State<'r, FilesState>,
    /// The host, as the window sent it.
    pub host: String,
    /// The session, if the place is its target.
    pub session: Option<String>,
}

/// One host's forwards as the forwards panel's commands see them, with the state they use.
pub struct ForwardsOf<'r> {
    /// The window's shared state (its connections and configuration folder).
    pub state: State<'r, AppState>,
    /// The forwards the window runs.
    pub forwards: State<'r, ForwardsState>,
    /// The host, as the window sent it.
    pub host: String,
}

/// Reads the part named `key` of the invoke `c` belongs to, as a parameter `key` would be read.
fn part<'de, R: Runtime, T: CommandArg<'de, R>>(
    c: &CommandItem<'de, R>,
    key: &'static str,
) -> Result<T, InvokeError> {
    T::from_command(CommandItem {
        plugin: c.plugin,
        name: c.name,
        key,
        message: c.message,
        acl: c.acl,
    })
}

impl<'r, 'de: 'r, R: Runtime> CommandArg<'de, R> for FilesAt<'r> {
    fn from_command(c: CommandItem<'de, R>) -> Result<Self, InvokeError> {
        Ok(FilesAt {
            state: part(&c, "state")?,
            files: part(&c, "files")?,
            host: part(&c, "host")?,
            session: part(&c, "session")?,
        })
    }
}

impl<'r, 'de: 'r, R: Runtime> CommandArg<'de, R> for ForwardsOf<'r> {
    fn from_command(c: CommandItem<'de, R>) -> Result<Self, InvokeError> {
        Ok(ForwardsOf {
            state: part(&c, "state")?,
            forwards: part(&c, "forwards")?,
            host: part(&c, "host")?,
        })
    }
}
