//! Recordings end to end, with real PTYs and daemons: `record: true` at create and
//! `session.record` later write asciicast v2 files that `asciinema cat` (PyPI, installed by
//! `.ci/py-deps`; nobody here wrote it) plays back as exactly the session's bytes, multi-byte
//! characters split across reads and a resize included; the files are private; input is
//! recorded only when asked; a small size bound rotates files and keeps only the newest; names
//! that are not recording names are refused with `invalid_params` (-32602).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use outpost_testkit::fixture::{sid_of, wait_until, Agent, Home, DEADLINE};
use outpost_testkit::venv;
use serde_json::{json, Value};

const INVALID_PARAMS: i64 = -32602;

fn recordings_dir(home: &Home) -> PathBuf {
    home.path().join("state/recordings")
}

/// `recording.list`'s entries (of one session).
fn list(a: &Agent, sid: &str) -> Vec<Value> {
    let r = a.call_ok("recording.list", json!({"session_id": sid}));
    r["recordings"].as_array().cloned().unwrap_or_default()
}

/// A whole recording, fetched with `recording.read` in small chunks (as the CLI exports).
fn fetch(a: &Agent, name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let r = a.call_ok(
            "recording.read",
            json!({"name": name, "offset": out.len(), "max": 4096}),
        );
        assert_eq!(r["offset"].as_u64(), Some(out.len() as u64));
        let data = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap();
        if data.is_empty() {
            assert_eq!(r["size"].as_u64(), Some(out.len() as u64));
            return out;
        }
        out.extend_from_slice(&data);
    }
}

