//! Watching an `ssh` session's connection through its ControlMaster (`ssh -O check`), so the
//! link state shown to clients is read from OpenSSH, not guessed from the terminal's output.

use std::sync::Arc;
use std::time::Duration;

use outpost_protocol::session::LinkState;

use super::spec::SshWatch;
use super::state::Shared;

/// How often to check while connecting (prompts may be pending) and once settled.
const FAST: Duration = Duration::from_millis(500);
const SLOW: Duration = Duration::from_secs(3);
/// A check that takes longer than this counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `ssh -O check` against the session's ControlMaster; true when the master answers.
pub async fn master_alive(ssh: &SshWatch) -> bool {
    if !ssh.control_path.exists() {
        return false;
    }
    let status = tokio::process::Command::new(&ssh.program)
        .args(&ssh.check_args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .status();
    matches!(tokio::time::timeout(CHECK_TIMEOUT, status).await, Ok(Ok(s)) if s.success())
}

/// Keeps `shared`'s link state current until the session has exited.
pub async fn watch(shared: Arc<Shared>, ssh: SshWatch) {
    let mut exited = shared.subscribe();
    loop {
        if shared.exit().is_some() {
            shared.set_link(LinkState::Down);
            return;
        }
        let current = shared.link();
        if current != Some(LinkState::Down) || ssh.control_path.exists() {
            let alive = master_alive(&ssh).await;
            let next = match (alive, current) {
                (true, _) => LinkState::Up,
                // The master went away while ssh still runs: the link is gone.
                (false, Some(LinkState::Up)) => LinkState::Down,
                (false, other) => other.unwrap_or(LinkState::Connecting),
            };
            if shared.exit().is_none() {
                shared.set_link(next);
            }
        }
        let period = if shared.link() == Some(LinkState::Up) {
            SLOW
        } else {
            FAST
        };
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = exited.wait_for(|p| p.exited) => {}
        }
    }
}
