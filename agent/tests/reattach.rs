//! Sessions outlive their agent: an agent killed with SIGKILL mid-output, an agent whose stdin
//! closes (the SSH channel dropped), and a new agent that finds the live sessions, resumes the
//! output exactly where the old one stopped, and cleans up the remains of dead daemons.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use outpost_testkit::fixture::{kill9, sid_of, wait_pid_gone, wait_until, Home, DEADLINE};
use outpost_testkit::procfs;
use outpost_testkit::text::find;
use serde_json::json;

const LINES: u32 = 3000;

/// Every `line-N` that is a whole terminal line of `data` (between CR/LF), in order. (The first
/// one follows bash's bracketed-paste-off sequence and a CR on the same line.)
fn numbered_lines(data: &[u8]) -> Vec<u32> {
    data.split(|&b| b == b'\n' || b == b'\r')
        .filter_map(|l| {
            let n = l.strip_prefix(b"line-")?;
            if n.is_empty() || !n.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(n).ok()?.parse().ok()
        })
        .collect()
}

/// THE KEY TEST: kill -9 the agent while the shell prints numbered lines, start a new agent and
/// attach from the last offset seen: every line arrives exactly once, in order.
#[test]
fn kill9_agent_mid_output_then_resume_exactly_once() {
    let home = Home::new();
    let a1 = home.agent_initialized();
    let sid = sid_of(&a1.create_bash(200, 50));
    let att = a1.attach_ok(&sid, Some(0));
    assert_eq!(att["replay_from"], 0);
    // A burst of 10 lines every few milliseconds: about 300 sleeps, so printing takes seconds.
    a1.type_line(
        &sid,
        &format!(
            "for i in $(seq 1 {LINES}); do echo line-$i; if (( i % 10 == 0 )); then sleep 0.005; fi; done; echo end-$((40+2))"
        ),
    );
    a1.wait_for_output(&sid, b"\nline-300\r\n", DEADLINE);
    a1.kill9();
    assert!(!a1.is_running());
    let first = a1.output(&sid);
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(first.replay_from, 0);
    assert_eq!(first.data.len() as u64, first.next);
    assert!(
        find(&first.data, b"end-42").is_none(),
        "the loop must still be printing when the agent is killed"
    );
    let cut = first.next;

    let a2 = home.agent_initialized();
    let listed = a2.session(&sid).expect("the new agent finds the session");
    assert_eq!(listed["state"], "running");
    let att = a2.attach_ok(&sid, Some(cut));
    assert_eq!(att["replay_from"], cut, "{att}");
    assert_eq!(att["truncated"], false, "{att}");
    let second = a2.wait_for_output(&sid, b"end-42\r\n", Duration::from_secs(60));
    assert_eq!(second.replay_from, cut);

    let mut all = first.data.clone();
    all.extend_from_slice(&second.data);
    let nums = numbered_lines(&all);
    let want: Vec<u32> = (1..=LINES).collect();
    if nums != want {
        let dups: Vec<u32> = nums
            .windows(2)
            .filter(|w| w[1] <= w[0])
            .map(|w| w[1])
            .collect();
        let missing: Vec<u32> = want.iter().copied().filter(|n| !nums.contains(n)).collect();
        panic!(
            "lines are not 1..={LINES} exactly once: {} lines, out of order/duplicated: {:?}, missing: {:?} (cut at offset {cut})",
            nums.len(),
            &dups[..dups.len().min(20)],
            &missing[..missing.len().min(20)]
        );
    }
    // Both agents' bytes together are exactly the session's output stream.
    let (start, held) = a2.read_all(&sid);
    assert_eq!(start, 0);
    assert!(held.len() >= all.len());
    assert!(
        held[..all.len()] == all[..],
        "the bytes the two agents delivered differ from the session's output"
    );
    a2.assert_no_violations();
}

/// Closing the agent's stdin makes it exit with status 0; the session keeps running and a new
/// agent can list it and type into it.
#[test]
fn stdin_close_exits_agent_and_keeps_session() {
    let home = Home::new();
    let a1 = home.agent_initialized();
    let s = a1.create_bash(80, 24);
    let sid = sid_of(&s);
    let shell = s["pid"].as_u64().unwrap() as u32;
    a1.attach_ok(&sid, None);
    a1.type_line(&sid, "echo before-$((20+1))");
    a1.wait_for_output(&sid, b"before-21\r\n", DEADLINE);
    a1.close_stdin();
    let status = a1.wait_exit_status(Duration::from_secs(10));
    assert!(status.success(), "agent exit status: {status:?}");
    assert!(procfs::alive(shell), "the shell must outlive the agent");

    let a2 = home.agent_initialized();
    let listed = a2.session(&sid).expect("still listed");
    assert_eq!(listed["state"], "running", "{listed}");
    assert_eq!(listed["pid"].as_u64(), Some(shell as u64));
    assert_eq!(
        listed["attached_clients"], 0,
        "the old agent's attach is gone"
    );
    a2.attach_ok(&sid, None);
    a2.type_line(&sid, "echo alive-$((6*7))");
    let out = a2.wait_for_output(&sid, b"alive-42\r\n", DEADLINE);
    assert!(
        find(&out.data, b"before-21\r\n").is_some(),
        "replay has the old output"
    );
    a2.assert_no_violations();
}

/// A dead daemon's remains (record, socket, log) are cleaned up by the next agent, which does
/// not list the session.
#[test]
fn dead_daemon_remains_are_cleaned_up() {
    let home = Home::new();
    let a1 = home.agent_initialized();
    let dead = sid_of(&a1.create_bash(80, 24));
    let live = sid_of(&a1.create_bash(80, 24));
    // The first agent leaves (it would otherwise clean up when its connection drops).
    a1.close_stdin();
    a1.wait_exit_status(Duration::from_secs(10));

    let rec = home.record(&dead).expect("record");
    let daemon = rec["daemon_pid"].as_u64().expect("daemon_pid") as u32;
    let socket = std::path::PathBuf::from(rec["socket"].as_str().expect("socket"));
    assert!(socket.exists());
    assert!(home.log_path(&dead).exists());
    kill9(daemon);
    wait_pid_gone(daemon, "the killed daemon", DEADLINE);

    let a2 = home.agent_initialized();
    let ids: Vec<String> = a2.list().iter().map(sid_of).collect();
    assert_eq!(ids, vec![live.clone()], "only the live session is listed");
    wait_until(DEADLINE, "the dead session's files to go", || {
        !home.record_path(&dead).exists() && !socket.exists() && !home.log_path(&dead).exists()
    });
    a2.call_err("session.attach", json!({"session_id": dead}), -32001);
    // The live one is untouched.
    assert!(home.record_path(&live).exists());
    a2.attach_ok(&live, None);
    a2.type_line(&live, "echo ok-$((4+4))");
    a2.wait_for_output(&live, b"ok-8\r\n", DEADLINE);
    a2.assert_no_violations();
}
