//! [`RemoteFs`]: a file system on the agent's host or on a target behind it, spoken as SFTP
//! (russh-sftp's [`RawSftpSession`], whose requests can be outstanding several at once) plus
//! commands run through `exec` for what SFTP has no word for (`sha256sum`, `cat` when there is
//! no SFTP subsystem).
//!
//! * The host: the `sftp` subsystem on a channel of the SSH connection ([`RemoteFs::host`]).
//! * A target of an `ssh` session: an `exec` channel on the host running
//!   `ssh -S <ControlMaster> -o ControlMaster=no -o BatchMode=yes -o ProxyCommand=/bin/false
//!   -s -- TARGET sftp` (the master's path from `session.ssh_control`), so SFTP
//!   goes end to end from the desktop over the session's own connection: nothing is stored on
//!   the host and nothing authenticates again ([`RemoteFs::target`]). Commands go the same way
//!   (`ssh -S … -T -- TARGET 'cmd'`).
//!
//! Every command is built from argv ([`quote::words`]); for a target the inner command is
//! quoted once more, as one word of the outer `ssh`.

use std::sync::Arc;

use outpost_openssh::master::MASTER_ONLY;
use russh_sftp::client::RawSftpSession;
use russh_sftp::extensions::{LimitsExtension, LIMITS};
use russh_sftp::protocol::{FileAttributes, Packet, StatusCode};

use super::error::{from_sftp, from_stderr, kind_error, ErrorKind, TransferError};
use super::quote;
use crate::engine::ssh::{ChannelStream, SshError, SshSession};

/// The longest a single SFTP request may wait for its answer, in seconds.
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// Bytes per SFTP read or write when the server does not say how many it takes: what every
/// server must accept is 32 KiB (draft-ietf-secsh-filexfer-02 §3), and every server met so far
/// takes 64 KiB.
pub const DEFAULT_REQUEST_LEN: usize = 64 * 1024;

/// The most bytes per SFTP read or write, whatever the server allows: OpenSSH's `sftp-server` says
/// 261,120 (`limits@openssh.com`: its 256 KiB message limit less 1 KiB for the header).
pub const MAX_REQUEST_LEN: usize = 255 * 1024;

/// How commands reach the remote side.
#[derive(Clone, Debug)]
enum Via {
    /// Run on the host itself.
    Host,
    /// Run on a target through the session's ControlMaster on the host.
    Target {
        /// The ControlMaster socket on the host.
        control_path: String,
        /// The target's host name (the master ignores it, `ssh` needs one).
        target: String,
    },
}

/// One entry of a remote (or local) directory, or what `stat` says about a path.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// The file name (the last path component).
    pub name: String,
    /// `file`, `dir`, `symlink` or `other`.
    pub kind: EntryKind,
    /// Size in bytes.
    pub size: u64,
    /// Permission bits (`0o7777` part of the mode).
    pub mode: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
}

/// What an [`Entry`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (not followed by `ls`).
    Symlink,
    /// Anything else (device, socket, fifo).
    Other,
}

impl Entry {
    fn from_attrs(name: &str, a: &FileAttributes) -> Entry {
        let perms = a.permissions.unwrap_or(0);
        let kind = match perms & 0o170000 {
            0o040000 => EntryKind::Dir,
            0o100000 => EntryKind::File,
            0o120000 => EntryKind::Symlink,
            _ => EntryKind::Other,
        };
        Entry {
            name: name.to_string(),
            kind,
            size: a.size.unwrap_or(0),
            mode: perms & 0o7777,
            mtime: u64::from(a.mtime.unwrap_or(0)),
        }
    }
}

/// A remote file system: SFTP when the server has it, commands always.
pub struct RemoteFs {
    ssh: Arc<SshSession>,
    via: Via,
    sftp: Option<Arc<RawSftpSession>>,
    /// `HOST:` or `HOST:SESSION:`, put before paths in errors.
    label: String,
    /// Why SFTP is not available (when it is not).
    no_sftp: Option<String>,
    /// Bytes per SFTP write ([`RemoteFs::write_len`]).
    write_len: usize,
    /// Bytes per SFTP read ([`RemoteFs::read_len`]).
    read_len: usize,
}

