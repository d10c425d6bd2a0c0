//! [`TransferError`]: why a file operation failed, with a stable [`TransferError::code`] for
//! the CLI's `--json` output and the window (`not_found`, `permission_denied`, `no_space`,
//! `not_a_directory`, `is_a_directory`, `exists`, …).
//!
//! Errors come from three places and are mapped to the same kinds: SFTP status replies
//! ([`from_sftp`]), the local file system ([`from_io`]) and the exit status and stderr of a remote
//! command ([`from_stderr`], for the `cat`/`sha256sum` paths).

use russh_sftp::client::error::Error as SftpError;
use russh_sftp::protocol::StatusCode;

/// What kind of failure, as a stable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The file or directory does not exist.
    NotFound,
    /// The user may not read or write there.
    PermissionDenied,
    /// The destination's file system is full (or over quota).
    NoSpace,
    /// A path component that must be a directory is a file.
    NotADirectory,
    /// A file was expected, and the path is a directory.
    IsADirectory,
    /// The destination exists and may not be replaced.
    Exists,
    /// The directory to remove is not empty.
    NotEmpty,
    /// The copy's SHA-256 differs from the source's.
    ChecksumMismatch,
    /// The server offers no way to do this (no SFTP subsystem and no fallback).
    Unsupported,
    /// The connection or channel went away in the middle.
    Disconnected,
    /// Anything else the server or the file system reported.
    Failed,
}

impl ErrorKind {
    /// The stable code (`snake_case`).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NoSpace => "no_space",
            ErrorKind::NotADirectory => "not_a_directory",
            ErrorKind::IsADirectory => "is_a_directory",
            ErrorKind::Exists => "exists",
            ErrorKind::NotEmpty => "not_empty",
            ErrorKind::ChecksumMismatch => "checksum_mismatch",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Disconnected => "disconnected",
            ErrorKind::Failed => "transfer_failed",
        }
    }
}

/// A file operation that failed: its kind, the path it concerned and what was reported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{path}: {message}")]
pub struct TransferError {
    /// The kind (see [`ErrorKind::code`]).
    pub kind: ErrorKind,
    /// The path, as the user wrote it (`HOST:path` for remote ones).
    pub path: String,
    /// What happened, for people.
    pub message: String,
}

