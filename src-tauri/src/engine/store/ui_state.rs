//! What the window remembers between runs: its settings (theme, font size, panels) and its
//! workspace (open tabs and their sessions), each a JSON document the front end owns, stored as
//! `ui/<key>.json` in the configuration directory (mode 0600, written atomically).
//!
//! The engine does not interpret the documents; it only bounds their names and sizes and keeps
//! a corrupt file from stopping the app (it reads as absent and is set aside as `.corrupt`).

use std::path::{Path, PathBuf};

use crate::engine::store::config_dir::{ensure_dir, write_private, ConfigError};

/// The documents the front end may keep.
pub const KEYS: &[&str] = &["settings", "workspace"];
/// The largest document kept.
pub const MAX_BYTES: usize = 1024 * 1024;

/// Why a document could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum UiStateError {
    /// The key is not one of [`KEYS`].
    #[error("unknown state key {0:?} (expected one of: settings, workspace)")]
    UnknownKey(String),
    /// The document is larger than [`MAX_BYTES`].
    #[error("the {key} document is {size} bytes; the limit is {MAX_BYTES}")]
    TooLarge {
        /// The key.
        key: String,
        /// Its size.
        size: usize,
    },
    /// Reading or writing failed.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

fn path(config_dir: &Path, key: &str) -> Result<PathBuf, UiStateError> {
    if !KEYS.contains(&key) {
        return Err(UiStateError::UnknownKey(key.to_string()));
    }
    Ok(config_dir.join("ui").join(format!("{key}.json")))
}

/// The document `key`, or `None` when there is none (or it was unreadable JSON).
pub fn load(config_dir: &Path, key: &str) -> Result<Option<serde_json::Value>, UiStateError> {
    let path = path(config_dir, key)?;
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ConfigError::Io {
                what: "reading",
                path,
                source,
            }
            .into())
        }
    };
    match serde_json::from_slice(&bytes) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            tracing::warn!(path = %path.display(), "ignoring a corrupt state file: {e}");
            let _ = std::fs::rename(&path, path.with_extension("json.corrupt"));
            Ok(None)
        }
    }
}

/// Replaces the document `key` with `value`.
pub fn save(config_dir: &Path, key: &str, value: &serde_json::Value) -> Result<(), UiStateError> {
    let path = path(config_dir, key)?;
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| ConfigError::Invalid {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if bytes.len() > MAX_BYTES {
        return Err(UiStateError::TooLarge {
            key: key.to_string(),
            size: bytes.len(),
        });
    }
    if let Some(dir) = path.parent() {
        ensure_dir(dir)?;
    }
    write_private(&path, &bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn round_trips_privately() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path(), "workspace").unwrap(), None);
        let doc = serde_json::json!({"tabs": [{"host": "local", "session_id": "abc"}]});
        save(dir.path(), "workspace", &doc).unwrap();
        assert_eq!(load(dir.path(), "workspace").unwrap(), Some(doc));
        let mode = std::fs::metadata(dir.path().join("ui/workspace.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn rejects_unknown_keys_and_huge_documents() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load(dir.path(), "../hosts"),
            Err(UiStateError::UnknownKey(_))
        ));
        let big = serde_json::Value::String("x".repeat(MAX_BYTES));
        assert!(matches!(
            save(dir.path(), "settings", &big),
            Err(UiStateError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_corrupt_file_reads_as_absent_and_is_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ui")).unwrap();
        std::fs::write(dir.path().join("ui/settings.json"), b"{not json").unwrap();
        assert_eq!(load(dir.path(), "settings").unwrap(), None);
        assert!(dir.path().join("ui/settings.json.corrupt").exists());
    }
}
