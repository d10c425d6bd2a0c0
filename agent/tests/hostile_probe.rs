//! A hostile monitoring target (issue 12, item 1): its probe output holds 50,000 cores, 25,000
//! mounts, 5,000 interfaces, a 1 MiB process name and escape sequences in its host name. The
//! agent keeps answering other requests within 2 s while it samples it, and the samples it
//! sends are bounded and clean.
//!
//! The target is a fake `ssh` first in the agent's `PATH`: as the session it holds the terminal
//! and stands for the ControlMaster, `-O check` reports the master alive, and as the probe
//! (`-T`) it prints the hostile output once per line it reads.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use outpost_testkit::fixture::{Agent, Home, DEADLINE};
use serde_json::{json, Value};

/// A fake `ssh`: the session's own (`cat`, standing for the ControlMaster), `-O check`, and
/// the probe (`-T`), which runs `READING` once per line it reads.
const FAKE_SSH: &str = r#"#!/bin/sh
for a in "$@"; do
  case "$a" in ControlPath=*) cp="${a#ControlPath=}";; -O) check=1;; -T) probe=1;; esac
done
if [ -n "$check" ]; then test -e "$cp"; exit; fi
if [ -z "$probe" ]; then : > "$cp"; exec cat; fi
while read -r _; do
READING
done
"#;

/// 25,000 mounts (the case measured in issue 12).
const MOUNTS: &str = r#"
  printf '@uname\nLinux\nmany-mounts\n6.1\n@meminfo\nMemTotal: 1000 kB\n@df\nFilesystem Type 1024-blocks Used Available Capacity Mounted on\n'
  awk 'BEGIN { for (i = 0; i < 25000; i++) printf "/dev/x ext4 10 5 5 50%% /mnt/%d\n", i }'
  printf '@end\n'
"#;

/// Everything at once: 50,000 cores, 5,000 interfaces, 25,000 mounts, a 1 MiB process name
/// and escape sequences in the host name.
const EVERYTHING: &str = r#"
  printf '@uname\nLinux\nevil\033]0;pwned\007\033[2J\n6.1\n@uptime\n1\n@loadavg\n1 1 1\n@stat\ncpu 1 1 1 1\n'
  awk 'BEGIN { for (i = 0; i < 50000; i++) printf "cpu%d 1 1 1 1\n", i }'
  printf '@meminfo\nMemTotal: 1000 kB\n@netdev\nh\nh\n'
  awk 'BEGIN { for (i = 0; i < 5000; i++) printf "eth%d: 1 0 0 0 0 0 0 0 2 0\n", i }'
  printf '@df\nFilesystem Type 1024-blocks Used Available Capacity Mounted on\n'
  awk 'BEGIN { for (i = 0; i < 25000; i++) printf "/dev/x ext4 10 5 5 50%% /mnt/%d\n", i }'
  printf '@procs\n1 ('; head -c 1048576 /dev/zero | tr '\0' n
  printf ') S 0 1 1 0 -1 0 0 0 0 0 500 0 0 0 20 0 1 0 1 1 9 0\n2 (ok) S 0 1 1 0 -1 0 0 0 0 0 5 0 0 0 20 0 1 0 1 1 9 0\n'
  printf '@pagesize\n4096\n@clk\n100\n@end\n'
"#;

