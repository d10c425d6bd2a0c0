//! Agent deployment over SSH against real OpenSSH servers (`outpost-testkit`), through the
//! `outpost` CLI and, where a test must hand the engine something wrong, through
//! `engine::agent::deploy` itself: the first deploy into an empty home (SFTP, mode 755, the local
//! binary's SHA-256) and an idempotent second connect; an upgrade over an older version and a
//! stale file; a corrupted upload caught with nothing installed and nothing left behind; the
//! `cat >` fallback when the server has no SFTP; shell startup files that print to stdout; and
//! ProxyJump to a target only the jump host can reach.
//!
//! Every test needs root (throwaway users, `sshd`, network namespaces) and fails without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use outpost_desktop::engine::agent::bin::Platform;
use outpost_desktop::engine::agent::deploy;
use outpost_desktop::engine::ssh::known_hosts::KnownHosts;
use outpost_desktop::engine::ssh::{AgentSource, AutoPrompter, Credentials, SshSession, SshTarget};
use outpost_testkit::cli::{sha256_file, sha256_hex, Jumped, Remote};
use outpost_testkit::fixture::hostname;
use outpost_testkit::{note, Sshd, TestUser, TopologyKind};

/// The CLI under test.
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The agents' directory in `user`'s home (`~/.local/share/outpost/agent`).
fn agent_root(user: &TestUser) -> PathBuf {
    user.home.join(deploy::AGENT_ROOT)
}

/// Where this build's agent is installed in `user`'s home.
fn installed_agent(user: &TestUser) -> PathBuf {
    user.home.join(deploy::agent_path(deploy::AGENT_VERSION))
}

/// The names in a directory, sorted (empty when it does not exist).
fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// (mtime in ns, inode) of a file: both stay when nothing re-uploads or replaces it.
fn stamp(path: &Path) -> (i128, u64) {
    let m = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (
        i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        m.ino(),
    )
}

/// `outpost-agent <our version> protocol <N>`.
fn version_line() -> String {
    format!(
        "outpost-agent {} protocol {}",
        deploy::AGENT_VERSION,
        outpost_protocol::PROTOCOL_VERSION
    )
}

/// Checks the installed agent: the local binary's bytes, mode 755, owned by the user, alone in
/// its directory (no temporary file left), and answering `--version` as the user.
fn assert_installed(r: &Remote) {
    let path = installed_agent(&r.user);
    let meta = std::fs::metadata(&path)
        .unwrap_or_else(|e| panic!("{} is not installed: {e}", path.display()));
    assert_eq!(
        meta.permissions().mode() & 0o7777,
        0o755,
        "mode of {}",
        path.display()
    );
    assert_eq!(meta.uid(), r.user.uid, "owner of {}", path.display());
    assert_eq!(
        sha256_file(&path),
        sha256_file(r.cli.agent()),
        "the installed agent differs from the local binary"
    );
    assert_eq!(
        dir_names(path.parent().unwrap()),
        vec!["outpost-agent".to_string()],
        "something besides the agent was left in its directory"
    );
    let out = r.user.command(&path).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), version_line());
}

/// The engine's view of `r`'s server: an SSH session as its user, with its key.
async fn engine_session(r: &Remote) -> SshSession {
    let target = SshTarget {
        host: r.sshd.addr().ip().to_string(),
        port: r.sshd.addr().port(),
        user: r.user.name.clone(),
        identity_files: vec![r.key.clone()],
        proxy_jump: Vec::new(),
        connect_timeout: Duration::from_secs(20),
        agent: AgentSource::Disabled,
        default_identities: false,
        ..SshTarget::default()
    };
    let known = KnownHosts::new(
        r.cli.home().join(".ssh/known_hosts"),
        r.cli.own_known_hosts(),
    );
    SshSession::connect(
        &target,
        &known,
        Arc::new(AutoPrompter::new()),
        &Credentials::new(),
    )
    .await
    .expect("ssh session")
}

