//! Everything the agent sends its client, behind one small trait.
//!
//! The layers below the JSON-RPC server (the session [`registry`](crate::registry), its daemon
//! connections, the [`monitor`](crate::monitor)) send through a [`Sink`]: a response, a
//! notification or the hot `session.output` line. They never build JSON-RPC themselves.
//!
//! [`Writer`] is the one implementation that reaches a client: every message is queued as one line
//! on a small bounded lane; one thread writes them with plain blocking writes (no hand-off to a
//! blocking pool per write) and flushes whenever the queue runs dry or a line from a quiet lane was
//! written. Session output is queued as its bytes and encoded by that thread just before it is
//! written ([`Line::Output`]): never on the runtime's workers, so a quiet session's task is never
//! queued behind the floods' encoding, and without a hand-off to another thread per chunk. Each
//! session connection queues on a lane of its own ([`Sink::lane`], [`LANE_LINES`]
//! lines), responses and other notifications on the shared lane; the writer serves the lanes one
//! line each in turn, and a lane that had nothing queued goes ahead of the backlogged ones
//! ([`write_loop`]). So a keystroke's echo in a quiet session does not wait behind what is queued
//! for flooding sessions, while a lone flood still has a few lines queued to keep the pipe full.
//! Lines of one lane keep their order (a session's attach result, its output and its exit). The
//! bounds are what keep a client that stops reading from growing the agent's memory: producers
//! wait, a session's connection stops reading its daemon's socket, and the daemon holds its program
//! back ([`crate::daemon::flow`]). [`Discard`] is for callers with no client (`outpost-agent
//! sessions`).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use outpost_protocol::codec::encode_line;
use outpost_protocol::jsonrpc::Response;
use outpost_protocol::notification::NotificationEnvelope;
use outpost_protocol::{ErrorObject, Notification, RequestId};
use serde::Serialize;

/// Where the lower layers send what the client should see. Sending waits while the client is
/// behind; once the client is gone, messages are dropped.
pub trait Sink: Clone + Send + Sync + 'static {
    /// Sends a successful response.
    fn result(&self, id: RequestId, result: serde_json::Value) -> impl Future<Output = ()> + Send;

    /// Sends an error response.
    fn error(&self, id: Option<RequestId>, error: ErrorObject) -> impl Future<Output = ()> + Send;

    /// Sends a notification.
    fn notify(&self, n: Notification) -> impl Future<Output = ()> + Send;

    /// Sends session output: `data` at `offset` of `session_id`'s stream (the hot path).
    fn output(
        &self,
        session_id: &str,
        offset: u64,
        data: Vec<u8>,
    ) -> impl Future<Output = ()> + Send;

    /// A handle on a lane of its own: what it sends stays in order, and lanes share the client's
    /// stream fairly (one line each in turn), so a session's echo never waits behind another
    /// session's queued flood. One per session connection.
    fn lane(&self) -> Self {
        self.clone()
    }

    /// Something that waits until everything this handle's lane has queued has been written.
    fn settler(&self) -> Settler {
        Settler(None)
    }
}

/// Waits for one lane to be written out ([`Sink::settler`]).
#[derive(Clone, Default)]
pub struct Settler(Option<Arc<Lane>>);

impl Settler {
    /// Returns once the lane holds no queued line (at once when the client is gone).
    pub async fn settle(&self) {
        if let Some(lane) = &self.0 {
            let capacity = u32::try_from(lane.capacity).unwrap_or(u32::MAX);
            // Every permit back means every line written.
            drop(lane.space.acquire_many(capacity).await);
        }
    }
}

/// Lines one session's lane holds at most (each at most ~90 KiB of session output): enough to
/// keep one flooding session's output flowing, small enough that an echo in another session
/// waits behind at most one line of each.
const LANE_LINES: usize = 4;

/// The stdout writer's buffer: batches small lines (responses, echoes, samples) into one write.
/// A session output line of a full chunk (about 88 KiB) is bigger and goes straight to the pipe.
/// Kept small because whatever sits in it when an echo is queued goes out before the echo: a
/// 256 KiB buffer, filled with flood lines and not flushed while lines keep coming, held an echo
/// back until the client had read all of it (up to 0.3 s at 8 MB/s on a loaded machine).
const WRITE_BUFFER: usize = 32 * 1024;