impl RemoteFs {
    /// The host's file system over `ssh`; `label` is how paths there are written (`HOST:`).
    pub async fn host(ssh: Arc<SshSession>, label: String) -> Result<RemoteFs, TransferError> {
        let opened = ssh.open_subsystem("sftp").await;
        RemoteFs::start(ssh, Via::Host, label, opened).await
    }

    /// A target's file system through the `ssh` session whose ControlMaster on the host is
    /// `control_path`; `target` is the target's host name.
    pub async fn target(
        ssh: Arc<SshSession>,
        control_path: String,
        target: String,
        label: String,
    ) -> Result<RemoteFs, TransferError> {
        let via = Via::Target {
            control_path,
            target,
        };
        let argv = ssh_argv(&via, &["-s"], "sftp");
        let opened = ssh.exec_stream(&quote::words(&argv)).await;
        RemoteFs::start(ssh, via, label, opened).await
    }

    async fn start(
        ssh: Arc<SshSession>,
        via: Via,
        label: String,
        opened: Result<ChannelStream, SshError>,
    ) -> Result<RemoteFs, TransferError> {
        let mut fs = RemoteFs {
            ssh,
            via,
            sftp: None,
            label,
            no_sftp: None,
            write_len: DEFAULT_REQUEST_LEN,
            read_len: DEFAULT_REQUEST_LEN,
        };
        match opened {
            Ok(stream) => {
                let watch = stream.exit_watch();
                let raw = RawSftpSession::new(stream);
                raw.set_timeout(REQUEST_TIMEOUT_SECS);
                match raw.init().await {
                    Ok(version) => {
                        if version.extensions.contains_key(LIMITS) {
                            let limits = raw.limits().await.ok();
                            fs.write_len = write_len_from(limits.as_ref());
                            fs.read_len = read_len_from(limits.as_ref());
                        }
                        tracing::debug!(
                            label = %fs.label,
                            write_len = fs.write_len,
                            read_len = fs.read_len,
                            "SFTP"
                        );
                        fs.sftp = Some(Arc::new(raw));
                    }
                    Err(e) => {
                        let stderr = String::from_utf8_lossy(&watch.stderr()).trim().to_string();
                        tracing::info!(label = %fs.label, "no SFTP ({e}): {stderr}");
                        fs.no_sftp = Some(if stderr.is_empty() {
                            e.to_string()
                        } else {
                            stderr
                        });
                    }
                }
            }
            Err(SshError::ChannelRefused { reason, .. }) => {
                tracing::info!(label = %fs.label, "no SFTP subsystem: {reason}");
                fs.no_sftp = Some(reason);
            }
            Err(e) => {
                return Err(TransferError::new(
                    ErrorKind::Disconnected,
                    fs.label.clone(),
                    e.to_string(),
                ))
            }
        }
        Ok(fs)
    }

    /// `path` as the user would write it (`HOST:path`), for errors.
    pub fn show(&self, path: &str) -> String {
        format!("{}{path}", self.label)
    }

    /// Bytes per SFTP write: what the server's `limits@openssh.com` allows (at most
    /// [`MAX_REQUEST_LEN`]), else [`DEFAULT_REQUEST_LEN`].
    pub fn write_len(&self) -> usize {
        self.write_len
    }

    /// Bytes per SFTP read: what the server's `limits@openssh.com` allows (at most
    /// [`MAX_REQUEST_LEN`]), else [`DEFAULT_REQUEST_LEN`]. Fewer, larger reads cost the server's
    /// `sftp-server` and this side less per byte, as OpenSSH's own `sftp` and `scp` read.
    pub fn read_len(&self) -> usize {
        self.read_len
    }

    /// Whether SFTP is available (otherwise only the command fallback is).
    pub fn has_sftp(&self) -> bool {
        self.sftp.is_some()
    }

    /// The SFTP session, or `unsupported` naming why there is none.
    pub fn sftp(&self, path: &str) -> Result<&Arc<RawSftpSession>, TransferError> {
        self.sftp.as_ref().ok_or_else(|| {
            TransferError::new(
                ErrorKind::Unsupported,
                self.show(path),
                format!(
                    "the server has no SFTP subsystem ({}); only `cp` of single files works without it",
                    self.no_sftp.as_deref().unwrap_or("refused")
                ),
            )
        })
    }

