//! The reconnect policy of `ssh` sessions: what to do each time `ssh` exits because its
//! connection was lost (status 255).
//!
//! Pure bookkeeping: [`Reconnect`] counts attempts against the client's [`ReconnectPolicy`] and
//! words the marker line written into the session's output. The terminal's child waiter
//! ([`crate::terminal::pty`]) asks it after every lost connection and does the waiting and the
//! restarting itself.

use std::time::Duration;

use outpost_protocol::session::ReconnectPolicy;

/// `ssh` exits with this status when the connection failed or was lost.
pub const SSH_CONNECTION_LOST: i32 = 255;

/// What to do after a lost connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Write `marker` into the output, wait `delay`, then start `ssh` again.
    Retry {
        /// How long to wait first.
        delay: Duration,
        /// The marker line's text.
        marker: String,
    },
    /// Write `marker` into the output and let the session end.
    GiveUp {
        /// The marker line's text.
        marker: String,
    },
}

/// The attempts made so far for one session under its policy.
#[derive(Clone, Debug)]
pub struct Reconnect {
    policy: ReconnectPolicy,
    target: String,
    attempts: u32,
}

impl Reconnect {
    /// Starts counting under `policy`; `target` (`[user@]host[:port]`) names the other end in
    /// the marker lines.
    pub fn new(policy: ReconnectPolicy, target: Option<String>) -> Reconnect {
        Reconnect {
            policy,
            target: target.unwrap_or_else(|| "the target".into()),
            attempts: 0,
        }
    }

    /// The next step after `ssh` lost its connection; `came_up` says whether the connection
    /// was up before it was lost (a connection that came up earns a fresh set of attempts).
    pub fn lost(&mut self, came_up: bool) -> Step {
        if came_up {
            self.attempts = 0;
        }
        self.attempts += 1;
        let (target, max) = (&self.target, self.policy.max_attempts);
        if self.attempts > max {
            return Step::GiveUp {
                marker: format!("connection to {target} lost; gave up after {max} attempts"),
            };
        }
        let delay = Duration::from_millis(self.policy.delay_ms(self.attempts));
        Step::Retry {
            marker: format!(
                "connection to {target} lost; reconnecting in {:.1} s (attempt {} of {max})",
                delay.as_secs_f64(),
                self.attempts
            ),
            delay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ReconnectPolicy {
        ReconnectPolicy {
            max_attempts: 2,
            initial_delay_ms: 500,
            max_delay_ms: 800,
        }
    }

    #[test]
    fn counts_attempts_and_gives_up() {
        let mut r = Reconnect::new(policy(), Some("ann@db".into()));
        assert_eq!(
            r.lost(false),
            Step::Retry {
                delay: Duration::from_millis(500),
                marker: "connection to ann@db lost; reconnecting in 0.5 s (attempt 1 of 2)".into(),
            }
        );
        assert_eq!(
            r.lost(false),
            Step::Retry {
                delay: Duration::from_millis(800),
                marker: "connection to ann@db lost; reconnecting in 0.8 s (attempt 2 of 2)".into(),
            }
        );
        assert_eq!(
            r.lost(false),
            Step::GiveUp {
                marker: "connection to ann@db lost; gave up after 2 attempts".into(),
            }
        );
    }

    #[test]
    fn a_connection_that_came_up_starts_over() {
        let mut r = Reconnect::new(policy(), None);
        r.lost(false);
        r.lost(false);
        assert!(matches!(r.lost(true), Step::Retry { marker, .. }
            if marker == "connection to the target lost; reconnecting in 0.5 s (attempt 1 of 2)"));
    }
}
