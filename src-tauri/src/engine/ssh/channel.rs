//! Channels on an [`SshSession`]: [`SshSession::exec`] (run a command, collect its output),
//! [`SshSession::exec_stream`] (a command as a byte stream, e.g. the agent's JSON-RPC),
//! [`SshSession::request_agent_forwarding`] (the desktop's ssh-agent, for what runs after) and
//! [`SshSession::open_subsystem`] (e.g. `sftp`, for `russh_sftp::client::SftpSession::new`).
//!
//! A [`ChannelStream`] is the command's stdin/stdout as [`AsyncRead`] + [`AsyncWrite`]; a small
//! task moves the channel's messages into it, which also keeps the command's exit status and
//! the tail of its stderr ([`ChannelStream::exit_watch`]) for when things go wrong. Shutting
//! the stream down for writing sends EOF; dropping it closes the channel.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use russh::client::Msg;
use russh::{Channel, ChannelMsg, ChannelReadHalf, ChannelWriteHalf};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, oneshot, watch};

use super::connect::SshSession;
use super::error::SshError;

/// How much of a stream's stderr [`ChannelExitWatch::stderr`] keeps (the last bytes).
pub const STDERR_TAIL: usize = 64 * 1024;

/// Chunks of stdout buffered between the channel and the reader of a [`ChannelStream`].
const STREAM_BUFFER_CHUNKS: usize = 32;

/// The most bytes [`SshSession::exec`] keeps of each of stdout and stderr: 16 MiB. The commands
/// it runs answer in far less (a probe's few lines, a file piped through `cat`), and a hostile
/// host could otherwise send gigabytes. The rest is read and dropped, and
/// [`ExecOutput::truncated`] says so.
pub const MAX_EXEC_OUTPUT: usize = 16 * 1024 * 1024;

/// Appends `data` to `buf`, keeping at most [`MAX_EXEC_OUTPUT`] bytes; false when some was dropped.
fn append_bounded(buf: &mut Vec<u8>, data: &[u8]) -> bool {
    let room = MAX_EXEC_OUTPUT.saturating_sub(buf.len());
    buf.extend_from_slice(&data[..data.len().min(room)]);
    data.len() <= room
}

/// The collected result of [`SshSession::exec`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// Everything the command wrote to stdout.
    pub stdout: Vec<u8>,
    /// Everything it wrote to stderr.
    pub stderr: Vec<u8>,
    /// Its exit status; `None` when it was killed by a signal or the server did not say.
    pub exit_status: Option<u32>,
    /// The signal that killed it (`TERM`, `KILL`, …), if one did.
    pub exit_signal: Option<String>,
    /// Whether stdout or stderr held more than [`MAX_EXEC_OUTPUT`] bytes (the rest was dropped).
    pub truncated: bool,
}

impl ExecOutput {
    /// True for exit status 0.
    pub fn success(&self) -> bool {
        self.exit_status == Some(0)
    }

    /// stdout as text (lossy UTF-8).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as text (lossy UTF-8).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// How a channel's command ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelExit {
    /// The exit status, when the server sent one.
    pub exit_status: Option<u32>,
    /// The killing signal, when the server sent one.
    pub exit_signal: Option<String>,
}

#[derive(Debug, Default)]
struct ExitShared {
    stderr: Mutex<VecDeque<u8>>,
}

/// Watches a [`ChannelStream`]'s end, usable after the stream was split or moved.
#[derive(Clone, Debug)]
pub struct ChannelExitWatch {
    exit: watch::Receiver<Option<ChannelExit>>,
    shared: Arc<ExitShared>,
}

impl ChannelExitWatch {
    /// How the command ended, once the channel is closed; `None` while it is open.
    pub fn get(&self) -> Option<ChannelExit> {
        self.exit.borrow().clone()
    }

    /// Waits for the channel to close and tells how the command ended. When the connection
    /// dies first, both fields are `None`.
    pub async fn wait(&self) -> ChannelExit {
        let mut rx = self.exit.clone();
        let exit = match rx.wait_for(Option::is_some).await {
            Ok(v) => v.clone().unwrap_or_default(),
            // The pump always sends before it ends; a lost sender means a lost connection.
            Err(_) => ChannelExit::default(),
        };
        exit
    }

    /// The last [`STDERR_TAIL`] bytes the command wrote to stderr so far.
    pub fn stderr(&self) -> Vec<u8> {
        self.shared
            .stderr
            .lock()
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }
}

