//! Watching an `ssh` session's connection through its ControlMaster (`ssh -O check`), so the
//! link state shown to clients is read from OpenSSH, not guessed from the terminal's output.

use std::sync::Arc;
use std::time::Duration;

use outpost_protocol::session::LinkState;
use tokio::sync::watch;

use crate::daemon::spec::SshWatch;
use crate::daemon::state::{Progress, Shared};

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

/// Records what a check that started in state `before` found. The waiter changes the state too
/// (`ssh` exited with 255: down; started again: connecting), and a change it made while the check
/// ran is newer than the check: a master that answered just before its `ssh` exited must not turn
/// a lost link back into "up". (What is left of the race is the instant between reading the state
/// here and writing it, instead of the whole check.)
fn settle(shared: &Shared, before: Option<LinkState>, alive: bool) {
    let next = match (alive, before) {
        (true, _) => LinkState::Up,
        // The master went away while ssh still runs: the link is gone.
        (false, Some(LinkState::Up)) => LinkState::Down,
        (false, other) => other.unwrap_or(LinkState::Connecting),
    };
    if shared.exit().is_none() && shared.link() == before {
        shared.set_link(next);
    }
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
            settle(&shared, current, alive);
        }
        let settled = shared.link();
        let period = if settled == Some(LinkState::Up) {
            SLOW
        } else {
            FAST
        };
        pause(&shared, settled, period, &mut exited).await;
    }
}

/// Waits `period`, or less: until the session exits, or until the state is no longer `settled`
/// (noticed within [`FAST`]). The waiter changes it when `ssh` exits or starts again, and a new
/// connection should show as "up" (and count as one that came up) within [`FAST`], not [`SLOW`].
async fn pause(
    shared: &Shared,
    settled: Option<LinkState>,
    period: Duration,
    exited: &mut watch::Receiver<Progress>,
) {
    let deadline = tokio::time::Instant::now() + period;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(left.min(FAST)) => {}
            _ = exited.wait_for(|p| p.exited) => return,
        }
        if shared.link() != settled {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::frames::ExitInfo;
    use crate::daemon::state::Identity;
    use outpost_protocol::session::SessionKind;

    fn ssh_shared() -> Shared {
        Shared::new(
            Identity {
                session_id: "s".into(),
                kind: SessionKind::Ssh,
                title: "t".into(),
                created_at: "2026-01-01T00:00:00Z".into(),
                target: Some("ann@db".into()),
            },
            80,
            24,
            65536,
        )
    }

    #[test]
    fn checks_move_the_link_state() {
        let s = ssh_shared();
        assert_eq!(s.link(), Some(LinkState::Connecting));
        settle(&s, s.link(), false);
        assert_eq!(
            s.link(),
            Some(LinkState::Connecting),
            "still authenticating"
        );
        settle(&s, s.link(), true);
        assert_eq!(s.link(), Some(LinkState::Up));
        settle(&s, s.link(), false);
        assert_eq!(s.link(), Some(LinkState::Down), "the master went away");
    }

    #[test]
    fn a_check_does_not_overwrite_a_newer_state() {
        let s = ssh_shared();
        s.set_link(LinkState::Up);
        let before = s.link();
        // While the check runs, ssh exits with 255 and the waiter marks the link down.
        s.set_link(LinkState::Down);
        settle(&s, before, true);
        assert_eq!(s.link(), Some(LinkState::Down));
        // ... and starts ssh again.
        s.set_link(LinkState::Connecting);
        settle(&s, before, true);
        assert_eq!(s.link(), Some(LinkState::Connecting));
    }

    #[tokio::test]
    async fn a_state_change_cuts_the_pause_short() {
        let s = ssh_shared();
        s.set_link(LinkState::Up);
        let mut exited = s.subscribe();
        // Unchanged: the whole period.
        let t = std::time::Instant::now();
        pause(&s, s.link(), FAST + FAST / 5, &mut exited).await;
        assert!(t.elapsed() >= FAST + FAST / 5, "{:?}", t.elapsed());
        // The waiter changed the state: at most FAST, not SLOW.
        s.set_link(LinkState::Connecting);
        let t = std::time::Instant::now();
        pause(&s, Some(LinkState::Up), SLOW, &mut exited).await;
        assert!(t.elapsed() < SLOW - FAST, "{:?}", t.elapsed());
        // The session exited: at once.
        s.set_exited(ExitInfo::default());
        let t = std::time::Instant::now();
        pause(&s, s.link(), SLOW, &mut exited).await;
        assert!(t.elapsed() < SLOW - FAST, "{:?}", t.elapsed());
    }

    #[test]
    fn an_exited_session_stays_down() {
        let s = ssh_shared();
        s.set_link(LinkState::Down);
        s.set_exited(ExitInfo::default());
        settle(&s, Some(LinkState::Down), true);
        assert_eq!(s.link(), Some(LinkState::Down));
    }
}