#[test]
fn first_deploy_into_an_empty_home_then_a_second_connect_reuses_it() {
    let r = Remote::start(OUTPOST, Sshd::builder());
    assert!(!agent_root(&r.user).exists(), "the home is not empty");

    let check = r.cli.ok(&["check", "h"]);
    assert_eq!(check["deployed"], true, "{check}");
    assert_eq!(check["host"], "h");
    assert_eq!(check["hostname"], hostname().as_str());
    assert_eq!(check["user"], r.user.name.as_str());
    assert_eq!(check["agent_version"], deploy::AGENT_VERSION);
    assert_eq!(check["platform"], Platform::current().to_string().as_str());
    assert!(check["latency_ms"].as_f64().unwrap() > 0.0, "{check}");
    assert_eq!(
        check["preamble"],
        serde_json::json!([]),
        "no shell noise here: {check}"
    );
    assert_installed(&r);
    // The upload went over SFTP (the server logs the subsystem request).
    let sftp_requests = r.log_count("Starting session: subsystem 'sftp'");
    assert!(
        sftp_requests >= 1,
        "no SFTP request in the log:\n{}",
        r.sshd.log()
    );
    let before = stamp(&installed_agent(&r.user));

    let again = r.cli.ok(&["check", "h"]);
    assert_eq!(again["deployed"], false, "{again}");
    assert_eq!(again["agent_version"], deploy::AGENT_VERSION);
    assert_eq!(
        stamp(&installed_agent(&r.user)),
        before,
        "the agent was uploaded or replaced again"
    );
    assert_eq!(
        r.log_count("Starting session: subsystem 'sftp'"),
        sftp_requests,
        "the second connect opened SFTP"
    );
    assert_installed(&r);
}

#[test]
fn upgrade_replaces_an_older_version_and_a_stale_file_then_removes_the_old_one() {
    let r = Remote::start(OUTPOST, Sshd::builder());
    let old = format!("{}/0.0.1/outpost-agent", deploy::AGENT_ROOT);
    r.user
        .write_file(
            &old,
            "#!/bin/sh\necho 'outpost-agent 0.0.1 protocol 1'\n",
            0o755,
        )
        .unwrap();
    // A file at our version's path that is not our agent (an interrupted or foreign install).
    r.user
        .write_file(
            deploy::agent_path(deploy::AGENT_VERSION),
            "#!/bin/sh\necho 'outpost-agent 0.0.0-stale protocol 0'\n",
            0o755,
        )
        .unwrap();

    let check = r.cli.ok(&["check", "h"]);
    assert_eq!(check["deployed"], true, "{check}");
    assert_eq!(check["agent_version"], deploy::AGENT_VERSION, "{check}");
    assert_installed(&r);
    assert_eq!(
        dir_names(&agent_root(&r.user)),
        vec![deploy::AGENT_VERSION.to_string()],
        "the older version was not removed"
    );
    // The new agent answers the protocol, and the next connect leaves it alone.
    assert_eq!(r.cli.ok(&["sessions", "h"]), serde_json::json!([]));
    let again = r.cli.ok(&["check", "h"]);
    assert_eq!(again["deployed"], false, "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_upload_is_detected_and_nothing_is_installed() {
    let r = Remote::start(OUTPOST, Sshd::builder());
    // An older version is installed: a failed upgrade must leave it in place.
    let old = format!("{}/0.0.1/outpost-agent", deploy::AGENT_ROOT);
    r.user
        .write_file(
            &old,
            "#!/bin/sh\necho 'outpost-agent 0.0.1 protocol 1'\n",
            0o755,
        )
        .unwrap();
    let ssh = engine_session(&r).await;
    let data = std::fs::read(r.cli.agent()).unwrap();
    let wrong = sha256_hex(b"not the agent");

    let err = deploy::install(&ssh, &data, &wrong).await.unwrap_err();
    assert_eq!(err.code(), "deploy", "{err}");
    let msg = err.to_string();
    assert!(msg.contains("corrupted"), "{msg}");
    assert!(
        msg.contains(&wrong),
        "the message names the expected digest: {msg}"
    );
    assert!(
        msg.contains(&sha256_hex(&data)),
        "the message names the digest found on the host: {msg}"
    );
    let path = installed_agent(&r.user);
    assert!(!path.exists(), "{} was installed", path.display());
    assert_eq!(
        dir_names(path.parent().unwrap()),
        Vec::<String>::new(),
        "a temporary file was left behind"
    );
    assert!(
        r.user.home.join(&old).exists(),
        "the old version was removed"
    );

    // The same bytes with their true digest install, and only then the old version goes.
    deploy::install(&ssh, &data, &sha256_hex(&data))
        .await
        .unwrap();
    ssh.disconnect().await;
    assert_installed(&r);
    assert_eq!(
        dir_names(&agent_root(&r.user)),
        vec![deploy::AGENT_VERSION.to_string()]
    );
}

#[test]
fn without_sftp_the_agent_is_uploaded_with_cat() {
    let r = Remote::start(OUTPOST, Sshd::builder().sftp_subsystem(None));
    let check = r.cli.ok(&["check", "h"]);
    assert_eq!(check["deployed"], true, "{check}");
    assert_installed(&r);
    let log = r.sshd.log();
    assert!(
        log.contains("subsystem request for sftp") && !log.contains("Starting session: subsystem"),
        "SFTP should have been asked for and refused:\n{log}"
    );
    assert_eq!(r.cli.ok(&["check", "h"])["deployed"], false);
}

/// Startup files that print, for every kind of shell: `.bashrc` is read by the non-interactive
/// `bash -c` that sshd runs for commands (Debian's bash sources it under sshd), `.profile` by
/// login shells. Both also print to stderr.
fn noisy_startup_files(user: &outpost_testkit::TestUser) {
    user.write_file(
        ".bashrc",
        "echo 'Welcome to jump!'\necho 'bashrc on stderr' >&2\n",
        0o644,
    )
    .unwrap();
    user.write_file(
        ".profile",
        "echo 'Welcome to jump (profile)!'\n. \"$HOME/.bashrc\"\n",
        0o644,
    )
    .unwrap();
}

#[test]
fn startup_files_that_print_do_not_break_deploy_or_the_protocol() {
    let r = Remote::start(OUTPOST, Sshd::builder());
    noisy_startup_files(&r.user);
    // The noise is real: a plain command over ssh shows it.
    let out = std::process::Command::new("ssh")
        .args([
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
        ])
        .args([
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-i",
        ])
        .arg(&r.key)
        .args(["-p", &r.sshd.addr().port().to_string()])
        .arg(format!("{}@{}", r.user.name, r.sshd.addr().ip()))
        .arg("true")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Welcome to jump!\n",
        "{out:?}"
    );

    // First connect: probe, upload, checksum and version check all see the noise.
    let check = r.cli.ok(&["check", "h"]);
    assert_eq!(check["deployed"], true, "{check}");
    assert_eq!(check["hostname"], hostname().as_str(), "{check}");
    let preamble = check["preamble"].as_array().expect("preamble reported");
    assert!(preamble.iter().any(|l| l == "Welcome to jump!"), "{check}");
    assert_installed(&r);
    // Already deployed: still fine, still reported.
    let again = r.cli.ok(&["check", "h"]);
    assert_eq!(again["deployed"], false, "{again}");
    assert!(again["preamble"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l == "Welcome to jump!"));
    // The people-facing output says so plainly.
    let text = r.cli.cmd().args(["check", "h"]).output().unwrap();
    assert!(text.status.success(), "{text:?}");
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("shell startup files"),
        "{text:?}"
    );
    // Sessions work through the noise.
    let s = r.cli.ok(&["new", "h", "--cols", "80", "--rows", "24"]);
    let sid = s["session_id"].as_str().unwrap().to_string();
    r.cli.ok(&["send", "h", &sid, "echo noisy-$((6*7))\\n"]);
    r.cli.wait_output("h", &sid, "noisy-42");
    r.cli.ok(&["close", "h", &sid]);
}

