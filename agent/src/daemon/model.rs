//! The screen model's thread and what it shares with the PTY reader: parsing runs beside
//! reading, not in its way.
//!
//! The PTY reader only copies output into the ring ([`super::state::Shared::push_output`]); the
//! model thread then feeds the same bytes, in order and by their offsets, to the screen model
//! ([`crate::terminal::screen`]) and the exec tracker ([`crate::exec`]). The ring is the queue:
//! the model reads what lies between the offset it has fed ([`Feed::fed`]) and the ring's end.
//!
//! Its lag is bounded: before a push, the reader waits while the push would put the ring's end
//! more than `max_lag` (half a ring) past what the model has fed. So the ring always still holds
//! every byte the model has not parsed, and a snapshot — which stands for the offset the model
//! has fed — is always followed, byte-exact, by bytes the ring holds. Memory does not grow with
//! the lag: no bytes are copied into a queue. Resizes queue with the offset they happened at, so
//! the model applies them between the same bytes the terminal did.
//!
//! Wakeups are batched: the model thread does not wake for every PTY read. Once woken for new
//! bytes it gathers them until [`BATCH_BYTES`] are waiting or [`BATCH_WAIT`] has passed, so under
//! a flood it parses pieces of up to a quarter MiB (of which the screen skips the lines that
//! scroll away unseen, so a piece costs about what its last screenful costs) instead of one PTY
//! read each. Whoever waits for the model — the reader for room, an attach for its snapshot, an
//! exit for the last output — cuts the gathering short. Condition variable notifications (a
//! system call each) are only sent when someone waits on them.
//!
//! An idle model sleeps: after [`SLEEP_AFTER`] without output the thread puts the screen to
//! sleep as its snapshot ([`crate::terminal::screen::Screen::sleep`]), drops its piece buffer and
//! gives the freed pages back, so an idle daemon does not hold a screenful of cells.
//!
//! [`Feed`] is the shared state; [`Shared::catch_up`](super::state::Shared::catch_up) does the
//! feeding, on the model thread ([`Shared::start_model`](super::state::Shared::start_model),
//! started with the session's terminal) or, without one (unit tests), right after each push.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Set to `0` in a daemon's environment (inherited from its agent), the screen model is fed on
/// the PTY reader's thread right after each push, as before it had a thread of its own: the
/// "before" of the throughput benchmark (`agent/benches/agent_bench/throughput.rs`).
pub const MODEL_THREAD_ENV: &str = "OUTPOST_SCREEN_MODEL_THREAD";

/// The most resizes queued for the model; a newer one replaces the last beyond that.
const MAX_RESIZES: usize = 64;

/// The model parses as soon as this many bytes wait for it.
pub const BATCH_BYTES: u64 = 256 * 1024;

/// The longest the model gathers bytes before it parses them (unless someone waits for it).
pub const BATCH_WAIT: Duration = Duration::from_millis(2);

/// How long the model waits without output before its screen sleeps as a snapshot
/// ([`crate::terminal::screen::Screen::sleep`]), giving back the cells' memory.
pub const SLEEP_AFTER: Duration = Duration::from_secs(5);

/// What the model thread does next ([`Feed::wait_for_work`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// There is work: [`Feed::next`] has it.
    Work,
    /// Nothing came for the idle time asked for.
    Idle,
    /// The feed stopped: the thread ends.
    Stop,
}

/// What the model thread is doing, so that pushes only wake it when it needs waking.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum ModelWait {
    /// Parsing (or no model thread): pushes do not notify.
    #[default]
    Busy,
    /// Waiting for bytes: the next push wakes it.
    Idle,
    /// Gathering bytes until [`BATCH_BYTES`] or [`BATCH_WAIT`].
    Gathering,
}

/// What the model does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// Feed the bytes `from..to` of the ring.
    Bytes {
        /// The first offset.
        from: u64,
        /// The offset after the last.
        to: u64,
    },
    /// Resize the screen to `cols` × `rows`, then report it with [`Feed::resized`].
    Resize {
        /// Columns.
        cols: u16,
        /// Rows.
        rows: u16,
    },
}

#[derive(Debug, Default)]
struct State {
    /// The ring's end as the reader announced it last.
    end: u64,
    /// The offset of the next byte the model will parse.
    fed: u64,
    /// Resizes not applied yet, with the ring's end when they happened, oldest first.
    resizes: VecDeque<(u64, u16, u16)>,
    /// Whether a model thread runs (else the pusher feeds the model itself).
    threaded: bool,
    /// The session's state is going away: the thread ends.
    stopped: bool,
    /// What the model thread is doing.
    model: ModelWait,
    /// Threads waiting for the model (the reader for room, attaches, exits): the model does not
    /// gather while there are any, and tells them when it fed bytes.
    waiters: usize,
}

impl State {
    /// Whether the model should parse now rather than gather more.
    fn parse_now(&self) -> bool {
        self.waiters > 0 || self.end >= self.fed + BATCH_BYTES
    }
}