/// The recording's event lines after the header, parsed.
fn events(cast: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(cast).expect("a recording is UTF-8");
    text.lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

fn header(cast: &[u8]) -> Value {
    let text = std::str::from_utf8(cast).unwrap();
    serde_json::from_str(text.lines().next().unwrap()).unwrap()
}

/// Output bytes in the recording as one string (the `"o"` events joined).
fn output_text(cast: &[u8]) -> String {
    events(cast)
        .iter()
        .filter(|e| e[1] == "o")
        .map(|e| e[2].as_str().unwrap().to_string())
        .collect()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A program whose output splits `é`, `€` and `😀` across PTY reads, then waits for a line
/// (typed after a resize) and prints the new size.
const SPLITTING: &str = r"printf 'caf\303'; sleep 0.3; printf '\251 \342\202'; sleep 0.3; \
printf '\254 \360\237'; sleep 0.3; printf '\230\200 end1\r\n'; read -r x; \
printf 'size '; stty size; printf 'fin \342\234\223\r\n'";

#[test]
fn a_recording_plays_back_as_the_session_s_bytes() {
    let home = Home::new();
    let a = home.agent_initialized();
    let mut params = a.bash_params(80, 24);
    params["shell"] = json!({"program": "/bin/sh", "args": ["-c", SPLITTING]});
    params["record"] = json!(true);
    params["env"]["TERM"] = json!("xterm-256color");
    let sid = sid_of(&a.create(params).unwrap());
    a.attach_ok(&sid, Some(0));
    a.wait_for_output(&sid, b"end1", DEADLINE);
    a.call_ok(
        "session.resize",
        json!({"session_id": sid, "cols": 100, "rows": 30}),
    );
    a.type_line(&sid, "go");
    a.wait_exit(&sid);
    let (first, session_bytes) = a.read_all(&sid);
    assert_eq!(first, 0);
    assert!(
        String::from_utf8_lossy(&session_bytes).contains("fin ✓"),
        "{session_bytes:?}"
    );

    let listed = list(&a, &sid);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let name = listed[0]["name"].as_str().unwrap().to_string();
    assert!(
        name.contains(&sid) && name.ends_with("-0001.cast"),
        "{name}"
    );
    let session_text = String::from_utf8(session_bytes.clone()).unwrap();
    // The writer flushes once its queue is empty: wait for the last event to land.
    wait_until(DEADLINE, "the recording holds every output byte", || {
        output_text(&fetch(&a, &name)) == session_text
    });
    let cast = fetch(&a, &name);
    let file = recordings_dir(&home).join(&name);
    assert_eq!(std::fs::read(&file).unwrap(), cast);
    assert_eq!(mode(&recordings_dir(&home)), 0o700);
    assert_eq!(mode(&file), 0o600);

    // The oracle: asciinema plays it back as exactly the session's bytes.
    assert_eq!(
        String::from_utf8_lossy(&venv::asciinema_cat(&file)),
        session_text,
        "asciinema cat differs from the session's bytes"
    );

    let h = header(&cast);
    assert_eq!(
        (h["version"].as_u64(), h["width"].as_u64()),
        (Some(2), Some(80))
    );
    assert_eq!(h["height"], 24);
    assert_eq!(h["env"]["TERM"], "xterm-256color");
    let evs = events(&cast);
    // The split characters were carried to the next event, not broken.
    let outs: Vec<&str> = evs
        .iter()
        .filter(|e| e[1] == "o")
        .map(|e| e[2].as_str().unwrap())
        .collect();
    assert!(outs.contains(&"caf"), "{outs:?}");
    assert!(outs.iter().any(|o| o.starts_with("é")), "{outs:?}");
    assert!(outs.iter().any(|o| o.starts_with("€")), "{outs:?}");
    assert!(outs.iter().any(|o| o.starts_with("😀")), "{outs:?}");
    let resize = evs
        .iter()
        .position(|e| e[1] == "r")
        .expect("a resize event");
    assert_eq!(evs[resize][2], "100x30");
    let size_line = evs
        .iter()
        .position(|e| e[1] == "o" && e[2].as_str().unwrap().contains("30 100"))
        .expect("the program saw the new size");
    assert!(resize < size_line);
    // Times count up from the start; input was not asked for.
    let times: Vec<f64> = evs.iter().map(|e| e[0].as_f64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(*times.last().unwrap() >= 0.9, "{times:?}");
    assert!(!evs.iter().any(|e| e[1] == "i"));
    let listed = list(&a, &sid);
    assert!(listed[0]["duration_ms"].as_u64().unwrap() >= 900);
    assert_eq!(listed[0]["bytes"].as_u64(), Some(cast.len() as u64));
}

#[test]
fn input_is_recorded_only_when_asked_and_recording_stops() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash_with(json!({"record": true})));
    a.attach_ok(&sid, Some(0));
    a.type_line(&sid, "echo one-$((40+2))");
    a.wait_for_output(&sid, b"one-42", DEADLINE);
    let r = a.call_ok(
        "session.record",
        json!({"session_id": sid, "on": true, "input": true}),
    );
    let name = r["recording"].as_str().unwrap().to_string();
    assert_eq!(list(&a, &sid)[0]["name"], name.as_str());
    a.type_line(&sid, "echo two-$((40+3))");
    a.wait_for_output(&sid, b"two-43", DEADLINE);
    wait_until(DEADLINE, "the input event", || {
        events(&fetch(&a, &name))
            .iter()
            .any(|e| e[1] == "i" && e[2] == "echo two-$((40+3))\n")
    });
    let cast = fetch(&a, &name);
    assert!(!events(&cast)
        .iter()
        .any(|e| e[1] == "i" && e[2].as_str().unwrap().contains("one")));

    // Stopped: nothing more is written.
    let r = a.call_ok("session.record", json!({"session_id": sid, "on": false}));
    assert_eq!(r.get("recording"), None);
    std::thread::sleep(Duration::from_millis(200));
    let stopped = fetch(&a, &name);
    a.type_line(&sid, "echo three-$((40+4))");
    a.wait_for_output(&sid, b"three-44", DEADLINE);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(fetch(&a, &name), stopped);
    // Started again: a new file with the next part number.
    let r = a.call_ok("session.record", json!({"session_id": sid, "on": true}));
    assert!(
        r["recording"].as_str().unwrap().ends_with("-0002.cast"),
        "{r}"
    );
    assert_eq!(list(&a, &sid).len(), 2);
}

#[test]
fn a_size_bound_rotates_files_and_keeps_the_newest() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, Some(0));
    a.call_ok(
        "session.record",
        json!({"session_id": sid, "on": true, "max_bytes": 65536, "keep": 3}),
    );
    // About 400 KB of output in lines (a few hundred events), then a mark.
    a.type_line(
        &sid,
        "for i in $(seq 1 8000); do echo \"line $i of the rotation test 0123456789abcdef\"; done; echo DONE-$((1+1))",
    );
    a.wait_for_output(&sid, b"DONE-2", Duration::from_secs(60));
    let last = || list(&a, &sid);
    wait_until(DEADLINE, "the last file holds DONE-2", || {
        last().last().is_some_and(|r| {
            output_text(&fetch(&a, r["name"].as_str().unwrap())).contains("DONE-2")
        })
    });
    let listed = last();
    assert_eq!(listed.len(), 3, "keep 3: {listed:?}");
    let parts: Vec<u32> = listed
        .iter()
        .map(|r| {
            let n = r["name"].as_str().unwrap();
            n[n.len() - 9..n.len() - 5].parse().unwrap()
        })
        .collect();
    assert!(parts[0] > 1, "older parts were removed: {parts:?}");
    assert_eq!(parts, [parts[0], parts[0] + 1, parts[0] + 2]);
    let (_, session_bytes) = a.read_all(&sid);
    let session_text = String::from_utf8(session_bytes).unwrap();
    let mut played = String::new();
    for r in &listed {
        let name = r["name"].as_str().unwrap();
        let file = recordings_dir(&home).join(name);
        let size = std::fs::metadata(&file).unwrap().len();
        assert!(size <= 65536, "{name} is {size} bytes");
        assert_eq!(mode(&file), 0o600);
        let cast = fetch(&a, name);
        assert_eq!(header(&cast)["width"], 80);
        let text = String::from_utf8_lossy(&venv::asciinema_cat(&file)).into_owned();
        assert_eq!(text, output_text(&cast));
        played.push_str(&text);
    }
    // The files kept are the session's last bytes, in order, with nothing missing between.
    assert!(played.len() > 100_000, "{}", played.len());
    assert!(
        session_text.ends_with(&played) || session_text.contains(&played),
        "the kept files are not a contiguous piece of the session"
    );
    assert!(played.contains("DONE-2"));
}