    /// An SFTP error about `path` (see [`RemoteFs::refine`] for making "Failure" precise).
    pub fn sftp_error(&self, path: &str, e: &russh_sftp::client::error::Error) -> TransferError {
        from_sftp(&self.show(path), e)
    }

    /// `e` as it ends an operation: when the SSH connection under this file system has ended
    /// (keepalives unanswered, the server gone), whatever the SFTP layer said, the error is
    /// [`ErrorKind::Disconnected`] with the connection's reason.
    pub fn settle(&self, e: TransferError) -> TransferError {
        if e.kind == ErrorKind::Disconnected || !self.ssh.is_closed() {
            return e;
        }
        let why = self
            .ssh
            .close_reason()
            .unwrap_or_else(|| "closed".to_string());
        TransferError::new(
            ErrorKind::Disconnected,
            e.path,
            format!("the connection ended ({why}); `--resume` continues the copy"),
        )
    }

    /// What `path` is (following symbolic links), or `None` when nothing is there.
    pub async fn stat(&self, path: &str) -> Result<Option<Entry>, TransferError> {
        if self.sftp.is_none() {
            return self.stat_by_command(path).await;
        }
        let sftp = self.sftp(path)?;
        match sftp.stat(path).await {
            Ok(a) => Ok(Some(Entry::from_attrs(base_name(path), &a.attrs))),
            Err(russh_sftp::client::error::Error::Status(s))
                if s.status_code == StatusCode::NoSuchFile =>
            {
                Ok(None)
            }
            Err(e) => Err(self.sftp_error(path, &e)),
        }
    }

    /// `stat` through a command, for servers without SFTP.
    async fn stat_by_command(&self, path: &str) -> Result<Option<Entry>, TransferError> {
        let out = self
            .run(&["stat", "-L", "-c", "%f %s %Y", "--", path], None)
            .await?;
        if !out.success() {
            let e = from_stderr(&self.show(path), &out.stderr_text());
            return if e.kind == ErrorKind::NotFound {
                Ok(None)
            } else {
                Err(e)
            };
        }
        let text = out.stdout_text();
        let mut f = text.split_whitespace();
        let parsed = (|| {
            let mode = u32::from_str_radix(f.next()?, 16).ok()?;
            let size = f.next()?.parse().ok()?;
            let mtime = f.next()?.parse().ok()?;
            Some((mode, size, mtime))
        })();
        let (mode, size, mtime) = parsed.ok_or_else(|| {
            TransferError::new(
                ErrorKind::Failed,
                self.show(path),
                format!("cannot read `stat` output {text:?}"),
            )
        })?;
        let attrs = FileAttributes {
            size: Some(size),
            permissions: Some(mode),
            mtime: Some(mtime),
            ..FileAttributes::empty()
        };
        Ok(Some(Entry::from_attrs(base_name(path), &attrs)))
    }

