//! The agent's side of the relay: an agent whose desktop forwards its ssh-agent (sshd then sets
//! `SSH_AUTH_SOCK` for it) registers that socket with the relay, starting the relay when none
//! answers, and holds the registration for as long as it runs ([`hold`]).

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use super::server::Registration;
use super::{client_socket, CONTROL_SOCKET};
use crate::paths::Paths;

/// How long registering may take, starting the relay included.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(5);

/// The wait between attempts while a new relay comes up.
const RETRY_STEP: Duration = Duration::from_millis(50);

/// Registrations in a row that may fail before the agent gives up forwarding.
const MAX_FAILURES: u32 = 3;

/// Registers `forwarded` (this agent's `SSH_AUTH_SOCK`) with the relay and keeps it registered
/// while the agent runs: when the relay goes away (killed), it registers again, starting a new
/// relay. Gives up (with a warning) after [`MAX_FAILURES`] failures in a row.
pub async fn hold(paths: Paths, forwarded: PathBuf) {
    if forwarded == client_socket(&paths) {
        // An agent started from inside a session: its SSH_AUTH_SOCK is the relay itself.
        tracing::warn!("SSH_AUTH_SOCK is the relay's own socket; not registering it");
        return;
    }
    let mut failures = 0;
    loop {
        match register(&paths, &forwarded).await {
            Ok(conn) => {
                failures = 0;
                tracing::info!(socket = %forwarded.display(), "forwarded agent registered with the relay");
                wait_closed(conn).await;
                tracing::info!("the relay went away; registering again");
            }
            Err(e) => {
                failures += 1;
                tracing::warn!("registering the forwarded agent with the relay: {e}");
                if failures >= MAX_FAILURES {
                    tracing::warn!("agent forwarding is off for this connection");
                    return;
                }
                tokio::time::sleep(RETRY_STEP * 4 * failures).await;
            }
        }
    }
}

/// Waits until the relay closes the registration.
async fn wait_closed(mut conn: UnixStream) {
    let mut buf = [0u8; 64];
    while matches!(conn.read(&mut buf).await, Ok(n) if n > 0) {}
}

/// Registers once, starting the relay when no relay answers; returns the open registration.
pub async fn register(paths: &Paths, forwarded: &Path) -> io::Result<UnixStream> {
    let control = paths.sockets.join(CONTROL_SOCKET);
    let deadline = Instant::now() + REGISTER_TIMEOUT;
    let mut relay: Option<tokio::process::Child> = None;
    let outcome = loop {
        match try_register(&control, forwarded).await {
            Ok(conn) => break Ok(conn),
            Err(e) if Instant::now() >= deadline => break Err(e),
            Err(e) => tracing::debug!("relay not answering yet: {e}"),
        }
        // None started yet, or the one started has exited (another relay held the lock, and may
        // have been on its way out): start one.
        let exited = match relay.as_mut() {
            None => true,
            Some(child) => child.try_wait()?.is_some(),
        };
        if exited {
            relay = Some(crate::background::spawn("relay")?);
        }
        tokio::time::sleep(RETRY_STEP).await;
    };
    if let Some(mut child) = relay {
        // The relay outlives this agent; while the agent lives, reap it when it exits.
        tokio::spawn(async move {
            let _ = child.wait().await;
        });
    }
    outcome
}

/// Connects to the control socket, checks it is this user's, sends the registration and waits
/// for `ok`.
async fn try_register(control: &Path, forwarded: &Path) -> io::Result<UnixStream> {
    let mut conn = UnixStream::connect(control).await?;
    let me = nix::unistd::geteuid().as_raw();
    if conn.peer_cred()?.uid() != me {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} is served by another user", control.display()),
        ));
    }
    let mut line = serde_json::to_vec(&Registration {
        socket: forwarded.to_path_buf(),
    })?;
    line.push(b'\n');
    conn.write_all(&line).await?;
    let mut answer = String::new();
    let read = tokio::time::timeout(REGISTER_TIMEOUT, async {
        let mut reader = BufReader::new(&mut conn).take(256);
        reader.read_line(&mut answer).await
    })
    .await;
    match read {
        Ok(Ok(_)) if answer == "ok\n" => Ok(conn),
        Ok(Ok(_)) => Err(io::Error::other(format!(
            "the relay refused the registration: {}",
            answer.trim()
        ))),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the relay did not answer",
        )),
    }
}
