//! Link cuts under output, through the testkit's real topology (desktop → jump → target, network
//! namespaces where the machine allows them, loopback servers otherwise; which one ran is
//! printed), measured end to end with the real `outpost` binary (issue 7).
//!
//! - **desktop → jump cut for 30 s**: `outpost attach` streams a shell session on the jump host
//!   that prints a numbered line about every 10 ms; the link is cut for 30 s and restored.
//!   Standard output must hold every line exactly once and be byte for byte the session's
//!   output; the figures are the bytes lost (0), the time until the CLI noticed, the time from
//!   the restore to the first new byte, and the time until the backlog of the cut had arrived.
//! - **jump → target cut**: an `ssh` session from the jump host to the target with a reconnect
//!   policy (created through the agent: `outpost new --ssh` has no reconnect option), attached
//!   with `outpost attach`, its remote shell printing numbered lines; the jump ↔ target link is
//!   cut until `ssh`'s keepalives give up and the reconnect markers show, then restored. What
//!   survives is the session (same id, offsets and every earlier byte: standard output is byte
//!   for byte the session's output, every line received exactly once) and a new remote shell;
//!   what does not is the remote process, which was attached to the lost connection: the figures
//!   say how many of its lines never reached the jump host and what became of it.
//!
//! Each test prints its figures and, with `OUTPOST_RELIABILITY_OUT` set, writes them into its
//! section of that file (`<!-- faults:link-desktop:begin -->`, `<!-- faults:link-target:begin -->`).
//! Needs root (users, `sshd`, namespaces) and fails without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use outpost_desktop::engine::agent::deploy;
use outpost_testkit::cli::numbered::{assert_each_once, numbered_lines, numbers_loop};
use outpost_testkit::cli::{Attached, Jumped, DEADLINE};
use outpost_testkit::report::{secs, FaultSection};
use outpost_testkit::{note, TopologyKind};
use serde_json::{json, Value};

/// The CLI under test.
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The section `key` (e.g. `link-desktop`) of a link-cut test in the reliability document, with
/// its title and description.
fn section(key: &'static str, title: &str, what: &str) -> FaultSection {
    let mut s = FaultSection::new(
        "cargo test -p outpost-desktop --no-default-features --test faults_link",
        key,
        title,
    );
    s.what(what);
    s
}

/// How long the desktop → jump link stays cut.
const DESKTOP_CUT: Duration = Duration::from_secs(30);

/// `ssh` keepalives of the jump → target session: it gives up after about 2 s × 3.
const KEEPALIVE: (&str, &str) = ("2", "3");

/// The least time the jump → target link stays cut (longer if three reconnect attempts have not
/// failed by then).
const TARGET_CUT: Duration = Duration::from_secs(20);

/// The remote shell's prompt (from the `~/.bashrc` the test writes; the target shares the home).
const PROMPT: &str = "rsh$ ";

/// Which topology ran, for the figures.
fn topology(j: &Jumped) -> String {
    match j.topo.fallback_reason() {
        None => j.topo.kind().to_string(),
        Some(why) => format!("{} ({why})", j.topo.kind()),
    }
}

/// The number in a counter file the numbered loop writes (0 before its first line). The loop
/// replaces the file by rename, so it always holds a whole number; an unreadable number fails
/// the test instead of passing for 0 (an empty read once made a test wait for `line-0`).
fn counter(j: &Jumped, file: &str) -> u32 {
    let path = j.user.home.join(file);
    match std::fs::read_to_string(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => panic!("{}: {e}", path.display()),
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{} holds {s:?}, not a number", path.display())),
    }
}

/// Bytes of the lines `PREFIXn\r\n` for n in `from..=to`.
fn line_bytes(prefix: &str, from: u32, to: u32) -> u64 {
    (from..=to)
        .map(|n| (prefix.len() + n.to_string().len() + 2) as u64)
        .sum()
}

