//! Sessions end to end: create, type, see; list; resize; two agents at once; exit codes and
//! signals; `session.signal`; `session.read` paging and scrollback truncation; close.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use outpost_protocol::session::{DEFAULT_SCROLLBACK_BYTES, MAX_READ_BYTES, SCROLLBACK_RANGE};
use outpost_testkit::fixture::{children_named, sid_of, wait_pid_gone, wait_until, Home, DEADLINE};
use outpost_testkit::procfs;
use outpost_testkit::text::{b64, find};
use serde_json::{json, Value};

/// The smallest ring a session may have (64 KiB).
const SMALL_RING: u64 = *SCROLLBACK_RANGE.start();

/// create → type `echo` of a computed string → see the result; `session.list` shows the
/// session running with sensible fields.
#[test]
fn create_echo_and_list() {
    let home = Home::new();
    let a = home.agent_initialized();
    let before = time::OffsetDateTime::now_utc();
    let s = a.create_bash(91, 27);
    let sid = sid_of(&s);
    assert!(
        outpost_protocol::session::valid_session_id(&sid),
        "bad id {sid:?}"
    );
    assert_eq!(s["kind"], "shell");
    assert_eq!(s["state"], "running");
    let att = a.attach_ok(&sid, None);
    assert_eq!(att["replay_from"], 0, "{att}");
    assert_eq!(att["truncated"], false, "{att}");
    // Wait for the prompt so the command is typed into a ready shell.
    a.wait_for_output(&sid, b"$ ", DEADLINE);
    let listed = a.session(&sid).expect("listed");
    let end_before = listed["output_end"].as_u64().unwrap();

    a.type_line(&sid, "echo $((6*7))xyz");
    let out = a.wait_for_output(&sid, b"42xyz\r\n", DEADLINE);
    assert_eq!(out.replay_from, 0);

    let listed = a.session(&sid).expect("session listed");
    assert_eq!(listed["session_id"], sid.as_str());
    assert_eq!(listed["kind"], "shell");
    assert_eq!(listed["state"], "running");
    assert_eq!(listed["title"], "bash");
    assert_eq!(listed["cols"], 91);
    assert_eq!(listed["rows"], 27);
    assert_eq!(listed["attached_clients"], 1);
    assert_eq!(listed["output_start"], 0);
    assert!(listed.get("exit_code").is_none(), "{listed}");
    let pid = listed["pid"].as_u64().expect("pid") as u32;
    assert!(procfs::alive(pid), "the shell (pid {pid}) should be alive");
    let stat = procfs::stat(pid).unwrap();
    assert_eq!(stat.comm, "bash");
    assert_eq!(
        stat.session, pid as i32,
        "the shell leads its own terminal session"
    );
    let created = listed["created_at"].as_str().expect("created_at");
    let created =
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("created_at {created:?} is not RFC 3339: {e}"));
    let after = time::OffsetDateTime::now_utc();
    assert!(
        created >= before - time::Duration::seconds(5) && created <= after,
        "created_at {created} not between {before} and {after}"
    );
    let end = listed["output_end"].as_u64().unwrap();
    assert!(
        end > end_before,
        "output_end did not grow: {end_before} -> {end}"
    );
    let got = a.output(&sid);
    assert!(
        end >= got.next,
        "output_end {end} < bytes received {}",
        got.next
    );
    assert_eq!(listed["scrollback_bytes"], DEFAULT_SCROLLBACK_BYTES);
    a.assert_no_violations();
}

