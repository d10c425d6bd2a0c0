//! Outpost's own processes carry their own names in `/proc/PID/comm` (what `ps`, `top` and the
//! monitoring panel show): the agent is `outpost-agent`, each session daemon `outpost-session`,
//! not `exe` (daemons are started through `/proc/self/exe`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_testkit::fixture::{sid_of, Home, DEADLINE};
use outpost_testkit::procfs;

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_else(|e| panic!("reading /proc/{pid}/comm: {e}"))
        .trim_end()
        .to_owned()
}

#[test]
fn agent_and_session_daemon_are_named() {
    let home = Home::new();
    let a = home.agent_initialized();
    assert_eq!(comm(a.pid()), "outpost-agent");

    let s = a.create_bash(80, 24);
    let sid = sid_of(&s);
    let shell = u32::try_from(s["pid"].as_u64().expect("pid")).unwrap();
    a.attach_ok(&sid, None);
    a.wait_for_output(&sid, b"$ ", DEADLINE);
    // The shell's parent is the session's daemon.
    let daemon = procfs::stat(shell).expect("the shell runs").ppid;
    assert_ne!(daemon, a.pid(), "the daemon is detached from the agent");
    assert_eq!(comm(daemon), "outpost-session");
    // Its threads (PTY reader, writer, waiter) carry the name they were started with or the
    // daemon's, never the binary's.
    let tasks = std::fs::read_dir(format!("/proc/{daemon}/task")).unwrap();
    for t in tasks {
        let name = std::fs::read_to_string(t.unwrap().path().join("comm")).unwrap();
        assert_ne!(name.trim_end(), "exe", "a daemon thread is named exe");
    }
    // The shell itself keeps its own name.
    assert_eq!(comm(shell), "bash");
    a.close(&sid).unwrap();
}

/// A name the kernel cut at 15 bytes is shown whole: the monitoring panel's top processes read
/// it from `argv[0]`.
#[test]
fn cut_command_names_are_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("sleep-with-a-long-name");
    // A link, not a copy: a freshly written executable can be busy (ETXTBSY) while another
    // test forks. The kernel names the process after the path it ran.
    std::os::unix::fs::symlink("/bin/sleep", &long).unwrap();
    let mut child = std::process::Command::new(&long).arg("30").spawn().unwrap();
    let pid = child.id();
    // `spawn` may return before the child has run `exec`: wait until its arguments are sleep's.
    let deadline = std::time::Instant::now() + DEADLINE;
    while std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default()
        != format!("{}\0{}\0", long.display(), "30").into_bytes()
    {
        assert!(std::time::Instant::now() < deadline, "sleep never started");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let cut = comm(pid);
    assert_eq!(cut, "sleep-with-a-lo", "the kernel's own cut");
    assert_eq!(
        outpost_agent::monitor::local::full_name(pid, &cut),
        "sleep-with-a-long-name"
    );
    // Short names and names that are not a prefix of argv[0] stay as they are.
    assert_eq!(
        outpost_agent::monitor::local::full_name(pid, "sleep"),
        "sleep"
    );
    assert_eq!(
        outpost_agent::monitor::local::full_name(pid, "something-else!"),
        "something-else!"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
