//! The registered forwarded sockets, newest first: which desktop's agent a new client reaches.

use std::path::PathBuf;

/// The forwarded agent sockets of the live registrations, in registration order.
#[derive(Debug, Default)]
pub struct Upstreams {
    next: u64,
    entries: Vec<(u64, PathBuf)>,
}

impl Upstreams {
    /// Records a registration; the returned ticket ends it ([`Upstreams::remove`]).
    pub fn add(&mut self, socket: PathBuf) -> u64 {
        let ticket = self.next;
        self.next += 1;
        self.entries.push((ticket, socket));
        ticket
    }

    /// Ends the registration `ticket`.
    pub fn remove(&mut self, ticket: u64) {
        self.entries.retain(|(t, _)| *t != ticket);
    }

    /// How many registrations are live.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The sockets to try for a new client: the most recent registration first (the desktop
    /// attached last), then the older ones still live.
    pub fn newest_first(&self) -> Vec<PathBuf> {
        self.entries.iter().rev().map(|(_, p)| p.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_live_registration_comes_first() {
        let mut u = Upstreams::default();
        assert!(u.newest_first().is_empty());
        let a = u.add("/a".into());
        let b = u.add("/b".into());
        assert_eq!(u.newest_first(), [PathBuf::from("/b"), PathBuf::from("/a")]);
        u.remove(b);
        assert_eq!(u.newest_first(), [PathBuf::from("/a")]);
        let c = u.add("/c".into());
        assert_eq!(u.newest_first(), [PathBuf::from("/c"), PathBuf::from("/a")]);
        u.remove(a);
        u.remove(c);
        assert!(u.is_empty());
        assert_eq!(u.len(), 0);
    }
}
