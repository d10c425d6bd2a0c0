//! Local sockets between agents and session daemons (`interprocess`), with the peer check that
//! keeps other users out.

use std::path::Path;

use interprocess::local_socket::tokio::{Listener, Stream};
use interprocess::local_socket::traits::tokio::{Listener as _, Stream as _};
use interprocess::local_socket::traits::StreamCommon;
use interprocess::local_socket::{GenericFilePath, ListenerOptions, ToFsName};

/// Binds a listener at `path`, replacing a stale socket file left by a dead daemon.
pub fn listen(path: &Path) -> std::io::Result<Listener> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() || m.is_file() || m.is_dir() => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
        Ok(_) => std::fs::remove_file(path)?,
        Err(_) => {}
    }
    let name = path.to_fs_name::<GenericFilePath>()?;
    ListenerOptions::new().name(name).create_tokio()
}

/// Accepts the next connection from this same user; others are dropped with a log line.
pub async fn accept_own(listener: &Listener) -> std::io::Result<Stream> {
    let me = nix::unistd::geteuid().as_raw();
    loop {
        let conn = listener.accept().await?;
        match conn.peer_creds().map(|c| c.euid()) {
            Ok(Some(uid)) if uid == me => return Ok(conn),
            other => tracing::warn!(?other, "refused a socket connection from another user"),
        }
    }
}

/// Connects to the socket at `path`.
pub async fn connect(path: &Path) -> std::io::Result<Stream> {
    let name = path.to_fs_name::<GenericFilePath>()?;
    let conn = Stream::connect(name).await?;
    let me = nix::unistd::geteuid().as_raw();
    match conn.peer_creds().map(|c| c.euid()) {
        Ok(Some(uid)) if uid == me => Ok(conn),
        _ => Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("{} is served by another user", path.display()),
        )),
    }
}