    /// The entries of directory `path` (without `.` and `..`), sorted by name.
    pub async fn read_dir(&self, path: &str) -> Result<Vec<Entry>, TransferError> {
        let sftp = self.sftp(path)?;
        let handle = sftp
            .opendir(path)
            .await
            .map_err(|e| self.sftp_error(path, &e))?
            .handle;
        let mut entries = Vec::new();
        let result = loop {
            match sftp.readdir(handle.as_str()).await {
                Ok(name) => {
                    for f in name.files {
                        if f.filename != "." && f.filename != ".." {
                            entries.push(Entry::from_attrs(&f.filename, &f.attrs));
                        }
                    }
                }
                Err(russh_sftp::client::error::Error::Status(s))
                    if s.status_code == StatusCode::Eof =>
                {
                    break Ok(());
                }
                Err(e) => break Err(self.sftp_error(path, &e)),
            }
        };
        let _ = sftp.close(handle).await;
        result?;
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// `not_a_directory` when `path` exists and is not a directory.
    async fn dir_error_kind(&self, path: &str) -> Option<ErrorKind> {
        match self.stat(path).await {
            Ok(Some(e)) if e.kind != EntryKind::Dir => Some(ErrorKind::NotADirectory),
            _ => None,
        }
    }

    /// Refines a "Failure" about `path` by looking at what is there
    /// (`not_a_directory`, `exists`). OpenSSH also reports ENOTDIR as "no such file", so a
    /// `not_found` whose parent is a file becomes `not_a_directory`.
    pub async fn refine(&self, path: &str, mut e: TransferError) -> TransferError {
        if e.kind == ErrorKind::Failed {
            if let Some(k) = self.dir_error_kind(path).await {
                e.kind = k;
                return e;
            }
            if let Ok(Some(_)) = self.stat(path).await {
                e.kind = ErrorKind::Exists;
                return e;
            }
        } else if e.kind != ErrorKind::NotFound {
            return e;
        }
        // A parent that is a file.
        if let Some(parent) = parent_of(path) {
            if let Some(ErrorKind::NotADirectory) = self.dir_error_kind(parent).await {
                e.kind = ErrorKind::NotADirectory;
            }
        }
        e
    }

    /// Creates directory `path` with permission bits `mode`.
    pub async fn mkdir(&self, path: &str, mode: u32) -> Result<(), TransferError> {
        let sftp = self.sftp(path)?;
        let attrs = FileAttributes {
            permissions: Some(mode),
            ..FileAttributes::empty()
        };
        match sftp.mkdir(path, attrs).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let err = self.sftp_error(path, &e);
                Err(self.refine(path, err).await)
            }
        }
    }

    /// Creates directory `path` and any missing parents (`mkdir -p`), each with permission bits
    /// `mode`; directories that exist are kept, a component that is no directory fails with
    /// `not_a_directory`.
    pub async fn mkdir_all(&self, path: &str, mode: u32) -> Result<(), TransferError> {
        let mut sofar = if path.starts_with('/') {
            "/".to_string()
        } else {
            String::new()
        };
        for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
            sofar = join(&sofar, part);
            match self.stat(&sofar).await? {
                Some(e) if e.kind == EntryKind::Dir => {}
                Some(_) => {
                    return Err(TransferError::new(
                        ErrorKind::NotADirectory,
                        self.show(&sofar),
                        "not a directory",
                    ))
                }
                None => self.mkdir(&sofar, mode).await?,
            }
        }
        Ok(())
    }

    /// Removes file (or symbolic link) `path`.
    pub async fn remove_file(&self, path: &str) -> Result<(), TransferError> {
        let sftp = self.sftp(path)?;
        if let Some(e) = self.stat(path).await? {
            if e.kind == EntryKind::Dir {
                return Err(kind_error(ErrorKind::IsADirectory, &self.show(path)));
            }
        }
        sftp.remove(path)
            .await
            .map(drop)
            .map_err(|e| self.sftp_error(path, &e))
    }

    /// Removes empty directory `path`.
    pub async fn remove_dir(&self, path: &str) -> Result<(), TransferError> {
        let sftp = self.sftp(path)?;
        match sftp.rmdir(path).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let mut err = self.sftp_error(path, &e);
                if err.kind == ErrorKind::Failed {
                    match self.stat(path).await {
                        Ok(Some(s)) if s.kind != EntryKind::Dir => {
                            err.kind = ErrorKind::NotADirectory
                        }
                        Ok(Some(_)) => err.kind = ErrorKind::NotEmpty,
                        _ => {}
                    }
                }
                Err(err)
            }
        }
    }

    /// Renames `from` to `to`, replacing `to` when `replace` (OpenSSH's `posix-rename`),
    /// otherwise failing with `exists` when it is there.
    pub async fn rename(&self, from: &str, to: &str, replace: bool) -> Result<(), TransferError> {
        let sftp = self.sftp(from)?;
        if !replace {
            if self.stat(to).await?.is_some() {
                return Err(kind_error(ErrorKind::Exists, &self.show(to)));
            }
            return match sftp.rename(from, to).await {
                Ok(_) => Ok(()),
                Err(e) => Err(self.sftp_error(from, &e)),
            };
        }
        let mut data = Vec::with_capacity(8 + from.len() + to.len());
        for s in [from, to] {
            data.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
            data.extend_from_slice(s.as_bytes());
        }
        match sftp.extended("posix-rename@openssh.com", data).await {
            Ok(Packet::Status(s)) if s.status_code == StatusCode::Ok => Ok(()),
            Ok(Packet::Status(s)) => Err(self.sftp_error(from, &s.into())),
            Ok(_) | Err(_) => {
                // No extension: remove, then rename (not atomic, but never half a file).
                let _ = sftp.remove(to).await;
                sftp.rename(from, to)
                    .await
                    .map(drop)
                    .map_err(|e| self.sftp_error(from, &e))
            }
        }
    }

    /// Sets `path`'s permission bits and modification (and access) time.
    pub async fn set_mode_mtime(
        &self,
        path: &str,
        mode: u32,
        mtime: u64,
    ) -> Result<(), TransferError> {
        let sftp = self.sftp(path)?;
        let t = u32::try_from(mtime).unwrap_or(u32::MAX);
        let attrs = FileAttributes {
            permissions: Some(mode & 0o7777),
            atime: Some(t),
            mtime: Some(t),
            ..FileAttributes::empty()
        };
        sftp.setstat(path, attrs)
            .await
            .map(drop)
            .map_err(|e| self.sftp_error(path, &e))
    }

    /// The SHA-256 (hex) of `path`'s first `len` bytes, or of all of it, computed there by
    /// `sha256sum`.
    pub async fn sha256(&self, path: &str, len: Option<u64>) -> Result<String, TransferError> {
        let cmd = match len {
            None => quote::words(&["sha256sum", "--", path]),
            Some(n) => format!(
                "{} | sha256sum",
                quote::words(&["head", "-c", &n.to_string(), "--", path])
            ),
        };
        let out = self.run_line(&cmd, None).await?;
        let text = out.stdout_text();
        let hex: String = text.chars().take(64).collect();
        if !out.success() || hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(from_stderr(&self.show(path), &out.stderr_text()));
        }
        Ok(hex.to_ascii_lowercase())
    }

    /// Runs `argv` there; stdin from `stdin`.
    pub async fn run(
        &self,
        argv: &[&str],
        stdin: Option<&[u8]>,
    ) -> Result<crate::engine::ssh::ExecOutput, TransferError> {
        self.run_line(&quote::words(argv), stdin).await
    }

    /// Runs the shell command line `line` (built from quoted words) there.
    async fn run_line(
        &self,
        line: &str,
        stdin: Option<&[u8]>,
    ) -> Result<crate::engine::ssh::ExecOutput, TransferError> {
        let outer = self.outer(line);
        self.ssh.exec(&outer, stdin).await.map_err(|e| {
            TransferError::new(ErrorKind::Disconnected, self.label.clone(), e.to_string())
        })
    }

    /// Runs the shell command line `line` there as a byte stream (for `cat`).
    pub async fn stream(&self, argv: &[&str]) -> Result<ChannelStream, TransferError> {
        let outer = self.outer(&quote::words(argv));
        self.ssh.exec_stream(&outer).await.map_err(|e| {
            TransferError::new(ErrorKind::Disconnected, self.label.clone(), e.to_string())
        })
    }

    /// The command line the host runs for `line`.
    fn outer(&self, line: &str) -> String {
        match &self.via {
            Via::Host => line.to_string(),
            Via::Target { .. } => quote::words(&ssh_argv(&self.via, &["-T"], line)),
        }
    }
}