/// `session.resize` changes what `stty size` prints; out-of-range sizes are refused.
#[test]
fn resize() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, None);
    a.call_ok(
        "session.resize",
        json!({"session_id": sid, "cols": 100, "rows": 30}),
    );
    a.type_line(&sid, "stty size");
    a.wait_for_line(&sid, "30 100", DEADLINE);
    let s = a.session(&sid).unwrap();
    assert_eq!(
        (s["cols"].clone(), s["rows"].clone()),
        (json!(100), json!(30))
    );

    for (cols, rows) in [(0, 30), (1001, 30), (100, 0), (100, 1001)] {
        a.call_err(
            "session.resize",
            json!({"session_id": sid, "cols": cols, "rows": rows}),
            -32602,
        );
    }
    a.call_err(
        "session.resize",
        json!({"session_id": sid, "cols": -1, "rows": 30}),
        -32602,
    );
    // The refused resizes changed nothing; the limits themselves are accepted.
    let s = a.session(&sid).unwrap();
    assert_eq!(
        (s["cols"].clone(), s["rows"].clone()),
        (json!(100), json!(30))
    );
    a.call_ok(
        "session.resize",
        json!({"session_id": sid, "cols": 1000, "rows": 1}),
    );
    a.type_line(&sid, "stty size");
    a.wait_for_line(&sid, "1 1000", DEADLINE);
    a.assert_no_violations();
}

/// Two agents (two processes, one home) attached to one session at once: both see the output,
/// both can type, and the session counts two clients.
#[test]
fn two_agents_attached_at_once() {
    let home = Home::new();
    let a = home.agent_initialized();
    let b = home.agent_initialized();
    let sid = sid_of(&a.create_bash(120, 30));
    a.attach_ok(&sid, None);
    let att = b.attach_ok(&sid, None);
    assert_eq!(att["replay_from"], 0);
    assert_eq!(att["session"]["attached_clients"], 2, "{att}");
    assert_eq!(a.session(&sid).unwrap()["attached_clients"], 2);
    assert_eq!(b.session(&sid).unwrap()["attached_clients"], 2);

    a.type_line(&sid, "echo from-a-$((1+1))X");
    a.wait_for_output(&sid, b"from-a-2X\r\n", DEADLINE);
    b.wait_for_output(&sid, b"from-a-2X\r\n", DEADLINE);
    b.type_line(&sid, "echo from-b-$((2+2))Y");
    a.wait_for_output(&sid, b"from-b-4Y\r\n", DEADLINE);
    b.wait_for_output(&sid, b"from-b-4Y\r\n", DEADLINE);

    // Both got the very same bytes from offset 0.
    let end = a.session(&sid).unwrap()["output_end"].as_u64().unwrap();
    let oa = a.wait_output_until(&sid, "everything", DEADLINE, |c| c.next >= end);
    let ob = b.wait_output_until(&sid, "everything", DEADLINE, |c| c.next >= end);
    let n = end as usize;
    assert_eq!(oa.data[..n], ob.data[..n]);

    // Detaching one leaves the other attached.
    b.call_ok("session.detach", json!({"session_id": sid}));
    assert_eq!(a.session(&sid).unwrap()["attached_clients"], 1);
    a.type_line(&sid, "echo still-$((3+3))Z");
    a.wait_for_output(&sid, b"still-6Z\r\n", DEADLINE);
    a.assert_no_violations();
    b.assert_no_violations();
}