#[test]
fn desktop_link_cut_for_30s_under_output_loses_nothing() {
    let mut j = Jumped::new(OUTPOST);
    let topo = topology(&j);
    note(&format!("faults_link: desktop→jump cut, topology={topo}"));
    if j.topo.kind() != TopologyKind::Netns {
        note(
            "loopback topology: the jump sshd and its sessions are frozen instead of the link cut",
        );
    }
    let s = j.cli.ok(&[
        "new", "jump", "--title", "numbers", "--cols", "80", "--rows", "24",
    ]);
    let sid = s["session_id"].as_str().unwrap().to_string();
    j.cli.ok(&[
        "send",
        "jump",
        &sid,
        &numbers_loop("line-", 25_000, Some("count")),
    ]);
    let attach = Attached::start(&j.cli, "jump", &sid);
    // Lines begun on the attachment (the echoed command holds `line-` too, but not after a
    // newline).
    let lines = |a: &Attached| a.count("\nline-");
    attach
        .poll(DEADLINE, |a| lines(a) > 200)
        .expect("lines to flow through the attachment");

    j.topo.cut_root_link().unwrap();
    let cut = Instant::now();
    let lines_at_cut = lines(&attach);
    let noticed = attach
        .poll(Duration::from_secs(30), |a| {
            a.err().contains("reconnecting")
        })
        .expect("the CLI to notice the lost link and start reconnecting")
        - cut;
    let stalled = lines(&attach);
    while cut.elapsed() < DESKTOP_CUT {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        lines(&attach) <= stalled + 1,
        "output kept flowing over a cut link"
    );
    let len_at_restore = attach.out_len();
    // Times count from the moment the link is set up again (`restore_root_link` then waits
    // until the jump host answers).
    let restored = Instant::now();
    let cut_for = restored - cut;
    j.topo.restore_root_link().unwrap();
    // How far the session got meanwhile (its counter file, read without the network).
    let produced_at_restore = counter(&j, "count");

    let first_byte = attach
        .poll(DEADLINE, |a| a.out_len() > len_at_restore)
        .expect("output to resume after the link came back")
        - restored;
    let backlog_line = format!("\nline-{produced_at_restore}\r");
    let caught_up = attach
        .poll(DEADLINE, |a| {
            a.out_from(len_at_restore).contains(&backlog_line)
        })
        .unwrap_or_else(|| {
            let out = attach.out_from(len_at_restore);
            let tail = &out[out.len().saturating_sub(400)..];
            panic!(
                "the lines printed during the cut to arrive ({backlog_line:?}); {} bytes since \
                 the restore, ending {tail:?}; stderr: {}",
                out.len(),
                attach.err()
            )
        })
        - restored;
    note(&format!(
        "link cut for {cut_for:?}; lost noticed after {noticed:?}; first byte {first_byte:?} and backlog (to line {produced_at_restore}) {caught_up:?} after the restore"
    ));

    // Some lines after the backlog too (loopback freezes the session, so there is no backlog).
    attach
        .poll(DEADLINE, |a| lines(a) as u32 > produced_at_restore + 200)
        .expect("new lines after the restore");
    j.user.write_file("stop", "", 0o644).unwrap();
    let (status, out, err) = attach.finish(DEADLINE);
    let status = status
        .unwrap_or_else(|| panic!("attach did not end when the session exited; stderr: {err}"));
    assert!(status.success(), "attach exit {status:?}; stderr: {err}");
    assert!(!err.contains("missing here"), "bytes were lost: {err}");
    let reconnects = err.matches("reconnecting in").count();

    let text = String::from_utf8_lossy(&out);
    let nums = numbered_lines(&text, "line-");
    let last = assert_each_once(&nums, "the attachment's output");
    assert_eq!(
        text.matches("ALL-2-DONE").count(),
        1,
        "the final marker once"
    );
    assert!(text.contains(&format!("ALL-2-DONE-{last}")));
    assert!(
        last > produced_at_restore + 100,
        "lines printed after the restore"
    );
    // Byte for byte the session's output: nothing lost, nothing doubled, nothing added.
    let (start, held) = j.cli.read_bytes("jump", &sid);
    assert_eq!(start, 0, "the ring holds the whole session");
    let lost = held.len().saturating_sub(out.len());
    assert!(
        out == held,
        "the attachment's {} bytes differ from the session's {} bytes",
        out.len(),
        held.len()
    );
    j.cli.ok(&["close", "jump", &sid]);
    assert_eq!(j.cli.ok(&["sessions", "jump"]), json!([]));

    let during_cut = produced_at_restore.saturating_sub(lines_at_cut as u32);
    let mut sec = section(
        "link-desktop",
        "Desktop → jump link cut for 30 s under output",
        "`outpost attach` streams a shell session on the jump host that prints a numbered line \
         about every 10 ms; the desktop → jump link is cut for 30 s (netns: the root-side veth \
         down; loopback: the jump sshd and its sessions frozen), then restored. The CLI's \
         keepalives notice the loss, it reconnects with backoff (0.5–15 s) and resumes by offset.",
    );
    sec.row("topology", &topo);
    sec.row("link cut for", secs(cut_for));
    sec.row("loss noticed by the CLI after", secs(noticed));
    sec.row("reconnect attempts shown", reconnects);
    sec.row(
        "time to recover (restore → first new byte on stdout)",
        secs(first_byte),
    );
    sec.row(
        "restore → the last line printed during the cut on stdout",
        secs(caught_up),
    );
    sec.row("lines printed during the cut (ring held them)", during_cut);
    sec.row("lines on stdout, each exactly once", last);
    sec.row(
        "bytes lost / duplicated (stdout vs the session's output)",
        format!("{lost} / 0 ({} bytes, identical)", out.len()),
    );
    sec.publish("desktop_link_cut_for_30s_under_output_loses_nothing");
}

