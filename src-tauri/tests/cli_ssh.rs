//! The `outpost` command line over SSH, against the testkit's jump/target topology (real
//! `sshd`s in network namespaces): every command's JSON against the jump host, including an
//! `ssh` session from the jump host to the target and its monitoring; the host-key errors
//! (unknown key refused without `--accept-new-host-key`, changed key refused with both
//! fingerprints); and `outpost attach` across a cut desktop→jump link, with every line of the
//! session exactly once.
//!
//! Every test needs root (throwaway users, `sshd`, network namespaces) and fails without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use outpost_desktop::engine::agent::deploy;
use outpost_testkit::cli::numbered::{assert_each_once, numbered_lines, numbers_loop};
use outpost_testkit::cli::{Collected, Jumped, Remote, DEADLINE};
use outpost_testkit::fixture::wait_until;
use outpost_testkit::process::wait_exit;
use outpost_testkit::{note, Sshd, TopologyKind};
use serde_json::Value;

/// The CLI under test.
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The session in `sessions HOST` output with id `sid`.
fn find_session(list: &Value, sid: &str) -> Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == sid)
        .cloned()
        .unwrap_or_else(|| panic!("no session {sid} in {list}"))
}

#[test]
fn every_command_speaks_json_over_ssh() {
    let j = Jumped::new(OUTPOST);
    let cli = &j.cli;

    let hosts = cli.ok(&["hosts", "list"]);
    let names: Vec<&str> = hosts
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["local", "jump", "target"], "{hosts}");
    assert_eq!(hosts[2]["proxy_jump"][0], "jump");

    // check: connects, deploys, reports.
    let check = cli.ok(&["check", "jump"]);
    assert_eq!(check["host"], "jump");
    assert_eq!(check["hostname"], j.topo.jump_hostname(), "{check}");
    assert_eq!(check["user"], j.user.name.as_str());
    assert_eq!(check["agent_version"], deploy::AGENT_VERSION);
    assert_eq!(check["deployed"], true);
    assert!(check["connect_ms"].as_f64().unwrap() > 0.0);
    assert!(check["latency_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(cli.ok(&["check", "jump"])["deployed"], false);

    assert_eq!(cli.ok(&["sessions", "jump"]), serde_json::json!([]));

    // A shell on the jump host.
    let shell = cli.ok(&[
        "new", "jump", "--title", "sh", "--cols", "100", "--rows", "30",
    ]);
    let sid = shell["session_id"].as_str().unwrap().to_string();
    assert_eq!(shell["title"], "sh");
    assert_eq!(shell["kind"], "shell");
    assert_eq!(
        (shell["cols"].as_u64(), shell["rows"].as_u64()),
        (Some(100), Some(30))
    );
    let sent = cli.ok(&["send", "jump", &sid, "echo on-$(hostname)-$((40+2))\\n"]);
    assert_eq!(sent["session_id"], sid.as_str());
    assert_eq!(sent["bytes"], "echo on-$(hostname)-$((40+2))\n".len());
    cli.wait_output("jump", &sid, &format!("on-{}-42", j.topo.jump_hostname()));
    let part = cli.ok(&["read", "jump", &sid, "--from", "0", "--limit", "3"]);
    assert_eq!(part["offset"], 0);
    assert_eq!(
        part["data"].as_str().unwrap().len(),
        4,
        "3 bytes as base64: {part}"
    );
    assert!(part["output_end"].as_u64().unwrap() > 3);

    let snap = cli.ok(&["monitor", "jump", "--once"]);
    assert_eq!(snap["hostname"], j.topo.jump_hostname(), "{snap}");
    assert!(snap["memory"]["total_bytes"].as_u64().unwrap() > 0);
    assert!(snap.get("error").is_none(), "{snap}");

    // An `ssh` session from the jump host to the target (OpenSSH on the jump host, with the
    // user's key and known_hosts there).
    let dest = format!(
        "{}@{}:{}",
        j.user.name,
        j.topo.target_addr().ip(),
        j.topo.target_addr().port()
    );
    let ssh = cli.ok(&["new", "jump", "--ssh", &dest, "--title", "to-target"]);
    let ssid = ssh["session_id"].as_str().unwrap().to_string();
    assert_eq!(ssh["kind"], "ssh", "{ssh}");
    assert_eq!(ssh["target"], dest.as_str());
    let deadline = Instant::now() + DEADLINE;
    loop {
        let list = cli.ok(&["sessions", "jump"]);
        let s = find_session(&list, &ssid);
        if s["link"] == "up" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the ssh session's link never came up: {s}; output: {:?}",
            cli.read_text("jump", &ssid)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    cli.ok(&["send", "jump", &ssid, "echo at-$(hostname)-$((40+2))\\n"]);
    cli.wait_output(
        "jump",
        &ssid,
        &format!("at-{}-42", j.topo.target_hostname()),
    );
    let target_snap = cli.ok(&["monitor", "jump", "--once", "--session", &ssid]);
    assert!(target_snap.get("error").is_none(), "{target_snap}");
    assert_eq!(
        target_snap["hostname"],
        j.topo.target_hostname(),
        "{target_snap}"
    );
    assert!(target_snap["memory"]["total_bytes"].as_u64().unwrap() > 0);
    assert!(target_snap["processes"].as_u64().unwrap() > 0);

    let list = cli.ok(&["sessions", "jump"]);
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!(find_session(&list, &sid)["state"], "running");
    assert_eq!(find_session(&list, &ssid)["target"], dest.as_str());

    // Errors keep the envelope and a non-zero exit.
    assert_eq!(cli.err(&["send", "jump", "nosuchid", "x"]).0, "rpc_32001");
    assert_eq!(
        cli.err(&["monitor", "jump", "--once", "--session", &sid]).0,
        "rpc_32602",
        "a shell session is not a monitoring target"
    );

    for id in [&sid, &ssid] {
        assert_eq!(cli.ok(&["close", "jump", id])["session_id"], id.as_str());
    }
    assert_eq!(cli.err(&["close", "jump", &sid]).0, "rpc_32001");
    assert_eq!(cli.ok(&["sessions", "jump"]), serde_json::json!([]));
}

#[test]
fn unknown_host_keys_are_refused_and_changed_ones_named_with_both_fingerprints() {
    let mut r = Remote::untrusted(OUTPOST, Sshd::builder());
    let fp_old = r.sshd.host_key_fingerprint().to_string();

    let (code, msg) = r.cli.err(&["check", "h"]);
    assert_eq!(code, "host_key_rejected", "{msg}");
    assert!(msg.contains(&fp_old), "{msg}");
    assert!(msg.contains("--accept-new-host-key"), "{msg}");
    assert!(
        !std::fs::read_to_string(r.cli.own_known_hosts())
            .unwrap_or_default()
            .contains(r.sshd.host_public_key()),
        "a rejected key was saved"
    );
    assert!(
        !r.sshd.log().contains(&format!("for {}", r.user.name)),
        "the user was named to a server whose key was refused:\n{}",
        r.sshd.log()
    );

    let check = r.cli.ok(&["--accept-new-host-key", "check", "h"]);
    assert_eq!(check["user"], r.user.name.as_str());
    let own = std::fs::read_to_string(r.cli.own_known_hosts()).unwrap();
    assert!(own.contains(r.sshd.host_public_key()), "{own}");
    // Now trusted: no flag needed.
    assert_eq!(r.cli.ok(&["check", "h"])["deployed"], false);

    r.sshd.regenerate_host_key().unwrap();
    let fp_new = r.sshd.host_key_fingerprint().to_string();
    let logins_before = r.sshd.log().matches("Accepted publickey").count();
    for args in [
        &["check", "h"][..],
        &["--accept-new-host-key", "sessions", "h"][..],
    ] {
        let (code, msg) = r.cli.err(args);
        assert_eq!(code, "host_key_changed", "{args:?}: {msg}");
        assert!(msg.contains(&fp_old) && msg.contains(&fp_new), "{msg}");
    }
    assert_eq!(
        r.sshd.log().matches("Accepted publickey").count(),
        logins_before,
        "a login happened despite the changed key"
    );
}

#[test]
fn attach_survives_a_cut_desktop_to_jump_link_with_every_line_once() {
    let mut j = Jumped::new(OUTPOST);
    let netns = j.topo.kind() == TopologyKind::Netns;
    if !netns {
        note("loopback topology: the jump sshd is frozen instead of its link cut");
    }
    let s = j.cli.ok(&[
        "new", "jump", "--title", "numbers", "--cols", "80", "--rows", "24",
    ]);
    let sid = s["session_id"].as_str().unwrap().to_string();
    // Numbered lines until the test creates `stop` in the (shared) home, then a final marker.
    // The line count is left to the clock, so it holds on slow machines too; at most ~25000.
    j.cli
        .ok(&["send", "jump", &sid, &numbers_loop("line-", 25_000, None)]);
    let mut attach = j
        .cli
        .cmd()
        .args(["attach", "jump", &sid, "--from", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let io = Collected::start(&mut attach);
    let count = |needle: &str| io.out().matches(needle).count();
    wait_until(DEADLINE, "lines to flow through the attachment", || {
        count("line-") > 200
    });

    // Cut the desktop ↔ jump link for at least 12 s and until the CLI says it is reconnecting
    // (the keepalives give up after 9 s).
    let cut = Instant::now();
    let lines_at_cut = count("line-");
    j.topo.cut_root_link().unwrap();
    wait_until(
        Duration::from_secs(30),
        "the CLI to notice and start reconnecting",
        || io.err().contains("reconnecting"),
    );
    let noticed = cut.elapsed();
    let stalled = count("line-");
    while cut.elapsed() < Duration::from_secs(12) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        count("line-") <= stalled + 1,
        "output kept flowing over a cut link"
    );
    j.topo.restore_root_link().unwrap();
    let restored = Instant::now();
    note(&format!(
        "link cut for {:?} (lost noticed after {noticed:?}; {lines_at_cut} lines before the cut)",
        cut.elapsed()
    ));

    // The attachment comes back and catches up; then let the session finish.
    wait_until(DEADLINE, "the attachment to resume", || {
        count("line-") > stalled + 200
    });
    note(&format!(
        "output resumed {:?} after the link came back",
        restored.elapsed()
    ));
    j.user.write_file("stop", "", 0o644).unwrap();
    let status = wait_exit(&mut attach, DEADLINE);
    if status.is_none() {
        let _ = attach.kill();
        let _ = attach.wait();
    }
    let (out, err) = io.join();
    let status = status
        .unwrap_or_else(|| panic!("attach did not end when the session exited; stderr: {err}"));
    assert!(status.success(), "attach exit {status:?}; stderr: {err}");
    assert!(err.contains("reconnecting"), "{err}");
    assert!(!err.contains("missing here"), "bytes were lost: {err}");

    let last = assert_each_once(&numbered_lines(&out, "line-"), "the attachment's output");
    assert_eq!(
        out.matches("ALL-2-DONE").count(),
        1,
        "the final marker exactly once: {:?}",
        &out[out.len().saturating_sub(200)..]
    );
    assert!(
        out.contains(&format!("ALL-2-DONE-{last}")),
        "the marker names the last line"
    );
    assert!(
        last > lines_at_cut as u32 + 200,
        "lines printed after the restore"
    );
    // The session ended with its marker; its record goes too.
    j.cli.ok(&["close", "jump", &sid]);
    assert_eq!(j.cli.ok(&["sessions", "jump"]), serde_json::json!([]));
}
