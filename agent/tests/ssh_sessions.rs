//! `ssh` sessions end to end, on a real jump/target topology (issue 3, item 6).
//!
//! Every test builds an `outpost-testkit` [`Topology`](outpost_testkit::Topology) (network
//! namespaces where the machine allows them, loopback servers otherwise; the test output says
//! which ran), creates a test user whose key is authorized on the target, and starts the agent
//! AS THAT USER INSIDE THE JUMP NAMESPACE. Sessions are `kind: "ssh"`: the session daemon runs
//! the system's OpenSSH client on "jump" to "target", whose `hostname` differs from the jump
//! host's and the machine's.
//!
//! Covered: the target's host name and `SessionInfo.target`/`link`; remote exit codes; kill -9 of
//! the agent and the same remote shell going on; host-key questions answered by typing, strict
//! checking and changed keys; `~/.ssh/config` aliases; passwords and key passphrases typed into
//! the terminal and kept out of every log and file; a cut link under a reconnect policy
//! (reconnects with a fresh set of attempts, or gives up; a client's signal is no lost link);
//! injection attempts; the per-session ControlMaster; a missing `ssh` client.
//!
//! Needs root (users, namespaces, sshd): without it every test fails with a clear message.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use outpost_testkit::fixture::ssh::{comm_of, count_lines, exit_events, Fixture, SSH_DEADLINE};
use outpost_testkit::fixture::{hostname, sid_of, walk, Agent};
use outpost_testkit::text::{b64, find, has_line, tail_text};
use outpost_testkit::Topology;
use serde_json::{json, Value};

/// Every `line-N` that is a whole terminal line of `data`, in order.
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

/// The options that make a lost link show within seconds.
fn fast_failure_options() -> Value {
    json!({
        "ServerAliveInterval": "1",
        "ServerAliveCountMax": "2",
        "ConnectTimeout": "2",
    })
}

/// A secret unique to this run: `<prefix><pid>Zq<nanoseconds>xK`.
fn unique_secret(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}{}Zq{nanos}xK", std::process::id())
}

