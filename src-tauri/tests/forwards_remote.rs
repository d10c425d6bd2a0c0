//! Remote (`-R`) forwards end to end: the `outpost` CLI (the desktop) in the root network
//! namespace with a real HTTP server (`python3 -m http.server`) on its own loopback, the jump
//! host a real `sshd` in its own namespace (the jump/target topology), and `curl` run *on the
//! jump host* as the ssh user as client and oracle: `-R 0:127.0.0.1:PORT` prints the port the
//! jump host picked and `curl` there gets the desktop's page; the bytes show in
//! `outpost forward list`; the forward is asked for again after the desktop→jump link is cut
//! and restored; `outpost forward close` cancels it on the jump host (a new listener there binds
//! the port: python3's `bind` is the oracle); a port in use on the jump host and a privileged
//! port are `remote_refused`; an unreachable destination on the desktop closes that connection
//! and counts it, the forward stays.
//!
//! (A channel the desktop never asked for cannot be provoked from OpenSSH's `sshd`, which opens
//! `forwarded-tcpip` channels only for forwards it was asked for; the permit check is unit-tested
//! in `engine/forward/permit.rs`.)
//!
//! Needs root (throwaway users, `sshd`, network namespaces) and fails without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use outpost_testkit::cli::forward::running_forward;
use outpost_testkit::cli::{Jumped, DEADLINE};
use outpost_testkit::fixture::wait_until;
use outpost_testkit::http::curl;
use outpost_testkit::process::{wait_exit, Running};
use outpost_testkit::TopologyKind;
use serde_json::Value;

/// The CLI under test.
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The jump host, the desktop's HTTP server and its page.
struct Setup {
    j: Jumped,
    _http: Running,
    _www: tempfile::TempDir,
    /// The desktop server's port on 127.0.0.1.
    http_port: u16,
    body: String,
}

impl Setup {
    fn new() -> Setup {
        let j = Jumped::new(OUTPOST);
        let www = tempfile::tempdir().unwrap();
        let body = format!("served-by-desktop-{}\n", std::process::id());
        std::fs::write(www.path().join("hello.txt"), &body).unwrap();
        let (http, http_port) = serve_here(www.path());
        Setup {
            j,
            _http: http,
            _www: www,
            http_port,
            body,
        }
    }

