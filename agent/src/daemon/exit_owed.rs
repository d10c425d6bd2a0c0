//! The attached connections that still owe their client the session's exit.
//!
//! Closing a session ends the daemon process once the closing connection has answered. Other
//! agents attached to the session each send the exit from their own connection task; without
//! this count the process could end before a task that the scheduler had not run yet wrote its
//! exit frame, and that client would never hear why its session ended. Each attached connection
//! holds an [`Owed`] until its exit frame is flushed (or it detaches, or it ends); the closing
//! connection waits, within a bound, until none is held.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// The count of [`Owed`] tokens alive.
#[derive(Clone)]
pub struct ExitOwed(Arc<watch::Sender<usize>>);

impl Default for ExitOwed {
    fn default() -> Self {
        Self(Arc::new(watch::channel(0).0))
    }
}

/// One attached connection's debt; dropping it pays it.
pub struct Owed(Arc<watch::Sender<usize>>);

impl ExitOwed {
    /// A connection that attached owes its client the exit.
    pub fn owe(&self) -> Owed {
        self.0.send_modify(|n| *n += 1);
        Owed(self.0.clone())
    }

    /// Waits until every connection sent the exit, detached or ended, at most `bound`; returns
    /// whether they all did.
    pub async fn all_paid(&self, bound: Duration) -> bool {
        let mut rx = self.0.subscribe();
        tokio::time::timeout(bound, rx.wait_for(|n| *n == 0))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

impl Drop for Owed {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_for_every_debt_and_gives_up_after_its_bound() {
        let owed = ExitOwed::default();
        assert!(owed.all_paid(Duration::ZERO).await);
        let a = owed.owe();
        let b = owed.owe();
        assert!(!owed.all_paid(Duration::from_millis(20)).await);
        drop(a);
        assert!(!owed.all_paid(Duration::from_millis(20)).await);
        let paid_later = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(b);
        });
        assert!(owed.all_paid(Duration::from_secs(10)).await);
        paid_later.await.unwrap();
    }
}