/// Asserts that `secret` (typed into session `sid` as `secret` + CR) is nowhere: not in the
/// agent's standard error, the daemon's log, the session record, any file under the test's
/// temporary directory (the whole `$OUTPOST_HOME` and the agents' logs), nor the terminal output;
/// neither as typed nor as the base64 `session.input` carried.
fn assert_secret_nowhere(fx: &Fixture, a: &Agent, sid: &str, secret: &str) {
    let needles: Vec<(&str, Vec<u8>)> = vec![
        ("the secret", secret.as_bytes().to_vec()),
        (
            "the secret's base64",
            b64(format!("{secret}\r").as_bytes()).into_bytes(),
        ),
    ];
    let daemon_log = std::fs::read(fx.home.log_path(sid)).expect("the daemon log exists");
    let mut places: Vec<(String, Vec<u8>)> = vec![
        ("the agent's stderr".into(), a.stderr().into_bytes()),
        ("the daemon log".into(), daemon_log.clone()),
        (
            "the session record".into(),
            std::fs::read(fx.home.record_path(sid)).expect("the record exists"),
        ),
        ("the terminal output".into(), a.read_all(sid).1),
    ];
    for (path, meta) in walk(fx.home.root()) {
        if meta.is_file() {
            places.push((
                path.display().to_string(),
                std::fs::read(&path).unwrap_or_default(),
            ));
        }
    }
    assert!(
        !a.stderr().is_empty() && !daemon_log.is_empty(),
        "the logs must hold something for this check to mean anything"
    );
    for (place, data) in &places {
        for (what, needle) in &needles {
            assert!(find(data, needle).is_none(), "{what} appears in {place}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 1. hostname, target, link
// ---------------------------------------------------------------------------------------------

/// An ssh session from the agent on "jump" to "target": `hostname` typed into it prints the
/// TARGET's host name; `target` is `user@host` as asked; `link` goes `connecting` → `up`.
#[test]
fn hostname_shows_the_target_and_link_goes_up() {
    let fx = Fixture::new("hostname_shows_the_target_and_link_goes_up");
    let a = fx.agent();
    let s = fx.create(&a, fx.params(fx.spec()));
    let sid = sid_of(&s);
    assert_eq!(s["kind"], "ssh", "{s}");
    assert_eq!(s["state"], "running", "{s}");
    assert_eq!(s["target"], fx.target().as_str(), "{s}");
    assert_eq!(s["title"], fx.target().as_str(), "default title: {s}");
    let mut seen = vec![s["link"].as_str().unwrap_or("(none)").to_string()];
    assert_eq!(
        seen[0], "connecting",
        "a new ssh session starts connecting: {s}"
    );

    // The session's child is OpenSSH's client, running on the jump host.
    let pid = s["pid"].as_u64().expect("pid") as u32;
    assert_eq!(comm_of(pid), "ssh", "the session's child (pid {pid})");
    fx.assert_on_jump(pid, "the session's ssh");

    a.attach_ok(&sid, Some(0));
    let up = fx.wait_link(&a, &sid, "up", SSH_DEADLINE, &mut seen);
    assert_eq!(
        seen,
        ["connecting", "up"],
        "link states seen by polling session.list"
    );
    assert_eq!(up["target"], fx.target().as_str(), "{up}");
    assert_eq!(up["state"], "running", "{up}");

    fx.wait_prompt_after(&a, &sid, 0);
    a.type_line(&sid, "hostname");
    let out = fx.wait_line(&a, &sid, fx.topo.target_hostname());
    if fx.topo.has_own_hostnames() {
        assert_ne!(fx.topo.target_hostname(), hostname());
        assert!(
            count_lines(&out.data, fx.topo.jump_hostname()) == 0
                && count_lines(&out.data, &hostname()) == 0,
            "the output names the jump host or this machine"
        );
    } else {
        outpost_testkit::note("UTS namespaces unavailable: the target has the machine's name");
    }
    // The terminal size reaches the remote side.
    a.call_ok(
        "session.resize",
        json!({"session_id": sid, "cols": 101, "rows": 31}),
    );
    a.type_line(&sid, "stty size");
    fx.wait_line(&a, &sid, "31 101");
    // Still up, still the same ssh.
    let listed = a.session(&sid).expect("listed");
    assert_eq!(listed["link"], "up", "{listed}");
    assert_eq!(listed["pid"].as_u64(), Some(pid as u64), "{listed}");
    a.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// 2. exit codes
// ---------------------------------------------------------------------------------------------

/// The remote shell's exit status reaches `session.exit`, typed (`exit 7`) or from a remote
/// command (`echo hi; exit 3`).
#[test]
fn remote_exit_code_reaches_session_exit() {
    let fx = Fixture::new("remote_exit_code_reaches_session_exit");
    let a = fx.agent();

    let sid = sid_of(&fx.create(&a, fx.params(fx.spec())));
    a.attach_ok(&sid, Some(0));
    fx.wait_prompt_after(&a, &sid, 0);
    a.type_line(&sid, "exit 7");
    let e = fx.wait_exit(&a, &sid, SSH_DEADLINE);
    assert_eq!(e.params()["exit_code"], 7, "{}", e.line);
    assert!(
        e.params().get("signal").is_none_or(Value::is_null),
        "{}",
        e.line
    );
    let listed = a.session(&sid).expect("an exited session stays listed");
    assert_eq!(listed["state"], "exited", "{listed}");
    assert_eq!(listed["exit_code"], 7, "{listed}");
    assert_eq!(listed["link"], "down", "{listed}");
    assert!(
        !a.output(&sid).contains(b"[outpost]"),
        "no reconnect marker without a policy"
    );

    let mut spec = fx.spec();
    spec["remote_command"] = json!("echo hi-$((40+2)); exit 3");
    let sid2 = sid_of(&fx.create(&a, fx.params(spec)));
    a.attach_ok(&sid2, Some(0));
    let e = fx.wait_exit(&a, &sid2, SSH_DEADLINE);
    assert_eq!(e.params()["exit_code"], 3, "{}", e.line);
    let out = a.output(&sid2);
    assert!(
        has_line(&out.data, b"hi-42"),
        "the remote command's output arrives before session.exit: {}",
        tail_text(&out.data, 500)
    );
    assert_eq!(a.session(&sid2).expect("listed")["exit_code"], 3);
    a.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// 3. kill -9 the agent
// ---------------------------------------------------------------------------------------------

/// kill -9 the agent while the remote shell prints numbered lines; a new agent (same user,
/// namespace and home) reattaches from the last offset seen: every line arrives exactly once,
/// and typing goes on into the SAME remote shell (a variable set before the kill is still set).
#[test]
fn agent_kill9_then_same_remote_shell_goes_on() {
    const LINES: u32 = 2000;
    let fx = Fixture::new("agent_kill9_then_same_remote_shell_goes_on");
    let a1 = fx.agent();
    let s = fx.create(&a1, fx.params(fx.spec()));
    let sid = sid_of(&s);
    let ssh_pid = s["pid"].as_u64().expect("pid");
    a1.attach_ok(&sid, Some(0));
    fx.wait_prompt_after(&a1, &sid, 0);
    a1.type_line(&sid, "V=abc$((40+2)); echo \"set=$V\"");
    fx.wait_line(&a1, &sid, "set=abc42");
    a1.type_line(
        &sid,
        &format!(
            "for i in $(seq 1 {LINES}); do echo line-$i; if (( i % 10 == 0 )); then sleep 0.01; fi; done; echo end-$((40+2))"
        ),
    );
    fx.wait_text(&a1, &sid, "\nline-300\r\n");
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

    let a2 = fx.agent();
    let listed = a2.session(&sid).expect("the new agent finds the session");
    assert_eq!(listed["state"], "running", "{listed}");
    assert_eq!(
        listed["pid"].as_u64(),
        Some(ssh_pid),
        "the same ssh: {listed}"
    );
    assert_eq!(listed["target"], fx.target().as_str(), "{listed}");
    let att = a2.attach_ok(&sid, Some(cut));
    assert_eq!(att["replay_from"], cut, "{att}");
    assert_eq!(att["truncated"], false, "{att}");
    let second = fx.wait_out(&a2, &sid, "end-42", SSH_DEADLINE, |c| {
        has_line(&c.data, b"end-42")
    });
    assert_eq!(second.replay_from, cut);

    let mut all = first.data.clone();
    all.extend_from_slice(&second.data);
    let nums = numbered_lines(&all);
    let want: Vec<u32> = (1..=LINES).collect();
    if nums != want {
        let missing: Vec<u32> = want.iter().copied().filter(|n| !nums.contains(n)).collect();
        panic!(
            "lines are not 1..={LINES} exactly once: {} lines, missing {:?} (cut at {cut})",
            nums.len(),
            &missing[..missing.len().min(20)]
        );
    }

    // The same remote shell: the variable set before the kill is still there.
    let at_end = find(&second.data, b"end-42").expect("end-42 was seen");
    fx.wait_prompt_after(&a2, &sid, at_end);
    a2.type_line(&sid, "echo \"still=$V\"");
    let after = fx.wait_line(&a2, &sid, "still=abc42");
    // Both agents' bytes together are exactly the session's output stream.
    let (start, held) = a2.read_all(&sid);
    assert_eq!(start, 0);
    let mut stream = first.data.clone();
    stream.extend_from_slice(&after.data);
    assert!(held.len() >= stream.len());
    assert!(
        held[..stream.len()] == stream[..],
        "the bytes the two agents delivered differ from the session's output"
    );
    assert!(exit_events(&a2, &sid).is_empty(), "the session did not end");
    a2.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// 4. unknown host keys
// ---------------------------------------------------------------------------------------------

/// With an empty known_hosts, OpenSSH's host-key question appears in the terminal (link still
/// `connecting`) and waits there, even for a new agent after the first was killed; typing `yes`
/// lets the session through to the remote shell.
#[test]
fn unknown_host_key_question_is_answered_by_typing() {
    let fx = Fixture::new("unknown_host_key_question_is_answered_by_typing");
    let known_hosts = fx.user.write_file(".ssh/known_hosts", "", 0o600).unwrap();
    let a = fx.agent();
    let sid = sid_of(&fx.create(&a, fx.params(fx.spec())));
    a.attach_ok(&sid, Some(0));
    let asked = fx.wait_text(&a, &sid, "Are you sure you want to continue connecting");
    assert!(
        asked.contains(fx.topo.target().host_key_fingerprint().as_bytes()),
        "the question shows the target's fingerprint: {}",
        tail_text(&asked.data, 800)
    );
    assert_eq!(
        fx.link(&a, &sid).as_deref(),
        Some("connecting"),
        "not up while the question is pending"
    );
    // The desktop goes away while the question is pending; the next one answers it.
    a.kill9();
    let a = fx.agent();
    let att = a.attach_ok(&sid, Some(asked.next));
    assert_eq!(att["replay_from"], asked.next, "{att}");
    a.type_line(&sid, "yes");
    fx.wait_prompt_after(&a, &sid, 0);
    let mut seen = Vec::new();
    fx.wait_link(&a, &sid, "up", SSH_DEADLINE, &mut seen);
    a.type_line(&sid, "hostname");
    fx.wait_line(&a, &sid, fx.topo.target_hostname());
    let kh = std::fs::read_to_string(&known_hosts).unwrap();
    assert!(
        kh.contains(fx.topo.target().host_public_key()),
        "answering yes stores the key: {kh:?}"
    );
    a.assert_no_violations();
}

/// `StrictHostKeyChecking=yes` with an unknown key: no question, the session fails cleanly with
/// OpenSSH's message and exit code 255 (no reconnect policy, so it ends).
#[test]
fn strict_host_key_checking_with_unknown_key_fails_cleanly() {
    let fx = Fixture::new("strict_host_key_checking_with_unknown_key_fails_cleanly");
    let known_hosts = fx.user.write_file(".ssh/known_hosts", "", 0o600).unwrap();
    let a = fx.agent();
    let mut spec = fx.spec();
    spec["options"] = json!({"StrictHostKeyChecking": "yes"});
    let sid = sid_of(&fx.create(&a, fx.params(spec)));
    a.attach_ok(&sid, Some(0));
    let e = fx.wait_exit(&a, &sid, SSH_DEADLINE);
    assert_eq!(e.params()["exit_code"], 255, "{}", e.line);
    let out = a.output(&sid);
    let text = String::from_utf8_lossy(&out.data);
    assert!(text.contains("Host key verification failed"), "{text}");
    assert!(!text.contains("Are you sure"), "no question: {text}");
    assert!(!text.contains("[outpost]"), "no reconnect marker: {text}");
    assert!(!out.contains(b"rsh$ "), "no remote shell: {text}");
    let listed = a.session(&sid).expect("listed");
    assert_eq!(listed["state"], "exited", "{listed}");
    assert_eq!(listed["exit_code"], 255, "{listed}");
    assert_eq!(listed["link"], "down", "{listed}");
    assert_eq!(std::fs::read_to_string(&known_hosts).unwrap(), "");
    a.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// 5. changed host key
// ---------------------------------------------------------------------------------------------

/// known_hosts holds the target's key; the target gets a new one: the session is refused with
/// OpenSSH's "REMOTE HOST IDENTIFICATION HAS CHANGED" warning and ends with 255.
#[test]
fn changed_host_key_is_refused() {
    let mut fx = Fixture::new("changed_host_key_is_refused");
    let a = fx.agent();
    // With the known key, the session works.
    let sid = sid_of(&fx.create(&a, fx.params(fx.spec())));
    a.attach_ok(&sid, Some(0));
    fx.wait_prompt_after(&a, &sid, 0);
    a.close(&sid).expect("close");

    let old = fx.topo.target().host_key_fingerprint().to_owned();
    fx.topo.target_mut().regenerate_host_key().unwrap();
    let new = fx.topo.target().host_key_fingerprint().to_owned();
    assert_ne!(old, new);

    let sid = sid_of(&fx.create(&a, fx.params(fx.spec())));
    a.attach_ok(&sid, Some(0));
    let e = fx.wait_exit(&a, &sid, SSH_DEADLINE);
    assert_eq!(e.params()["exit_code"], 255, "{}", e.line);
    let out = a.output(&sid);
    let text = String::from_utf8_lossy(&out.data);
    assert!(
        text.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        "{text}"
    );
    assert!(text.contains(&new), "names the new fingerprint: {text}");
    assert!(!out.contains(b"rsh$ "), "no remote shell: {text}");
    let listed = a.session(&sid).expect("listed");
    assert_eq!(listed["exit_code"], 255, "{listed}");
    assert_eq!(listed["link"], "down", "{listed}");
    a.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// 6. ~/.ssh/config
// ---------------------------------------------------------------------------------------------

/// The user's `~/.ssh/config` on the jump host applies: `ssh: {host: "mytarget"}` alone reaches
/// the target with the configured address, port, user and key.
#[test]
fn ssh_config_alias_on_the_jump_host() {
    let fx = Fixture::new("ssh_config_alias_on_the_jump_host");
    let config = fx
        .topo
        .target_ssh_config("mytarget", &fx.user, Some(&fx.key));
    fx.user.write_file(".ssh/config", config, 0o600).unwrap();
    let a = fx.agent();
    let s = fx.create(&a, fx.params(json!({"host": "mytarget"})));
    let sid = sid_of(&s);
    assert_eq!(s["target"], "mytarget", "{s}");
    a.attach_ok(&sid, Some(0));
    fx.wait_prompt_after(&a, &sid, 0);
    a.type_line(&sid, "hostname; id -un");
    fx.wait_line(&a, &sid, fx.topo.target_hostname());
    fx.wait_line(&a, &sid, &fx.user.name);
    let mut seen = Vec::new();
    fx.wait_link(&a, &sid, "up", SSH_DEADLINE, &mut seen);
    a.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// 7. passwords
// ---------------------------------------------------------------------------------------------

/// Password authentication typed into the terminal works, and the password is in no log, no
/// file and no output: not the agent's standard error, the daemon's log, the session record,
/// anything under `$OUTPOST_HOME`, nor the terminal output (echo is off).
#[test]
fn password_typed_into_the_terminal_is_never_stored() {
    let fx = Fixture::with(
        "password_typed_into_the_terminal_is_never_stored",
        Topology::builder().password_authentication(true),
    );
    let password = unique_secret("Pw");
    fx.user.set_password(&password).unwrap();
    // The most verbose logging the agent (and so its daemons) has.
    let a = fx.agent_with(|c| {
        c.env("OUTPOST_LOG", "trace");
    });
    let addr = fx.topo.target_addr();
    let mut spec = json!({
        "host": addr.ip().to_string(),
        "user": fx.user.name,
        "options": {
            "PubkeyAuthentication": "no",
            "PreferredAuthentications": "password",
            "NumberOfPasswordPrompts": "1",
        },
    });
    if addr.port() != 22 {
        spec["port"] = json!(addr.port());
    }
    let sid = sid_of(&fx.create(&a, fx.params(spec)));
    a.attach_ok(&sid, Some(0));
    let asked = fx.wait_text(&a, &sid, "password:");
    assert_eq!(fx.link(&a, &sid).as_deref(), Some("connecting"));
    a.input(&sid, format!("{password}\r").as_bytes())
        .expect("typing the password");
    fx.wait_prompt_after(&a, &sid, asked.data.len());
    a.type_line(&sid, "hostname");
    fx.wait_line(&a, &sid, fx.topo.target_hostname());
    let mut seen = Vec::new();
    fx.wait_link(&a, &sid, "up", SSH_DEADLINE, &mut seen);

    assert_secret_nowhere(&fx, &a, &sid, &password);
    a.assert_no_violations();
}

/// A key passphrase asked for by OpenSSH is typed into the terminal like a password, and kept
/// out of every log and file the same way.
#[test]
fn key_passphrase_typed_into_the_terminal() {
    let fx = Fixture::new("key_passphrase_typed_into_the_terminal");
    let passphrase = unique_secret("Pp");
    let key = fx
        .user
        .generate_key("id_locked", Some(&passphrase))
        .expect("a key with a passphrase");
    fx.topo
        .authorize_key(&fx.user, &outpost_testkit::public_key_of(&key).unwrap())
        .unwrap();
    let a = fx.agent_with(|c| {
        c.env("OUTPOST_LOG", "trace");
    });
    let mut spec = fx.spec();
    spec["identity_file"] = json!(key.display().to_string());
    spec["options"] = json!({"IdentitiesOnly": "yes"});
    let sid = sid_of(&fx.create(&a, fx.params(spec)));
    a.attach_ok(&sid, Some(0));
    let asked = fx.wait_text(&a, &sid, "Enter passphrase for key");
    assert_eq!(fx.link(&a, &sid).as_deref(), Some("connecting"));
    a.input(&sid, format!("{passphrase}\r").as_bytes())
        .expect("typing the passphrase");
    fx.wait_prompt_after(&a, &sid, asked.data.len());
    a.type_line(&sid, "hostname");
    fx.wait_line(&a, &sid, fx.topo.target_hostname());
    assert_secret_nowhere(&fx, &a, &sid, &passphrase);
    a.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// 8. link cut under a reconnect policy
// ---------------------------------------------------------------------------------------------

/// Cut the jump→target link under a reconnect policy: `link` goes `down`, the marker line
/// shows, no `session.exit`; restore the link: `link` is `up` again, a NEW remote shell answers
/// `hostname`, and the offsets run contiguously through all of it.
#[test]
fn cut_link_reconnects_in_the_same_session() {
    let mut fx = Fixture::new("cut_link_reconnects_in_the_same_session");
    let a = fx.agent();
    let mut spec = fx.spec();
    spec["options"] = fast_failure_options();
    let mut params = fx.params(spec);
    params["reconnect"] =
        json!({"max_attempts": 20, "initial_delay_ms": 500, "max_delay_ms": 2000});
    let s = fx.create(&a, params);
    let sid = sid_of(&s);
    let first_pid = s["pid"].as_u64().expect("pid");
    a.attach_ok(&sid, Some(0));
    let mut seen = vec![s["link"].as_str().unwrap_or("(none)").to_string()];
    fx.wait_link(&a, &sid, "up", SSH_DEADLINE, &mut seen);
    fx.wait_prompt_after(&a, &sid, 0);
    a.type_line(&sid, "hostname");
    let before = fx.wait_line_count(&a, &sid, fx.topo.target_hostname(), 1);

    fx.topo.cut_link().expect("cutting the link");
    fx.wait_link(&a, &sid, "down", SSH_DEADLINE, &mut seen);
    let marker = format!(
        "[outpost] connection to {} lost; reconnecting in ",
        fx.target()
    );
    let lost = fx.wait_text_after(&a, &sid, before.data.len(), marker.as_bytes());
    assert!(
        lost.contains(b"(attempt 1 of 20)"),
        "{}",
        tail_text(&lost.data, 800)
    );
    assert!(
        exit_events(&a, &sid).is_empty(),
        "no session.exit while reconnecting"
    );
    let listed = a.session(&sid).expect("listed");
    assert_eq!(listed["state"], "running", "{listed}");

    fx.topo.restore_link().expect("restoring the link");
    let up = fx.wait_link(&a, &sid, "up", Duration::from_secs(45), &mut seen);
    assert_ne!(
        up["pid"].as_u64(),
        Some(first_pid),
        "a new ssh runs after the reconnect: {up}"
    );
    assert_eq!(up["state"], "running", "{up}");
    let at_marker =
        find(&lost.data[before.data.len()..], marker.as_bytes()).unwrap() + before.data.len();
    fx.wait_prompt_after(&a, &sid, at_marker);
    a.type_line(&sid, "hostname");
    let after = fx.wait_line_count(&a, &sid, fx.topo.target_hostname(), 2);

    // Offsets ran contiguously from 0 through the cut and the reconnect, and what was received
    // is exactly the session's stream.
    assert!(
        after.errors.is_empty() && after.gaps.is_empty(),
        "{:?}",
        after.errors
    );
    assert_eq!(after.replay_from, 0);
    assert_eq!(after.next, after.data.len() as u64);
    let (start, held) = a.read_all(&sid);
    assert_eq!(start, 0);
    assert!(held.len() >= after.data.len() && held[..after.data.len()] == after.data[..]);
    assert_eq!(count_lines(&after.data, fx.topo.target_hostname()), 2);
    assert!(seen.contains(&"down".to_string()), "{seen:?}");
    assert!(
        exit_events(&a, &sid).is_empty(),
        "session.exit must never be sent: {:?}",
        a.events()
    );
    outpost_testkit::note(&format!("link states seen: {seen:?}"));

    // A connection that came up earns a fresh set of attempts: a second cut starts again at
    // attempt 1 with the initial delay.
    let mark = after.data.len();
    fx.topo.cut_link().expect("cutting the link again");
    let again = fx.wait_text_after(&a, &sid, mark, marker.as_bytes());
    let at = find(&again.data[mark..], marker.as_bytes()).unwrap() + mark;
    let line_len = find(&again.data[at..], b"\r\n").unwrap_or(again.data.len() - at);
    let line = String::from_utf8_lossy(&again.data[at..at + line_len]).to_string();
    assert!(
        line.contains("reconnecting in 0.5 s (attempt 1 of 20)"),
        "the attempts must start over after a connection came up: {line:?}"
    );
    assert!(exit_events(&a, &sid).is_empty(), "{:?}", a.events());

    // Closing while it reconnects ends everything at once.
    let cm = fx.home.path().join("run/d1").join(format!("{sid}.cm"));
    let closing = std::time::Instant::now();
    a.close(&sid).expect("session.close while reconnecting");
    assert!(
        closing.elapsed() < Duration::from_secs(10),
        "session.close took {:?}",
        closing.elapsed()
    );
    assert!(a.session(&sid).is_none(), "closed sessions are not listed");
    assert!(!fx.home.record_path(&sid).exists() && !cm.exists());
    a.assert_no_violations();
}

/// A policy of 2 attempts with the link kept down gives up: the "gave up" marker, then
/// `session.exit` with 255.
#[test]
fn reconnect_policy_gives_up_when_the_link_stays_down() {
    let mut fx = Fixture::new("reconnect_policy_gives_up_when_the_link_stays_down");
    let a = fx.agent();
    let mut spec = fx.spec();
    spec["options"] = fast_failure_options();
    let mut params = fx.params(spec);
    params["reconnect"] = json!({"max_attempts": 2, "initial_delay_ms": 500, "max_delay_ms": 1000});
    let sid = sid_of(&fx.create(&a, params));
    a.attach_ok(&sid, Some(0));
    let mut seen = Vec::new();
    fx.wait_link(&a, &sid, "up", SSH_DEADLINE, &mut seen);
    fx.wait_prompt_after(&a, &sid, 0);

    fx.topo.cut_link().expect("cutting the link");
    let e = fx.wait_exit(&a, &sid, Duration::from_secs(60));
    assert_eq!(e.params()["exit_code"], 255, "{}", e.line);
    let out = a.output(&sid);
    let text = String::from_utf8_lossy(&out.data);
    let target = fx.target();
    for want in [
        format!("[outpost] connection to {target} lost; reconnecting in 0.5 s (attempt 1 of 2)"),
        format!("[outpost] connection to {target} lost; reconnecting in 1.0 s (attempt 2 of 2)"),
        format!("[outpost] connection to {target} lost; gave up after 2 attempts"),
    ] {
        assert!(text.contains(&want), "missing {want:?} in:\n{text}");
    }
    assert!(
        e.output_received == out.received,
        "session.exit comes after the last output byte"
    );
    let listed = a.session(&sid).expect("listed");
    assert_eq!(listed["state"], "exited", "{listed}");
    assert_eq!(listed["exit_code"], 255, "{listed}");
    assert_eq!(listed["link"], "down", "{listed}");
    a.assert_no_violations();
}

/// `session.signal` TERM to an ssh session under a reconnect policy ends it: OpenSSH exits with
/// 255 when a signal stops it, which is not a lost link, so no reconnect follows.
#[test]
fn signal_ends_an_ssh_session_despite_a_reconnect_policy() {
    let fx = Fixture::new("signal_ends_an_ssh_session_despite_a_reconnect_policy");
    let a = fx.agent();
    let mut params = fx.params(fx.spec());
    params["reconnect"] = json!({"max_attempts": 5, "initial_delay_ms": 200, "max_delay_ms": 200});
    let sid = sid_of(&fx.create(&a, params));
    a.attach_ok(&sid, Some(0));
    let mut seen = Vec::new();
    fx.wait_link(&a, &sid, "up", SSH_DEADLINE, &mut seen);
    fx.wait_prompt_after(&a, &sid, 0);
    a.call_ok(
        "session.signal",
        json!({"session_id": sid, "signal": "TERM"}),
    );
    let e = fx.wait_exit(&a, &sid, SSH_DEADLINE);
    assert_eq!(e.params()["exit_code"], 255, "{}", e.line);
    let out = a.output(&sid);
    assert!(
        !out.contains(b"[outpost]"),
        "no reconnect after a signal the client sent: {}",
        tail_text(&out.data, 800)
    );
    let listed = a.session(&sid).expect("listed");
    assert_eq!(listed["state"], "exited", "{listed}");
    a.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// 9. injection
// ---------------------------------------------------------------------------------------------

/// Every way of smuggling an option or a command into ssh's argv is refused with -32602, and
/// nothing is created: no session, no record, no file the injected command would have made.
#[test]
fn injection_attempts_are_refused() {
    let fx = Fixture::new("injection_attempts_are_refused");
    let a = fx.agent();
    let pwned = format!("/tmp/pwned-{}", std::process::id());
    let _ = std::fs::remove_file(&pwned);
    let touch = format!("-oProxyCommand=touch {pwned}");
    let base = fx.spec();
    let with = |key: &str, value: Value| {
        let mut s = base.clone();
        s[key] = value;
        s
    };
    let option = |name: &str, value: &str| with("options", json!({ name: value }));
    let cases: Vec<(&str, Value)> = vec![
        ("host -oProxyCommand=…", with("host", json!(touch))),
        ("host with a space", with("host", json!("target host"))),
        ("host with a newline", with("host", json!("target\nhost"))),
        ("host with a tab", with("host", json!("target\thost"))),
        ("host with NUL", with("host", json!("target\u{0}host"))),
        ("empty host", with("host", json!(""))),
        ("user -x", with("user", json!("-x"))),
        ("user with a space", with("user", json!("a b"))),
        (
            "option name Proxy-Command",
            option("Proxy-Command", "touch /tmp/x"),
        ),
        ("option name with a space", option("Proxy Command", "x")),
        ("option name with =", option("ProxyCommand=x", "y")),
        (
            "option value with a newline",
            option("StrictHostKeyChecking", "yes\nProxyCommand x"),
        ),
        ("option ControlPath", option("ControlPath", "/tmp/x")),
        ("option controlmaster", option("controlmaster", "yes")),
        ("option ControlPersist", option("ControlPersist", "1h")),
        ("identity_file -…", with("identity_file", json!(touch))),
    ];
    for (what, ssh) in cases {
        let params = fx.params(ssh);
        let msg = a.call_err("session.create", params.clone(), -32602);
        assert!(!msg.is_empty(), "{what}: an empty error message");
    }
    assert!(a.list().is_empty(), "nothing was created: {:?}", a.list());
    let records = fx.home.path().join("state/sessions");
    let left: Vec<_> = std::fs::read_dir(&records)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "session records: {left:?}");
    assert!(!Path::new(&pwned).exists(), "{pwned} was created");

    // The same params without the injection are fine (so the refusals above were for it).
    let s = fx.create(&a, fx.params(base));
    let sid = sid_of(&s);
    a.attach_ok(&sid, Some(0));
    fx.wait_prompt_after(&a, &sid, 0);
    a.close(&sid).expect("close");
    assert!(!Path::new(&pwned).exists(), "{pwned} was created");
    a.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// 10. ControlMaster
// ---------------------------------------------------------------------------------------------

/// Each session has its own ControlMaster socket at `$OUTPOST_HOME/run/d1/<id>.cm` while it is
/// up; `ssh -O check` on the jump host (as the user) reaches it; it is gone after close.
#[test]
fn control_master_socket_per_session() {
    let fx = Fixture::new("control_master_socket_per_session");
    let a = fx.agent();
    let host = fx.topo.target_addr().ip().to_string();
    let check = |cm: &Path| {
        fx.topo
            .jump_exec(&fx.user, "ssh")
            .args([
                "-o",
                &format!("ControlPath={}", cm.display()),
                "-O",
                "check",
            ])
            .arg(&host)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("running ssh -O check")
    };
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let sid = sid_of(&fx.create(&a, fx.params(fx.spec())));
        a.attach_ok(&sid, Some(0));
        let mut seen = Vec::new();
        fx.wait_link(&a, &sid, "up", SSH_DEADLINE, &mut seen);
        let cm = fx.home.path().join("run/d1").join(format!("{sid}.cm"));
        sessions.push((sid, cm));
    }
    for (sid, cm) in &sessions {
        let meta = std::fs::symlink_metadata(cm)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", cm.display(), fx.diag(Some(sid))));
        assert!(
            meta.file_type().is_socket(),
            "{} is not a socket",
            cm.display()
        );
        assert_eq!(
            meta.permissions().mode() & 0o077,
            0,
            "{} is open to others",
            cm.display()
        );
        let out = check(cm);
        assert!(
            out.status.success(),
            "ssh -O check {}: {}\n{}",
            cm.display(),
            String::from_utf8_lossy(&out.stderr),
            fx.diag(Some(sid))
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Master running"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_ne!(sessions[0].1, sessions[1].1);

    let (sid, cm) = &sessions[0];
    a.close(sid).expect("close");
    assert!(!cm.exists(), "{} is left after close", cm.display());
    assert!(!check(cm).status.success(), "the master is gone");
    // The other session's master is untouched.
    let (sid2, cm2) = &sessions[1];
    assert!(check(cm2).status.success(), "{}", fx.diag(Some(sid2)));
    a.close(sid2).expect("close");
    assert!(!cm2.exists(), "{} is left after close", cm2.display());
    a.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// 11. no ssh client
// ---------------------------------------------------------------------------------------------

/// An agent whose PATH holds no `ssh`: creating an ssh session is -32003 naming OpenSSH.
#[test]
fn missing_ssh_client_is_32003() {
    let fx = Fixture::new("missing_ssh_client_is_32003");
    let empty = tempfile::Builder::new()
        .prefix("nossh")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(empty.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let a = fx.agent_with(|c| {
        c.env("PATH", empty.path());
    });
    let msg = a.call_err("session.create", fx.params(fx.spec()), -32003);
    assert!(
        msg.contains("OpenSSH") && msg.contains("ssh"),
        "the message says what is missing: {msg}"
    );
    assert!(a.list().is_empty());
    // Validation still comes first: a bad host is -32602 even without ssh.
    let mut bad = fx.spec();
    bad["host"] = json!("-oProxyCommand=x");
    a.call_err("session.create", fx.params(bad), -32602);
    a.assert_no_violations();
}
