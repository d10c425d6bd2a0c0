//! The file tools' parameters (`files_list` … `file_move`): typed, bounded, and described for a
//! language model (the doc comments become the JSON schemas' descriptions).

use schemars::JsonSchema;
use serde::Deserialize;

/// The most bytes `file_read` returns at once.
pub const MAX_FILE_READ: u64 = 1024 * 1024;

/// What `file_read` returns when `max_bytes` is not given.
pub const DEFAULT_FILE_READ: u64 = 64 * 1024;

/// The most bytes `file_write` writes (after decoding base64).
pub const MAX_FILE_WRITE: usize = 1024 * 1024;

/// The longest path accepted, in bytes.
pub const MAX_PATH_BYTES: usize = 4096;

/// Where a path is: a host, or the target of one of its ssh sessions.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileAt {
    /// The host's name as `hosts_list` shows it (a saved SSH host; `local` has no file tools:
    /// use your own file access for this computer).
    pub host: String,
    /// An ssh session's id on that host: the path is then on the session's target, reached
    /// through the session's existing connection. Omit for the host itself.
    #[serde(default)]
    pub session_id: Option<String>,
    /// The remote path. Relative paths start at the login (home) directory.
    pub path: String,
}

/// How `file_read` and `file_write` carry file contents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// UTF-8 text.
    #[default]
    Text,
    /// Base64 (standard alphabet, with padding), for binary data.
    Base64,
}

/// `file_read`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadParams {
    /// The host's name as `hosts_list` shows it (a saved SSH host; `local` has no file tools).
    pub host: String,
    /// An ssh session's id on that host: the path is then on the session's target, reached
    /// through the session's existing connection. Omit for the host itself.
    #[serde(default)]
    pub session_id: Option<String>,
    /// The file. Relative paths start at the login (home) directory.
    pub path: String,
    /// Where to start, in bytes from the start of the file (default 0).
    #[serde(default)]
    pub offset: u64,
    /// The most bytes to return (default 65536, at most 1048576). Read the rest with a larger
    /// `offset`: the answer's `next_offset`.
    #[serde(default)]
    pub max_bytes: Option<u64>,
}

/// `file_write`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteParams {
    /// The host's name as `hosts_list` shows it (a saved SSH host; `local` has no file tools).
    pub host: String,
    /// An ssh session's id on that host: the path is then on the session's target, reached
    /// through the session's existing connection. Omit for the host itself.
    #[serde(default)]
    pub session_id: Option<String>,
    /// The file to create or replace (not a directory). Relative paths start at the login (home) directory.
    pub path: String,
    /// The whole new contents (at most 1048576 bytes once decoded; never written to the audit
    /// log, only its length).
    pub content: String,
    /// `text` (default) or `base64`.
    #[serde(default)]
    pub encoding: Encoding,
    /// Permission bits of the file, e.g. 420 (0o644, the default).
    #[serde(default)]
    pub mode: Option<u32>,
    /// Replace the file when it exists (default true); false fails with `exists`.
    #[serde(default = "yes")]
    pub overwrite: bool,
}

/// `file_upload` and `file_download`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyParams {
    /// The host's name as `hosts_list` shows it (a saved SSH host; `local` has no file tools).
    pub host: String,
    /// An ssh session's id on that host: the path is then on the session's target, reached
    /// through the session's existing connection. Omit for the host itself.
    #[serde(default)]
    pub session_id: Option<String>,
    /// The remote file (a file path, not a directory). Relative paths start at the login (home) directory.
    pub path: String,
    /// The absolute path of the file on this computer (where the MCP server runs).
    pub local_path: String,
    /// Replace the destination when it exists (default true); false fails with `exists`.
    #[serde(default = "yes")]
    pub overwrite: bool,
    /// Compare SHA-256 of both sides before the final rename (default true).
    #[serde(default = "yes")]
    pub verify: bool,
}

/// `file_mkdir`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MkdirParams {
    /// The host's name as `hosts_list` shows it (a saved SSH host; `local` has no file tools).
    pub host: String,
    /// An ssh session's id on that host: the path is then on the session's target, reached
    /// through the session's existing connection. Omit for the host itself.
    #[serde(default)]
    pub session_id: Option<String>,
    /// The directory to create. Relative paths start at the login (home) directory.
    pub path: String,
    /// Create missing parent directories too, and succeed when it exists (like `mkdir -p`).
    #[serde(default)]
    pub parents: bool,
}

/// `file_move`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveParams {
    /// The host's name as `hosts_list` shows it (a saved SSH host; `local` has no file tools).
    pub host: String,
    /// An ssh session's id on that host: the path is then on the session's target, reached
    /// through the session's existing connection. Omit for the host itself.
    #[serde(default)]
    pub session_id: Option<String>,
    /// The file or directory to move. Relative paths start at the login (home) directory.
    pub path: String,
    /// The new path, on the same host (or session target).
    pub to: String,
    /// Replace `to` when it is an existing file (default false: fails with `exists`).
    #[serde(default)]
    pub overwrite: bool,
}

fn yes() -> bool {
    true
}