/// The SFTP write size for a server whose `limits@openssh.com` answer is `limits` (`None`:
/// no answer): see [`request_len`] with its `max-write-length`.
fn write_len_from(limits: Option<&LimitsExtension>) -> usize {
    limits.map_or(DEFAULT_REQUEST_LEN, |l| request_len(l, l.max_write_len))
}

/// The SFTP read size for a server whose `limits@openssh.com` answer is `limits` (`None`: no
/// answer): see [`request_len`] with its `max-read-length`.
fn read_len_from(limits: Option<&LimitsExtension>) -> usize {
    limits.map_or(DEFAULT_REQUEST_LEN, |l| request_len(l, l.max_read_len))
}

/// The data per request for a server whose limits are `l` and whose limit for this kind of
/// request is `max` (`0`: none said): `max` (and what its `max-packet-length` leaves for data),
/// at most [`MAX_REQUEST_LEN`]; from 32 KiB up rounded down to whole 4 KiB pages.
fn request_len(l: &LimitsExtension, max: u64) -> usize {
    if max == 0 {
        return DEFAULT_REQUEST_LEN;
    }
    let mut len = usize::try_from(max).unwrap_or(MAX_REQUEST_LEN);
    if l.max_packet_len > 1024 {
        // The whole request (header, handle, offset) must fit in a packet.
        len = len.min(usize::try_from(l.max_packet_len - 1024).unwrap_or(MAX_REQUEST_LEN));
    }
    let len = len.min(MAX_REQUEST_LEN);
    if len >= 32 * 1024 {
        len / 4096 * 4096
    } else {
        len.max(512)
    }
}