#[test]
fn startup_noise_that_breaks_sftp_falls_back_to_cat() {
    // OpenSSH's external sftp-server runs through the user's shell, so `.bashrc` noise lands in
    // the SFTP stream (the classic "Received message too long"); the upload must fall back.
    let r = Remote::start(
        OUTPOST,
        Sshd::builder().sftp_subsystem(Some("/usr/lib/openssh/sftp-server")),
    );
    noisy_startup_files(&r.user);
    let started = std::time::Instant::now();
    let check = r.cli.ok(&["check", "h"]);
    note(&format!(
        "deploy through a broken SFTP took {:?}",
        started.elapsed()
    ));
    assert_eq!(check["deployed"], true, "{check}");
    assert_installed(&r);
    assert!(r.sshd.log().contains("subsystem 'sftp'"));
}

#[test]
fn proxy_jump_deploys_to_a_target_only_the_jump_host_reaches() {
    let j = Jumped::new(OUTPOST);
    if j.topo.kind() == TopologyKind::Netns {
        assert!(
            std::net::TcpStream::connect_timeout(&j.topo.target_addr(), Duration::from_secs(2))
                .is_err(),
            "the test must not reach the target directly"
        );
    } else {
        note("loopback topology: the target is reachable directly too; isolation not checked");
    }
    let check = j.cli.ok(&["check", "target"]);
    assert_eq!(check["deployed"], true, "{check}");
    assert_eq!(check["hostname"], j.topo.target_hostname(), "{check}");
    assert_eq!(check["user"], j.user.name.as_str());
    assert_eq!(
        sha256_file(&installed_agent(&j.user)),
        sha256_file(j.cli.agent())
    );

    let s = j.cli.ok(&[
        "new", "target", "--title", "behind", "--cols", "80", "--rows", "24",
    ]);
    let sid = s["session_id"].as_str().unwrap().to_string();
    assert_eq!(s["title"], "behind");
    j.cli
        .ok(&["send", "target", &sid, "echo on-$(hostname)-$((6*7))\\n"]);
    j.cli.wait_output(
        "target",
        &sid,
        &format!("on-{}-42", j.topo.target_hostname()),
    );
    let list = j.cli.ok(&["sessions", "target"]);
    assert_eq!(list[0]["session_id"], sid.as_str(), "{list}");
    j.cli.ok(&["close", "target", &sid]);
    assert_eq!(j.cli.ok(&["sessions", "target"]), serde_json::json!([]));
}

