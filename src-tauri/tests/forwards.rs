//! Port forwards through the jump host, end to end: the `outpost` CLI (the desktop), the
//! jump/target topology (real `sshd`s in network namespaces), a real HTTP server
//! (`python3 -m http.server`) in the target's namespace — which the desktop cannot reach — and
//! `curl` as the client and oracle: an `-L` forward and a SOCKS5 `-D` forward
//! (`curl --socks5-hostname`) reach it through the jump host, keep working after the
//! desktop→jump link is cut and restored, show their bytes in `outpost forward list`, and end
//! with `outpost forward close`; a port in use and an unreachable destination fail with their
//! codes; saved forwards come back with `outpost forward up`.
//!
//! Agent-owned forwards (`--agent-owned`, `--session S`): the jump host's agent keeps the
//! destination as a private Unix socket; `curl --unix-socket` on the jump host works while the
//! desktop is away, another local user gets `EACCES` (python3's errno), the forward is added to
//! the session's new ControlMaster after its ssh reconnects, and bad input has its codes.
//! A window's saved local port of an agent-owned forward (the engine in this process) comes
//! back after its host's connection is made again, also when the host lost the forward.
//!
//! Needs root (throwaway users, `sshd`, network namespaces) and fails without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use outpost_desktop::engine::agent::deploy;
use outpost_desktop::engine::forward::agent_restore;
use outpost_desktop::engine::forward::agent_saved::SavedAgentForward;
use outpost_desktop::engine::forward::manager::{ForwardLink, ForwardManager};
use outpost_desktop::engine::forward::saved::SavedForwards;
use outpost_desktop::engine::forward::ForwardSpec;
use outpost_desktop::engine::live::connections::Connections;
use outpost_desktop::engine::ssh::known_hosts::KnownHosts;
use outpost_desktop::engine::ssh::{AutoPrompter, Credentials};
use outpost_desktop::engine::EngineContext;
use outpost_testkit::cli::forward::running_forward;
use outpost_testkit::cli::{agent_beside, Jumped, DEADLINE};
use outpost_testkit::client::{Client, Options};
use outpost_testkit::fixture::wait_until;
use outpost_testkit::http::{curl, serve_on_target};
use outpost_testkit::process::{wait_exit, Running};
use outpost_testkit::{TestUser, TopologyKind};
use serde_json::{json, Value};

/// The CLI under test.
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The HTTP server's port on the target.
const HTTP_PORT: u16 = 8000;

/// The topology, a file served on the target, and the server.
struct Setup {
    j: Jumped,
    _http: Running,
    /// `http://TARGET:8000/`.
    base: String,
    /// The served file's content.
    body: String,
}

impl Setup {
    fn new() -> Setup {
        let j = Jumped::new(OUTPOST);
        let body = format!("served-by-target-{}\n", std::process::id());
        j.user.write_file("www/hello.txt", &body, 0o644).unwrap();
        let (http, base) = serve_on_target(&j.topo, &j.user, HTTP_PORT, "hello.txt");
        Setup {
            j,
            _http: http,
            base,
            body,
        }
    }

    fn target_ip(&self) -> String {
        self.j.topo.target_addr().ip().to_string()
    }

    /// Starts `outpost --json forward ARGS` in the foreground; returns it and its first line.
    fn forward(&self, args: &[&str]) -> (Running, Value) {
        self.j.cli.start_forward(args)
    }
}

