//! The channel behind one accepted connection: a `direct-tcpip` channel on the host's SSH
//! connection (the jump host connects to the destination, as `ssh -L` has it do) or a
//! `direct-streamlocal` channel to an agent-owned forward's socket, and the two
//! byte pumps between the local socket and that channel, counted in [`ForwardStats`].
//!
//! Each pump waits for some bytes, then takes whatever more is ready at once before writing:
//! the channel hands over one SSH packet (at most 32 KiB) per read, and a busy one has several
//! queued, so one write (one system call) carries them all.

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::Poll;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use super::error::ForwardError;
use super::stats::ForwardStats;
use crate::engine::ssh::SshSession;

/// The copy buffer of each direction: up to four SSH packets of 32 KiB per write.
const COPY_BUF: usize = 128 * 1024;

/// A byte stream to a destination, carried by the host's SSH connection.
pub type DestStream = russh::ChannelStream<russh::client::Msg>;

/// Asks `session`'s host (named `host` in errors) to connect to `dest_host:dest_port` for a
/// client at `origin`.
pub async fn open_tcp(
    session: &SshSession,
    host: &str,
    dest_host: &str,
    dest_port: u16,
    origin: SocketAddr,
) -> Result<DestStream, ForwardError> {
    let unreachable = |reason: String| ForwardError::Unreachable {
        dest: format!("{dest_host}:{dest_port}"),
        host: host.to_string(),
        reason,
    };
    let hop = session.last_hop().map_err(|e| unreachable(e.to_string()))?;
    let channel = hop
        .handle
        .channel_open_direct_tcpip(
            dest_host,
            u32::from(dest_port),
            origin.ip().to_string(),
            u32::from(origin.port()),
        )
        .await
        .map_err(|e| unreachable(open_failure(&e)))?;
    Ok(channel.into_stream())
}

/// Opens a `direct-streamlocal@openssh.com` channel to `socket` on `session`'s host (named
/// `host` in errors): an agent-owned forward's socket, which sshd connects to as the user.
pub async fn open_streamlocal(
    session: &SshSession,
    host: &str,
    socket: &str,
) -> Result<DestStream, ForwardError> {
    let unreachable = |reason: String| ForwardError::Unreachable {
        dest: socket.to_string(),
        host: host.to_string(),
        reason,
    };
    let hop = session.last_hop().map_err(|e| unreachable(e.to_string()))?;
    let channel = hop
        .handle
        .channel_open_direct_streamlocal(socket)
        .await
        .map_err(|e| unreachable(open_failure(&e)))?;
    Ok(channel.into_stream())
}

/// What a refused channel means, in words.
fn open_failure(e: &russh::Error) -> String {
    match e {
        russh::Error::ChannelOpenFailure(r) => match r {
            russh::ChannelOpenFailure::ConnectFailed => {
                "connection failed (refused, no route, or unknown name)".into()
            }
            russh::ChannelOpenFailure::AdministrativelyProhibited => {
                "forwarding is not allowed by the server (AllowTcpForwarding)".into()
            }
            other => format!("the server refused the channel: {other:?}"),
        },
        other => other.to_string(),
    }
}

/// Copies both ways between a local connection and a destination until both directions end;
/// bytes are counted as they pass. An end of file on one side is passed on to the other.
pub async fn pump<L, D>(local: L, dest: D, stats: &ForwardStats)
where
    L: AsyncRead + AsyncWrite + Unpin,
    D: AsyncRead + AsyncWrite + Unpin,
{
    let (mut lr, mut lw) = tokio::io::split(local);
    let (mut dr, mut dw) = tokio::io::split(dest);
    let up = async {
        copy_counted(&mut lr, &mut dw, |n| stats.add_out(n)).await;
        let _ = dw.shutdown().await;
    };
    let down = async {
        copy_counted(&mut dr, &mut lw, |n| stats.add_in(n)).await;
        let _ = lw.shutdown().await;
    };
    tokio::join!(up, down);
}

/// Copies until end of file or an error, calling `count` with each chunk's length.
async fn copy_counted<R, W>(r: &mut R, w: &mut W, count: impl Fn(u64))
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; COPY_BUF];
    loop {
        let n = match read_ready(r, &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if w.write_all(&buf[..n]).await.is_err() {
            return;
        }
        count(n as u64);
    }
}

/// Reads into `buf`: waits for the first bytes, then adds whatever more `r` has ready without
/// waiting. 0 at end of file; an end of file or error met after some bytes is left for the
/// next call to report.
async fn read_ready<R>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize>
where
    R: AsyncRead + Unpin,
{
    let mut n = r.read(buf).await?;
    if n == 0 {
        return Ok(0);
    }
    std::future::poll_fn(|cx| {
        while let Some(rest) = buf.get_mut(n..).filter(|rest| !rest.is_empty()) {
            let mut more = ReadBuf::new(rest);
            match Pin::new(&mut *r).poll_read(cx, &mut more) {
                Poll::Ready(Ok(())) if !more.filled().is_empty() => n += more.filled().len(),
                _ => break,
            }
        }
        Poll::Ready(Ok(n))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_read_takes_every_chunk_ready_at_once() {
        // Each part of a chain is read on its own, as a channel hands over one packet a read.
        let mut r = (&b"one "[..]).chain(&b"two "[..]).chain(&b"three"[..]);
        let mut buf = [0u8; 64];
        let n = read_ready(&mut r, &mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"one two three");
        assert_eq!(read_ready(&mut r, &mut buf).await.unwrap(), 0);
        // A full buffer ends the read; the rest comes with the next one.
        let mut r = (&b"abcd"[..]).chain(&b"efgh"[..]);
        let mut small = [0u8; 6];
        assert_eq!(read_ready(&mut r, &mut small).await.unwrap(), 6);
        let n = read_ready(&mut r, &mut small).await.unwrap();
        assert_eq!(&small[..n], b"gh");
    }

    #[tokio::test]
    async fn pump_counts_and_passes_end_of_file() {
        let (local, mut client) = tokio::io::duplex(1024);
        let (dest, mut server) = tokio::io::duplex(1024);
        let stats = ForwardStats::default();
        let echo = async {
            let mut got = Vec::new();
            server.read_to_end(&mut got).await.unwrap();
            server.write_all(b"reply").await.unwrap();
            server.shutdown().await.unwrap();
            got
        };
        let talk = async {
            client.write_all(b"hello").await.unwrap();
            client.shutdown().await.unwrap();
            let mut back = Vec::new();
            client.read_to_end(&mut back).await.unwrap();
            back
        };
        let ((), got, back) = tokio::join!(pump(local, dest, &stats), echo, talk);
        assert_eq!(got, b"hello");
        assert_eq!(back, b"reply");
        let s = stats.snapshot();
        assert_eq!((s.bytes_out, s.bytes_in), (5, 5));
    }
}