#[test]
fn startup_output_without_a_final_newline_is_split_off() {
    // `printf` without a newline (a terminal-title escape, `echo -n`): the agent's first line
    // must not be glued to it.
    let r = Remote::start(OUTPOST, Sshd::builder());
    r.user
        .write_file(
            ".bashrc",
            "printf '\\033]0;jump\\007Welcome, no newline'\n",
            0o644,
        )
        .unwrap();
    for deployed in [true, false] {
        let started = std::time::Instant::now();
        let check = r.cli.ok(&["check", "h"]);
        assert_eq!(check["deployed"], deployed, "{check}");
        assert_eq!(check["hostname"], hostname().as_str());
        assert_eq!(
            check["preamble"],
            serde_json::json!(["\u{1b}]0;jump\u{7}Welcome, no newline"]),
            "{check}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(25),
            "check waited for a timeout: {:?}",
            started.elapsed()
        );
    }
    assert_installed(&r);
}

#[test]
fn two_first_connects_at_once_both_deploy_a_whole_agent() {
    // A desktop window and a script connecting to a fresh host at the same moment: each uploads
    // under its own temporary name and renames it into place, so neither sees half a file.
    let r = Remote::start(OUTPOST, Sshd::builder());
    let spawn = || {
        r.cli
            .cmd()
            .args(["--json", "check", "h"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["data"]["agent_version"], deploy::AGENT_VERSION, "{v}");
    }
    assert_installed(&r);
    assert_eq!(r.cli.ok(&["check", "h"])["deployed"], false);
}

/// A `.bashrc` that changes directory does not move the install: every path is absolute,
/// resolved from `$HOME` once.
#[test]
fn a_cd_in_bashrc_does_not_move_the_install() {
    let r = Remote::start(OUTPOST, Sshd::builder());
    r.user.write_file("elsewhere/.keep", "", 0o644).unwrap();
    r.user
        .write_file(".bashrc", "cd \"$HOME/elsewhere\"\n", 0o644)
        .unwrap();
    let check = r.cli.ok(&["check", "h"]);
    assert_eq!(check["deployed"], true, "{check}");
    assert_installed(&r);
    assert!(
        !r.user.home.join("elsewhere/.local").exists(),
        "the agent was installed relative to the shell's directory"
    );
    assert_eq!(r.cli.ok(&["sessions", "h"]), serde_json::json!([]));
}

/// A file planted at the install path that answers `--version` correctly is not run before its
/// checksum is verified: it is replaced by the real agent.
#[test]
fn a_planted_binary_is_not_run_before_its_checksum_is_checked() {
    let r = Remote::start(OUTPOST, Sshd::builder());
    let planted = format!(
        "#!/bin/sh\ntouch \"$HOME/planted-ran\"\necho '{}'\n",
        version_line()
    );
    r.user
        .write_file(deploy::agent_path(deploy::AGENT_VERSION), planted, 0o755)
        .unwrap();
    let check = r.cli.ok(&["check", "h"]);
    assert!(
        !r.user.home.join("planted-ran").exists(),
        "the planted binary ran: {check}"
    );
    assert_eq!(check["deployed"], true, "{check}");
    assert_installed(&r);
}

/// An install directory writable by group or others is refused, not used.
#[test]
fn a_group_writable_install_directory_is_refused() {
    let r = Remote::start(OUTPOST, Sshd::builder());
    let path = r
        .user
        .write_file(deploy::agent_path(deploy::AGENT_VERSION), "x", 0o600)
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    let dir = path.parent().unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o770)).unwrap();
    let (code, msg) = r.cli.err(&["check", "h"]);
    assert_eq!(code, "deploy", "{msg}");
    assert!(msg.contains("writable"), "{msg}");
    assert!(
        !path.exists(),
        "the agent was installed into {}",
        dir.display()
    );
}