/// The child exits → `session.exit` with its code, after its last output; the session stays
/// listed as exited with its output readable, and refuses input.
#[test]
fn child_exit_code_is_reported() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, None);
    a.type_line(&sid, "echo bye-$((3+4)); exit 7");
    let ev = a.wait_exit(&sid);
    assert_eq!(ev.params()["exit_code"], 7, "{:?}", ev.line);
    assert!(ev.params().get("signal").is_none(), "{:?}", ev.line);
    let out = a.output(&sid);
    let before_exit = &out.data[..ev.output_received as usize];
    assert!(
        find(before_exit, b"bye-7\r\n").is_some(),
        "the last output must arrive before session.exit"
    );

    let s = a.session(&sid).expect("an exited session stays listed");
    assert_eq!(s["state"], "exited", "{s}");
    assert_eq!(s["exit_code"], 7, "{s}");
    let (first, data) = a.read_all(&sid);
    assert_eq!(first, 0);
    assert!(find(&data, b"bye-7\r\n").is_some());
    assert_eq!(data.len() as u64, s["output_end"].as_u64().unwrap());

    a.call_err(
        "session.input",
        json!({"session_id": sid, "data": b64(b"echo x\n")}),
        -32005,
    );
    a.call_err(
        "session.resize",
        json!({"session_id": sid, "cols": 90, "rows": 20}),
        -32005,
    );
    a.call_err(
        "session.signal",
        json!({"session_id": sid, "signal": "INT"}),
        -32005,
    );
    // A later agent sees the same.
    let b = home.agent_initialized();
    let s = b.session(&sid).expect("listed by a new agent");
    assert_eq!(s["state"], "exited");
    assert_eq!(s["exit_code"], 7);
    let att = b.attach_ok(&sid, Some(0));
    let exit = b.wait_exit(&sid);
    assert_eq!(exit.params()["exit_code"], 7);
    assert_eq!(
        exit.output_received,
        s["output_end"].as_u64().unwrap(),
        "replay to a late attacher ends with everything, then the exit ({att})"
    );
    a.assert_no_violations();
}

/// A shell killed by SIGKILL is reported with `signal: "KILL"`.
#[test]
fn child_killed_by_signal_is_reported() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, None);
    a.type_line(&sid, "kill -9 $$");
    let ev = a.wait_exit(&sid);
    assert_eq!(ev.params()["signal"], "KILL", "{:?}", ev.line);
    assert!(ev.params().get("exit_code").is_none(), "{:?}", ev.line);
    let s = a.session(&sid).unwrap();
    assert_eq!(s["state"], "exited");
    assert_eq!(s["exit_signal"], "KILL", "{s}");
    a.call_err(
        "session.input",
        json!({"session_id": sid, "data": b64(b"x")}),
        -32005,
    );
}

/// `session.signal` INT interrupts a running `sleep 100`.
#[test]
fn signal_int_interrupts_foreground_job() {
    let home = Home::new();
    let a = home.agent_initialized();
    let s = a.create_bash(80, 24);
    let sid = sid_of(&s);
    let shell = s["pid"].as_u64().unwrap() as u32;
    a.attach_ok(&sid, None);
    a.type_line(&sid, "sleep 100");
    let mut sleeper = Vec::new();
    wait_until(DEADLINE, "sleep 100 to run under the shell", || {
        sleeper = children_named(shell, "sleep");
        !sleeper.is_empty()
    });
    a.call_ok(
        "session.signal",
        json!({"session_id": sid, "signal": "INT"}),
    );
    wait_pid_gone(sleeper[0], "the interrupted sleep", DEADLINE);
    // $? is 130 (128 + SIGINT) only if the sleep died of the signal.
    a.type_line(&sid, "echo back-$((5*5))-$?");
    a.wait_for_output(&sid, b"back-25-130\r\n", DEADLINE);
    assert_eq!(a.session(&sid).unwrap()["state"], "running");

    for bad in [json!("STOP"), json!("int"), json!(2)] {
        a.call_err(
            "session.signal",
            json!({"session_id": sid, "signal": bad}),
            -32602,
        );
    }
    a.assert_no_violations();
}

/// The largest page `session.read` allows comes back whole (its base64 reply is larger than the
/// page itself and must still fit the agent↔daemon frame).
#[test]
fn read_the_largest_page() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, None);
    a.type_line(
        &sid,
        "head -c 1500000 /dev/zero | tr '\\0' x; echo; echo big-$((2*21))",
    );
    a.wait_for_output(&sid, b"big-42\r\n", DEADLINE);
    let (offset, data, end) = a.read(&sid, 0, MAX_READ_BYTES);
    assert_eq!(offset, 0);
    assert_eq!(data.len() as u64, MAX_READ_BYTES, "a whole 1 MiB page");
    assert!(end > 1_500_000);
}