/// A line waiting in the queue.
///
/// Session output waits as its bytes and is encoded by the writer thread. Every session
/// connection's task, the client's requests and each connection's frame writer share the
/// runtime's two workers, and encoding a 64 KiB chunk (base64 and the JSON around it) is by far
/// the most expensive step of a task's turn: encoded on the workers, with a hundred flooding
/// sessions a quiet session's task waited in the run queue behind dozens of encodings (measured:
/// 0.1–0.65 s at load 20 on 2 cores). Encoding each chunk on the blocking pool instead cost two
/// thread hand-offs per chunk; the writer thread, which wakes for the line anyway, costs none.
enum Line {
    /// A line ready to write.
    Encoded(Vec<u8>),
    /// A `session.output` notification still to encode.
    Output {
        session_id: String,
        offset: u64,
        data: Vec<u8>,
    },
}

impl Line {
    /// The line's bytes, encoded by [`outpost_protocol::output::encode`] when it is output: one
    /// allocation, no intermediate base64 string, no `serde_json` pass.
    fn into_bytes(self) -> Vec<u8> {
        match self {
            Line::Encoded(v) => v,
            Line::Output {
                session_id,
                offset,
                data,
            } => outpost_protocol::output::encode(&session_id, offset, &data),
        }
    }
}

/// Lines the shared lane (responses, monitor samples, other notifications) holds at most.
const MAIN_LANE_LINES: usize = 16;

/// With this variable set to `0`, every session shares one first-in-first-out lane of
/// [`SINGLE_LANE_LINES`], as before fair output (issue 16): the benchmark's "before".
pub const LANES_ENV: &str = "OUTPOST_OUTPUT_LANES";

/// The one lane's length without lanes (the queue's length before them).
const SINGLE_LANE_LINES: usize = 64;

/// One lane of the output queue: a session's stream, or the shared lane.
struct Lane {
    id: u64,
    /// A permit per line the lane may still queue; the writer gives one back per line written.
    space: tokio::sync::Semaphore,
    capacity: usize,
}

/// What the writer thread and the producers share.
struct Queue {
    state: std::sync::Mutex<Pending>,
    /// Signalled when a line is queued or the last handle is gone.
    ready: std::sync::Condvar,
    next_lane: std::sync::atomic::AtomicU64,
    /// Whether sessions get lanes of their own (see [`LANES_ENV`]).
    lanes: bool,
}

#[derive(Default)]
struct Pending {
    /// The queued lines of every lane that has some.
    lanes: HashMap<u64, (VecDeque<Line>, Arc<Lane>)>,
    /// Lanes that had nothing queued when their line came (a keystroke's echo, a response):
    /// served first, one line each.
    sparse: VecDeque<u64>,
    /// Lanes with a backlog, in the order they are served: one line each, round-robin.
    order: VecDeque<u64>,
    /// `flush()` calls waiting until nothing is queued and all is flushed.
    flushes: Vec<tokio::sync::oneshot::Sender<()>>,
    /// Every handle is gone, or writing failed.
    closed: bool,
    /// Writing failed: the client is gone.
    failed: bool,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn new_lane(&self, capacity: usize) -> Arc<Lane> {
        Arc::new(Lane {
            id: self.next_lane.fetch_add(1, Ordering::Relaxed),
            space: tokio::sync::Semaphore::new(capacity),
            capacity,
        })
    }

    /// Stops everything: producers waiting for room get an error and drop their lines.
    fn fail(&self) {
        let mut p = self.lock();
        p.failed = true;
        p.closed = true;
        for (_, lane) in p.lanes.values() {
            lane.space.close();
        }
        p.flushes.clear();
    }
}

/// Marks the queue closed once the last [`Writer`] handle is gone.
struct Handles(Arc<Queue>);

impl Drop for Handles {
    fn drop(&mut self) {
        self.0.lock().closed = true;
        self.0.ready.notify_all();
    }
}

/// The single writer of the agent's standard output: a handle for queueing lines to the client.
/// Each handle queues on one lane; [`Sink::lane`] gives a handle with a lane of its own.
#[derive(Clone)]
pub struct Writer {
    queue: Arc<Queue>,
    lane: Arc<Lane>,
    _handles: Arc<Handles>,
}