/// `uname -m` is allow-listed before any local file name is built from it.
#[test]
fn an_unknown_architecture_is_refused() {
    let r = Remote::start(OUTPOST, Sshd::builder());
    r.user
        .write_file(
            "bin/uname",
            "#!/bin/sh\necho 'Linux x86_64;rm -rf'\n",
            0o755,
        )
        .unwrap();
    r.user
        .write_file(".bashrc", "PATH=\"$HOME/bin:$PATH\"\n", 0o644)
        .unwrap();
    let (code, msg) = r.cli.err(&["check", "h"]);
    assert_eq!(code, "deploy", "{msg}");
    assert!(msg.contains("platform"), "{msg}");
    assert!(!agent_root(&r.user).exists(), "something was installed");
}

/// A host whose `uname -m` says aarch64 gets `outpost-agent-linux-aarch64` from beside the
/// desktop's executable, installed under `linux-aarch64/`; without that file the typed
/// `no_agent_binary` error names it and the path it was looked for at, and nothing is
/// installed. (The host is this machine with a `uname` in the user's `PATH` that says aarch64,
/// as the probe reads it; so the "aarch64 agent" is the x86_64 one with a tag appended, which
/// still runs and whose SHA-256 tells it from the x86_64 file.)
#[test]
fn an_aarch64_host_gets_the_aarch64_agent_beside_the_desktop_or_a_clear_error() {
    // A desktop of its own: nothing beside it but what the test puts there.
    let desktop = tempfile::Builder::new()
        .prefix("oarm")
        .tempdir_in("/tmp")
        .unwrap();
    let outpost = desktop.path().join("outpost");
    std::fs::hard_link(OUTPOST, &outpost)
        .or_else(|_| std::fs::copy(OUTPOST, &outpost).map(drop))
        .unwrap();
    let r = Remote::start(&outpost, Sshd::builder());
    r.user
        .write_file(
            "bin/uname",
            "#!/bin/sh\ncase \"$*\" in\n  -sm) echo 'Linux aarch64' ;;\n  -m) echo aarch64 ;;\n  *) exec /bin/uname \"$@\" ;;\nesac\n",
            0o755,
        )
        .unwrap();
    r.user
        .write_file(".bashrc", "PATH=\"$HOME/bin:$PATH\"\n", 0o644)
        .unwrap();
    let arm = Platform::from_uname("Linux aarch64").unwrap();
    let arm_file = desktop.path().join("outpost-agent-linux-aarch64");

    let (code, v, _) = r.cli.run(&["check", "h"]);
    assert_ne!(code, 0, "{v}");
    assert_eq!(v["error"]["code"], "no_agent_binary", "{v}");
    let details = &v["error"]["details"];
    assert_eq!(details["kind"], "no_agent_binary", "{v}");
    assert_eq!(details["platform"], "linux-aarch64", "{v}");
    assert_eq!(details["file_name"], "outpost-agent-linux-aarch64", "{v}");
    assert_eq!(
        details["looked"],
        serde_json::json!([arm_file.display().to_string()]),
        "only the aarch64 file beside the executable serves an aarch64 host: {v}"
    );
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&arm_file.display().to_string()) && message.contains("portable-agent"),
        "{message}"
    );
    assert!(!agent_root(&r.user).exists(), "something was installed");

    let mut stand_in = std::fs::read(r.cli.agent()).unwrap();
    stand_in.extend_from_slice(b"\0outpost-testkit aarch64 stand-in\0");
    std::fs::write(&arm_file, &stand_in).unwrap();
    std::fs::set_permissions(&arm_file, std::fs::Permissions::from_mode(0o755)).unwrap();
    let check = r.cli.ok(&["check", "h"]);
    assert_eq!(check["deployed"], true, "{check}");
    // (`platform` is what the running agent reports of itself: the stand-in is x86_64 code.)
    let installed = r
        .user
        .home
        .join(deploy::agent_path_for(deploy::AGENT_VERSION, &arm));
    assert_eq!(
        sha256_file(&installed),
        sha256_hex(&stand_in),
        "the aarch64 file was deployed"
    );
    assert_ne!(sha256_hex(&stand_in), sha256_file(r.cli.agent()));
    assert!(
        !installed_agent(&r.user).exists(),
        "the x86_64 agent was installed for an aarch64 host"
    );
}