/// The local address of the forward whose id starts with `letter`.
fn local_of(ready: &Value, letter: char) -> String {
    ready["forwards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"].as_str().unwrap().starts_with(letter))
        .map(|f| f["local"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {letter} forward in {ready}"))
}

/// Waits until `outpost forward list` shows forward `id`'s link in `state`.
fn wait_link(s: &Setup, id: &str, state: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let list = s.j.cli.ok(&["forward", "list", "jump"]);
        if running_forward(&list, id).is_some_and(|(_, link)| link == state) {
            return;
        }
        assert!(Instant::now() < deadline, "never {state}: {list}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn local_and_socks_forwards_reach_the_target_and_survive_a_cut_link() {
    let mut s = Setup::new();
    let file = format!("{}hello.txt", s.base);
    // The desktop cannot reach the target itself (netns: an unreachable route).
    if s.j.topo.kind() == TopologyKind::Netns {
        assert_eq!(curl(&["--max-time", "2"], &file), None);
    }
    let l = format!("0:{}:{HTTP_PORT}", s.target_ip());
    let (mut fwd, ready) = s.forward(&["add", "jump", "-L", &l, "-D", "127.0.0.1:0"]);
    assert_eq!(ready["ok"], true, "{ready}");
    let ready = &ready["data"];
    let lport = local_of(ready, 'L');
    let dport = local_of(ready, 'D');
    assert!(lport.starts_with("127.0.0.1:"), "{ready}");

    // -L: curl to the desktop port gets the target's file.
    let via_l = curl(&[], &format!("http://{lport}/hello.txt"));
    assert_eq!(via_l.as_deref(), Some(s.body.as_str()));
    // -D: SOCKS5, the name resolved on the far side.
    let via_d = curl(&["--socks5-hostname", &dport], &file);
    assert_eq!(via_d.as_deref(), Some(s.body.as_str()));
    // A destination the jump host cannot reach: the SOCKS5 request fails, the server lives.
    let closed = format!("http://{}:1/", s.target_ip());
    assert_eq!(curl(&["--socks5-hostname", &dport], &closed), None);

    // `list` shows both running, link up, with their bytes.
    let lid = ready["forwards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    // (Each process writes its status every second: wait for the one after the transfers.)
    let mut list = s.j.cli.ok(&["forward", "list", "jump"]);
    let deadline = Instant::now() + DEADLINE;
    while !lid.iter().all(|id| {
        running_forward(&list, id).is_some_and(|(f, _)| f["stats"]["bytes_in"].as_u64() > Some(0))
    }) {
        assert!(Instant::now() < deadline, "no bytes listed: {list}");
        std::thread::sleep(Duration::from_millis(200));
        list = s.j.cli.ok(&["forward", "list", "jump"]);
    }
    for id in &lid {
        let (f, link) = running_forward(&list, id).unwrap_or_else(|| panic!("{id} not in {list}"));
        assert_eq!(link, "up", "{list}");
        assert!(f["stats"]["accepted"].as_u64().unwrap() >= 1, "{f}");
        assert!(
            f["stats"]["bytes_in"].as_u64().unwrap() > s.body.len() as u64,
            "{f}"
        );
        assert!(f["stats"]["bytes_out"].as_u64().unwrap() > 0, "{f}");
    }
    let (d, _) = running_forward(&list, lid.iter().find(|i| i.starts_with('D')).unwrap()).unwrap();
    assert!(d["stats"]["failed"].as_u64().unwrap() >= 1, "{d}");

    // The desktop→jump link is cut: the forwards notice and reconnect; the listeners stay.
    s.j.topo.cut_root_link().unwrap();
    wait_link(&s, &lid[0], "reconnecting");
    s.j.topo.restore_root_link().unwrap();
    let url = format!("http://{lport}/hello.txt");
    wait_until(DEADLINE, "the -L forward after the link came back", || {
        curl(&[], &url).as_deref() == Some(s.body.as_str())
    });
    let via_d = curl(&["--socks5-hostname", &dport], &file);
    assert_eq!(via_d.as_deref(), Some(s.body.as_str()));
    wait_link(&s, &lid[0], "up");

    // `close` each: the process ends when it has none left.
    for id in &lid {
        let c = s.j.cli.ok(&["forward", "close", "jump", id]);
        assert_eq!(c["closed"], true, "{c}");
        assert_eq!(c["unsaved"], false, "{c}");
    }
    let status = wait_exit(&mut fwd.0, DEADLINE).expect("the forward process kept running");
    assert!(status.success(), "{status:?}");
    assert_eq!(curl(&["--max-time", "2"], &url), None);
    let list = s.j.cli.ok(&["forward", "list", "jump"]);
    assert_eq!(list["running"], serde_json::json!([]), "{list}");
}

#[test]
fn bad_forwards_fail_with_their_codes_and_saved_ones_come_back() {
    let s = Setup::new();
    let tip = s.target_ip();

    // A port in use on the desktop (held by this test).
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let (code, msg) = s.j.cli.err(&[
        "forward",
        "add",
        "jump",
        "-L",
        &format!("{port}:{tip}:{HTTP_PORT}"),
    ]);
    assert_eq!(code, "port_in_use", "{msg}");
    assert!(msg.contains(&port.to_string()), "{msg}");

    // Nothing listens on the target's port 1.
    let (code, msg) =
        s.j.cli
            .err(&["forward", "add", "jump", "-L", &format!("0:{tip}:1")]);
    assert_eq!(code, "unreachable", "{msg}");
    assert!(msg.contains(&format!("{tip}:1")), "{msg}");

    // Bad spellings.
    for bad in [["-L", "80:x"], ["-L", "0:a b:80"], ["-D", "1080:2"]] {
        let (code, _) = s.j.cli.err(&["forward", "add", "jump", bad[0], bad[1]]);
        assert_eq!(code, "forward_invalid", "{bad:?}");
    }
    let (code, _) = s.j.cli.err(&["forward", "close", "jump", "L1:a:2"]);
    assert_eq!(code, "usage");

    // Saved: `add --save`, then `up` brings it back after the first process ended.
    let spec = format!("0:{tip}:{HTTP_PORT}");
    let (first, ready) = s.forward(&["add", "jump", "-L", &spec, "--save"]);
    assert_eq!(ready["ok"], true, "{ready}");
    drop(first);
    let list = s.j.cli.ok(&["forward", "list"]);
    let id = format!("L127.0.0.1:0:{tip}:{HTTP_PORT}");
    assert_eq!(list["saved"][0]["id"], id.as_str(), "{list}");
    assert_eq!(list["saved"][0]["host"], "jump", "{list}");
    let saved = s.j.cli.config_dir().join("forwards.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let (_up, ready) = s.forward(&["up", "jump"]);
    assert_eq!(ready["ok"], true, "{ready}");
    let lport = local_of(&ready["data"], 'L');
    let got = curl(&[], &format!("http://{lport}/hello.txt"));
    assert_eq!(got.as_deref(), Some(s.body.as_str()));
    // `close` of the saved spelling forgets it.
    let c = s.j.cli.ok(&["forward", "close", "jump", &id]);
    assert_eq!(c["unsaved"], true, "{c}");
    let list = s.j.cli.ok(&["forward", "list"]);
    assert_eq!(list["saved"], serde_json::json!([]), "{list}");
    let (code, _) = s.j.cli.err(&["forward", "up", "jump"]);
    assert_eq!(code, "usage");
}

/// An `ssh` session from the jump host to the target with a quick reconnect policy, created by
/// the deployed agent run on the jump host as the user; returns its id once its link is up.
fn ssh_session_with_reconnect(s: &Setup) -> String {
    s.j.cli.ok(&["check", "jump"]);
    let agent =
        s.j.user
            .home
            .join(deploy::agent_path(deploy::AGENT_VERSION));
    let client = Client::spawn(s.j.topo.jump_exec(&s.j.user, &agent), Options::default())
        .expect("the deployed agent on the jump host");
    client.initialize().expect("initialize");
    let t = s.j.topo.target_addr();
    let created = client
        .call_value(
            "session.create",
            json!({
                "kind": "ssh", "cols": 80, "rows": 24,
                "ssh": {
                    "host": t.ip().to_string(), "port": t.port(), "user": s.j.user.name,
                    "options": {"ServerAliveInterval": "1", "ServerAliveCountMax": "3"},
                },
                "reconnect": {"max_attempts": 100, "initial_delay_ms": 200, "max_delay_ms": 1000},
            }),
        )
        .expect("session.create");
    client.close_stdin();
    let _ = client.wait_exit(DEADLINE);
    let sid = created["session"]["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_session_link(s, &sid, "up");
    sid
}

/// Polls until session `sid`'s link is `want`.
fn wait_session_link(s: &Setup, sid: &str, want: &str) {
    wait_until(DEADLINE, &format!("session {sid}'s link {want}"), || {
        let list = s.j.cli.ok(&["sessions", "jump"]);
        list.as_array()
            .unwrap()
            .iter()
            .any(|x| x["session_id"] == sid && x["link"] == want)
    });
}

/// The agent-owned forwards `outpost forward list jump --agent` shows.
fn agent_forwards(s: &Setup) -> Vec<Value> {
    let list = s.j.cli.ok(&["forward", "list", "jump", "--agent"]);
    list["agent"].as_array().unwrap().clone()
}

/// `curl --unix-socket SOCKET` on the jump host as `user`: the file, or `None`.
fn curl_socket(s: &Setup, user: &TestUser, socket: &str) -> Option<String> {
    let out =
        s.j.topo
            .jump_exec(user, "curl")
            .args(["-sf", "--max-time", "10", "--unix-socket", socket])
            .arg("http://target/hello.txt")
            .output()
            .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The forward keeper (`outpost-agent forwards`, comm `outpost-forward`) running as `user`.
fn keeper_of(user: &TestUser) -> Option<nix::unistd::Pid> {
    let uid = format!("{}", user.uid);
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        let status = std::fs::read_to_string(e.path().join("status")).ok()?;
        let name = status.lines().find_map(|l| l.strip_prefix("Name:"))?.trim();
        let owner = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
        (name == "outpost-forward" && owner.split_whitespace().next() == Some(uid.as_str()))
            .then(|| nix::unistd::Pid::from_raw(pid))
    })
}

/// The agent socket of the one forward `ready` lists.
fn agent_socket_of(ready: &Value) -> String {
    ready["data"]["forwards"][0]["agent_socket"]
        .as_str()
        .unwrap_or_else(|| panic!("no agent socket in {ready}"))
        .to_string()
}

#[test]
fn agent_owned_forwards_outlive_the_desktop_stay_private_and_follow_reconnects() {
    let mut s = Setup::new();
    let sid = ssh_session_with_reconnect(&s);
    let l = format!("0:{}:{HTTP_PORT}", s.target_ip());

    // Through the session's ControlMaster: curl through the desktop port.
    let (fwd, ready) = s.forward(&["add", "jump", "-L", &l, "--session", &sid]);
    assert_eq!(ready["ok"], true, "{ready}");
    let local = local_of(&ready["data"], 'L');
    let socket = agent_socket_of(&ready);
    let url = format!("http://{local}/hello.txt");
    assert_eq!(curl(&[], &url).as_deref(), Some(s.body.as_str()));
    // The socket is private: 0600 in a 0700 directory.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let path = std::path::Path::new(&socket);
    assert_eq!(mode(path), 0o600, "{socket}");
    assert_eq!(mode(path.parent().unwrap()), 0o700, "{socket}");
    let listed = agent_forwards(&s);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["state"], "active", "{listed:?}");
    assert_eq!(listed[0]["session_id"], sid.as_str(), "{listed:?}");
    let id = listed[0]["id"].as_str().unwrap().to_string();

    // The desktop goes away: its port is gone, the socket on the jump host still works.
    drop(fwd);
    assert_eq!(curl(&["--max-time", "2"], &url), None);
    assert_eq!(
        curl_socket(&s, &s.j.user, &socket).as_deref(),
        Some(s.body.as_str())
    );

    // Another local user of the jump host: EACCES (python3's errno), and curl fails.
    let other = TestUser::create("ofwdo").unwrap();
    let out =
        s.j.topo
            .jump_exec(&other, "python3")
            .args([
                "-c",
                "import socket, sys\n\
             s = socket.socket(socket.AF_UNIX)\n\
             try:\n    s.connect(sys.argv[1])\n\
             except OSError as e:\n    print(e.errno); sys.exit(1)\n\
             print('connected')",
                &socket,
            ])
            .output()
            .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(said.trim(), libc::EACCES.to_string(), "{said}");
    assert_eq!(curl_socket(&s, &other, &socket), None);

    // The session's ssh reconnects (a new ControlMaster): the forward is added to it again.
    s.j.topo.cut_link().unwrap();
    wait_session_link(&s, &sid, "down");
    s.j.topo.restore_link().unwrap();
    wait_session_link(&s, &sid, "up");
    wait_until(DEADLINE, "the forward on the new master", || {
        curl_socket(&s, &s.j.user, &socket).as_deref() == Some(s.body.as_str())
    });
    wait_until(DEADLINE, "the forward listed active again", || {
        agent_forwards(&s)
            .iter()
            .any(|f| f["id"] == id.as_str() && f["state"] == "active")
    });

    // The desktop comes back: the same forward (not a second one), reached again.
    let (_fwd, ready) = s.forward(&["add", "jump", "-L", &l, "--session", &sid]);
    assert_eq!(agent_socket_of(&ready), socket);
    let url = format!("http://{}/hello.txt", local_of(&ready["data"], 'L'));
    assert_eq!(curl(&[], &url).as_deref(), Some(s.body.as_str()));
    assert_eq!(agent_forwards(&s).len(), 1);

    // From the jump host itself (no session): kept by the agent's keeper.
    let (hostfwd, ready) = s.forward(&["add", "jump", "-L", &l, "--agent-owned"]);
    let host_socket = agent_socket_of(&ready);
    assert_ne!(host_socket, socket);
    let url = format!("http://{}/hello.txt", local_of(&ready["data"], 'L'));
    assert_eq!(curl(&[], &url).as_deref(), Some(s.body.as_str()));
    drop(hostfwd);
    assert_eq!(
        curl_socket(&s, &s.j.user, &host_socket).as_deref(),
        Some(s.body.as_str())
    );
    assert_eq!(curl_socket(&s, &other, &host_socket), None);
    let listed = agent_forwards(&s);
    assert_eq!(listed.len(), 2, "{listed:?}");
    let host_id = listed
        .iter()
        .find(|f| f["session_id"].is_null())
        .map(|f| f["id"].as_str().unwrap().to_string())
        .unwrap();

    // The keeper is killed (as by a reboot): the socket stops answering; listing the agent's
    // forwards starts a keeper again, which serves it again.
    let keeper = keeper_of(&s.j.user).expect("the forward keeper runs");
    nix::sys::signal::kill(keeper, nix::sys::signal::Signal::SIGKILL).unwrap();
    wait_until(DEADLINE, "the keeper gone", || {
        keeper_of(&s.j.user) != Some(keeper)
    });
    assert_eq!(curl_socket(&s, &s.j.user, &host_socket), None);
    assert_eq!(agent_forwards(&s).len(), 2);
    wait_until(DEADLINE, "the host forward served by a new keeper", || {
        curl_socket(&s, &s.j.user, &host_socket).as_deref() == Some(s.body.as_str())
    });

    // Unreachable through the session (nothing on port 1 of the target), refused at once.
    let (code, msg) = s.j.cli.err(&[
        "forward",
        "add",
        "jump",
        "-L",
        &format!("0:{}:1", s.target_ip()),
        "--session",
        &sid,
    ]);
    assert_eq!(code, "unreachable", "{msg}");
    assert_eq!(agent_forwards(&s).len(), 2);

    // `close` by id removes the forward and its socket; ending the session removes its own.
    let c = s.j.cli.ok(&["forward", "close", "jump", &host_id]);
    assert_eq!(c["closed"], true, "{c}");
    assert!(!std::path::Path::new(&host_socket).exists());
    s.j.cli.ok(&["close", "jump", &sid]);
    wait_until(DEADLINE, "the session's forward removed", || {
        agent_forwards(&s).is_empty() && !std::path::Path::new(&socket).exists()
    });
}

#[test]
fn agent_owned_bad_input_has_stable_codes() {
    let s = Setup::new();
    let tip = s.target_ip();
    let l = format!("0:{tip}:{HTTP_PORT}");
    // A desktop port in use.
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let (code, _) = s.j.cli.err(&[
        "forward",
        "add",
        "jump",
        "-L",
        &format!("{port}:{tip}:{HTTP_PORT}"),
        "--agent-owned",
    ]);
    assert_eq!(code, "port_in_use");
    // Nothing listens on the target's port 1: the jump host's probe fails.
    let (code, msg) = s.j.cli.err(&[
        "forward",
        "add",
        "jump",
        "-L",
        &format!("0:{tip}:1"),
        "--agent-owned",
    ]);
    assert_eq!(code, "unreachable", "{msg}");
    // Not a session id; no such session; -D; --save.
    for args in [
        vec!["-L", &l, "--session", "../x"],
        vec!["-D", "0", "--agent-owned"],
        vec!["-L", &l, "--agent-owned", "--save"],
    ] {
        let mut all = vec!["forward", "add", "jump"];
        all.extend(args.iter().copied());
        let (code, msg) = s.j.cli.err(&all);
        assert_eq!(code, "usage", "{args:?}: {msg}");
    }
    let (code, msg) =
        s.j.cli
            .err(&["forward", "add", "jump", "-L", &l, "--session", "nosuch"]);
    assert_eq!(code, "rpc_32001", "{msg}");
    // Unknown and malformed ids.
    let (code, msg) =
        s.j.cli
            .err(&["forward", "close", "jump", "f0000000000000000"]);
    assert_eq!(code, "forward_not_found", "{msg}");
    assert!(msg.contains("no agent-owned forward"), "{msg}");
    let (code, msg) = s.j.cli.err(&["forward", "close", "jump", "fZZ"]);
    assert_eq!(code, "usage", "{msg}");
    assert!(agent_forwards(&s).is_empty());
}

/// A window's engine in this process over the CLI's configuration (its saved hosts, the jump
/// host's key trusted from the CLI's `known_hosts`): the hub of connections and the forward
/// manager.
fn window_engine(s: &Setup) -> (Arc<Connections>, Arc<ForwardManager>) {
    // The agent deployed to the jump host: the one the CLI deploys (same value in every test).
    std::env::set_var(
        "OUTPOST_AGENT_BIN",
        agent_beside(std::path::Path::new(OUTPOST)),
    );
    let dir = s.j.cli.config_dir();
    let ctx = EngineContext {
        known_hosts: Arc::new(KnownHosts::new(
            s.j.cli.home().join(".ssh/known_hosts"),
            dir.join("known_hosts"),
        )),
        config_dir: dir,
        prompter: Arc::new(AutoPrompter::default()),
        credentials: Arc::new(Credentials::new()),
    };
    (Connections::new(ctx), Arc::default())
}

/// Waits until `served` (the saved port gives the page, `when`); the id of the host's one
/// agent-owned forward.
fn served_by_the_one(s: &Setup, when: &str, served: impl Fn() -> bool) -> String {
    wait_until(DEADLINE, &format!("the saved port served {when}"), served);
    let listed = agent_forwards(s);
    assert_eq!(listed.len(), 1, "{listed:?}");
    listed[0]["id"].as_str().unwrap().to_string()
}

#[test]
fn saved_agent_owned_ports_come_back_after_a_reconnect() {
    let mut s = Setup::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let spec = ForwardSpec::parse_local(&format!("{port}:{}:{HTTP_PORT}", s.target_ip())).unwrap();
    let dir = s.j.cli.config_dir();
    let mut saved = SavedForwards::load(&dir).unwrap();
    saved
        .put_agent(
            "jump",
            SavedAgentForward {
                session_id: None,
                local: spec,
            },
        )
        .unwrap();
    saved.store(&dir).unwrap();
    let url = format!("http://127.0.0.1:{port}/hello.txt");
    let served = || curl(&["--max-time", "5"], &url).as_deref() == Some(s.body.as_str());

    // The window starts while the jump host is unreachable: the port cannot be restored yet.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (hub, manager) = window_engine(&s);
    s.j.topo.cut_root_link().unwrap();
    let mut connected = hub.connected();
    let follower = rt.spawn(agent_restore::follow(hub.clone(), manager.clone()));
    // The start's attempt fails; a tab's attempt (this one) fails the same way.
    assert!(rt.block_on(hub.connection("jump")).is_err());
    assert!(!served(), "served while the host is unreachable");
    assert!(rt.block_on(manager.running("jump")).1.is_empty());

    // The link is back and the window's connection to the host is made (as a tab reconnecting
    // does): the saved port is served.
    s.j.topo.restore_root_link().unwrap();
    rt.block_on(hub.connection("jump")).unwrap();
    assert_eq!(
        rt.block_on(connected.recv()).unwrap(),
        "jump",
        "the connection announced"
    );
    let first_id = served_by_the_one(&s, "after the connection", served);

    // The host loses the forward (closed from elsewhere, as another desktop may): the port
    // leads nowhere until the link is made again, then it serves the forward made anew.
    s.j.cli.ok(&["forward", "close", "jump", &first_id]);
    assert!(!served(), "served after the host's forward was closed");
    s.j.topo.cut_root_link().unwrap();
    wait_until(DEADLINE, "the forwards' link reconnecting", || {
        matches!(
            rt.block_on(manager.running("jump")).0,
            Some(ForwardLink::Reconnecting { .. })
        )
    });
    s.j.topo.restore_root_link().unwrap();
    let again = served_by_the_one(&s, "after the reconnect", served);
    assert_ne!(again, first_id);
    // Still the saved port, the only one the window runs.
    let (_, running) = rt.block_on(manager.running("jump"));
    assert_eq!(running.len(), 1, "{running:?}");
    assert_eq!(running[0].spec.listen().1, port);
    follower.abort();
}
