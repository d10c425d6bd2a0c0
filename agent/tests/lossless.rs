//! Lossless while attached (issue 16, item 2): a client that keeps reading, however slowly,
//! receives every byte of a flood, because the daemon holds the program back instead of letting
//! the ring overwrite what the client has not been sent; a client that stops reading holds the
//! session back only for its bound (`max_stall_ms` at attach, or the session's own given at
//! create), then is skipped ahead (the jump shows in its offsets) and the program runs on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use outpost_protocol::incoming::AgentMessage;
use outpost_protocol::session::{DEFAULT_MAX_STALL_MS, MAX_STALL_MS_RANGE, SCROLLBACK_RANGE};
use outpost_testkit::client::{Client, Mode, Options};
use outpost_testkit::fixture::{sid_of, Home, DEADLINE};
use serde_json::json;

/// The smallest ring allowed (64 KiB): the flood wraps it thousands of times.
const RING: u64 = *SCROLLBACK_RANGE.start();

/// `seq 1 SEQ_LAST` through a terminal: lines `N\r\n`, just over 256 MiB.
const SEQ_LAST: u64 = 28_000_000;

/// The bytes `seq 1 last` writes through a terminal (`\n` becomes `\r\n`).
fn seq_bytes(last: u64) -> u64 {
    let mut total = 0;
    let mut lo = 1u64;
    let mut digits = 1u64;
    while lo <= last {
        let hi = (lo * 10 - 1).min(last);
        total += (hi - lo + 1) * (digits + 2);
        lo *= 10;
        digits += 1;
    }
    total
}

/// What the tap saw of the session's output: every byte checked against `seq`'s lines.
#[derive(Debug, Default)]
struct Seen {
    /// The offset the next output chunk must start at.
    next_offset: u64,
    /// Bytes received.
    bytes: u64,
    /// Jumps in the offsets.
    gaps: Vec<(u64, u64)>,
    /// The number the next line must hold.
    expected: u64,
    /// The digits of the line being read, and whether its `\r` came.
    line: Vec<u8>,
    cr: bool,
    /// The first mismatch.
    error: Option<String>,
}

impl Seen {
    fn feed(&mut self, data: &[u8]) {
        for &b in data {
            if self.error.is_some() {
                return;
            }
            match b {
                b'0'..=b'9' if !self.cr => self.line.push(b),
                b'\r' if !self.cr => self.cr = true,
                // The terminal's echo of the line that started the flood.
                b'\n' if self.cr && self.line.is_empty() && self.bytes == 1 => self.cr = false,
                b'\n' if self.cr => {
                    let n: u64 = std::str::from_utf8(&self.line)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    if n != self.expected {
                        self.error = Some(format!(
                            "line {:?} where {} was due (at byte {})",
                            String::from_utf8_lossy(&self.line),
                            self.expected,
                            self.bytes
                        ));
                    }
                    self.expected += 1;
                    self.line.clear();
                    self.cr = false;
                }
                other => {
                    self.error = Some(format!(
                        "byte {other:#04x} after {:?} (line {} due, at byte {})",
                        String::from_utf8_lossy(&self.line),
                        self.expected,
                        self.bytes
                    ))
                }
            }
            self.bytes += 1;
        }
    }
}

/// The agent's standard output on its way to the test client: read slowly (a pause after every
/// read), with every `session.output` line checked on the way.
struct Tap<R> {
    inner: R,
    pending: Vec<u8>,
    seen: Arc<Mutex<Seen>>,
    pause: Duration,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        std::thread::sleep(self.pause);
        let n = self.inner.read(buf)?;
        self.pending.extend_from_slice(&buf[..n]);
        let mut start = 0;
        while let Some(nl) = self.pending[start..].iter().position(|&b| b == b'\n') {
            let line = &self.pending[start..start + nl];
            if let Ok(AgentMessage::Output(o)) = AgentMessage::parse(line) {
                let mut data = Vec::new();
                let mut seen = self.seen.lock().unwrap();
                if o.decode_into(&mut data).is_err() {
                    seen.error
                        .get_or_insert_with(|| "undecodable output".into());
                }
                if o.offset != seen.next_offset {
                    let at = seen.next_offset;
                    seen.gaps.push((at, o.offset));
                }
                seen.next_offset = o.offset + data.len() as u64;
                seen.feed(&data);
            }
            start += nl + 1;
        }
        self.pending.drain(..start);
        Ok(n)
    }
}

/// An agent whose output goes through a [`Tap`]; killed at the end.
struct Tapped {
    child: Child,
    client: Client,
    seen: Arc<Mutex<Seen>>,
}

