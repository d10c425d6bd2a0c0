//! Progress of a copy as events ([`ProgressEvent`]) sent to a [`Progress`] sink: the CLI draws a
//! bar from them or prints them as JSON lines; the window can show them in a transfers list.

use std::sync::Arc;

/// One step of a copy.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProgressEvent {
    /// A file starts: its size, and the bytes kept from an earlier attempt (`--resume`).
    Start {
        /// The source file.
        file: String,
        /// Its size in bytes.
        size: u64,
        /// Bytes already in place (resumed), not sent again.
        resumed: u64,
    },
    /// Bytes of the current file are in place.
    Bytes {
        /// The source file.
        file: String,
        /// Bytes of it done so far (including resumed ones).
        done: u64,
        /// Its size.
        size: u64,
    },
    /// A file is complete under its final name.
    Done {
        /// The source file.
        file: String,
        /// Its size.
        size: u64,
        /// Its SHA-256 (hex), when verified.
        #[serde(skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
    },
}

/// Where progress goes.
pub type Progress = Arc<dyn Fn(ProgressEvent) + Send + Sync>;

/// A sink that drops everything.
pub fn silent() -> Progress {
    Arc::new(|_| {})
}
