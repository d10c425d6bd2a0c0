//! Agent forwarding across reconnects of an `ssh` session (issue 15): an `ssh` session from the
//! jump host to the target, with a reconnect policy, authenticates every time through the relay,
//! so each reconnect uses the forwarded agent of the desktop attached *at that time*.
//!
//! The setup is the testkit's [`Forwarded`]: the desktop's key lives only in the desktop's real
//! `ssh-agent`, the target trusts only that key and the jump host holds no private key. The
//! session is created with `session.create` (the CLI has no reconnect option) by the deployed
//! agent started over a real OpenSSH connection to the jump host (so it runs under sshd, as the
//! desktop's agent does, and its sessions use the relay), a connection that does not forward.
//! A desktop counts as attached while `outpost attach` runs over host `jumpf` (forwarding on).
//!
//! 1. Before any desktop attaches, the target refuses the session's attempts ("Permission
//!    denied") and the policy retries; desktop A attaches: the session reaches the target
//!    (`hostname`), where `ssh-add -l` lists the desktop's key.
//! 2. The jump ↔ target link is cut until the session's link is down, then restored: `ssh`
//!    reconnects, authenticating through the relay to desktop A's agent; a command typed after
//!    that runs on the target, where `ssh-add -l` (forwarded onward) lists the desktop's key.
//! 3. Desktop A is killed, so no desktop is attached; the link is cut and restored again: every
//!    reconnect attempt is refused by the target ("Permission denied") and the policy keeps
//!    retrying (marker lines), the session stays listed and running, the agent answers, and the
//!    relay refuses within 3 s.
//! 4. Desktop B attaches: the next attempt authenticates through B's forwarding, and a command
//!    typed then runs on the target again.
//!
//! Needs root (users, `sshd`, network namespaces) and fails without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use outpost_desktop::engine::agent::deploy;
use outpost_testkit::cli::forwarded::Forwarded;
use outpost_testkit::cli::numbered::Attached;
use outpost_testkit::cli::relay::ssh_add_list_as;
use outpost_testkit::cli::DEADLINE;
use outpost_testkit::client::{Client, Options};
use serde_json::{json, Value};

/// The CLI under test.
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// How long "fails fast" may take.
const FAST: Duration = Duration::from_secs(3);

/// The reconnect marker's beginning, as the agent writes it into the session's output.
const RECONNECTING: &str = "lost; reconnecting in ";

/// Runs the deployed agent on the jump host over a real `ssh` connection (authenticated with
/// the desktop's agent, not forwarding it), creates one session with `params` and returns its
/// `SessionInfo`. The agent exits on EOF; the session lives on.
fn create_over_ssh(s: &Forwarded, params: Value) -> Value {
    let jump = s.topo.jump_addr().expect("jump sshd");
    let known = s.desktop_dir().join("known_hosts");
    std::fs::write(&known, s.topo.known_hosts()).unwrap();
    let agent = s.user.home.join(deploy::agent_path(deploy::AGENT_VERSION));
    let mut ssh = Command::new("ssh");
    ssh.args(["-F", "none", "-T", "-o", "BatchMode=yes"])
        .args(["-o", "StrictHostKeyChecking=yes", "-o", "ForwardAgent=no"])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known.display()))
        .arg("-o")
        .arg(format!("IdentityAgent={}", s.agent.socket().display()))
        .arg("-p")
        .arg(jump.port().to_string())
        .arg(format!("{}@{}", s.user.name, jump.ip()))
        .arg("--")
        .arg(&agent);
    // `serve --stdio` is appended by the client.
    let client = Client::spawn(ssh, Options::default()).expect("ssh to the jump host's agent");
    client.initialize().expect("initialize over ssh");
    let created = client
        .call_value("session.create", params)
        .expect("session.create over ssh");
    client.close_stdin();
    assert!(
        client.wait_exit(DEADLINE).is_some_and(|st| st.success()),
        "ssh + agent did not end cleanly on EOF: {}",
        client.stderr_tail(20)
    );
    created["session"].clone()
}

/// Session `sid` as `outpost sessions jump` lists it (panics when it is not listed).
fn listed(s: &Forwarded, sid: &str) -> Value {
    let list = s.cli.ok(&["sessions", "jump"]);
    list.as_array()
        .unwrap()
        .iter()
        .find(|x| x["session_id"] == sid)
        .unwrap_or_else(|| panic!("session {sid} is not listed: {list}"))
        .clone()
}