/// An agent whose `ssh` is the fake above printing `reading`, with one `ssh` session whose link
/// is up.
fn hostile_target(home: &Home, reading: &str) -> (Agent, String) {
    let bin = home.root().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let ssh = bin.join("ssh");
    std::fs::write(&ssh, FAKE_SSH.replace("READING", reading)).unwrap();
    std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = home.command();
    let path = std::env::var("PATH").unwrap_or_default();
    cmd.env("PATH", format!("{}:{path}", bin.display()));
    let a = home.agent_via(cmd);
    a.initialize();
    let s = a
        .create(json!({"kind": "ssh", "cols": 80, "rows": 24, "ssh": {"host": "evil"}}))
        .unwrap();
    let sid = s["session_id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + DEADLINE;
    while !a.session(&sid).is_some_and(|s| s["link"] == "up") {
        assert!(Instant::now() < deadline, "the fake link never came up");
        std::thread::sleep(Duration::from_millis(100));
    }
    (a, sid)
}

/// Subscribes to the session at each interval; returns the subscription ids.
fn subscribe(a: &Agent, sid: &str, intervals: &[u64]) -> Vec<String> {
    intervals
        .iter()
        .map(|ms| {
            let params = json!({"target": {"session_id": sid}, "interval_ms": ms});
            let r = a.call_ok("monitor.subscribe", params);
            r["subscription_id"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Waits for the first sample with figures (not an error) of a subscription.
fn first_good_sample(a: &Agent, sub: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = samples(a, sub);
        if let Some(s) = got.iter().find(|s| s["error"].is_null()) {
            return s.clone();
        }
        assert!(Instant::now() < deadline, "no sample with figures: {got:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The samples received so far for a subscription.
fn samples(a: &Agent, sub: &str) -> Vec<Value> {
    a.client()
        .events()
        .iter()
        .filter_map(|e| e.sample())
        .filter(|p| p.subscription_id == sub)
        .map(|p| serde_json::to_value(&p.sample).unwrap())
        .collect()
}

#[test]
fn the_agent_answers_within_2s_while_a_hostile_probe_runs() {
    let home = Home::new();
    let (a, sid) = hostile_target(&home, MOUNTS);
    // Several samplers, so parses could occupy every async worker at once; intervals of 2.5 s
    // and more give each reading the full 10 s probe timeout.
    let subs = subscribe(&a, &sid, &[2500, 2600, 2700, 2800]);
    let until = Instant::now() + Duration::from_secs(15);
    let mut slowest = Duration::ZERO;
    while Instant::now() < until {
        let asked = Instant::now();
        a.call_ok("session.list", json!({}));
        slowest = slowest.max(asked.elapsed());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        slowest < Duration::from_secs(2),
        "session.list took {slowest:?} while a hostile probe ran"
    );
    let s = first_good_sample(&a, &subs[0]);
    assert_eq!(s["disks"].as_array().unwrap().len(), 128);
    a.close(&sid).unwrap();
}

#[test]
fn hostile_samples_are_bounded_and_clean() {
    let home = Home::new();
    let (a, sid) = hostile_target(&home, EVERYTHING);
    let subs = subscribe(&a, &sid, &[1000]);
    let s = first_good_sample(&a, &subs[0]);
    assert!(s["cpu"]["per_core"].as_array().unwrap().len() <= 1024);
    assert!(s["disks"].as_array().unwrap().len() <= 128);
    assert!(s["net"]["interfaces"].as_array().unwrap().len() <= 128);
    let host = s["hostname"].as_str().unwrap();
    assert!(!host.chars().any(char::is_control), "{host:?}");
    for p in s["top"].as_array().unwrap() {
        assert!(p["name"].as_str().unwrap().len() <= 255);
    }
    a.close(&sid).unwrap();
}

#[test]
fn the_probe_program_never_comes_from_a_record() {
    let home = Home::new();
    let (a, sid) = hostile_target(&home, MOUNTS);
    let touched = home.root().join("touched");
    let path = home.record_path(&sid);
    let mut record: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    record["ssh"]["program"] = json!("/usr/bin/touch");
    record["ssh"]["probe_args"] = json!([touched, "remote command"]);
    std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
    let snapshot = a.call("monitor.snapshot", json!({"target": {"session_id": sid}}));
    assert!(!touched.exists(), "the record's program ran");
    let sample = snapshot.unwrap_or_else(|e| panic!("snapshot: {e:?}"));
    assert_eq!(sample["sample"]["hostname"], "many-mounts");
    a.close(&sid).unwrap();
}