impl TransferError {
    /// An error of `kind` about `path`.
    pub fn new(kind: ErrorKind, path: impl Into<String>, message: impl Into<String>) -> Self {
        TransferError {
            kind,
            path: path.into(),
            message: message.into(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

/// Words for each kind, when the source gave none better.
fn default_message(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "no such file or directory",
        ErrorKind::PermissionDenied => "permission denied",
        ErrorKind::NoSpace => "no space left on the device",
        ErrorKind::NotADirectory => "not a directory",
        ErrorKind::IsADirectory => "is a directory",
        ErrorKind::Exists => "already exists",
        ErrorKind::NotEmpty => "directory not empty",
        ErrorKind::ChecksumMismatch => "SHA-256 differs after the copy",
        ErrorKind::Unsupported => "not supported by the server",
        ErrorKind::Disconnected => "the connection closed",
        ErrorKind::Failed => "failed",
    }
}

/// A local file-system error about `path`.
pub fn from_io(path: &str, e: &std::io::Error) -> TransferError {
    use std::io::ErrorKind as K;
    let kind = match e.kind() {
        K::NotFound => ErrorKind::NotFound,
        K::PermissionDenied => ErrorKind::PermissionDenied,
        K::AlreadyExists => ErrorKind::Exists,
        K::StorageFull | K::QuotaExceeded => ErrorKind::NoSpace,
        K::NotADirectory => ErrorKind::NotADirectory,
        K::IsADirectory => ErrorKind::IsADirectory,
        K::DirectoryNotEmpty => ErrorKind::NotEmpty,
        _ => ErrorKind::Failed,
    };
    TransferError::new(kind, path, e.to_string())
}

/// An SFTP error about `path`. OpenSSH's server reports only a few kinds (no such file,
/// permission denied) and "Failure" for everything else (a full disk among them);
/// [`RemoteFs::refine`](crate::engine::transfer::RemoteFs::refine) makes those precise.
pub fn from_sftp(path: &str, e: &SftpError) -> TransferError {
    match e {
        SftpError::Status(s) => {
            let kind = match s.status_code {
                StatusCode::NoSuchFile => ErrorKind::NotFound,
                StatusCode::PermissionDenied => ErrorKind::PermissionDenied,
                StatusCode::NoConnection | StatusCode::ConnectionLost => ErrorKind::Disconnected,
                StatusCode::OpUnsupported => ErrorKind::Unsupported,
                _ => ErrorKind::Failed,
            };
            let message = if s.error_message.trim().is_empty() {
                default_message(kind).to_string()
            } else {
                s.error_message.clone()
            };
            TransferError::new(kind, path, message)
        }
        SftpError::IO(m) => TransferError::new(ErrorKind::Disconnected, path, m.clone()),
        SftpError::Timeout => TransferError::new(
            ErrorKind::Disconnected,
            path,
            "the server stopped answering",
        ),
        // russh-sftp's words for a request whose SFTP channel went away under it (the reader
        // ended, or the writer's queue closed): the connection is gone, not the file at fault.
        SftpError::UnexpectedBehavior(m) if m == "sender dropped" || m.starts_with("SendError") => {
            TransferError::new(ErrorKind::Disconnected, path, "the connection closed")
        }
        other => TransferError::new(ErrorKind::Failed, path, other.to_string()),
    }
}

/// A remote command's failure about `path`, classified from the stderr of coreutils and
/// OpenSSH tools (`cat`, `mkdir`, `mv`, `sha256sum`, `sftp-server` messages).
pub fn from_stderr(path: &str, stderr: &str) -> TransferError {
    let s = stderr.to_ascii_lowercase();
    let kind = if s.contains("no such file") {
        ErrorKind::NotFound
    } else if s.contains("permission denied") {
        ErrorKind::PermissionDenied
    } else if s.contains("no space") || s.contains("quota exceeded") {
        ErrorKind::NoSpace
    } else if s.contains("not a directory") {
        ErrorKind::NotADirectory
    } else if s.contains("is a directory") {
        ErrorKind::IsADirectory
    } else if s.contains("file exists") {
        ErrorKind::Exists
    } else if s.contains("not empty") {
        ErrorKind::NotEmpty
    } else {
        ErrorKind::Failed
    };
    let message = stderr.trim();
    let message = if message.is_empty() {
        default_message(kind)
    } else {
        message
    };
    TransferError::new(kind, path, message.chars().take(500).collect::<String>())
}

/// The error of `kind` about `path` with its default words.
pub fn kind_error(kind: ErrorKind, path: &str) -> TransferError {
    TransferError::new(kind, path, default_message(kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_is_classified() {
        let e = from_stderr("h:/x", "cat: /x: No such file or directory\n");
        assert_eq!(e.code(), "not_found");
        assert_eq!(
            from_stderr("p", "write error: No space left on device").code(),
            "no_space"
        );
        assert_eq!(
            from_stderr("p", "mkdir: cannot create directory 'a': File exists").code(),
            "exists"
        );
        assert_eq!(from_stderr("p", "").message, "failed");
    }

    #[test]
    fn io_errors_are_classified() {
        let e = std::io::Error::from_raw_os_error(libc::ENOSPC);
        assert_eq!(from_io("p", &e).code(), "no_space");
        let e = std::io::Error::from_raw_os_error(libc::ENOTDIR);
        assert_eq!(from_io("p", &e).code(), "not_a_directory");
    }

    #[test]
    fn a_vanished_sftp_channel_is_a_disconnection() {
        let gone = SftpError::UnexpectedBehavior("sender dropped".into());
        assert_eq!(from_sftp("h:x", &gone).code(), "disconnected");
        let odd = SftpError::UnexpectedBehavior("odd reply".into());
        assert_eq!(from_sftp("h:x", &odd).code(), "transfer_failed");
    }
}