/// A command's (or subsystem's) stdin and stdout as one byte stream: `AsyncRead + AsyncWrite +
/// Unpin + Send + 'static`. EOF on read means the command closed its stdout; `shutdown()`
/// sends EOF to its stdin; dropping the stream closes the channel.
pub struct ChannelStream {
    rx: mpsc::Receiver<Bytes>,
    pending: Bytes,
    pending_at: usize,
    writer: Pin<Box<dyn AsyncWrite + Send + Sync>>,
    exit: ChannelExitWatch,
    /// Dropped with the stream: tells the pump to close the channel.
    _close: oneshot::Sender<()>,
    /// Resolves when the channel has closed: wakes a writer blocked on a window that will never
    /// open again.
    channel_closed: Pin<Box<dyn Future<Output = ()> + Send>>,
    /// `channel_closed` has resolved (it must not be polled again).
    closed_seen: bool,
}

impl std::fmt::Debug for ChannelStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelStream")
            .field("exit", &self.exit.get())
            .finish_non_exhaustive()
    }
}

impl ChannelStream {
    /// A watch on how the command ends and on its stderr; take it before splitting the stream.
    pub fn exit_watch(&self) -> ChannelExitWatch {
        self.exit.clone()
    }

    /// The exit status, once the channel has closed.
    pub fn exit_status(&self) -> Option<u32> {
        self.exit.get().and_then(|e| e.exit_status)
    }

    fn start(channel: Channel<Msg>, early: Vec<ChannelMsg>) -> ChannelStream {
        let (read_half, write_half) = channel.split();
        let writer: Pin<Box<dyn AsyncWrite + Send + Sync>> = Box::pin(write_half.make_writer());
        let (tx, rx) = mpsc::channel(STREAM_BUFFER_CHUNKS);
        let (exit_tx, exit_rx) = watch::channel(None);
        let closed_rx = exit_rx.clone();
        let (close_tx, close_rx) = oneshot::channel();
        let shared = Arc::new(ExitShared::default());
        tokio::spawn(pump(
            read_half,
            write_half,
            early,
            tx,
            exit_tx,
            close_rx,
            Arc::clone(&shared),
        ));
        ChannelStream {
            rx,
            pending: Bytes::new(),
            pending_at: 0,
            writer,
            exit: ChannelExitWatch {
                exit: exit_rx,
                shared,
            },
            _close: close_tx,
            channel_closed: Box::pin(async move {
                let mut rx = closed_rx;
                let _ = rx.wait_for(Option::is_some).await;
            }),
            closed_seen: false,
        }
    }
}

/// Moves channel messages into the stream: stdout data to `tx` (with backpressure), stderr into
/// the tail, exit status and signal into `exit`; closes the channel when the stream is dropped.
async fn pump(
    mut read_half: ChannelReadHalf,
    write_half: ChannelWriteHalf<Msg>,
    early: Vec<ChannelMsg>,
    tx: mpsc::Sender<Bytes>,
    exit: watch::Sender<Option<ChannelExit>>,
    mut close_rx: oneshot::Receiver<()>,
    shared: Arc<ExitShared>,
) {
    let mut tx = Some(tx);
    let mut result = ChannelExit::default();
    let mut early = early.into_iter();
    loop {
        let msg = match early.next() {
            Some(m) => Some(m),
            None => tokio::select! {
                m = read_half.wait() => m,
                _ = &mut close_rx => {
                    let _ = write_half.close().await;
                    break;
                }
            },
        };
        match msg {
            Some(ChannelMsg::Data { data }) => {
                if let Some(sender) = &tx {
                    tokio::select! {
                        sent = sender.send(data) => {
                            if sent.is_err() {
                                // The reader is gone (stream dropped).
                                let _ = write_half.close().await;
                                break;
                            }
                        }
                        _ = &mut close_rx => {
                            let _ = write_half.close().await;
                            break;
                        }
                    }
                }
            }
            Some(ChannelMsg::ExtendedData { data, ext: 1 }) => {
                if let Ok(mut tail) = shared.stderr.lock() {
                    tail.extend(data.iter().copied());
                    let excess = tail.len().saturating_sub(STDERR_TAIL);
                    tail.drain(..excess);
                }
            }
            Some(ChannelMsg::ExitStatus { exit_status }) => result.exit_status = Some(exit_status),
            Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                result.exit_signal = Some(signal_name_text(&signal_name));
            }
            Some(ChannelMsg::Eof) => tx = None,
            Some(ChannelMsg::Close) | None => break,
            Some(_) => {}
        }
    }
    // Readers see EOF once `tx` is dropped, then the exit.
    drop(tx);
    exit.send_replace(Some(result));
}

