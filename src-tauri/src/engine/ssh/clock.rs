//! A connect timeout that stops while the user is at a prompt ([`PromptClock`]): a host-key
//! question or a passphrase may take a minute, a silent server may not.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
struct Inner {
    /// Prompts open right now.
    open: AtomicUsize,
    /// When the last prompt closed (or the clock started).
    last_end: Mutex<Instant>,
}

/// Measures "time without progress" for one connection attempt; prompts run through
/// [`PromptClock::prompt`] do not count. Cheap to clone (shared).
#[derive(Clone, Debug)]
pub(crate) struct PromptClock {
    inner: Arc<Inner>,
}

/// Closes a prompt on drop (also when the prompting future is cancelled).
struct Open<'a>(&'a Inner);

impl Drop for Open<'_> {
    fn drop(&mut self) {
        if let Ok(mut t) = self.0.last_end.lock() {
            *t = Instant::now();
        }
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PromptClock {
    pub(crate) fn new() -> Self {
        PromptClock {
            inner: Arc::new(Inner {
                open: AtomicUsize::new(0),
                last_end: Mutex::new(Instant::now()),
            }),
        }
    }

    /// Runs `f` (a prompt) with the clock stopped.
    pub(crate) async fn prompt<F: Future>(&self, f: F) -> F::Output {
        self.inner.open.fetch_add(1, Ordering::SeqCst);
        let _open = Open(&self.inner);
        f.await
    }

    /// Runs `f`, failing with `Err(())` once `limit` has passed since the start or the end of
    /// the last prompt with no prompt open.
    pub(crate) async fn limit<F: Future>(&self, limit: Duration, f: F) -> Result<F::Output, ()> {
        let start = Instant::now();
        tokio::pin!(f);
        loop {
            let deadline = if self.inner.open.load(Ordering::SeqCst) > 0 {
                // Look again later; a prompt has no time limit.
                Instant::now() + limit
            } else {
                let last = self.inner.last_end.lock().map(|t| *t).unwrap_or(start);
                start.max(last) + limit
            };
            tokio::select! {
                out = &mut f => return Ok(out),
                () = tokio::time::sleep_until(deadline) => {
                    let quiet_since = self.inner.last_end.lock().map(|t| *t).unwrap_or(start);
                    if self.inner.open.load(Ordering::SeqCst) == 0
                        && Instant::now() >= start.max(quiet_since) + limit
                    {
                        return Err(());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[tokio::test]
    async fn prompts_do_not_count() {
        let clock = PromptClock::new();
        let c = clock.clone();
        let work = async move {
            tokio::time::sleep(ms(100)).await;
            c.prompt(tokio::time::sleep(ms(600))).await;
            tokio::time::sleep(ms(100)).await;
            7
        };
        assert_eq!(clock.limit(ms(300), work).await, Ok(7));
    }

    #[tokio::test]
    async fn silence_times_out() {
        let clock = PromptClock::new();
        let started = Instant::now();
        let work = tokio::time::sleep(ms(2000));
        assert_eq!(clock.limit(ms(100), work).await, Err(()));
        assert!(started.elapsed() < ms(1500));
    }
}