/// The state the PTY reader, the model thread and the connections share about the model.
#[derive(Debug, Default)]
pub struct Feed {
    state: Mutex<State>,
    /// Wakes the model (work or stop) and whoever waits for it (the reader for room, an exit
    /// for the model to catch up). Few waiters: all are woken.
    changed: Condvar,
}

impl Feed {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'a>(&self, s: MutexGuard<'a, State>, timeout: Duration) -> MutexGuard<'a, State> {
        self.changed
            .wait_timeout(s, timeout)
            .unwrap_or_else(|p| p.into_inner())
            .0
    }

    /// Counts a thread in as waiting for the model and wakes the model if it gathers.
    fn start_waiting(&self, s: &mut State) {
        s.waiters += 1;
        if s.model != ModelWait::Busy {
            self.changed.notify_all();
        }
    }

    /// Whether a model thread feeds the model (else the pusher must call `catch_up`).
    pub fn threaded(&self) -> bool {
        self.lock().threaded
    }

    /// Blocks while pushing `len` more bytes would put the ring's end more than `max_lag` bytes
    /// past what the model has fed (never without a model thread).
    pub fn wait_for_room(&self, len: usize, max_lag: u64) {
        let mut s = self.lock();
        let full = |s: &State| s.threaded && !s.stopped && s.end + len as u64 > s.fed + max_lag;
        if !full(&s) {
            return;
        }
        self.start_waiting(&mut s);
        while full(&s) {
            s = self.wait(s, Duration::from_secs(1));
        }
        s.waiters -= 1;
    }

    /// The reader pushed bytes: the ring now ends at `end`. Wakes the model when it waits for
    /// bytes, or gathers and now has enough.
    pub fn pushed(&self, end: u64) {
        let mut s = self.lock();
        s.end = end;
        let wake = match s.model {
            ModelWait::Busy => false,
            ModelWait::Idle => true,
            ModelWait::Gathering => s.parse_now(),
        };
        if wake {
            self.changed.notify_all();
        }
    }

    /// The terminal was resized to `cols` × `rows` when the ring ended at `at`.
    pub fn resize(&self, at: u64, cols: u16, rows: u16) {
        let mut s = self.lock();
        if s.resizes.back().is_some_and(|r| r.0 == at) || s.resizes.len() >= MAX_RESIZES {
            s.resizes.pop_back();
        }
        s.resizes.push_back((at, cols, rows));
        self.changed.notify_all();
    }

    /// The model's next work, without waiting: resizes due at the offset fed, else the bytes
    /// up to the ring's end or the next resize, at most `max` of them.
    pub fn next(&self, max: usize) -> Option<Work> {
        let s = self.lock();
        let until = match s.resizes.front() {
            Some(&(at, cols, rows)) if at <= s.fed => return Some(Work::Resize { cols, rows }),
            Some(&(at, _, _)) => at.min(s.end),
            None => s.end,
        };
        (until > s.fed).then(|| Work::Bytes {
            from: s.fed,
            to: until.min(s.fed + max as u64),
        })
    }

    /// The model parsed the bytes up to `to`.
    pub fn fed(&self, to: u64) {
        let mut s = self.lock();
        s.fed = s.fed.max(to);
        if s.waiters > 0 {
            self.changed.notify_all();
        }
    }

    /// The model applied the oldest resize.
    pub fn resized(&self) {
        let mut s = self.lock();
        s.resizes.pop_front();
        if s.waiters > 0 {
            self.changed.notify_all();
        }
    }

    /// Waits until the model has fed everything pushed and applied every resize, at most
    /// `bound` (it waits for nothing without a model thread: the pusher fed it).
    pub fn settle(&self, bound: Duration) {
        self.wait_until(bound, |s| s.fed >= s.end && s.resizes.is_empty());
    }

    /// Waits until the model has fed the bytes before `to` and the resizes before them, at
    /// most `bound`.
    pub fn wait_fed(&self, to: u64, bound: Duration) {
        self.wait_until(bound, |s| {
            s.fed >= to && s.resizes.front().is_none_or(|r| r.0 > s.fed)
        });
    }

    fn wait_until(&self, bound: Duration, done: impl Fn(&State) -> bool) {
        let give_up = Instant::now() + bound;
        let mut s = self.lock();
        let pending = |s: &State| s.threaded && !s.stopped && !done(s);
        if !pending(&s) {
            return;
        }
        self.start_waiting(&mut s);
        while pending(&s) {
            let now = Instant::now();
            if now >= give_up {
                tracing::debug!(lag = s.end - s.fed, "the screen model has not caught up");
                break;
            }
            s = self.wait(s, give_up - now);
        }
        s.waiters -= 1;
    }

    /// Ends the model thread (the session's state goes away).
    pub fn stop(&self) {
        let mut s = self.lock();
        s.stopped = true;
        self.changed.notify_all();
    }

    /// Marks the model as fed by a thread from now on.
    pub fn set_threaded(&self) {
        self.lock().threaded = true;
    }

    /// Blocks until there is work, the feed stopped, or (with `idle`) nothing came for that
    /// long. Bytes are gathered first: until [`BATCH_BYTES`] wait, [`BATCH_WAIT`] passed since
    /// the first of them was seen, or someone waits for the model; a resize is work at once.
    pub fn wait_for_work(&self, idle: Option<Duration>) -> Next {
        let mut s = self.lock();
        let mut gather_until: Option<Instant> = None;
        let idle_until = idle.map(|d| Instant::now() + d);
        let next = loop {
            if s.stopped {
                break Next::Stop;
            }
            let resize_due = s.resizes.front().is_some_and(|r| r.0 <= s.end);
            if resize_due || (s.fed < s.end && s.parse_now()) {
                break Next::Work;
            }
            let now = Instant::now();
            if s.fed < s.end {
                let until = *gather_until.get_or_insert(now + BATCH_WAIT);
                if now >= until {
                    break Next::Work;
                }
                s.model = ModelWait::Gathering;
                s = self.wait(s, until - now);
            } else {
                let until = match idle_until {
                    Some(t) if now >= t => break Next::Idle,
                    Some(t) => t,
                    None => now + Duration::from_secs(60),
                };
                s.model = ModelWait::Idle;
                s = self.wait(s, until - now);
            }
        };
        s.model = ModelWait::Busy;
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn threaded() -> Arc<Feed> {
        let f = Arc::new(Feed::default());
        f.set_threaded();
        f
    }

    #[test]
    fn bytes_then_resizes_in_stream_order() {
        let f = Feed::default();
        f.pushed(100);
        f.resize(100, 90, 30);
        f.pushed(150);
        f.resize(150, 100, 40);
        assert_eq!(f.next(64), Some(Work::Bytes { from: 0, to: 64 }));
        f.fed(64);
        assert_eq!(f.next(64), Some(Work::Bytes { from: 64, to: 100 }));
        f.fed(100);
        assert_eq!(f.next(64), Some(Work::Resize { cols: 90, rows: 30 }));
        f.resized();
        assert_eq!(f.next(64), Some(Work::Bytes { from: 100, to: 150 }));
        f.fed(150);
        assert_eq!(
            f.next(64),
            Some(Work::Resize {
                cols: 100,
                rows: 40
            })
        );
        f.resized();
        assert_eq!(f.next(64), None);
    }

    #[test]
    fn resizes_at_one_offset_keep_the_last() {
        let f = Feed::default();
        f.resize(0, 90, 30);
        f.resize(0, 91, 31);
        assert_eq!(f.next(64), Some(Work::Resize { cols: 91, rows: 31 }));
        f.resized();
        assert_eq!(f.next(64), None);
    }

    /// The reader waits while the model is more than `max_lag` behind, and goes on when it
    /// catches up.
    #[test]
    fn the_reader_waits_for_a_lagging_model() {
        let f = threaded();
        f.pushed(1000);
        let (tx, rx) = std::sync::mpsc::channel();
        let g = f.clone();
        let reader = std::thread::spawn(move || {
            g.wait_for_room(100, 1024);
            tx.send(()).unwrap();
        });
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
        f.fed(100);
        rx.recv_timeout(Duration::from_secs(10)).unwrap();
        reader.join().unwrap();
        // Without a thread nobody waits.
        let inline = Feed::default();
        inline.pushed(1 << 30);
        inline.wait_for_room(100, 1024);
    }

    #[test]
    fn settle_waits_for_the_model_and_work_wakes_it() {
        let f = threaded();
        f.pushed(10);
        assert_eq!(f.wait_for_work(None), Next::Work);
        let g = f.clone();
        let model = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            g.fed(10);
            g.wait_for_work(None)
        });
        f.settle(Duration::from_secs(10));
        assert_eq!(f.next(64), None);
        f.stop();
        assert_eq!(model.join().unwrap(), Next::Stop);
    }

    /// With an idle time, waiting ends once nothing came for that long, and not before.
    #[test]
    fn an_idle_model_is_told() {
        let f = threaded();
        let t = Instant::now();
        assert_eq!(
            f.wait_for_work(Some(Duration::from_millis(100))),
            Next::Idle
        );
        assert!(t.elapsed() >= Duration::from_millis(100));
        f.pushed(10);
        assert_eq!(f.wait_for_work(Some(Duration::from_secs(60))), Next::Work);
    }

    #[test]
    fn waiting_for_bytes_nobody_feeds_gives_up_after_its_bound() {
        let f = threaded();
        f.pushed(20);
        f.fed(10);
        let t = Instant::now();
        f.wait_fed(10, Duration::from_secs(10));
        assert!(t.elapsed() < Duration::from_secs(5));
        f.wait_fed(20, Duration::from_millis(100));
        assert!(t.elapsed() >= Duration::from_millis(100));
    }
}