impl AsyncRead for ChannelStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.pending_at >= this.pending.len() {
            match this.rx.poll_recv(cx) {
                Poll::Ready(Some(chunk)) => {
                    this.pending = chunk;
                    this.pending_at = 0;
                }
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
        let rest = this.pending.get(this.pending_at..).unwrap_or_default();
        let n = rest.len().min(buf.remaining());
        buf.put_slice(rest.get(..n).unwrap_or_default());
        this.pending_at += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for ChannelStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if self.poll_channel_closed(cx) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the SSH channel is closed",
            )));
        }
        self.writer.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.writer.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.poll_channel_closed(cx) {
            // Nothing left to shut down.
            return Poll::Ready(Ok(()));
        }
        self.writer.as_mut().poll_shutdown(cx)
    }
}

impl ChannelStream {
    /// True once the channel has closed; otherwise registers `cx` to be woken when it does.
    fn poll_channel_closed(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.closed_seen && self.channel_closed.as_mut().poll(cx).is_ready() {
            self.closed_seen = true;
        }
        self.closed_seen
    }
}

/// `TERM`, `KILL`, … as OpenSSH names signals.
fn signal_name_text(sig: &russh::Sig) -> String {
    let debug = format!("{sig:?}");
    match debug
        .strip_prefix("Custom(\"")
        .and_then(|s| s.strip_suffix("\")"))
    {
        Some(custom) => custom.to_owned(),
        None => debug,
    }
}

/// What a channel request was, for error messages.
fn describe(kind: &str, name: &str) -> String {
    format!("{kind} {name:?}")
}

impl SshSession {
    async fn open_channel(&self, what: &str) -> Result<Channel<Msg>, SshError> {
        let hop = self.last_hop()?;
        hop.handle
            .channel_open_session()
            .await
            .map_err(|e| match e {
                russh::Error::ChannelOpenFailure(why) => SshError::ChannelRefused {
                    what: what.to_owned(),
                    reason: format!("{why:?}"),
                },
                other => SshError::from(other),
            })
    }

    /// Waits for the server's answer to a request sent with `want_reply`, keeping anything that
    /// arrives meanwhile for the stream.
    async fn await_reply(
        channel: &mut Channel<Msg>,
        what: &str,
    ) -> Result<Vec<ChannelMsg>, SshError> {
        let mut early = Vec::new();
        loop {
            match channel.wait().await {
                Some(ChannelMsg::Success) => return Ok(early),
                Some(ChannelMsg::Failure) => {
                    return Err(SshError::ChannelRefused {
                        what: what.to_owned(),
                        reason: "the request failed".into(),
                    })
                }
                Some(ChannelMsg::Close) | None => {
                    return Err(SshError::Disconnected {
                        reason: format!("the channel for {what} closed before the server answered"),
                    })
                }
                Some(other) => early.push(other),
            }
        }
    }