/// Runs the deployed agent on the jump host as the test user over pipes, creates one session
/// with `params` and returns its `SessionInfo` (the agent exits on EOF; the session lives on).
fn create_via_agent(j: &Jumped, params: Value) -> Value {
    let mut agent = j
        .topo
        .jump_exec(
            &j.user,
            j.user.home.join(deploy::agent_path(deploy::AGENT_VERSION)),
        )
        .args(["serve", "--stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the agent on the jump host");
    let mut stdin = agent.stdin.take().unwrap();
    let mut lines = BufReader::new(agent.stdout.take().unwrap()).lines();
    let mut call = |id: u64, method: &str, params: Value| -> Value {
        let req = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        writeln!(stdin, "{req}").unwrap();
        loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("the agent closed its stdout before answering {method}"))
                .unwrap();
            let msg: Value = serde_json::from_str(&line).unwrap();
            if msg["id"] == id {
                assert!(msg.get("error").is_none(), "{method}: {msg}");
                return msg["result"].clone();
            }
        }
    };
    call(
        1,
        "initialize",
        json!({"protocol_version": 1, "client": {"name": "faults_link", "version": "0"}}),
    );
    let created = call(2, "session.create", params);
    // EOF: the agent exits; the session lives on in its daemon.
    drop(stdin);
    let status = agent.wait().unwrap();
    assert!(status.success(), "the agent exited with {status:?} on EOF");
    created["session"].clone()
}