impl Writer {
    /// Starts the writer thread over `sink`; it ends when every handle is gone or writing fails.
    pub fn start<W: Write + Send + 'static>(sink: W) -> Writer {
        let queue = Arc::new(Queue {
            state: std::sync::Mutex::default(),
            ready: std::sync::Condvar::new(),
            next_lane: std::sync::atomic::AtomicU64::new(0),
            lanes: std::env::var_os(LANES_ENV).is_none_or(|v| v != "0"),
        });
        let q = queue.clone();
        let spawned = std::thread::Builder::new()
            .name("stdout-writer".into())
            .spawn(move || {
                if write_loop(&q, std::io::BufWriter::with_capacity(WRITE_BUFFER, sink)).is_err() {
                    q.fail();
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the stdout writer: {e}");
            queue.fail();
        }
        let main = if queue.lanes {
            MAIN_LANE_LINES
        } else {
            SINGLE_LANE_LINES
        };
        Writer {
            lane: queue.new_lane(main),
            _handles: Arc::new(Handles(queue.clone())),
            queue,
        }
    }

    async fn send<T: Serialize>(&self, msg: &T) {
        let mut line = Vec::new();
        if encode_line(msg, &mut line).is_ok() {
            self.send_line(Line::Encoded(line)).await;
        }
    }

    /// Queues a line on this handle's lane, waiting while the lane is full. Once the client is
    /// gone, lines are dropped: there is nobody left to tell.
    async fn send_line(&self, line: Line) {
        let Ok(permit) = self.lane.space.acquire().await else {
            return;
        };
        permit.forget();
        let mut p = self.queue.lock();
        if p.failed {
            return;
        }
        let id = self.lane.id;
        let lane = &self.lane;
        let Pending { lanes, sparse, .. } = &mut *p;
        lanes
            .entry(id)
            .or_insert_with(|| {
                sparse.push_back(id);
                (VecDeque::new(), lane.clone())
            })
            .0
            .push_back(line);
        drop(p);
        self.queue.ready.notify_one();
    }

    /// Waits until everything queued so far, on every lane, has been written and flushed.
    pub async fn flush(&self) {
        let (done, wait) = tokio::sync::oneshot::channel();
        {
            let mut p = self.queue.lock();
            if p.failed {
                return;
            }
            p.flushes.push(done);
        }
        self.queue.ready.notify_one();
        let _ = wait.await;
    }

    /// Whether the writer has stopped (the client is gone).
    pub fn is_closed(&self) -> bool {
        self.queue.lock().failed
    }
}

/// The writer thread: serves the lanes one line at a time, and flushes whenever nothing is
/// queued, someone waits for a flush, or the line came from a sparse lane. A lane whose line found it empty is served first (as
/// fq_codel serves new flows first); after one line, a lane with more queued joins the
/// round-robin of backlogged lanes. So an echo waits behind the line being written and other
/// sparse lanes' lines, not behind a round of every flooding session.
fn write_loop<W: Write>(q: &Queue, mut w: std::io::BufWriter<W>) -> std::io::Result<()> {
    let mut dirty = false;
    loop {
        let mut p = q.lock();
        let next = loop {
            let turn = match p.sparse.pop_front() {
                Some(id) => Some((id, true)),
                None => p.order.pop_front().map(|id| (id, false)),
            };
            if let Some((id, sparse)) = turn {
                let Some((lines, lane)) = p.lanes.get_mut(&id) else {
                    continue;
                };
                let line = lines.pop_front();
                let lane = lane.clone();
                if lines.is_empty() {
                    p.lanes.remove(&id);
                } else {
                    p.order.push_back(id);
                }
                if let Some(line) = line {
                    break Some((line, lane, sparse));
                }
                continue;
            }
            if dirty || !p.flushes.is_empty() {
                // Nothing queued: flush what was written, outside the lock; everything queued
                // before a waiting `flush()` has gone out.
                drop(p);
                w.flush()?;
                dirty = false;
                p = q.lock();
                if p.lanes.is_empty() {
                    for tx in p.flushes.drain(..) {
                        let _ = tx.send(());
                    }
                }
                continue;
            }
            if p.closed {
                break None;
            }
            p = q.ready.wait(p).unwrap_or_else(|e| e.into_inner());
        };
        drop(p);
        let Some((line, lane, sparse)) = next else {
            return w.flush();
        };
        w.write_all(&line.into_bytes())?;
        dirty = true;
        // A line from a lane that was quiet (an echo, a response) goes out now, not once the
        // buffer fills behind it with flood lines.
        if sparse {
            w.flush()?;
            dirty = false;
        }
        lane.space.add_permits(1);
    }
}

impl Sink for Writer {
    async fn result(&self, id: RequestId, result: serde_json::Value) {
        self.send(&Response::result(id, result)).await;
    }

