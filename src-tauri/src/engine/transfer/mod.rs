//! File transfer and file operations on the agent's host and on targets behind it
//! (`outpost cp|ls|stat|mkdir|rm|mv`), without storing anything on the host.
//!
//! | file | what it holds |
//! |---|---|
//! | [`path`] | `HOST:path` / `HOST:SESSION:path` / local arguments |
//! | [`remote`] | [`RemoteFs`]: SFTP to the host, or end to end to a target through the session's ControlMaster; commands (`sha256sum`, `cat`) the same way |
//! | [`open`] | opening a [`RemoteFs`] for a [`path::RemotePath`] (SSH connection, the session's target) |
//! | [`copy`] | one file: pipelined, bounded, temporary name + rename, mode and mtime, `--verify`, `--resume` |
//! | [`tree`] | `cp` rules, `-r` directories, `rm -r` |
//! | [`progress`] | progress events for a bar or JSON lines |
//! | [`error`] | [`TransferError`] with stable codes |
//! | [`quote`] | argv → shell words for remote commands |
//!
//! See `docs/files.md`.

pub mod copy;
pub mod error;
pub mod open;
pub mod path;
pub mod progress;
pub mod quote;
pub mod remote;
pub mod tree;

pub use error::{ErrorKind, TransferError};
pub use remote::RemoteFs;
