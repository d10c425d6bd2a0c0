//! Flow control between the PTY reader and the attached clients: lossless while attached.
//!
//! Each attached connection registers its read cursor here. Before the PTY reader pushes a chunk
//! into the ring, [`Flow::wait_for_room`] blocks it while some attached client that still reads
//! would lose bytes it has not been sent (its cursor is older than what the ring keeps after the
//! push). The program then blocks on its next write to the terminal, as it would under `ssh`.
//!
//! A client that has not taken output for longer than its bound (`max_stall_ms` at attach, else
//! the session's from `session.create`, else [`DEFAULT_MAX_STALL_MS`]) no longer holds the session back: the ring overwrites what
//! it has not read, and when it reads again its cursor jumps to the oldest byte held (the jump
//! shows in its offsets); from then on it holds the session back again. A bound of 0 means the
//! client never holds it back. With no client attached nothing waits: the ring keeps the last
//! bytes, as before.
//!
//! "Taking output" is what the daemon can see of a client: a connection advances its cursor
//! only after its previous frame was written to the socket, so a client that stops reading
//! stops advancing once the socket's buffer is full. The reader blocks on a condition variable
//! (no polling): connections wake it when they advance, detach or go away, and a stalled
//! client's deadline bounds the wait.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use outpost_protocol::session::DEFAULT_MAX_STALL_MS;

/// The flow state one daemon shares between its PTY reader and its connections.
#[derive(Debug, Default)]
pub struct Flow {
    state: Mutex<State>,
    room: Condvar,
}

#[derive(Debug, Default)]
struct State {
    clients: HashMap<u64, Client>,
    next_id: u64,
    /// Whether the reader waits on `room` (connections only notify then).
    waiting: bool,
    /// Whether the reader is inside [`Flow::wait_for_room`] and held back.
    held: bool,
    /// Bytes overwritten before a client still attached had been sent them (they were stalled).
    skipped: u64,
}

#[derive(Debug)]
struct Client {
    /// The next offset this client will be sent.
    cursor: u64,
    /// When it last took output (or attached).
    last_taken: Instant,
    /// How long it may stop taking output while holding the session back (zero: never).
    max_stall: Duration,
}

/// One attached client's handle; [`Flow::leave`] it when it detaches or goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientId(u64);

impl Flow {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wake(&self, state: &mut State) {
        if state.waiting {
            state.waiting = false;
            self.room.notify_all();
        }
    }

    /// Registers an attached client streaming from `cursor`.
    pub fn join(&self, cursor: u64, max_stall: Duration) -> ClientId {
        let mut s = self.lock();
        let id = s.next_id;
        s.next_id += 1;
        s.clients.insert(
            id,
            Client {
                cursor,
                last_taken: Instant::now(),
                max_stall,
            },
        );
        ClientId(id)
    }

    /// Restarts a client's stream at `cursor` (attaching again on the same connection).
    pub fn restart(&self, id: ClientId, cursor: u64, max_stall: Duration) {
        let mut s = self.lock();
        if let Some(c) = s.clients.get_mut(&id.0) {
            c.cursor = cursor;
            c.max_stall = max_stall;
            c.last_taken = Instant::now();
        }
        self.wake(&mut s);
    }

    /// Records that a client took output up to `cursor` (exclusive).
    pub fn taken(&self, id: ClientId, cursor: u64) {
        let mut s = self.lock();
        if let Some(c) = s.clients.get_mut(&id.0) {
            c.cursor = cursor;
            c.last_taken = Instant::now();
        }
        self.wake(&mut s);
    }

    /// Removes a client: it detached or its connection ended.
    pub fn leave(&self, id: ClientId) {
        let mut s = self.lock();
        s.clients.remove(&id.0);
        self.wake(&mut s);
    }

    /// Whether the PTY reader is waiting for a client now.
    pub fn holding_back(&self) -> bool {
        self.lock().held
    }

    /// Output bytes overwritten so far before an attached (stalled) client had been sent them.
    pub fn skipped(&self) -> u64 {
        self.lock().skipped
    }