    /// `curl` on the jump host as the user: the page at `127.0.0.1:port`, or `None`.
    fn curl_on_jump(&self, port: u16) -> Option<String> {
        let out = self
            .j
            .topo
            .jump_exec(&self.j.user, "curl")
            .args(["-sf", "--max-time", "10"])
            .arg(format!("http://127.0.0.1:{port}/hello.txt"))
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Whether a new listener on the jump host (python3, as the user) can bind
    /// `127.0.0.1:port` (`SO_REUSEADDR`, as servers set it: finished connections in
    /// `TIME_WAIT` do not count, a listener does).
    fn jump_can_bind(&self, port: u16) -> bool {
        let out = self
            .j
            .topo
            .jump_exec(&self.j.user, "python3")
            .args([
                "-c",
                "import socket, sys\n\
                 s = socket.socket()\n\
                 s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
                 s.bind(('127.0.0.1', int(sys.argv[1])))\n\
                 s.listen()\n\
                 print('bound')",
                &port.to_string(),
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim() == "bound"
    }

    /// Starts `outpost --json forward ARGS`; returns it and its first line.
    fn forward(&self, args: &[&str]) -> (Running, Value) {
        self.j.cli.start_forward(args)
    }

    /// The running forward `id` in `outpost forward list`, and its process's link state.
    fn running(&self, id: &str) -> Option<(Value, String)> {
        running_forward(&self.j.cli.ok(&["forward", "list", "jump"]), id)
    }
}

/// `python3 -m http.server` on the desktop's 127.0.0.1, serving `dir`; the server and its port.
fn serve_here(dir: &std::path::Path) -> (Running, u16) {
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--directory")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = Running(server);
        let url = format!("http://127.0.0.1:{port}/hello.txt");
        let deadline = Instant::now() + DEADLINE;
        while Instant::now() < deadline && server.0.try_wait().unwrap().is_none() {
            if curl(&["--max-time", "2"], &url).is_some() {
                return (server, port);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    panic!("python3 -m http.server did not come up on the desktop");
}

/// The `-R` forward whose destination port is `dport` in `ready`.
fn forward_to(ready: &Value, dport: u16) -> Value {
    ready["forwards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["spec"]["dest_port"] == dport)
        .cloned()
        .unwrap_or_else(|| panic!("no forward to port {dport} in {ready}"))
}

#[test]
fn remote_forward_reaches_the_desktop_survives_a_cut_link_and_closes() {
    let mut s = Setup::new();
    let hp = s.http_port;
    // The jump host cannot reach the desktop's loopback server itself (its own namespace).
    if s.j.topo.kind() == TopologyKind::Netns {
        assert_eq!(s.curl_on_jump(hp), None);
    }

    // Port 0: the jump host picks; the port is printed (in the id, the spec and `remote`).
    let good = format!("0:127.0.0.1:{hp}");
    let (mut fwd, ready) = s.forward(&["add", "jump", "-R", &good, "-R", "0:127.0.0.1:1"]);
    assert_eq!(ready["ok"], true, "{ready}");
    let ready = &ready["data"];
    let f = forward_to(ready, hp);
    let port = u16::try_from(f["spec"]["port"].as_u64().unwrap()).unwrap();
    assert_ne!(port, 0, "{f}");
    let id = format!("Rlocalhost:{port}:127.0.0.1:{hp}");
    assert_eq!(f["id"], id.as_str(), "{f}");
    assert_eq!(f["remote"], format!("localhost:{port}").as_str(), "{f}");
    let dead = forward_to(ready, 1);
    let dead_port = u16::try_from(dead["spec"]["port"].as_u64().unwrap()).unwrap();
    let dead_id = dead["id"].as_str().unwrap().to_string();

    // curl on the jump host, as the ssh user, gets the desktop's page.
    assert_eq!(s.curl_on_jump(port).as_deref(), Some(s.body.as_str()));
    // A destination the desktop cannot reach: that connection fails, the forward stays.
    assert_eq!(s.curl_on_jump(dead_port), None);
    assert!(
        fwd.0.try_wait().unwrap().is_none(),
        "the forward process ended"
    );
    assert_eq!(s.curl_on_jump(port).as_deref(), Some(s.body.as_str()));

    // `list`: link up, bytes both ways, the failed connection counted.
    wait_until(DEADLINE, "the -R forward's bytes listed", || {
        s.running(&id)
            .is_some_and(|(f, _)| f["stats"]["bytes_in"].as_u64() > Some(s.body.len() as u64))
    });
    let (f, link) = s.running(&id).unwrap();
    assert_eq!(link, "up");
    assert!(f["stats"]["accepted"].as_u64().unwrap() >= 2, "{f}");
    assert!(f["stats"]["bytes_out"].as_u64().unwrap() > 0, "{f}");
    assert_eq!(f["stats"]["failed"], 0, "{f}");
    wait_until(DEADLINE, "the unreachable destination counted", || {
        s.running(&dead_id)
            .is_some_and(|(f, _)| f["stats"]["failed"].as_u64() >= Some(1))
    });

    // The port is in use on the jump host (held by this forward): a second one is refused,
    // as is a privileged port.
    let (code, msg) = s.j.cli.err(&[
        "forward",
        "add",
        "jump",
        "-R",
        &format!("{port}:127.0.0.1:{hp}"),
    ]);
    assert_eq!(code, "remote_refused", "{msg}");
    assert!(msg.contains(&format!("localhost:{port}")), "{msg}");
    let (code, msg) = s.j.cli.err(&[
        "forward",
        "add",
        "jump",
        "-R",
        &format!("80:127.0.0.1:{hp}"),
    ]);
    assert_eq!(code, "remote_refused", "{msg}");
    // Bad spellings; -R cannot be agent-owned.
    for bad in ["8080", "0:127.0.0.1:0", "x:0:h:1"] {
        let (code, _) = s.j.cli.err(&["forward", "add", "jump", "-R", bad]);
        assert_eq!(code, "forward_invalid", "{bad}");
    }
    let (code, _) =
        s.j.cli
            .err(&["forward", "add", "jump", "-R", &good, "--agent-owned"]);
    assert_eq!(code, "usage");

    // The desktop→jump link is cut: the forward reconnects and the same port works again.
    s.j.topo.cut_root_link().unwrap();
    wait_until(DEADLINE, "the link reconnecting", || {
        s.running(&id).is_some_and(|(_, l)| l == "reconnecting")
    });
    s.j.topo.restore_root_link().unwrap();
    wait_until(DEADLINE, "the -R forward after the link came back", || {
        s.curl_on_jump(port).as_deref() == Some(s.body.as_str())
    });

    // `close`: cancelled on the jump host, whose port is free for a new listener.
    assert!(!s.jump_can_bind(port));
    let c = s.j.cli.ok(&["forward", "close", "jump", &id]);
    assert_eq!(c["closed"], true, "{c}");
    wait_until(DEADLINE, "the port freed on the jump host", || {
        s.jump_can_bind(port)
    });
    assert_eq!(s.curl_on_jump(port), None);
    let c = s.j.cli.ok(&["forward", "close", "jump", &dead_id]);
    assert_eq!(c["closed"], true, "{c}");
    let status = wait_exit(&mut fwd.0, DEADLINE).expect("the forward process kept running");
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_saved_remote_forward_comes_back_with_up() {
    let s = Setup::new();
    let hp = s.http_port;
    let spec = format!("0:127.0.0.1:{hp}");
    let (first, ready) = s.forward(&["add", "jump", "-R", &spec, "--save"]);
    assert_eq!(ready["ok"], true, "{ready}");
    drop(first);
    let list = s.j.cli.ok(&["forward", "list"]);
    let id = format!("Rlocalhost:0:127.0.0.1:{hp}");
    assert_eq!(list["saved"][0]["id"], id.as_str(), "{list}");
    assert_eq!(list["saved"][0]["spec"]["kind"], "remote", "{list}");
    let (_up, ready) = s.forward(&["up", "jump"]);
    assert_eq!(ready["ok"], true, "{ready}");
    let f = forward_to(&ready["data"], hp);
    let port = u16::try_from(f["spec"]["port"].as_u64().unwrap()).unwrap();
    assert_eq!(s.curl_on_jump(port).as_deref(), Some(s.body.as_str()));
    let c = s.j.cli.ok(&["forward", "close", "jump", &id]);
    assert_eq!(c["unsaved"], true, "{c}");
}