    async fn error(&self, id: Option<RequestId>, error: ErrorObject) {
        self.send(&Response::error(id, error)).await;
    }

    async fn notify(&self, n: Notification) {
        self.send(&NotificationEnvelope::from(n)).await;
    }

    fn lane(&self) -> Self {
        if !self.queue.lanes {
            return self.clone();
        }
        Writer {
            queue: self.queue.clone(),
            lane: self.queue.new_lane(LANE_LINES),
            _handles: self._handles.clone(),
        }
    }

    fn settler(&self) -> Settler {
        Settler(Some(self.lane.clone()))
    }

    /// Queued as its bytes; the writer thread encodes it ([`Line`]).
    async fn output(&self, session_id: &str, offset: u64, data: Vec<u8>) {
        self.send_line(Line::Output {
            session_id: session_id.to_owned(),
            offset,
            data,
        })
        .await;
    }
}

/// A sink for callers with no client: everything sent is dropped at once.
#[derive(Clone, Copy, Debug, Default)]
pub struct Discard;

impl Sink for Discard {
    async fn result(&self, _: RequestId, _: serde_json::Value) {}

    async fn error(&self, _: Option<RequestId>, _: ErrorObject) {}

    async fn notify(&self, _: Notification) {}

    async fn output(&self, _: &str, _: u64, _: Vec<u8>) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Condvar, Mutex};

    /// What a [`Gated`] sink holds: whether writing started, whether the gate is open, the
    /// bytes written.
    type Gate = (Mutex<(bool, bool, Vec<u8>)>, Condvar);

    /// A sink whose first write waits until the test opens the gate.
    #[derive(Clone, Default)]
    struct Gated(Arc<Gate>);

    impl Write for Gated {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let (m, cv) = &*self.0;
            let mut g = m.lock().unwrap_or_else(|p| p.into_inner());
            g.0 = true;
            cv.notify_all();
            while !g.1 {
                g = cv.wait(g).unwrap_or_else(|p| p.into_inner());
            }
            g.2.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn line(s: &str) -> Line {
        Line::Encoded(format!("{s}\n").into_bytes())
    }

    /// Lanes are served one line each in turn: a line queued on a quiet lane goes out after at
    /// most one line of a busy one, not after everything the busy lane had queued; each lane's
    /// lines keep their order.
    #[tokio::test]
    async fn lanes_take_turns() {
        let sink = Gated::default();
        let w = Writer::start(sink.clone());
        let (busy, quiet) = (w.lane(), w.lane());
        busy.send_line(line("a1")).await;
        {
            let (m, cv) = &*sink.0;
            let mut g = m.lock().unwrap_or_else(|p| p.into_inner());
            while !g.0 {
                g = cv.wait(g).unwrap_or_else(|p| p.into_inner());
            }
        }
        for l in ["a2", "a3", "a4"] {
            busy.send_line(line(l)).await;
        }
        quiet.send_line(line("b1")).await;
        {
            let (m, cv) = &*sink.0;
            m.lock().unwrap_or_else(|p| p.into_inner()).1 = true;
            cv.notify_all();
        }
        w.flush().await;
        let out = sink
            .0
             .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .2
            .clone();
        assert_eq!(String::from_utf8_lossy(&out), "a1\na2\nb1\na3\na4\n");
        // Everything was written: every lane has its room back.
        busy.settler().settle().await;
        quiet.settler().settle().await;
    }
}
