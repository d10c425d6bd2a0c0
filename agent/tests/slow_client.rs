//! A client too slow to keep up must not grow the agent's memory: while the test stops reading
//! the agent's stdout during an output flood, the agent's RSS stays bounded; once reading
//! resumes, the output skips ahead (the jump shows in the offsets) and the agent still answers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use outpost_protocol::session::SCROLLBACK_RANGE;
use outpost_testkit::client::Mode;
use outpost_testkit::fixture::{sid_of, Home, DEADLINE};
use serde_json::json;

/// The session's ring: the smallest allowed (64 KiB).
const RING: u64 = *SCROLLBACK_RANGE.start();

/// The agent's resident memory must stay under this while its client does not read.
const RSS_LIMIT_KIB: u64 = 64 * 1024;

/// How long the client stops reading.
const PAUSE: Duration = Duration::from_secs(3);

#[test]
fn slow_client_is_skipped_ahead_with_bounded_memory() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash_with(json!({"scrollback_bytes": RING})));
    a.set_mode(&sid, Mode::lenient());
    a.attach_ok(&sid, None);
    a.type_line(&sid, "yes 0123456789abcdefghijklmnopqrstuvwxyz");
    // The flood is on.
    a.wait_output_until(&sid, "1 MiB of flood", DEADLINE, |c| c.received > 1 << 20);

    a.pause_reading();
    let paused = a.output(&sid);
    // A second agent watches the session's progress while the first one is stuck.
    let watcher = home.agent_initialized();
    let t0 = Instant::now();
    let mut max_rss = 0;
    let end = loop {
        let rss = a.rss_kib().expect("the agent is alive");
        max_rss = max_rss.max(rss);
        assert!(
            rss < RSS_LIMIT_KIB,
            "agent RSS {rss} KiB while its client does not read (limit {RSS_LIMIT_KIB} KiB)"
        );
        let end = watcher.session(&sid).expect("listed")["output_end"]
            .as_u64()
            .unwrap();
        // Far more than the ring, the pipe and every queue could hold has been produced.
        if t0.elapsed() >= PAUSE && end > paused.next + (16 << 20) {
            break end;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the flood did not progress: output_end {end}, paused at {}",
            paused.next
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(a.is_running());
    a.resume_reading();

    // The backlog queued before the pause drains, then the stream skips ahead: one jump of
    // many MiB (far more than any jump while reading) that lands inside the ring as it stood
    // when reading resumed.
    let big = |&(expected, got): &(u64, u64)| got - expected >= 8 << 20 && got + RING >= end;
    let c = a.wait_output_until(&sid, "the jump over what was missed", DEADLINE, |c| {
        c.gaps.iter().any(big)
    });
    let (expected, got) = *c.gaps.iter().find(|g| big(g)).unwrap();
    assert!(
        expected >= paused.next,
        "the jump comes after what was read before the pause"
    );
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert!(
        c.received < c.next,
        "fewer bytes received ({}) than the offsets span ({})",
        c.received,
        c.next
    );
    eprintln!(
        "max agent RSS {max_rss} KiB; paused at {}, output_end {end} at resume, jumped from {expected} to {got}",
        paused.next
    );

    // The agent still answers, and stops the flood on request.
    let t = Instant::now();
    a.call_ok("session.list", json!({}));
    assert!(t.elapsed() < DEADLINE);
    a.call_ok(
        "session.signal",
        json!({"session_id": sid, "signal": "INT"}),
    );
    a.type_line(&sid, "echo calm-$((11*11))");
    a.wait_for_output(&sid, b"calm-121\r\n", DEADLINE);
    a.assert_no_violations();
}
