//! The state one daemon shares between its PTY threads and its socket connections.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use outpost_protocol::session::{
    LinkState, PromptMark, PromptMarkKind, SessionInfo, SessionKind, SessionState,
};
use tokio::sync::watch;

use super::flow::{ClientId, Flow};
use super::frames::{ExitInfo, Reported};
use super::model::{Feed, Next, Work, SLEEP_AFTER};
use crate::terminal::ring::Ring;
use crate::terminal::screen::{Screen, Snapshot};

/// How many bytes the model parses under one hold of the screen lock: as many as it gathers
/// ([`super::model::BATCH_BYTES`]). Under a flood of plain text a piece costs what its last
/// screenful costs to parse ([`crate::terminal::screen`]), so bigger pieces cost less per byte.
const MODEL_PIECE: usize = super::model::BATCH_BYTES as usize;

/// How long an exit waits at most for the model to parse the last output.
const MODEL_SETTLE: Duration = Duration::from_secs(5);

/// How long an attach with a snapshot waits at most for the model to parse what the ring held
/// when it came (a flood goes on meanwhile: the snapshot then stands for an earlier offset).
const MODEL_CATCH_UP: Duration = Duration::from_millis(200);

/// Where the output stream stands; connections wait on changes of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The offset of the next output byte.
    pub end: u64,
    /// Whether the process has exited and its last output is in the ring.
    pub exited: bool,
}

/// What changes over the session's life, apart from the output.
#[derive(Debug)]
struct Live {
    cols: u16,
    rows: u16,
    exit: Option<ExitInfo>,
    attached: u32,
    link: Option<LinkState>,
}

/// When [`Shared::attach_point`] takes a screen snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotWhen {
    /// Never: bytes only.
    Never,
    /// Always.
    Always,
    /// When the ring no longer holds the offset wanted.
    IfTruncated,
}

/// What never changes.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The session's id.
    pub session_id: String,
    /// Its kind.
    pub kind: SessionKind,
    /// Its title.
    pub title: String,
    /// When it was created, RFC 3339.
    pub created_at: String,
    /// For `ssh` sessions: the target as asked.
    pub target: Option<String>,
}

/// The daemon's shared state.
pub struct Shared {
    /// Who the session is.
    pub identity: Identity,
    child_pid: Mutex<u32>,
    /// Locked before `ring` whenever both are. The screen has been fed the ring's bytes up to
    /// [`Screen::end`], which lags the ring's end by at most half a ring ([`super::model`]). A
    /// fair lock: the model thread takes it again right after each piece it parses, and under
    /// a flood an unfair lock would let it starve `session.list`, attaches and resizes for many
    /// seconds; [`Shared::catch_up`] hands it to a waiting thread when it lets go.
    screen: parking_lot::Mutex<Screen>,
    /// Orders pushes and attaches: a client joins the flow control under it, and a push is
    /// admitted under it.
    ring: Mutex<Ring>,
    /// What the PTY reader and the model thread share ([`super::model`]).
    feed: Arc<Feed>,
    live: Mutex<Live>,
    progress: watch::Sender<Progress>,
    /// Bumped when the title or working directory changes.
    changed: watch::Sender<u64>,
    closing: AtomicBool,
    /// Holds the PTY reader back while an attached client would lose bytes ([`super::flow`]).
    flow: Flow,
    /// Serialises pushers (the PTY reader and the reconnect markers) across their wait for room.
    pushing: Mutex<()>,
    /// Writes the session to an asciicast file when asked ([`crate::recording`]).
    recorder: crate::recording::Recorder,
    /// The `session.exec` state ([`crate::exec::daemon`]).
    pub exec: crate::exec::daemon::ExecCell,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.feed.stop();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind; keep serving it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// State for a new session.
    pub fn new(identity: Identity, cols: u16, rows: u16, scrollback: usize) -> Self {
        let link = identity.target.as_ref().map(|_| LinkState::Connecting);
        Self {
            identity,
            child_pid: Mutex::new(0),
            screen: parking_lot::Mutex::new(Screen::new(cols, rows)),
            ring: Mutex::new(Ring::new(scrollback)),
            feed: Arc::default(),
            live: Mutex::new(Live {
                cols,
                rows,
                exit: None,
                attached: 0,
                link,
            }),
            progress: watch::Sender::new(Progress::default()),
            changed: watch::Sender::new(0),
            closing: AtomicBool::new(false),
            flow: Flow::default(),
            pushing: Mutex::new(()),
            recorder: Default::default(),
            exec: Default::default(),
        }
    }

