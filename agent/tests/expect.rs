//! `session.expect` end to end through the real agent over pipes: a real program's password
//! prompt answered, a pattern split across output chunks and escape sequences (its offsets
//! checked against the session's own bytes from `session.read`), an offset in the past, the
//! default start at the session's end, a session that exits first, and the errors of bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use outpost_protocol::exec::{ExpectParams, ExpectResult};
use outpost_protocol::method::SessionExpect;
use outpost_testkit::fixture::{sid_of, Agent, Home, DEADLINE};
use outpost_testkit::text::unb64;
use serde_json::{json, Value};

fn expect(a: &Agent, sid: &str, from: Option<u64>, patterns: &[&str]) -> ExpectResult {
    let p = ExpectParams {
        session_id: sid.into(),
        from_offset: from,
        patterns: patterns.iter().map(|s| s.to_string()).collect(),
        timeout_ms: DEADLINE.as_millis() as u64,
    };
    a.client()
        .call::<SessionExpect>(&p)
        .unwrap_or_else(|e| panic!("session.expect {p:?}: {e}{}", a.context()))
}

/// The session's bytes between two offsets, read back with `session.read`.
fn bytes(a: &Agent, sid: &str, from: u64, to: u64) -> Vec<u8> {
    let r = a.call_ok(
        "session.read",
        json!({"session_id": sid, "from_offset": from, "max_bytes": to - from}),
    );
    assert_eq!(r["offset"], from, "{r}");
    unb64(r["data"].as_str().unwrap()).unwrap()
}

/// A session running `sh -c SCRIPT` on a terminal.
fn program(a: &Agent, script: &str) -> String {
    let s = a.create_bash_with(json!({"shell": {"program": "/bin/sh", "args": ["-c", script]}}));
    sid_of(&s)
}

fn output_end(a: &Agent, sid: &str) -> u64 {
    let s: Value = a.session(sid).expect("listed");
    s["output_end"].as_u64().unwrap()
}

/// A real program asks for a password (its prompt ends without a newline); expect sees it,
/// the answer is typed, and expect from the match's end sees the program's use of it.
#[test]
fn a_password_prompt_is_answered() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = program(
        &a,
        "printf 'login: ok\\r\\n\\033[1mPassword:\\033[0m '; stty -echo; read -r pw; stty echo; echo; echo \"got <$pw>\"; sleep 30",
    );
    let hit = expect(&a, &sid, Some(0), &["(?i)password: $", "denied"]);
    assert_eq!(
        (hit.pattern, hit.matched.as_str()),
        (0, "Password: "),
        "{hit:?}"
    );
    assert_eq!(
        bytes(&a, &sid, hit.offset, hit.end_offset),
        b"Password:\x1b[0m ",
        "{hit:?}"
    );
    a.input(&sid, b"s3cret; $(x)\r").unwrap();
    let got = expect(&a, &sid, Some(hit.end_offset), &["got <(.*)>"]);
    assert_eq!(got.matched, "got <s3cret; $(x)>", "{got:?}");
    assert!(got.offset >= hit.end_offset, "{got:?} after {hit:?}");
    a.assert_no_violations();
}