/// `session.read` pages by offset, refusing offsets beyond the end and empty pages.
#[test]
fn read_paging() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, None);
    a.type_line(&sid, "echo page-$((2*21))");
    let seen = a.wait_for_output(&sid, b"page-42\r\n", DEADLINE);

    let (offset, data, end) = a.read(&sid, 0, 5);
    assert_eq!(offset, 0);
    assert_eq!(data.len(), 5);
    assert_eq!(data[..], seen.data[..5]);
    assert!(
        end >= seen.next,
        "output_end {end} < received {}",
        seen.next
    );

    // Paging with small pages reassembles exactly what the stream delivered.
    let mut all = Vec::new();
    let mut at = 0;
    while at < seen.next {
        let (o, d, _) = a.read(&sid, at, 7);
        assert_eq!(o, at);
        assert!(!d.is_empty() && d.len() <= 7);
        at += d.len() as u64;
        all.extend_from_slice(&d);
    }
    assert_eq!(all[..seen.next as usize], seen.data[..seen.next as usize]);

    // At the end: nothing, but no error.
    let end = a.session(&sid).unwrap()["output_end"].as_u64().unwrap();
    let (o, d, e) = a.read(&sid, end, 100);
    assert_eq!(o, end);
    assert_eq!(
        d.len() as u64,
        (e - end).min(100),
        "only what came after output_end"
    );

    let msg = a.call_err(
        "session.read",
        json!({"session_id": sid, "from_offset": end + 1_000_000, "max_bytes": 10}),
        -32602,
    );
    assert!(!msg.is_empty());
    a.call_err(
        "session.read",
        json!({"session_id": sid, "from_offset": 0, "max_bytes": 0}),
        -32602,
    );
    a.call_err(
        "session.read",
        json!({"session_id": sid, "from_offset": 0, "max_bytes": MAX_READ_BYTES + 1}),
        -32602,
    );
    a.call_err(
        "session.read",
        json!({"session_id": sid, "from_offset": -1, "max_bytes": 10}),
        -32602,
    );
    a.assert_no_violations();
}

/// A session with a 64 KiB scrollback that printed more than that: reads start at
/// `output_start`, and an attach from 0 is reported as truncated.
#[test]
fn small_scrollback_truncates() {
    let home = Home::new();
    let a = home.agent_initialized();
    // Print ~200 KB, then a marker, then go quiet (sleep replaces the shell: no prompt).
    let script = "head -c 200000 /dev/zero | tr '\\0' x; echo; echo fin-$((2*3)); exec sleep 600";
    let s = a.create_bash_with(json!({
        "scrollback_bytes": SMALL_RING,
        "shell": {"program": "/bin/sh", "args": ["-c", script]},
    }));
    let sid = sid_of(&s);
    assert_eq!(s["scrollback_bytes"], SMALL_RING);
    let mut info = Value::Null;
    wait_until(DEADLINE, "fin-6 at the end of the output", || {
        info = a.session(&sid).unwrap();
        let end = info["output_end"].as_u64().unwrap();
        let (_, tail, _) = a.read(&sid, end.saturating_sub(64), 64);
        find(&tail, b"fin-6\r\n").is_some()
    });
    let start = info["output_start"].as_u64().unwrap();
    let end = info["output_end"].as_u64().unwrap();
    assert!(end > 200_000, "{info}");
    assert_eq!(
        end - start,
        SMALL_RING,
        "the ring holds exactly its capacity: {info}"
    );

    let (offset, data, e) = a.read(&sid, 0, 100);
    assert_eq!(offset, start, "a read from 0 starts at output_start");
    assert!(offset > 0);
    assert_eq!(e, end);
    assert_eq!(data, vec![b'x'; 100]);

    let att = a.attach_ok(&sid, Some(0));
    assert_eq!(att["truncated"], true, "{att}");
    assert_eq!(att["replay_from"], start, "{att}");
    assert_eq!(att["session"]["output_start"], start, "{att}");
    let got = a.wait_output_until(&sid, "the whole ring", DEADLINE, |c| c.next >= end);
    assert_eq!(got.replay_from, start);
    assert_eq!(got.data.len() as u64, SMALL_RING);
    assert!(got.data.ends_with(b"fin-6\r\n"));

    // From inside the held range: not truncated.
    let att = a.attach_ok(&sid, Some(start + 10));
    assert_eq!(att["truncated"], false, "{att}");
    assert_eq!(att["replay_from"], start + 10, "{att}");
    a.wait_output_until(&sid, "the rest of the ring", DEADLINE, |c| c.next >= end);
    a.assert_no_violations();
}

