//! Fair output on a shared connection (issue 16, item 3): with 20 sessions flooding on one
//! client connection, a keystroke's echo in a quiet session still arrives, and every flood keeps
//! flowing. How fast the echo comes is measured by `agent_bench` ("Echo beside 20 floods"),
//! not asserted here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_testkit::client::Mode;
use outpost_testkit::fixture::{sid_of, Home, DEADLINE};
use serde_json::json;

/// Flooding sessions on the connection.
const FLOODS: usize = 20;

#[test]
fn an_idle_sessions_echo_arrives_beside_twenty_floods() {
    let home = Home::new();
    let a = home.agent_initialized();
    let floods: Vec<String> = (0..FLOODS)
        .map(|_| sid_of(&a.create_bash_with(json!({"scrollback_bytes": 1 << 20}))))
        .collect();
    let quiet = sid_of(&a.create_bash(80, 24));
    for sid in &floods {
        a.set_mode(sid, Mode::count_only());
        a.attach_ok(sid, None);
    }
    a.set_mode(&quiet, Mode::lenient());
    a.attach_ok(&quiet, None);
    for sid in &floods {
        a.type_line(sid, "yes 0123456789abcdefghijklmnopqrstuvwxyz");
    }
    // Every flood is on.
    for sid in &floods {
        a.wait_output_until(sid, "flood output", DEADLINE, |c| c.received > 256 << 10);
    }
    for i in 0..5 {
        let marker = format!("quiet-{i}-{}", std::process::id());
        a.type_line(&quiet, &format!("echo {marker}"));
        // The command's output line (its echo is `echo quiet-...`, the output the marker alone).
        a.wait_for_line(&quiet, &marker, DEADLINE);
        // Input echo arrives for keystrokes without Enter, too.
        let key = format!("k{i}");
        a.input(&quiet, key.as_bytes()).expect("input");
        a.wait_output_until(&quiet, "the keystrokes' echo", DEADLINE, |c| {
            outpost_testkit::text::find(&c.data, key.as_bytes()).is_some()
        });
        a.input(&quiet, b"\x15").expect("input");
    }
    // The floods kept flowing meanwhile, none cut off from the connection.
    let before: Vec<u64> = floods.iter().map(|s| a.output(s).received).collect();
    for (sid, n) in floods.iter().zip(before) {
        a.wait_output_until(sid, "more flood output", DEADLINE, |c| {
            c.received > n + (64 << 10)
        });
    }
    let q = a.output(&quiet);
    assert!(
        q.errors.is_empty() && q.gaps.is_empty(),
        "{:?} {:?}",
        q.errors,
        q.gaps
    );
    for sid in &floods {
        a.call_ok(
            "session.signal",
            json!({"session_id": sid, "signal": "INT"}),
        );
    }
    a.assert_no_violations();
}
