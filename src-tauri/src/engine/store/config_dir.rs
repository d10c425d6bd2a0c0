//! The desktop's configuration directory and private file writes.
//!
//! `$OUTPOST_CONFIG_DIR` when set, else `$XDG_CONFIG_HOME/outpost`, else `~/.config/outpost`.
//! Created 0700; files written atomically with mode 0600.

use outpost_openssh::home_dir;
use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// Why the configuration could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No home directory to put the configuration in.
    #[error("cannot find a configuration directory: set $HOME or $OUTPOST_CONFIG_DIR")]
    NoHome,
    /// A file could not be read or written.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A file's content is not what it should be.
    #[error("{path} is not valid: {message}")]
    Invalid {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The configuration directory (not created).
pub fn config_dir() -> Result<PathBuf, ConfigError> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = var("OUTPOST_CONFIG_DIR") {
        return Ok(d);
    }
    if let Some(d) = var("XDG_CONFIG_HOME") {
        return Ok(d.join("outpost"));
    }
    home_dir()
        .map(|h| h.join(".config/outpost"))
        .ok_or(ConfigError::NoHome)
}

/// Creates `dir` (and parents) with mode 0700.
pub fn ensure_dir(dir: &Path) -> Result<(), ConfigError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| ConfigError::Io {
            what: "cannot create",
            path: dir.to_path_buf(),
            source,
        })
}

/// Writes `data` to `path` atomically with mode 0600 ([`outpost_openssh::write_private`]),
/// creating its directory 0700 when missing.
pub fn write_private(path: &Path, data: &[u8]) -> Result<(), ConfigError> {
    use outpost_openssh::WriteError;
    outpost_openssh::write_private(path, data, outpost_openssh::Parent::Create).map_err(|e| match e
    {
        WriteError::CreateDir { path, source } => ConfigError::Io {
            what: "cannot create",
            path,
            source,
        },
        WriteError::Write { path, source } => ConfigError::Io {
            what: "cannot write",
            path,
            source,
        },
    })
}