#[test]
fn bad_names_and_limits_are_refused() {
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash_with(json!({"record": true})));
    let name = list(&a, &sid)[0]["name"].as_str().unwrap().to_string();
    for bad in [
        "../../etc/passwd".to_string(),
        "/etc/passwd".to_string(),
        format!("{name}/../{name}"),
        format!("../recordings/{name}"),
        "x".repeat(5000),
        String::new(),
        name.replace(".cast", ".json"),
    ] {
        a.call_err(
            "recording.read",
            json!({"name": bad, "offset": 0, "max": 10}),
            INVALID_PARAMS,
        );
    }
    // Well formed but absent.
    let absent = name.replace(&sid, "nosuchsession");
    let m = a.call_err(
        "recording.read",
        json!({"name": absent, "offset": 0, "max": 10}),
        INVALID_PARAMS,
    );
    assert!(m.contains("no recording"), "{m}");
    for max in [0, 2 * 1024 * 1024] {
        a.call_err(
            "recording.read",
            json!({"name": name, "offset": 0, "max": max}),
            INVALID_PARAMS,
        );
    }
    a.call_err(
        "recording.list",
        json!({"session_id": "../x"}),
        INVALID_PARAMS,
    );
    a.call_err(
        "session.record",
        json!({"session_id": sid, "on": true, "max_bytes": 10}),
        INVALID_PARAMS,
    );
    a.call_err(
        "session.record",
        json!({"session_id": sid, "on": true, "keep": 0}),
        INVALID_PARAMS,
    );
    // A link planted under a valid name is not followed.
    let planted = name.replace("-0001.cast", "-0099.cast");
    std::os::unix::fs::symlink("/etc/hostname", recordings_dir(&home).join(&planted)).unwrap();
    let r = a.call(
        "recording.read",
        json!({"name": planted, "offset": 0, "max": 10}),
    );
    assert!(r.is_err(), "a symbolic link was followed: {r:?}");
    assert!(!list(&a, &sid).iter().any(|r| r["name"] == planted.as_str()));
}