    /// The session's recorder.
    pub fn recorder(&self) -> &crate::recording::Recorder {
        &self.recorder
    }

    /// Starts the model thread: from now on the screen is fed beside the PTY reader, not by it.
    pub fn start_model(self: &Arc<Self>) -> std::io::Result<()> {
        let shared: Weak<Shared> = Arc::downgrade(self);
        let feed = self.feed.clone();
        feed.set_threaded();
        std::thread::Builder::new()
            .name("screen-model".into())
            .spawn(move || {
                // One piece per wakeup: what arrives while a piece is parsed is gathered
                // again ([`super::model::BATCH_BYTES`]) rather than parsed in PTY-read slivers.
                let mut buf = Vec::new();
                // Whether the screen sleeps or could not (then it is not tried again before
                // more output).
                let mut rested = false;
                loop {
                    let next = feed.wait_for_work((!rested).then_some(SLEEP_AFTER));
                    let Some(shared) = shared.upgrade() else {
                        break;
                    };
                    match next {
                        Next::Stop => break,
                        Next::Idle => {
                            shared.rest(&mut buf);
                            rested = true;
                        }
                        Next::Work => {
                            if buf.capacity() == 0 {
                                buf.reserve_exact(MODEL_PIECE);
                            }
                            shared.feed_one(&mut buf);
                            rested = false;
                        }
                    }
                }
            })
            .map(drop)
    }

    /// Appends output to the ring, wakes the connections and hands it to the screen model.
    /// While a client that still reads would lose bytes, first waits for it ([`super::flow`]),
    /// so the program blocks on the terminal as it would under `ssh`; likewise while the model
    /// is half a ring behind ([`super::model`]).
    pub fn push_output(&self, data: &[u8]) {
        let _pushing = lock(&self.pushing);
        let capacity = lock(&self.ring).capacity();
        // Pieces of a quarter ring at most, so a reader a few pieces behind never blocks.
        for piece in data.chunks((capacity / 4).max(1)) {
            self.push_piece(piece, capacity);
        }
    }

    fn push_piece(&self, data: &[u8], capacity: usize) {
        self.feed.wait_for_room(data.len(), (capacity / 2) as u64);
        let end = loop {
            let end = lock(&self.ring).end();
            self.flow.wait_for_room(end, data.len(), capacity);
            // Attaches join the flow under the ring lock: confirm nobody joined meanwhile.
            let mut ring = lock(&self.ring);
            if self.flow.admit(ring.end(), data.len(), capacity) {
                // Under the ring lock, so the recording gets the bytes in the ring's order.
                self.recorder.output(data);
                ring.push(data);
                break ring.end();
            }
        };
        self.feed.pushed(end);
        self.progress.send_modify(|p| p.end = end);
        if !self.feed.threaded() {
            self.catch_up();
        }
    }

    /// The model has been idle for [`SLEEP_AFTER`]: its screen sleeps as a snapshot when it can,
    /// its piece buffer goes, and the freed pages go back to the kernel.
    fn rest(&self, buf: &mut Vec<u8>) {
        let slept = self.screen.lock().sleep();
        *buf = Vec::new();
        super::memory::give_back();
        tracing::debug!(slept, "the screen model is idle");
    }

    /// Feeds the screen model what the ring holds beyond it (and the resizes between), a piece
    /// at a time; the exec tracker follows each piece, in order, under the screen lock.
    pub fn catch_up(&self) {
        let mut buf = Vec::new();
        while self.feed_one(&mut buf) {}
    }