    /// Runs `command` (through the user's shell on the server), writes `stdin` (if any) and
    /// then EOF, and collects stdout, stderr (at most [`MAX_EXEC_OUTPUT`] bytes of each) and the
    /// exit status. No time limit: callers that talk to an untrusted host wrap it in one.
    pub async fn exec(&self, command: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, SshError> {
        let what = describe("exec", command);
        let mut channel = self.open_channel(&what).await?;
        channel.exec(true, command).await?;
        let early = Self::await_reply(&mut channel, &what).await?;
        let (mut read_half, write_half) = channel.split();
        let writing = async {
            if let Some(input) = stdin {
                if !input.is_empty() {
                    write_half.data_bytes(Bytes::copy_from_slice(input)).await?;
                }
            }
            write_half.eof().await
        };
        let reading = async {
            let mut out = ExecOutput::default();
            let mut early = early.into_iter();
            loop {
                let msg = match early.next() {
                    Some(m) => Some(m),
                    None => read_half.wait().await,
                };
                match msg {
                    Some(ChannelMsg::Data { data }) => {
                        out.truncated |= !append_bounded(&mut out.stdout, &data)
                    }
                    Some(ChannelMsg::ExtendedData { data, ext: 1 }) => {
                        out.truncated |= !append_bounded(&mut out.stderr, &data)
                    }
                    Some(ChannelMsg::ExitStatus { exit_status }) => {
                        out.exit_status = Some(exit_status)
                    }
                    Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                        out.exit_signal = Some(signal_name_text(&signal_name))
                    }
                    Some(ChannelMsg::Close) | None => break,
                    Some(_) => {}
                }
            }
            out
        };
        // Read and write at once (neither side's window can then block the other), and stop
        // writing when the channel closes: a command may exit without reading all its stdin.
        tokio::pin!(writing, reading);
        let mut writing_done = false;
        let out = loop {
            tokio::select! {
                written = &mut writing, if !writing_done => {
                    writing_done = true;
                    if let Err(e) = written {
                        tracing::debug!("writing stdin of {what}: {e}");
                    }
                }
                out = &mut reading => break out,
            }
        };
        if out.exit_status.is_none() && out.exit_signal.is_none() && self.is_closed() {
            return Err(SshError::Disconnected {
                reason: self
                    .close_reason()
                    .unwrap_or_else(|| format!("the connection closed while running {what}")),
            });
        }
        Ok(out)
    }

    /// Runs `command` and returns its stdin/stdout as a stream (stderr and the exit status via
    /// [`ChannelStream::exit_watch`]); for the agent's `serve --stdio`.
    pub async fn exec_stream(&self, command: &str) -> Result<ChannelStream, SshError> {
        let what = describe("exec", command);
        let mut channel = self.open_channel(&what).await?;
        channel.exec(true, command).await?;
        let early = Self::await_reply(&mut channel, &what).await?;
        Ok(ChannelStream::start(channel, early))
    }

    /// Asks the server to forward the local ssh-agent at `agent` (`auth-agent-req@openssh.com`
    /// on a session channel of its own) and permits the server's agent channels on this
    /// connection, answered from that socket ([`super::agent_forward`]). sshd keeps one
    /// forwarding socket per connection and gives it (`SSH_AUTH_SOCK`) to every command started
    /// after this, such as the agent. Returns false, with a warning, when the server refuses
    /// (`AllowAgentForwarding no`).
    pub async fn request_agent_forwarding(&self, agent: &Path) -> Result<bool, SshError> {
        let what = "agent forwarding";
        let hop = self.last_hop()?;
        let mut channel = self.open_channel(what).await?;
        // Permitted before asking: the server may open a channel as soon as it agrees.
        hop.state.agent_forward.allow(agent.to_path_buf());
        channel.agent_forward(true).await?;
        let granted = match Self::await_reply(&mut channel, what).await {
            Ok(_) => true,
            Err(SshError::ChannelRefused { .. }) => {
                hop.state.agent_forward.revoke();
                tracing::warn!(host = %hop.name, "the server refused agent forwarding (AllowAgentForwarding no?)");
                false
            }
            Err(e) => {
                hop.state.agent_forward.revoke();
                return Err(e);
            }
        };
        // The socket belongs to the connection, not to this channel.
        let _ = channel.close().await;
        Ok(granted)
    }

    /// Starts the subsystem `name` (e.g. `"sftp"`) and returns it as a stream, ready for
    /// `russh_sftp::client::SftpSession::new(stream)`. Fails with
    /// [`SshError::ChannelRefused`] when the server does not offer it.
    pub async fn open_subsystem(&self, name: &str) -> Result<ChannelStream, SshError> {
        let what = describe("subsystem", name);
        let mut channel = self.open_channel(&what).await?;
        channel.request_subsystem(true, name).await?;
        let early = Self::await_reply(&mut channel, &what).await?;
        Ok(ChannelStream::start(channel, early))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_output_is_bounded() {
        let mut buf = Vec::new();
        let chunk = vec![b'x'; 64 * 1024];
        let mut kept_all = true;
        for _ in 0..(MAX_EXEC_OUTPUT / chunk.len() + 4) {
            kept_all &= append_bounded(&mut buf, &chunk);
        }
        assert!(!kept_all);
        assert_eq!(buf.len(), MAX_EXEC_OUTPUT);
        let mut small = Vec::new();
        assert!(append_bounded(&mut small, b"hello"));
        assert_eq!(small, b"hello");
    }
}
