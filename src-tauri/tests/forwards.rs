//! Port forwards through the jump host, end to end: the `outpost` CLI (the desktop), the
//! jump/target topology (real `sshd`s in network namespaces), a real HTTP server
//! (`python3 -m http.server`) in the target's namespace — which the desktop cannot reach — and
//! `curl` as the client and oracle: an `-L` forward and a SOCKS5 `-D` forward
//! (`curl --socks5-hostname`) reach it through the jump host, keep working after the
//! desktop→jump link is cut and restored, show their bytes in `outpost forward list`, and end
//! with `outpost forward close`; a port in use and an unreachable destination fail with their
//! codes; saved forwards come back with `outpost forward up`.
//!
//! Needs root (throwaway users, `sshd`, network namespaces) and fails without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use outpost_testkit::cli::{Jumped, DEADLINE};
use outpost_testkit::fixture::wait_until;
use outpost_testkit::TopologyKind;
use serde_json::Value;

/// The CLI under test.
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The HTTP server's port on the target.
const HTTP_PORT: u16 = 8000;

/// A child process this test started, killed (by its own pid) and reaped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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
        let tip = j.topo.target_addr().ip().to_string();
        let http = j
            .topo
            .target_exec(&j.user, "python3")
            .args(["-m", "http.server", &HTTP_PORT.to_string(), "--bind", &tip])
            .arg("--directory")
            .arg(j.user.home.join("www"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://{tip}:{HTTP_PORT}/");
        // Up when the jump host's curl gets the file.
        let url = format!("{base}hello.txt");
        wait_until(DEADLINE, "the target's HTTP server", || {
            j.topo
                .jump_exec(&j.user, "curl")
                .args(["-sf", "--max-time", "2", &url])
                .output()
                .is_ok_and(|o| o.status.success())
        });
        Setup {
            j,
            _http: Running(http),
            base,
            body,
        }
    }

    fn target_ip(&self) -> String {
        self.j.topo.target_addr().ip().to_string()
    }

    /// Starts `outpost --json forward ARGS` in the foreground; returns it and its first line
    /// (the forwards it listens on), or its whole output when it exits first.
    fn forward(&self, args: &[&str]) -> (Running, Value) {
        let mut child = self
            .j
            .cli
            .cmd()
            .args(["--json", "forward"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("forward {args:?} printed {line:?}: {e}"));
        (Running(child), v)
    }
}

/// `curl ARGS URL` from the desktop: its output, or `None` when it failed.
fn curl(args: &[&str], url: &str) -> Option<String> {
    let out = Command::new("curl")
        .args(["-sf", "--max-time", "10"])
        .args(args)
        .arg(url)
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
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

/// The running forward `id` in `outpost forward list`, and its process's link state.
fn running(list: &Value, id: &str) -> Option<(Value, String)> {
    list["running"].as_array()?.iter().find_map(|r| {
        r["forwards"]
            .as_array()?
            .iter()
            .find(|f| f["id"] == id)
            .map(|f| (f.clone(), r["link"]["state"].as_str().unwrap().to_string()))
    })
}

/// Waits until `outpost forward list` shows forward `id`'s link in `state`.
fn wait_link(s: &Setup, id: &str, state: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let list = s.j.cli.ok(&["forward", "list", "jump"]);
        if running(&list, id).is_some_and(|(_, link)| link == state) {
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
        running(&list, id).is_some_and(|(f, _)| f["stats"]["bytes_in"].as_u64() > Some(0))
    }) {
        assert!(Instant::now() < deadline, "no bytes listed: {list}");
        std::thread::sleep(Duration::from_millis(200));
        list = s.j.cli.ok(&["forward", "list", "jump"]);
    }
    for id in &lid {
        let (f, link) = running(&list, id).unwrap_or_else(|| panic!("{id} not in {list}"));
        assert_eq!(link, "up", "{list}");
        assert!(f["stats"]["accepted"].as_u64().unwrap() >= 1, "{f}");
        assert!(
            f["stats"]["bytes_in"].as_u64().unwrap() > s.body.len() as u64,
            "{f}"
        );
        assert!(f["stats"]["bytes_out"].as_u64().unwrap() > 0, "{f}");
    }
    let (d, _) = running(&list, lid.iter().find(|i| i.starts_with('D')).unwrap()).unwrap();
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
    let started = Instant::now();
    let status = loop {
        if let Some(st) = fwd.0.try_wait().unwrap() {
            break st;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the forward process kept running"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
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
