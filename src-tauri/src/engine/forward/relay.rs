//! The channel behind one accepted connection: a `direct-tcpip` channel on the host's SSH
//! connection (the jump host connects to the destination, as `ssh -L` has it do) or a
//! `direct-streamlocal` channel to an agent-owned forward's socket, and the two
//! byte pumps between the local socket and that channel, counted in [`ForwardStats`].

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::error::ForwardError;
use super::stats::ForwardStats;
use crate::engine::ssh::SshSession;

/// The copy buffer of each direction (larger than tokio's 8 KiB default, for throughput).
const COPY_BUF: usize = 64 * 1024;

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
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if w.write_all(&buf[..n]).await.is_err() {
            return;
        }
        count(n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