/// A pattern whose text arrives in several chunks, with escape sequences between its letters,
/// is found once complete; its offsets frame exactly its bytes in the session's output.
/// Matching again from an offset in the past finds it at once; the default start (the end of
/// the output when the call arrives) does not see it.
#[test]
fn split_across_chunks_and_escapes_and_offsets() {
    let home = Home::new();
    let a = home.agent_initialized();
    let s = a.create_bash(80, 24);
    let sid = sid_of(&s);
    a.attach_ok(&sid, Some(0));
    a.wait_for_output(&sid, b"$ ", DEADLINE);
    let from = output_end(&a, &sid);
    // The typed line's echo holds no "READY>": the letters come from printf escapes.
    a.type_line(
        &sid,
        "printf '\\x52E'; sleep 0.3; printf '\\033[1mA\\033[0m'; sleep 0.3; printf '\\x44Y>\\n'",
    );
    let started = Instant::now();
    let hit = expect(&a, &sid, Some(from), &["READY>"]);
    assert!(
        started.elapsed().as_millis() >= 300,
        "found before its end was printed"
    );
    assert_eq!(hit.matched, "READY>");
    assert_eq!(
        bytes(&a, &sid, hit.offset, hit.end_offset),
        b"RE\x1b[1mA\x1b[0mDY>",
        "{hit:?}"
    );

    let again = expect(&a, &sid, Some(0), &["nothing-like-this", "READY>"]);
    assert_eq!(
        (again.pattern, again.offset, again.end_offset),
        (1, hit.offset, hit.end_offset)
    );

    // From the end: the old READY> is not seen; a new one is.
    let id = a.send_request(
        "session.expect",
        json!({"session_id": sid, "patterns": ["READY>"], "timeout_ms": 400}),
    );
    let err = a.response(&id, "session.expect").unwrap_err();
    assert_eq!(err.0, -32011, "{err:?}");
    a.assert_no_violations();
}

/// A session that exits before any match: its last output is still matched, and with no match
/// the answer is "not running".
#[test]
fn a_session_that_exits_first() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = program(&a, "sleep 0.5; echo last words; exit 3");
    let m = a.call_err(
        "session.expect",
        json!({"session_id": sid, "from_offset": 0, "patterns": ["never printed"], "timeout_ms": 20_000}),
        -32005,
    );
    assert!(m.contains("exited"), "{m}");
    let hit = expect(&a, &sid, Some(0), &["last \\w+"]);
    assert_eq!(hit.matched, "last words");
}

/// Bad patterns and bounds answer -32602 naming the pattern; unknown sessions -32001; no match
/// in time -32011.
#[test]
fn bad_input_and_timeout() {
    let home = Home::new();
    let a = home.agent_initialized();
    let s = a.create_bash(80, 24);
    let sid = sid_of(&s);
    let m = a.call_err(
        "session.expect",
        json!({"session_id": sid, "patterns": ["ok", "(unclosed"], "timeout_ms": 1000}),
        -32602,
    );
    assert!(m.contains("(unclosed") && m.contains("pattern 1"), "{m}");
    a.call_err(
        "session.expect",
        json!({"session_id": sid, "patterns": [], "timeout_ms": 1000}),
        -32602,
    );
    a.call_err(
        "session.expect",
        json!({"session_id": sid, "patterns": vec!["a"; 17], "timeout_ms": 1000}),
        -32602,
    );
    a.call_err(
        "session.expect",
        json!({"session_id": sid, "patterns": ["x".repeat(1025)], "timeout_ms": 1000}),
        -32602,
    );
    a.call_err(
        "session.expect",
        json!({"session_id": sid, "patterns": ["a"], "timeout_ms": 0}),
        -32602,
    );
    a.call_err(
        "session.expect",
        json!({"session_id": "nosuch", "patterns": ["a"], "timeout_ms": 1000}),
        -32001,
    );
    let started = Instant::now();
    let m = a.call_err(
        "session.expect",
        json!({"session_id": sid, "from_offset": 0, "patterns": ["will not appear"], "timeout_ms": 300}),
        -32011,
    );
    assert!(started.elapsed().as_millis() >= 300, "{m}");
    // Every expect's own connection is gone with its answer: nobody stays attached.
    outpost_testkit::fixture::wait_until(DEADLINE, "the expects to detach", || {
        a.session(&sid).expect("listed")["attached_clients"] == 0
    });
    // The session is untouched by all of it.
    a.type_line(&sid, "echo still $((1+1))");
    let hit = expect(&a, &sid, Some(0), &["still 2"]);
    assert_eq!(hit.matched, "still 2");
    a.assert_no_violations();
}