    /// Feeds the screen model its next piece of work, if any (see [`Shared::catch_up`]);
    /// returns whether there was one. `buf` is scratch space for the piece's bytes.
    fn feed_one(&self, buf: &mut Vec<u8>) -> bool {
        if let Some(work) = self.feed.next(MODEL_PIECE) {
            match work {
                Work::Resize { cols, rows } => {
                    self.screen.lock().resize(cols, rows);
                    self.feed.resized();
                }
                Work::Bytes { from, to } => {
                    buf.clear();
                    let at = lock(&self.ring).read_into(from, (to - from) as usize, buf);
                    let mut screen = self.screen.lock();
                    if at != from {
                        // The lag bound makes this impossible; the model just misses them.
                        tracing::warn!(lost = at - from, "the screen model lost output");
                        screen.skip_to(at);
                    }
                    screen.feed(buf);
                    self.exec.observe(at, buf, &screen);
                    let changed = screen.take_changed();
                    let fed = screen.end();
                    parking_lot::MutexGuard::unlock_fair(screen);
                    self.feed.fed(fed);
                    if changed {
                        self.changed.send_modify(|n| *n = n.wrapping_add(1));
                    }
                }
            }
            return true;
        }
        false
    }

    /// Where to start streaming for a client that wants output from `wanted` (`None`: all
    /// held): `(replay_from, truncated, snapshot)`. With `snapshot`, a screen snapshot is taken
    /// (always, or for `auto` only when the ring no longer holds `wanted`) and streaming starts
    /// at the offset it stands for. The client joins the flow control ([`super::flow`]) at that
    /// offset with `max_stall` (`client` holds its handle; an attached one restarts there), under
    /// the same lock as the pushes, so no byte after it is overwritten before it is sent.
    pub fn attach_point(
        &self,
        wanted: Option<u64>,
        snapshot: SnapshotWhen,
        client: &mut Option<ClientId>,
        max_stall: std::time::Duration,
    ) -> (u64, bool, Option<Snapshot>) {
        if snapshot != SnapshotWhen::Never {
            // A quiet session's snapshot stands for its whole output.
            self.model_current();
        }
        let screen = self.screen.lock();
        // Held until the client joined the flow: no push overwrites its first byte meanwhile.
        let ring = lock(&self.ring);
        let (start, end) = (ring.start(), ring.end());
        // Bytes are missing from `wanted`, or (with no offset) from the very first byte.
        let missing = wanted.unwrap_or(0) < start;
        let take = match snapshot {
            SnapshotWhen::Never => false,
            SnapshotWhen::Always => true,
            SnapshotWhen::IfTruncated => missing,
        };
        let snap = if take { screen.snapshot() } else { None };
        let point = match snap {
            Some(snap) => (snap.offset, missing, Some(snap)),
            None => {
                // Bytes only: an absent offset means "all that is held", which is never
                // truncated.
                let wanted = wanted.unwrap_or(start);
                (wanted.clamp(start, end), wanted < start, None)
            }
        };
        match client {
            Some(id) => self.flow.restart(*id, point.0, max_stall),
            None => *client = Some(self.flow.join(point.0, max_stall)),
        }
        drop(ring);
        drop(screen);
        point
    }

    /// Lets the screen model parse the output so far (at most [`MODEL_CATCH_UP`]): what is read
    /// off it then covers every byte a client may have seen before it asked.
    fn model_current(&self) {
        self.feed.wait_fed(self.bounds().1, MODEL_CATCH_UP);
    }

    /// Records that an attached client was sent output up to `cursor` (exclusive).
    pub fn taken(&self, client: ClientId, cursor: u64) {
        self.flow.taken(client, cursor);
    }

    /// Whether the PTY reader is held back by a client that has not taken output yet.
    pub fn holding_back(&self) -> bool {
        self.flow.holding_back()
    }

    /// Removes a client from the flow control: it detached or its connection ended.
    pub fn leave(&self, client: ClientId) {
        self.flow.leave(client);
    }

    /// What the program reported about itself.
    pub fn reported(&self) -> Reported {
        let screen = self.screen.lock();
        Reported {
            terminal_title: screen.title().map(str::to_string),
            cwd: screen.cwd().map(str::to_string),
        }
    }