    /// Blocks until `len` more bytes can go into a ring of `capacity` ending at `end` without
    /// overwriting a byte that an attached client still taking output has not been sent. Returns
    /// how long it waited. Confirm with [`Flow::admit`] under the lock that orders pushes and
    /// attaches: a client may attach meanwhile.
    pub fn wait_for_room(&self, end: u64, len: usize, capacity: usize) -> Duration {
        let t0 = Instant::now();
        let mut s = self.lock();
        loop {
            let now = Instant::now();
            let Err(deadline) = s.room(end, len, capacity, now) else {
                s.held = false;
                return t0.elapsed();
            };
            s.waiting = true;
            s.held = true;
            let (guard, _) = self
                .room
                .wait_timeout(s, deadline.saturating_duration_since(now))
                .unwrap_or_else(|p| p.into_inner());
            s = guard;
        }
    }

    /// Whether `len` more bytes can go into the ring now (see [`Flow::wait_for_room`]); when
    /// they can, counts the bytes that stalled clients lose by it.
    pub fn admit(&self, end: u64, len: usize, capacity: usize) -> bool {
        let mut s = self.lock();
        match s.room(end, len, capacity, Instant::now()) {
            Ok(lost) => {
                s.skipped += lost;
                true
            }
            Err(_) => false,
        }
    }
}

impl State {
    /// `Ok(bytes stalled clients lose)` when pushing `len` bytes holds nobody back, else
    /// `Err(the earliest moment a client holding the session back counts as stalled)`.
    fn room(&self, end: u64, len: usize, capacity: usize, now: Instant) -> Result<u64, Instant> {
        let keep_from = (end + len as u64).saturating_sub(capacity as u64);
        let start = end.saturating_sub(capacity as u64);
        let mut deadline: Option<Instant> = None;
        let mut lost = 0u64;
        for c in self.clients.values() {
            if c.cursor >= keep_from {
                continue;
            }
            let until = c.last_taken + c.max_stall;
            if c.max_stall.is_zero() || until <= now {
                lost = lost.max(keep_from - c.cursor.max(start));
                continue;
            }
            deadline = Some(deadline.map_or(until, |d| d.min(until)));
        }
        deadline.map_or(Ok(lost), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn no_client_never_waits() {
        let f = Flow::default();
        assert!(f.wait_for_room(1 << 20, 4096, 65536) < Duration::from_millis(50));
    }

    #[test]
    fn a_reading_client_holds_the_reader_until_it_takes_output() {
        let f = Arc::new(Flow::default());
        let id = f.join(0, Duration::from_secs(30));
        // The ring holds 100 bytes, all unread: 10 more would overwrite the client's.
        let f2 = f.clone();
        let t = std::thread::spawn(move || f2.wait_for_room(100, 10, 100));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !f.holding_back() {
            assert!(Instant::now() < deadline, "the reader never waited");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(50));
        assert!(!t.is_finished(), "the reader went on over unread bytes");
        f.taken(id, 10);
        assert!(t.join().is_ok());
        assert!(!f.holding_back());
        assert!(f.admit(100, 10, 100));
        assert_eq!(f.skipped(), 0);
    }

    #[test]
    fn a_stalled_client_is_let_go_after_its_bound() {
        let f = Flow::default();
        let t0 = Instant::now();
        let _id = f.join(0, Duration::from_millis(200));
        assert!(!f.admit(100, 10, 100));
        let waited = f.wait_for_room(100, 10, 100);
        assert!(
            t0.elapsed() >= Duration::from_millis(200),
            "waited {waited:?}"
        );
        assert!(waited < Duration::from_secs(5), "waited {waited:?}");
        assert!(f.admit(100, 10, 100));
        assert_eq!(f.skipped(), 10);
        // Now stalled: no more waiting until it takes output again.
        assert!(f.wait_for_room(110, 10, 100) < Duration::from_millis(50));
    }

    #[test]
    fn a_zero_bound_never_holds_back_and_leaving_releases() {
        let f = Arc::new(Flow::default());
        let _z = f.join(0, Duration::ZERO);
        assert!(f.wait_for_room(100, 10, 100) < Duration::from_millis(50));
        let id = f.join(0, Duration::from_secs(30));
        let f2 = f.clone();
        let t = std::thread::spawn(move || f2.wait_for_room(100, 10, 100));
        std::thread::sleep(Duration::from_millis(50));
        f.leave(id);
        assert!(t.join().unwrap_or_default() < Duration::from_secs(5));
    }
}
