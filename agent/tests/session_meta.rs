//! What a session says about itself: the title (OSC 0/2) and working directory (OSC 7) in
//! `SessionInfo` and pushed as `session.changed` to attached clients (debounced), the foreground
//! process of a shell, and the last non-blank line of the screen. Real bash sessions in real
//! daemons; titles and paths are treated as hostile (control characters, length).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use outpost_protocol::session::{CHANGED_MIN_INTERVAL_MS, MAX_TERMINAL_TITLE_CHARS};
use outpost_testkit::fixture::{sid_of, wait_until, Agent, Home, DEADLINE};
use serde_json::Value;

fn info(a: &Agent, sid: &str) -> Value {
    a.session(sid).expect("the session is listed")
}

#[test]
fn title_and_cwd_reach_session_info_and_session_changed() {
    let home = Home::new();
    let a = home.agent_initialized();
    let watcher = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, Some(0));

    a.type_line(&sid, r"printf '\e]0;T\a'");
    a.wait_event("session.changed with the title T", DEADLINE, |e| {
        e.changed()
            .is_some_and(|c| c.session_id == sid && c.terminal_title.as_deref() == Some("T"))
    });
    assert_eq!(info(&a, &sid)["terminal_title"], "T");

    // An OSC 7 emitter as shells install it, percent-encoding the space.
    let dir = home.root().join("a b");
    std::fs::create_dir(&dir).unwrap();
    a.type_line(
        &sid,
        r#"PROMPT_COMMAND='printf "\e]7;file://%s%s\a" "$HOSTNAME" "${PWD// /%20}"'"#,
    );
    a.type_line(&sid, "cd /tmp");
    let ev = a.wait_event("session.changed with cwd /tmp", DEADLINE, |e| {
        e.changed()
            .is_some_and(|c| c.session_id == sid && c.cwd.as_deref() == Some("/tmp"))
    });
    assert_eq!(ev.changed().unwrap().terminal_title.as_deref(), Some("T"));
    assert_eq!(info(&a, &sid)["cwd"], "/tmp");
    a.type_line(&sid, r#"cd "$OLDPWD/a b""#);
    let want = dir.display().to_string();
    a.wait_event("session.changed with a decoded space", DEADLINE, |e| {
        e.changed().is_some_and(|c| c.cwd.as_deref() == Some(&want))
    });

    // Hostile titles: control characters removed, length bounded.
    a.type_line(&sid, r"printf '\e]2;a\001b\177c\a'");
    wait_until(DEADLINE, "the cleaned title", || {
        info(&a, &sid)["terminal_title"] == "abc"
    });
    a.type_line(
        &sid,
        r#"printf '\e]2;%s\a' "$(printf 'x%.0s' $(seq 1 2000))""#,
    );
    wait_until(DEADLINE, "the bounded title", || {
        info(&a, &sid)["terminal_title"]
            .as_str()
            .is_some_and(|t| t.len() == MAX_TERMINAL_TITLE_CHARS)
    });

    // Only attached clients are told.
    assert!(
        !watcher.events().iter().any(|e| e.changed().is_some()),
        "a client that is not attached got session.changed"
    );
}

#[test]
fn foreground_and_preview_follow_the_shell() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, Some(0));
    a.type_line(&sid, "echo preview-marker");
    a.wait_for_line(&sid, "preview-marker", DEADLINE);
    wait_until(DEADLINE, "the preview is the prompt", || {
        info(&a, &sid)["preview"] == "$"
    });
    assert!(info(&a, &sid).get("foreground").is_none());
    a.type_line(&sid, "sleep 60");
    wait_until(DEADLINE, "sleep in the foreground", || {
        info(&a, &sid)["foreground"] == "sleep"
    });
    assert_eq!(info(&a, &sid)["preview"], "$ sleep 60");
    a.input(&sid, b"\x03").unwrap();
    wait_until(DEADLINE, "the shell in the foreground again", || {
        info(&a, &sid).get("foreground").is_none()
    });
}

#[test]
fn a_shell_without_osc7_lists_its_directory_from_proc() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, Some(0));
    let dir = home.root().join("plain dir");
    std::fs::create_dir(&dir).unwrap();
    let want = dir.display().to_string();
    a.type_line(&sid, &format!("cd '{want}' && echo in-dir"));
    a.wait_for_line(&sid, "in-dir", DEADLINE);
    wait_until(DEADLINE, "the directory read from /proc", || {
        info(&a, &sid)["cwd"] == want.as_str()
    });
    // A foreground program's own directory, while it runs.
    a.type_line(&sid, "(cd /tmp && exec sleep 60)");
    wait_until(DEADLINE, "sleep's directory", || {
        info(&a, &sid)["foreground"] == "sleep" && info(&a, &sid)["cwd"] == "/tmp"
    });
    a.input(&sid, b"\x03").unwrap();
    wait_until(DEADLINE, "the shell's directory again", || {
        info(&a, &sid)["cwd"] == want.as_str()
    });
    // Once the shell reports one (OSC 7), that wins.
    a.type_line(&sid, r#"printf '\e]7;file://h/srv\a'"#);
    wait_until(DEADLINE, "the reported directory", || {
        info(&a, &sid)["cwd"] == "/srv"
    });
}

#[test]
fn session_changed_is_debounced() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, Some(0));
    let start = Instant::now();
    a.type_line(
        &sid,
        r"for i in $(seq 1 300); do printf '\e]0;t%d\a' $i; sleep 0.002; done; echo loop-$((1+1))-done",
    );
    a.wait_for_output(&sid, b"loop-2-done", DEADLINE);
    // The last title arrives, though not every step does.
    a.wait_event("the last title", DEADLINE, |e| {
        e.changed()
            .is_some_and(|c| c.terminal_title.as_deref() == Some("t300"))
    });
    let elapsed = start.elapsed();
    let n = a.events().iter().filter(|e| e.changed().is_some()).count();
    let bound = elapsed.as_millis() / u128::from(CHANGED_MIN_INTERVAL_MS) + 2;
    println!("300 title changes in {elapsed:?}: {n} session.changed");
    assert!(
        (n as u128) <= bound,
        "{n} notifications in {elapsed:?}: more than one per {CHANGED_MIN_INTERVAL_MS} ms"
    );
    assert!(n < 300);
}

/// OSC 133 prompt marks come back from `session.marks` with offsets that point at their own
/// escape sequences in the output (checked with `session.read`).
#[test]
fn prompt_marks_point_at_their_sequences() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, Some(0));
    a.type_line(
        &sid,
        r"printf '\e]133;A\a> \e]133;B\a'; false; printf '\e]133;D;%s\a' $?; echo marks-$((1+1))",
    );
    a.wait_for_output(&sid, b"marks-2", DEADLINE);
    let r = a.call_ok("session.marks", serde_json::json!({"session_id": sid}));
    let marks = r["marks"].as_array().expect("marks");
    let kinds: Vec<&str> = marks.iter().filter_map(|m| m["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        ["prompt_start", "command_start", "command_end"],
        "{r}"
    );
    assert_eq!(marks[2]["exit_code"], 1);
    let (start, all) = a.read_all(&sid);
    for m in marks {
        let at = (m["offset"].as_u64().unwrap() - start) as usize;
        assert!(
            all[at..].starts_with(b"\x1b]133;"),
            "mark {m} points at {:?}",
            String::from_utf8_lossy(&all[at..(at + 12).min(all.len())])
        );
    }
    let err = a.call_err(
        "session.marks",
        serde_json::json!({"session_id": "nope"}),
        -32001,
    );
    assert!(!err.is_empty());
}