/// `session.close` ends the processes and removes the daemon's socket, record and log; the id is
/// unknown afterwards.
#[test]
fn close_leaves_nothing_behind() {
    let home = Home::new();
    let a = home.agent_initialized();
    let s = a.create_bash(80, 24);
    let sid = sid_of(&s);
    let child = s["pid"].as_u64().unwrap() as u32;
    let rec = home.record(&sid).expect("record file");
    let daemon = rec["daemon_pid"].as_u64().unwrap() as u32;
    assert_eq!(rec["child_pid"].as_u64(), Some(child as u64));
    assert!(procfs::alive(daemon) && procfs::alive(child));
    assert!(home.socket_path(&sid).exists());
    assert!(home.log_path(&sid).exists());
    a.attach_ok(&sid, None);
    a.type_line(&sid, "sleep 1000 & echo started-$((1+2))");
    a.wait_for_output(&sid, b"started-3\r\n", DEADLINE);
    let mut bg = Vec::new();
    wait_until(DEADLINE, "the background sleep to run", || {
        bg = children_named(child, "sleep");
        !bg.is_empty()
    });

    a.close(&sid).expect("close");
    // Attached clients hear of the exit before the close answer.
    assert!(
        a.events()
            .iter()
            .any(|e| e.method() == "session.exit" && e.params()["session_id"] == sid.as_str()),
        "session.exit before the close reply: {:?}",
        a.events()
    );
    let short = Duration::from_secs(10);
    wait_pid_gone(daemon, "the daemon", short);
    wait_pid_gone(child, "the shell", short);
    wait_pid_gone(bg[0], "the shell's background job", short);
    let files = home.files();
    assert!(files.is_empty(), "files left under OUTPOST_HOME: {files:?}");

    assert!(a.list().is_empty());
    a.call_err("session.attach", json!({"session_id": sid}), -32001);
    a.call_err(
        "session.read",
        json!({"session_id": sid, "from_offset": 0, "max_bytes": 10}),
        -32001,
    );
    a.call_err(
        "session.input",
        json!({"session_id": sid, "data": b64(b"x")}),
        -32001,
    );
    a.call_err("session.close", json!({"session_id": sid}), -32001);
    a.assert_no_violations();
}

/// Output and exits are delivered as soon as they happen, never held back until something else
/// wakes the daemon: many quick echo round trips, and many quick exits, each with a deadline far
/// beyond what a round trip takes.
#[test]
fn output_and_exit_are_never_held_back() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, None);
    let patience = Duration::from_secs(10);
    for i in 0..150 {
        a.type_line(&sid, &format!("echo rt-{i}''x"));
        a.wait_for_line(&sid, &format!("rt-{i}x"), patience);
    }
    for code in 0..15 {
        let s = sid_of(&a.create_bash(80, 24));
        a.attach_ok(&s, None);
        a.type_line(&s, &format!("exit {code}"));
        let ev = a.wait_event(&format!("session.exit of {s}"), patience, |e| {
            e.method() == "session.exit" && e.params()["session_id"] == s.as_str()
        });
        assert_eq!(ev.params()["exit_code"], code);
        a.close(&s).expect("close");
    }
    a.assert_no_violations();
}