/// Polls `outpost sessions jump` until session `sid`'s link is `want`.
fn wait_link(j: &Jumped, sid: &str, want: &str, timeout: Duration) -> Instant {
    let deadline = Instant::now() + timeout;
    loop {
        let list = j.cli.ok(&["sessions", "jump"]);
        let s = list
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["session_id"] == sid)
            .unwrap_or_else(|| panic!("session {sid} is not listed: {list}"))
            .clone();
        if s["link"] == want {
            return Instant::now();
        }
        assert_eq!(s["state"], "running", "the session ended: {s}");
        assert!(
            Instant::now() < deadline,
            "the link never became {want}: {s}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether process `pid` exists and is not a zombie (the topology's hosts share the test's
/// process namespace).
fn alive(pid: i32) -> bool {
    u32::try_from(pid).is_ok_and(outpost_testkit::procfs::alive)
}

/// The `[outpost] …` marker lines of `text`, in order, without their colour codes.
fn marker_lines(text: &str) -> Vec<String> {
    text.split(['\r', '\n'])
        .filter_map(|l| l.find("[outpost]").map(|at| &l[at..]))
        .map(|l| l.split('\x1b').next().unwrap_or(l).to_string())
        .collect()
}

/// The numbers of the whole `tline-N` lines of `text`, and whether a line was cut short where
/// the connection died (`tline-12` where `tline-123` was due: the rest never reached the jump
/// host). Everything else must be a whole line.
fn remote_lines(text: &str) -> (Vec<u32>, bool) {
    let mut nums: Vec<u32> = Vec::new();
    let mut partial = false;
    for l in text.split(['\r', '\n']) {
        let Some(n) = l.strip_prefix("tline-") else {
            continue;
        };
        let n: u32 = n
            .parse()
            .unwrap_or_else(|_| panic!("mangled line tline-{n:?}"));
        let due = nums.last().map_or(1, |p| p + 1);
        if n != due && !partial && due.to_string().starts_with(&n.to_string()) {
            partial = true;
            continue;
        }
        nums.push(n);
    }
    (nums, partial)
}

#[test]
fn target_link_cut_under_output_keeps_the_session_and_shows_markers() {
    let mut j = Jumped::new(OUTPOST);
    let topo = topology(&j);
    note(&format!("faults_link: jump→target cut, topology={topo}"));
    j.user
        .write_file(
            ".bashrc",
            format!("PS1='{PROMPT}'\nunset HISTFILE\n"),
            0o644,
        )
        .unwrap();
    j.cli.ok(&["check", "jump"]);
    let addr = j.topo.target_addr();
    let target = format!("{}@{}:{}", j.user.name, addr.ip(), addr.port());
    let s = create_via_agent(
        &j,
        json!({
            "kind": "ssh", "cols": 100, "rows": 30, "title": "to-target",
            "ssh": {
                "host": addr.ip().to_string(), "port": addr.port(), "user": j.user.name,
                "identity_file": j.key.display().to_string(),
                "options": {
                    "ServerAliveInterval": KEEPALIVE.0,
                    "ServerAliveCountMax": KEEPALIVE.1,
                    "ConnectTimeout": "3",
                },
            },
            "reconnect": {"max_attempts": 100, "initial_delay_ms": 500, "max_delay_ms": 2000},
        }),
    );
    let sid = s["session_id"].as_str().unwrap().to_string();
    assert_eq!(s["kind"], "ssh", "{s}");
    let first_ssh = s["pid"].as_u64();
    let attach = Attached::start(&j.cli, "jump", &sid);
    wait_link(&j, &sid, "up", DEADLINE);
    attach
        .poll(DEADLINE, |a| a.out().contains(PROMPT))
        .expect("the remote shell's prompt");

    // The remote shell records its pid, then prints numbered lines (its counter file, on the
    // target, says how far it got).
    j.cli.ok(&[
        "send",
        "jump",
        &sid,
        "echo $$ > tpid; i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo tline-$i; echo $i > tcount.new; mv -f tcount.new tcount; sleep 0.01; done\\n",
    ]);
    attach
        .poll(DEADLINE, |a| a.count("tline-") > 200)
        .expect("the remote lines to flow");
    let remote_pid: i32 = std::fs::read_to_string(j.user.home.join("tpid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();

    let len_at_cut = attach.out_len();
    j.topo.cut_link().unwrap();
    let cut = Instant::now();
    let seen_at_cut = remote_lines(&attach.out()).0.len();
    let marker = format!("[outpost] connection to {target} lost; reconnecting in ");
    let marker_at = attach
        .poll(Duration::from_secs(60), |a| {
            a.out_from(len_at_cut).contains(&marker)
        })
        .expect("the reconnect marker after ssh's keepalives gave up")
        - cut;
    let down_at = wait_link(&j, &sid, "down", DEADLINE) - cut;
    // Let a few reconnect attempts fail against the cut link, for TARGET_CUT at least.
    attach
        .poll(Duration::from_secs(60), |a| {
            a.out_from(len_at_cut).matches(&marker).count() >= 3
        })
        .expect("repeated reconnect attempts while the link is down");
    while cut.elapsed() < TARGET_CUT {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Whether the remote loop still prints (its output still finds buffer space) or is blocked.
    let count_before = counter(&j, "tcount");
    std::thread::sleep(Duration::from_secs(1));
    let remote_count_at_restore = counter(&j, "tcount");
    let printing_at_restore = remote_count_at_restore > count_before;
    let len_at_restore = attach.out_len();
    // Times count from the moment the link is set up again (`restore_link` then waits until the
    // target answers). From then on, watch what becomes of the remote loop.
    let restored = Instant::now();
    let cut_for = restored - cut;
    let alive_at_restore = alive(remote_pid);
    let watcher = std::thread::spawn(move || {
        let deadline = restored + Duration::from_secs(60);
        while alive(remote_pid) {
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(restored.elapsed())
    });
    j.topo.restore_link().unwrap();

    // Recovery: the first bytes after the restore that are not marker lines, then the new
    // remote shell's prompt.
    let first_byte = attach
        .poll(Duration::from_secs(60), |a| {
            a.out_from(len_at_restore)
                .split(['\r', '\n'])
                .any(|l| !l.trim().is_empty() && !l.starts_with("[outpost]"))
        })
        .expect("output of the new connection")
        - restored;
    let prompt_at = attach
        .poll(Duration::from_secs(60), |a| {
            a.out_from(len_at_restore).contains(PROMPT)
        })
        .expect("the new remote shell's prompt")
        - restored;
    let up_at = wait_link(&j, &sid, "up", DEADLINE) - restored;
    j.cli.ok(&["send", "jump", &sid, "echo back-$((40+2))\\n"]);
    if attach
        .poll(DEADLINE, |a| {
            a.out_from(len_at_restore)
                .split(['\r', '\n'])
                .any(|l| l == "back-42")
        })
        .is_none()
    {
        panic!(
            "the new remote shell did not answer; output since the restore: {:?}",
            attach.out_from(len_at_restore)
        );
    }

    // The remote loop was attached to the lost connection: does it go on, and for how long?
    let gone_after = watcher.join().unwrap();
    let remote_count = counter(&j, "tcount");

    // The session lived through it: same id, running, every byte held and delivered once.
    let list = j.cli.ok(&["sessions", "jump"]);
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == sid.as_str())
        .unwrap_or_else(|| panic!("{sid} is gone: {list}"))
        .clone();
    assert_eq!(listed["state"], "running", "{listed}");
    assert_ne!(
        listed["pid"].as_u64(),
        first_ssh,
        "a new ssh runs: {listed}"
    );
    let (start, held) = j.cli.read_bytes("jump", &sid);
    assert_eq!(start, 0, "the ring holds the whole session");
    j.cli.ok(&["close", "jump", &sid]);
    let (_, out, err) = attach.finish(DEADLINE);
    assert!(!err.contains("missing here"), "bytes were lost: {err}");
    // The attachment ended after the session's last byte: it holds all that was read (and
    // whatever closing printed after).
    assert!(
        out.starts_with(&held),
        "the attachment's {} bytes do not begin with the session's {} bytes",
        out.len(),
        held.len()
    );
    let text = String::from_utf8_lossy(&held);
    let (nums, partial) = remote_lines(&text);
    let received = assert_each_once(&nums, "the session's output");
    let markers = marker_lines(&text);
    assert!(!markers.is_empty());
    assert_eq!(j.cli.ok(&["sessions", "jump"]), json!([]));
    if alive(remote_pid) {
        // Not the test's to keep: the user's processes are killed when it is dropped.
        note(&format!(
            "the old remote loop (pid {remote_pid}) still runs"
        ));
    }

    let lost_lines = remote_count.saturating_sub(received);
    let state = if printing_at_restore {
        "still printing"
    } else {
        "blocked (no new line in the last second)"
    };
    let fate = match gone_after {
        Some(after) if alive_at_restore => format!(
            "alive and {state} when the link came back; gone {:.2} s after the restore",
            after.as_secs_f64()
        ),
        Some(_) => "already gone when the link came back".to_string(),
        None => format!("alive and {state} when the link came back; still there 60 s later"),
    };
    let mut sec = section(
        "link-target",
        "Jump → target link cut under output (ssh session with a reconnect policy)",
        &format!(
            "An `ssh` session from the jump host to the target (created through the agent with \
             `reconnect` {{max_attempts 100, initial_delay_ms 500, max_delay_ms 2000}} and \
             `ServerAliveInterval={}`, `ServerAliveCountMax={}`) is attached with `outpost \
             attach`; its remote shell prints a numbered line about every 10 ms. The jump ↔ \
             target link is cut (netns: the jump-side veth down; loopback: the target sshd and \
             its sessions frozen) until ssh's keepalives gave up, three reconnect attempts \
             failed and 20 s passed, then restored.",
            KEEPALIVE.0, KEEPALIVE.1
        ),
    );
    sec.row("topology", &topo);
    sec.row("link cut for", secs(cut_for));
    sec.row(
        "cut → first marker line (keepalives gave up)",
        secs(marker_at),
    );
    sec.row("cut → `link: down` in `outpost sessions`", secs(down_at));
    sec.row(
        "what the user sees",
        format!("`{}` (×{} in all)", markers[0], markers.len()),
    );
    sec.row(
        "time to recover (restore → first byte of the new connection on stdout)",
        secs(first_byte),
    );
    sec.row("restore → new remote prompt", secs(prompt_at));
    sec.row("restore → `link: up`", secs(up_at));
    sec.row(
        "remote lines printed / received by the session (each once, in order)",
        format!(
            "{remote_count} / {received}{}",
            if partial {
                " (and the start of the next one, cut short)"
            } else {
                ""
            }
        ),
    );
    sec.row(
        "lost on the target side (printed by the remote process, never reached the jump host)",
        format!(
            "{lost_lines} lines, {} bytes",
            line_bytes("tline-", received + 1, remote_count)
        ),
    );
    sec.row("the remote process", fate);
    sec.note(&format!(
        "Preserved: the session (same id, still running, a new `ssh` after the reconnect), its \
         offsets and every byte it had received: the attachment's output begins byte for byte \
         with the session's {} bytes, each `tline-` once and in order ({} of them seen before the cut, \
         {remote_count_at_restore} printed by the remote loop when the link came back). Not \
         preserved: the remote shell and the loop it ran — they belonged to the lost \
         connection, so the reconnect brings a new remote shell, and the lines the loop printed \
         into the dead connection never arrive.",
        held.len(),
        seen_at_cut
    ));
    sec.publish("target_link_cut_under_output_keeps_the_session_and_shows_markers");
}
