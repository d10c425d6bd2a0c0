//! Opening the TCP connection to the first hop, with each way it can fail told apart: a name
//! that does not resolve ([`SshError::NameNotResolved`]), a port where nothing listens
//! ([`SshError::Refused`]), no route ([`SshError::Unreachable`]). Front ends give each its own
//! advice from the error's code, never from its words. A connection that gets no answer at all
//! runs into the caller's connect timeout ([`SshError::Timeout`]).

use std::io::ErrorKind;

use tokio::net::TcpStream;

use super::error::SshError;

/// Resolves `host` and connects to its addresses in turn; the error of the last one decides.
pub async fn dial(host: &str, port: u16) -> Result<TcpStream, SshError> {
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| SshError::NameNotResolved {
            host: host.to_owned(),
            reason: e.to_string(),
        })?
        .collect();
    if addrs.is_empty() {
        return Err(SshError::NameNotResolved {
            host: host.to_owned(),
            reason: "no addresses".into(),
        });
    }
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(tcp) => return Ok(tcp),
            Err(e) => last = Some(e),
        }
    }
    let e = last.unwrap_or_else(|| std::io::Error::other("no address could be tried"));
    Err(classify(host, port, e))
}

/// Makes the kernel abort the connection when data it sent stays unacknowledged for `after`
/// (`TCP_USER_TIMEOUT`): a dead link then fails every write, even one that waits for room in a
/// full send buffer. Best effort: a refusal is only logged.
pub fn give_up_unacknowledged(tcp: &TcpStream, after: std::time::Duration) {
    let ms = u32::try_from(after.as_millis()).unwrap_or(u32::MAX);
    if let Err(e) =
        nix::sys::socket::setsockopt(tcp, nix::sys::socket::sockopt::TcpUserTimeout, &ms)
    {
        tracing::debug!("TCP_USER_TIMEOUT: {e}");
    }
}

/// The [`SshError`] of a failed TCP connect.
fn classify(host: &str, port: u16, e: std::io::Error) -> SshError {
    match e.kind() {
        ErrorKind::ConnectionRefused => SshError::Refused {
            host: host.to_owned(),
            port,
        },
        ErrorKind::TimedOut => SshError::Timeout {
            host: host.to_owned(),
            port,
            // The kernel gave up retrying SYNs; its limit, not ours.
            after: std::time::Duration::ZERO,
            stage: "connecting",
        },
        _ => SshError::Unreachable {
            host: host.to_owned(),
            port,
            reason: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_closed_loopback_port_is_refused() {
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(1);
        let err = dial("127.0.0.1", free).await.err().map(|e| e.code());
        assert_eq!(err, Some("connection_refused"));
    }

    #[tokio::test]
    async fn an_invalid_name_does_not_resolve() {
        // RFC 2606: `.invalid` never resolves.
        let err = dial("no-such-host.invalid", 22).await.err();
        let Some(SshError::NameNotResolved { host, reason }) = err else {
            panic!("expected name_not_resolved, got {err:?}");
        };
        assert_eq!(host, "no-such-host.invalid");
        assert!(!reason.is_empty());
    }

    #[test]
    fn other_kinds_are_unreachable_or_timeout() {
        let no_route = std::io::Error::from(ErrorKind::HostUnreachable);
        assert_eq!(classify("h", 22, no_route).code(), "unreachable");
        let timed_out = std::io::Error::from(ErrorKind::TimedOut);
        assert_eq!(classify("h", 22, timed_out).code(), "timeout");
    }
}