impl Drop for Tapped {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tapped(home: &Home, pause: Duration) -> Tapped {
    let mut child = home
        .command()
        .args(["serve", "--stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the agent");
    let seen = Arc::new(Mutex::new(Seen {
        expected: 1,
        ..Seen::default()
    }));
    let tap = Tap {
        inner: child.stdout.take().expect("piped"),
        pending: Vec::new(),
        seen: seen.clone(),
        pause,
    };
    let stdin = child.stdin.take().expect("piped");
    let client = Client::over(
        stdin,
        tap,
        Options {
            name: "tapped".into(),
            timeout: Duration::from_secs(60),
            ..Options::default()
        },
    )
    .expect("client");
    client.initialize().expect("initialize");
    Tapped {
        child,
        client,
        seen,
    }
}

/// A session that runs `script` (sh) once a line is typed (the terminal echoes it as `\r\n`);
/// returns its id.
fn gated_session(client: &Client, home: &Home, script: &str) -> String {
    let r = client
        .call_value(
            "session.create",
            json!({
                "kind": "shell", "cols": 200, "rows": 50, "cwd": home.root(),
                "scrollback_bytes": RING,
                "shell": {"program": "/bin/sh",
                          "args": ["-c", format!("read go; {script}")]},
            }),
        )
        .expect("session.create");
    sid_of(&r["session"])
}

/// A client that reads slowly (a 1 ms pause before every read of the agent's output: at most
/// 64 MiB/s of 64 KiB pipe reads, below the flood's rate) gets all of a 256 MiB flood: every
/// `seq` line in order, offsets without a jump, and the exit after the last byte.
#[test]
fn a_slow_reader_receives_every_byte_of_256_mib() {
    let home = Home::new();
    let t = tapped(&home, Duration::from_millis(1));
    let sid = gated_session(&t.client, &home, &format!("exec seq 1 {SEQ_LAST}"));
    let a = t
        .client
        .attach_value(json!({"session_id": sid}), Mode::count_only())
        .expect("attach");
    assert_eq!(a["replay_from"], 0);
    t.client
        .call_value("session.input", json!({"session_id": sid, "data": "Cg=="}))
        .expect("session.input");

    // The echo of the line typed, then `seq`.
    let total = 2 + seq_bytes(SEQ_LAST);
    assert!(total >= 256 << 20, "the flood is {total} bytes");
    let t0 = Instant::now();
    let mut last = (Instant::now(), 0u64);
    loop {
        let (bytes, error, gaps) = {
            let s = t.seen.lock().unwrap();
            (s.bytes, s.error.clone(), s.gaps.clone())
        };
        assert_eq!(error, None, "after {bytes} bytes");
        assert!(
            gaps.is_empty(),
            "bytes skipped: {gaps:?} (after {bytes} bytes)"
        );
        if bytes >= total {
            assert_eq!(bytes, total, "more bytes than seq wrote");
            break;
        }
        if bytes > last.1 {
            last = (Instant::now(), bytes);
        }
        assert!(
            last.0.elapsed() < Duration::from_secs(60),
            "no output for a minute at {bytes} of {total} bytes"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let exit = t
        .client
        .wait_event("session.exit", Duration::from_secs(30), |e| {
            e.exit().is_some_and(|x| x.session_id == sid)
        })
        .expect("session.exit");
    assert_eq!(exit.exit().unwrap().exit_code, Some(0));
    let s = t.seen.lock().unwrap();
    assert_eq!((s.expected, s.bytes), (SEQ_LAST + 1, total));
    assert!(s.gaps.is_empty(), "{:?}", s.gaps);
    eprintln!(
        "{} MiB received in {:.1} s by a slow reader, none skipped",
        total >> 20,
        t0.elapsed().as_secs_f64()
    );
}

/// The session's `output_end` as a second agent sees it.
fn output_end(watcher: &outpost_testkit::fixture::Agent, sid: &str) -> u64 {
    watcher.session(sid).expect("listed")["output_end"]
        .as_u64()
        .unwrap()
}

/// A client stops reading for `pause` during a flood: the program is held back at first (its
/// output stops growing), then runs on once the client has not read for `bound` (its
/// `max_stall_ms` at attach, else the session's from create, else the default); when the client
/// reads again, its stream jumps ahead.
fn stalled_client_lets_go(at_create: Option<u64>, max_stall_ms: Option<u64>, pause: Duration) {
    let bound = Duration::from_millis(max_stall_ms.or(at_create).unwrap_or(DEFAULT_MAX_STALL_MS));
    let home = Home::new();
    let a = home.agent_initialized();
    let mut create = json!({"scrollback_bytes": RING});
    if let Some(ms) = at_create {
        create["max_stall_ms"] = json!(ms);
    }
    let sid = sid_of(&a.create_bash_with(create));
    let mut params = json!({"session_id": sid});
    if let Some(ms) = max_stall_ms {
        params["max_stall_ms"] = json!(ms);
    }
    a.client()
        .attach_value(params, Mode::count_only())
        .expect("attach");
    a.type_line(&sid, "yes 0123456789abcdefghijklmnopqrstuvwxyz");
    a.wait_output_until(&sid, "1 MiB of flood", DEADLINE, |c| c.received > 1 << 20);
    let watcher = home.agent_initialized();

    a.pause_reading();
    let t0 = Instant::now();
    // Held back: within the bound, `output_end` stands still for a while (the program blocks
    // on the terminal once every buffer on the way is full).
    let mut held = false;
    let mut prev = output_end(&watcher, &sid);
    while t0.elapsed() + Duration::from_millis(300) < bound {
        std::thread::sleep(Duration::from_millis(250));
        let end = output_end(&watcher, &sid);
        if end == prev && t0.elapsed() < bound {
            held = true;
            break;
        }
        prev = end;
    }
    assert!(
        held,
        "the program was not held back while the client was within its bound"
    );
    let held_at = prev;
    // Let go: after the bound the flood runs on (far more than any buffer holds).
    let mut released = None;
    while t0.elapsed() < pause {
        let end = output_end(&watcher, &sid);
        if released.is_none() && end > held_at + (16 << 20) {
            released = Some(t0.elapsed());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let released = released
        .unwrap_or_else(|| panic!("the session stayed stalled for {pause:?} (bound {bound:?})"));
    assert!(released >= bound.saturating_sub(Duration::from_millis(500)));
    let end = output_end(&watcher, &sid);
    assert!(
        end > held_at + (32 << 20),
        "the flood did not run on: {end}"
    );
    assert!(a.is_running());
    a.resume_reading();
    // The jump: what the ring overwrote while the client was stalled.
    let c = a.wait_output_until(&sid, "the jump over what was missed", DEADLINE, |c| {
        c.gaps.iter().any(|&(from, to)| to - from >= 8 << 20)
    });
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    // Reading again, the client holds the program back again: the stream continues.
    let n = c.received;
    a.wait_output_until(&sid, "output after the jump", DEADLINE, |c| {
        c.received > n + (1 << 20)
    });
    eprintln!("held at {held_at}, let go after {released:?} (bound {bound:?})");
    a.call_ok(
        "session.signal",
        json!({"session_id": sid, "signal": "INT"}),
    );
}

/// A 2 s bound and a client that stops reading for a minute.
#[test]
fn a_client_that_stops_reading_for_a_minute_stalls_the_session_only_for_its_bound() {
    stalled_client_lets_go(None, Some(2000), Duration::from_secs(60));
}

/// A session's own bound (`max_stall_ms` at create, 2 s) holds for a client that attaches
/// without one: it lets go within 9 s, before the default (10 s) would.
#[test]
fn an_attach_without_a_bound_uses_the_sessions_bound_from_create() {
    stalled_client_lets_go(Some(2000), None, Duration::from_secs(9));
}

/// The default bound (10 s).
#[test]
fn the_default_bound_lets_go_after_ten_seconds() {
    stalled_client_lets_go(None, None, Duration::from_secs(40));
}

/// A `max_stall_ms` out of range is refused with -32602.
#[test]
fn an_out_of_range_bound_is_refused() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    let e = a.call_err(
        "session.attach",
        json!({"session_id": sid, "max_stall_ms": 3_600_001u64}),
        -32602,
    );
    assert!(e.contains("max_stall_ms"), "{e}");
}

/// A `max_stall_ms` out of range at create is refused with -32602, and no session starts.
#[test]
fn an_out_of_range_bound_at_create_is_refused() {
    let home = Home::new();
    let a = home.agent_initialized();
    let mut params = a.bash_params(80, 24);
    params["max_stall_ms"] = json!(MAX_STALL_MS_RANGE.end() + 1);
    let e = a.call_err("session.create", params, -32602);
    assert!(e.contains("max_stall_ms"), "{e}");
    let listed = a.call_ok("session.list", json!({}));
    assert_eq!(listed["sessions"], json!([]), "{listed}");
}
