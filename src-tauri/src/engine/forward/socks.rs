//! `-D`: one SOCKS5 conversation (no authentication, `CONNECT` only) with `fast-socks5`, the
//! requested destination reached from the jump host — names are resolved there, so
//! `curl --socks5-hostname` reaches names only the jump host knows.

use std::net::{Ipv4Addr, SocketAddr};

use fast_socks5::server::Socks5ServerProtocol;
use fast_socks5::util::target_addr::TargetAddr;
use fast_socks5::{ReplyError, Socks5Command};
use tokio::net::TcpStream;

use super::relay;
use super::stats::ForwardStats;
use crate::engine::ssh::SshSession;

/// Serves one SOCKS5 client on `conn` (from `peer`) through `session` to `host`'s network.
pub async fn serve(
    conn: TcpStream,
    peer: SocketAddr,
    session: &SshSession,
    host: &str,
    stats: &ForwardStats,
) {
    let request = async {
        Socks5ServerProtocol::accept_no_auth(conn)
            .await?
            .read_command()
            .await
    };
    let (proto, cmd, target) = match request.await {
        Ok(r) => r,
        Err(e) => {
            tracing::info!("SOCKS5 request from {peer} refused: {e}");
            stats.failed();
            return;
        }
    };
    if cmd != Socks5Command::TCPConnect {
        let _ = proto.reply_error(&ReplyError::CommandNotSupported).await;
        stats.failed();
        return;
    }
    let (dest_host, dest_port) = match &target {
        TargetAddr::Ip(a) => (a.ip().to_string(), a.port()),
        TargetAddr::Domain(name, port) => (name.clone(), *port),
    };
    match relay::open_tcp(session, host, &dest_host, dest_port, peer).await {
        Ok(dest) => {
            // The address the jump host connected from is not known here; 0.0.0.0:0 says so.
            let unspecified = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0));
            match proto.reply_success(unspecified).await {
                Ok(conn) => relay::pump(conn, dest, stats).await,
                Err(e) => tracing::info!("SOCKS5 reply to {peer} failed: {e}"),
            }
        }
        Err(e) => {
            tracing::info!("SOCKS5 {e}");
            stats.failed();
            let _ = proto.reply_error(&ReplyError::HostUnreachable).await;
        }
    }
}