    /// Watches changes of [`Shared::reported`].
    pub fn subscribe_changed(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// The prompt marks held (OSC 133), oldest first.
    pub fn marks(&self) -> Vec<PromptMark> {
        use crate::terminal::screen::MarkKind;
        self.model_current();
        self.screen
            .lock()
            .marks()
            .map(|m| PromptMark {
                offset: m.offset,
                kind: match m.kind {
                    MarkKind::PromptStart => PromptMarkKind::PromptStart,
                    MarkKind::CommandStart => PromptMarkKind::CommandStart,
                    MarkKind::OutputStart => PromptMarkKind::OutputStart,
                    MarkKind::CommandEnd => PromptMarkKind::CommandEnd,
                },
                exit_code: m.exit,
            })
            .collect()
    }

    /// Records how the process ended and wakes the connections.
    pub fn set_exited(&self, exit: ExitInfo) {
        // The exec tracker and `session.info` see the last output before the exit.
        self.feed.settle(MODEL_SETTLE);
        lock(&self.live).exit = Some(exit);
        self.exec.session_ended(self.bounds().1);
        self.progress.send_modify(|p| p.exited = true);
    }

    /// How the process ended, once it has.
    pub fn exit(&self) -> Option<ExitInfo> {
        lock(&self.live).exit.clone()
    }

    /// Watches the output stream.
    pub fn subscribe(&self) -> watch::Receiver<Progress> {
        self.progress.subscribe()
    }

    /// Copies output from `from` into `out`; returns the offset actually read from.
    pub fn read(&self, from: u64, max: usize, out: &mut Vec<u8>) -> u64 {
        lock(&self.ring).read_into(from, max, out)
    }

    /// The oldest held offset and the next offset.
    pub fn bounds(&self) -> (u64, u64) {
        let ring = lock(&self.ring);
        (ring.start(), ring.end())
    }

    /// Marks the session as closing: no more reconnects.
    pub fn set_closing(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    /// Whether the session is closing.
    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// The `ssh` connection's state, for `ssh` sessions.
    pub fn link(&self) -> Option<LinkState> {
        lock(&self.live).link
    }

    /// Records the `ssh` connection's state (ignored for other sessions).
    pub fn set_link(&self, state: LinkState) {
        let mut live = lock(&self.live);
        if live.link.is_some() && live.link != Some(state) {
            tracing::info!(?state, "link state");
            live.link = Some(state);
        }
    }

    /// The child's pid.
    pub fn child_pid(&self) -> u32 {
        *lock(&self.child_pid)
    }

    /// Records the child's pid (it changes when `ssh` is restarted).
    pub fn set_child_pid(&self, pid: u32) {
        *lock(&self.child_pid) = pid;
    }

    /// Records a new terminal size.
    pub fn set_size(&self, cols: u16, rows: u16) {
        {
            // At the ring's end: the model resizes between the same bytes the terminal did.
            let ring = lock(&self.ring);
            self.feed.resize(ring.end(), cols, rows);
        }
        if !self.feed.threaded() {
            self.catch_up();
        }
        self.recorder.resize(cols, rows);
        let mut live = lock(&self.live);
        live.cols = cols;
        live.rows = rows;
    }

    /// Counts a client in (`+1`) or out (`-1`).
    pub fn add_attached(&self, delta: i32) {
        let mut live = lock(&self.live);
        live.attached = live.attached.saturating_add_signed(delta);
    }

    /// The session as clients see it.
    pub fn info(&self) -> SessionInfo {
        self.model_current();
        let (terminal_title, cwd, preview) = {
            let screen = self.screen.lock();
            (
                screen.title().map(str::to_string),
                screen.cwd().map(str::to_string),
                screen.preview(),
            )
        };
        let (start, end, capacity) = {
            let ring = lock(&self.ring);
            (ring.start(), ring.end(), ring.capacity())
        };
        let live = lock(&self.live);
        let id = &self.identity;
        SessionInfo {
            session_id: id.session_id.clone(),
            kind: id.kind,
            title: id.title.clone(),
            state: if live.exit.is_some() {
                SessionState::Exited
            } else {
                SessionState::Running
            },
            exit_code: live.exit.as_ref().and_then(|e| e.exit_code),
            exit_signal: live.exit.as_ref().and_then(|e| e.signal.clone()),
            pid: *lock(&self.child_pid),
            created_at: id.created_at.clone(),
            cols: live.cols,
            rows: live.rows,
            output_start: start,
            output_end: end,
            attached_clients: live.attached,
            scrollback_bytes: capacity as u64,
            target: id.target.clone(),
            link: live.link,
            terminal_title,
            cwd,
            foreground: None,
            preview,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(ring: usize) -> Arc<Shared> {
        Arc::new(Shared::new(
            Identity {
                session_id: "model".into(),
                kind: SessionKind::Shell,
                title: "t".into(),
                created_at: String::new(),
                target: None,
            },
            40,
            10,
            ring,
        ))
    }

    /// Under a flood through a small ring, every snapshot stands for an offset the ring still
    /// holds (the model is never more than half a ring behind), and once the flood ends the
    /// model has parsed every byte and a snapshot stands for the end.
    #[test]
    fn snapshots_during_a_flood_stand_for_held_offsets() {
        let s = shared(64 * 1024);
        s.start_model().unwrap();
        let total: u64 = 8 << 20;
        let pusher = {
            let s = s.clone();
            std::thread::spawn(move || {
                let line = b"\x1b[31mred\x1b[m and plain text, a line of it\r\n".repeat(100);
                let mut sent = 0u64;
                while sent < total {
                    let n = (line.len() as u64).min(total - sent) as usize;
                    s.push_output(&line[..n]);
                    sent += n as u64;
                }
            })
        };
        let mut snapshots = 0;
        while !pusher.is_finished() {
            let mut client = None;
            // A client that holds the session back (a bound longer than the test), so no push
            // can overwrite the snapshot's offset before the bounds below are read.
            let (from, _, snap) = s.attach_point(
                None,
                SnapshotWhen::Always,
                &mut client,
                Duration::from_secs(600),
            );
            let snap = snap.unwrap();
            assert_eq!(from, snap.offset);
            let (start, end) = s.bounds();
            assert!(
                start <= snap.offset && snap.offset <= end,
                "held {start}..{end}, snapshot at {}",
                snap.offset
            );
            s.leave(client.unwrap());
            snapshots += 1;
        }
        pusher.join().unwrap();
        assert!(snapshots > 0);
        s.feed.settle(Duration::from_secs(10));
        let mut client = None;
        let (from, _, snap) =
            s.attach_point(None, SnapshotWhen::Always, &mut client, Duration::ZERO);
        assert_eq!((from, snap.map(|x| x.offset)), (total, Some(total)));
        assert_eq!(s.screen.lock().end(), total);
    }

    /// After [`SLEEP_AFTER`] without output the model's screen sleeps as its snapshot; an
    /// attach meanwhile gets that snapshot, and more output wakes it where it was.
    #[test]
    fn an_idle_model_sleeps_and_output_wakes_it() {
        let s = shared(64 * 1024);
        s.start_model().unwrap();
        let before = b"\x1b]2;build\x07\x1b(0lqk\x1b(B\r\n$ ";
        s.push_output(before);
        s.feed.settle(Duration::from_secs(10));
        let awake = s.screen.lock().snapshot().unwrap();
        let started = std::time::Instant::now();
        while !s.screen.lock().asleep() {
            assert!(started.elapsed() < SLEEP_AFTER * 4, "the model never slept");
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(started.elapsed() >= SLEEP_AFTER - Duration::from_millis(500));
        let mut client = None;
        let (_, _, snap) = s.attach_point(None, SnapshotWhen::Always, &mut client, Duration::ZERO);
        assert_eq!(snap, Some(awake));
        s.leave(client.unwrap());
        assert_eq!(s.screen.lock().title(), Some("build"));
        s.push_output(b"ls");
        s.feed.settle(Duration::from_secs(10));
        let screen = s.screen.lock();
        assert!(!screen.asleep());
        let mut direct = Screen::new(40, 10);
        direct.feed(before);
        direct.feed(b"ls");
        assert_eq!(screen.text(), direct.text());
        assert!(screen.text().starts_with("\u{250c}\u{2500}\u{2510}\n$ ls"));
    }

    /// A resize reaches the model between the bytes before it and those after it.
    #[test]
    fn resizes_apply_between_the_same_bytes() {
        let s = shared(64 * 1024);
        s.start_model().unwrap();
        s.push_output(b"\x1b[10;1Hbottom");
        s.set_size(40, 5);
        s.push_output(b"\r\nnext");
        s.feed.settle(Duration::from_secs(10));
        let mut direct = Screen::new(40, 10);
        direct.feed(b"\x1b[10;1Hbottom");
        direct.resize(40, 5);
        direct.feed(b"\r\nnext");
        assert_eq!(s.screen.lock().text(), direct.text());
    }
}