/// Polls until session `sid`'s link is `want`; the session must keep running meanwhile.
fn wait_link(s: &Forwarded, sid: &str, want: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let x = listed(s, sid);
        if x["link"] == want {
            return;
        }
        assert_eq!(x["state"], "running", "the session ended: {x}");
        assert!(
            Instant::now() < deadline,
            "the link never became {want}: {x}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Polls the session's output until `done` holds for what came after its first `from` bytes.
fn wait_after(s: &Forwarded, sid: &str, from: usize, what: &str, done: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let text = s.cli.read_text("jump", sid);
        let after = text.get(from..).unwrap_or("");
        if done(after) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what} never showed; output after byte {from}: {after:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Cuts the jump ↔ target link until `ssh`'s keepalives give up (the session's link is down),
/// then restores it; returns the length of the session's output at the cut.
fn cut_until_down_and_restore(s: &mut Forwarded, sid: &str) -> usize {
    let at_cut = s.cli.read_text("jump", sid).len();
    s.topo.cut_link().unwrap();
    wait_link(s, sid, "down");
    wait_after(s, sid, at_cut, "the reconnect marker", |t| {
        t.contains(RECONNECTING)
    });
    s.topo.restore_link().unwrap();
    at_cut
}

/// Types a line that prints the host name and a sum into the session; waits until the target's
/// name shows with the sum, after byte `from` of the output.
fn assert_on_target(s: &Forwarded, sid: &str, from: usize, tag: &str) {
    let line = format!("echo {tag}-$(hostname)-$((40+2))\\n");
    s.cli.ok(&["send", "jump", sid, &line]);
    let want = format!("{tag}-{}-42", s.topo.target_hostname());
    wait_after(s, sid, from, &want, |t| t.contains(&want));
}

/// `ssh-add -l` typed on the target (the agent forwarded onward from the relay): waits for its
/// status after byte `from` and asserts that it listed the desktop's key.
fn assert_key_on_target(s: &Forwarded, sid: &str, from: usize, tag: &str) {
    let line = format!("ssh-add -l; echo {tag}=$((0+$?))\\n");
    s.cli.ok(&["send", "jump", sid, &line]);
    let want = format!("{tag}=0");
    wait_after(s, sid, from, &want, |t| t.contains(&want));
    let text = s.cli.read_text("jump", sid);
    assert!(
        text.get(from..).unwrap_or("").contains(&s.fingerprint),
        "{text}"
    );
}

#[test]
fn an_ssh_session_reauthenticates_through_the_desktop_attached_at_each_reconnect() {
    let mut s = Forwarded::new(OUTPOST, false);
    for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
        assert!(
            !s.user.home.join(".ssh").join(name).exists(),
            "a key on the jump host"
        );
    }
    // Deploys the agent.
    s.cli.ok(&["check", "jump"]);
    let t = s.topo.target_addr();
    let created = create_over_ssh(
        &s,
        json!({
            "kind": "ssh", "cols": 100, "rows": 30, "title": "to-target",
            "ssh": {
                "host": t.ip().to_string(), "port": t.port(), "user": s.user.name,
                "forward_agent": true,
                "options": {
                    "ServerAliveInterval": "1",
                    "ServerAliveCountMax": "3",
                    "ConnectTimeout": "3",
                },
            },
            "reconnect": {"max_attempts": 1000, "initial_delay_ms": 300, "max_delay_ms": 1000},
        }),
    );
    assert_eq!(created["kind"], "ssh", "{created}");
    let sid = created["session_id"].as_str().unwrap().to_string();
    // The relay's socket, as a jump-host shell sees it.
    let shell = s.cli.ok(&["new", "jump", "--title", "sh"]);
    let relay = s.session_auth_sock(shell["session_id"].as_str().unwrap());

    // (1) No desktop yet: the target refuses the session's attempts, which the policy retries.
    // Then desktop A attaches: the session reaches the target with A's key.
    wait_after(&s, &sid, 0, "refused attempts before any desktop", |t| {
        t.find("Permission denied")
            .is_some_and(|at| t[at..].contains(RECONNECTING))
    });
    let a = Attached::start(&s.cli, "jumpf", &sid);
    wait_link(&s, &sid, "up");
    assert_on_target(&s, &sid, 0, "A0");
    assert_key_on_target(&s, &sid, 0, "AKEY0");

    // (2) Jump ↔ target cut and restored under desktop A: ssh re-authenticates through the relay.
    let at_cut = cut_until_down_and_restore(&mut s, &sid);
    wait_link(&s, &sid, "up");
    assert_on_target(&s, &sid, at_cut, "A1");
    assert_key_on_target(&s, &sid, at_cut, "AKEY1");

    // (3) No desktop attached: the relay refuses at once, and after another cut every reconnect
    // attempt is refused by the target while the policy keeps retrying.
    drop(a.finish(Duration::ZERO));
    let deadline = Instant::now() + DEADLINE;
    loop {
        let started = Instant::now();
        let out = ssh_add_list_as(&s.user, &relay);
        let took = started.elapsed();
        assert!(took < FAST, "ssh-add -l took {took:?}: {out:?}");
        if !out.status.success() {
            break;
        }
        assert!(Instant::now() < deadline, "the relay kept forwarding");
        std::thread::sleep(Duration::from_millis(200));
    }
    let at_cut = cut_until_down_and_restore(&mut s, &sid);
    // After the restore: refused by the target, and retried at least twice more.
    wait_after(&s, &sid, at_cut, "refused reconnects", |t| {
        t.find("Permission denied")
            .is_some_and(|at| t[at..].matches(RECONNECTING).count() >= 2)
    });
    let started = Instant::now();
    let x = listed(&s, &sid);
    assert!(started.elapsed() < FAST, "the agent was slow to answer");
    assert_eq!(x["state"], "running", "{x}");
    assert_ne!(x["link"], "up", "{x}");
    let text = s.cli.read_text("jump", &sid);
    assert!(
        !text.get(at_cut..).unwrap_or("").contains("gave up"),
        "{text}"
    );

    // (4) Desktop B attaches: the next attempt gets in through B's forwarding.
    let from = text.len();
    let _b = Attached::start(&s.cli, "jumpf", &sid);
    wait_link(&s, &sid, "up");
    assert_on_target(&s, &sid, from, "B1");
    assert_key_on_target(&s, &sid, from, "BKEY1");
}
