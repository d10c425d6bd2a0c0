//! Live figures of one forward (connections, bytes each way, failures) shared by its listener
//! and its connections, and the snapshot `outpost forward list` shows.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Counters of one forward; every connection adds to them as bytes pass.
#[derive(Debug, Default)]
pub struct ForwardStats {
    accepted: AtomicU64,
    active: AtomicU64,
    failed: AtomicU64,
    bytes_out: AtomicU64,
    bytes_in: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsSnapshot {
    /// Connections accepted so far.
    pub accepted: u64,
    /// Connections open now.
    pub active: u64,
    /// Connections whose destination could not be reached (or arrived while the host was down).
    pub failed: u64,
    /// Bytes sent towards the destination.
    pub bytes_out: u64,
    /// Bytes received from the destination.
    pub bytes_in: u64,
}

impl ForwardStats {
    /// A connection was accepted and is open; the guard counts it closed when dropped.
    pub fn opened(&self) -> ActiveGuard<'_> {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        self.active.fetch_add(1, Ordering::Relaxed);
        ActiveGuard(self)
    }

    /// A connection could not be carried.
    pub fn failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds bytes sent towards the destination.
    pub fn add_out(&self, n: u64) {
        self.bytes_out.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds bytes received from the destination.
    pub fn add_in(&self, n: u64) {
        self.bytes_in.fetch_add(n, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            accepted: self.accepted.load(Ordering::Relaxed),
            active: self.active.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
        }
    }
}

/// Counts one open connection until dropped.
pub struct ActiveGuard<'a>(&'a ForwardStats);

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        let s = ForwardStats::default();
        {
            let _g = s.opened();
            s.add_out(5);
            s.add_in(7);
            assert_eq!(s.snapshot().active, 1);
        }
        s.failed();
        assert_eq!(
            s.snapshot(),
            StatsSnapshot {
                accepted: 1,
                active: 0,
                failed: 1,
                bytes_out: 5,
                bytes_in: 7
            }
        );
    }
}