/// `ssh -S CM -o ControlMaster=no -o BatchMode=yes -o ProxyCommand=/bin/false EXTRA -- TARGET
/// LAST` for a target.
fn ssh_argv(via: &Via, extra: &[&str], last: &str) -> Vec<String> {
    let (cm, target) = match via {
        Via::Target {
            control_path,
            target,
        } => (control_path.as_str(), target.as_str()),
        Via::Host => ("none", "localhost"),
    };
    // MASTER_ONLY: when the master is gone, `ssh` must fail, not log in anew.
    let mut a: Vec<String> = ["ssh", "-S", cm].map(String::from).to_vec();
    a.extend(MASTER_ONLY.map(String::from));
    a.extend(extra.iter().map(|s| s.to_string()));
    a.push("--".into());
    a.push(target.into());
    a.push(last.into());
    a
}

/// The last component of a `/`-separated path.
pub fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// The directory part of a `/`-separated path, when it has one.
pub fn parent_of(path: &str) -> Option<&str> {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(0) => Some("/"),
        Some(i) => Some(&trimmed[..i]),
        None => None,
    }
}

/// `dir/name` (`name` alone when `dir` is empty).
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(base_name("/a/b/"), "b");
        assert_eq!(base_name("b"), "b");
        assert_eq!(base_name("/"), "/");
        assert_eq!(parent_of("/a/b"), Some("/a"));
        assert_eq!(parent_of("/a"), Some("/"));
        assert_eq!(parent_of("a"), None);
        assert_eq!(join("a/", "b"), "a/b");
        assert_eq!(join("", "b"), "b");
    }

    #[test]
    fn request_lengths_follow_the_servers_limits() {
        let limits = |packet, read, write| LimitsExtension {
            max_packet_len: packet,
            max_read_len: read,
            max_write_len: write,
            max_open_handles: 0,
        };
        let write = |l: LimitsExtension| write_len_from(Some(&l));
        let read = |l: LimitsExtension| read_len_from(Some(&l));
        // OpenSSH 9's sftp-server.
        assert_eq!(write(limits(262_144, 261_120, 261_120)), 252 * 1024);
        assert_eq!(read(limits(262_144, 261_120, 261_120)), 252 * 1024);
        assert_eq!(write_len_from(None), DEFAULT_REQUEST_LEN);
        assert_eq!(read_len_from(None), DEFAULT_REQUEST_LEN);
        assert_eq!(write(limits(0, 0, 0)), DEFAULT_REQUEST_LEN);
        assert_eq!(read(limits(0, 0, 0)), DEFAULT_REQUEST_LEN);
        assert_eq!(write(limits(0, 0, 1 << 30)), 252 * 1024);
        assert_eq!(write(limits(40_000, 0, 1 << 20)), 36 * 1024);
        assert_eq!(write(limits(0, 0, 1000)), 1000);
        // Each kind of request follows its own limit.
        assert_eq!(read(limits(0, 40_960, 1 << 20)), 40 * 1024);
        assert_eq!(write(limits(0, 40_960, 1 << 20)), 252 * 1024);
        assert_eq!(read(limits(0, 1000, 0)), 1000);
    }

    #[test]
    fn target_commands_are_quoted_twice() {
        let via = Via::Target {
            control_path: "/run/x y.cm".into(),
            target: "t".into(),
        };
        let inner = quote::words(&["cat", "--", "a'b"]);
        let argv = ssh_argv(&via, &["-T"], &inner);
        assert_eq!(argv[2], "/run/x y.cm");
        assert_eq!(argv.last().map(String::as_str), Some(inner.as_str()));
    }
}
