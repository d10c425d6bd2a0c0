//! Proves the test kit builds what it promises: key and password logins from the jump host to
//! the target (which prints its own host name), isolation of the target, link cuts that make
//! `ssh` give up with 255 and restores that let it in again, host-key changes, the jump sshd
//! seen from the desktop's side, parallel topologies, and complete clean-up on drop.
//!
//! Every test needs root and fails (never silently passes) without it. Tests that hold in both
//! topology kinds run once with the kind `OUTPOST_TESTKIT_TOPOLOGY` selects (netns where it
//! works) and once forced to loopback, so the fallback is exercised on every machine.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use outpost_testkit::process::{have_program, wait_for};
use outpost_testkit::{
    note, public_key_of, require_root, ProcessId, Sshd, TestUser, Topology, TopologyKind,
};

/// A topology, a user authorized on it with a fresh key, and a known_hosts file trusting it.
struct Fixture {
    // Field order is drop order: the topology first, then the user.
    topo: Topology,
    user: TestUser,
    key: PathBuf,
    known_hosts: PathBuf,
}

fn fixture(builder: outpost_testkit::TopologyBuilder) -> Fixture {
    require_root();
    let topo = builder.build().expect("topology");
    let user = TestUser::create("tk").expect("test user");
    let key = user.generate_key("id_ed25519", None).unwrap();
    topo.authorize_key(&user, &public_key_of(&key).unwrap())
        .unwrap();
    let known_hosts = user
        .write_file(".ssh/known_hosts_topo", topo.known_hosts(), 0o600)
        .unwrap();
    Fixture {
        topo,
        user,
        key,
        known_hosts,
    }
}

impl Fixture {
    /// `ssh` options: no config files, strict host keys, our known_hosts and key only.
    fn ssh_opts(&self) -> Vec<String> {
        let mut v = vec!["-o".to_string(), "BatchMode=yes".into()];
        v.extend(self.ssh_opts_prompting());
        v
    }

    /// [`Fixture::ssh_opts`] without `BatchMode=yes` (`ssh` keeps the first value of an option).
    fn ssh_opts_prompting(&self) -> Vec<String> {
        let mut v: Vec<String> = ["-F", "/dev/null"].map(String::from).to_vec();
        for o in [
            "StrictHostKeyChecking=yes".to_string(),
            format!("UserKnownHostsFile={}", self.known_hosts.display()),
            "GlobalKnownHostsFile=/dev/null".into(),
            "IdentitiesOnly=yes".into(),
            format!("IdentityFile={}", self.key.display()),
            "ConnectTimeout=5".into(),
        ] {
            v.push("-o".into());
            v.push(o);
        }
        v
    }

    /// `ssh [opts] [extra] target remote…` run on the jump host.
    fn ssh_target(&self, extra: &[&str], remote: &str) -> Command {
        let mut cmd = self.topo.jump_exec(&self.user, "ssh");
        cmd.args(self.ssh_opts())
            .args(extra)
            .args(self.topo.target_destination(&self.user))
            .arg(remote)
            .stdin(Stdio::null());
        cmd
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_owned()
}

fn explain(out: &Output) -> String {
    format!(
        "{}\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn machine_hostname() -> String {
    nix::unistd::gethostname()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn auto() -> outpost_testkit::TopologyBuilder {
    Topology::builder()
}

fn loopback() -> outpost_testkit::TopologyBuilder {
    Topology::builder().kind(TopologyKind::Loopback)
}

// ---------------------------------------------------------------------------------------------

fn key_login_reaches_target(builder: outpost_testkit::TopologyBuilder) {
    let f = fixture(builder);
    let out = f.ssh_target(&[], "hostname").output().unwrap();
    assert!(
        out.status.success(),
        "ssh jump → target failed: {}\ntarget sshd log:\n{}",
        explain(&out),
        f.topo.target().log()
    );
    assert_eq!(text(&out.stdout), f.topo.target_hostname());
    if f.topo.has_own_hostnames() {
        assert_ne!(
            text(&out.stdout),
            machine_hostname(),
            "the target must not look like this machine"
        );
    } else {
        note("UTS namespaces unavailable: the target has the machine's host name");
    }

    // The command on the jump host runs as the user, with the user's environment.
    let out = f
        .topo
        .jump_exec(&f.user, "sh")
        .args(["-c", "id -un; echo \"$HOME\"; hostname; pwd"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", explain(&out));
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    let home = f.user.home.display().to_string();
    assert_eq!(
        lines,
        [
            f.user.name.clone(),
            home.clone(),
            f.topo.jump_hostname().to_owned(),
            home
        ]
    );

    // Commands "on the target" (no ssh) see the target's host name.
    let out = f.topo.target_exec(&f.user, "hostname").output().unwrap();
    assert!(out.status.success(), "{}", explain(&out));
    assert_eq!(text(&out.stdout), f.topo.target_hostname());
}

#[test]
fn key_login_from_jump_reaches_target() {
    key_login_reaches_target(auto());
}

#[test]
fn key_login_from_jump_reaches_target_loopback() {
    key_login_reaches_target(loopback());
}

/// The target answers on "jump" and nowhere else: the test's own namespace (the desktop's
/// view) gets an immediate error. Needs network namespaces.
#[test]
fn target_is_reachable_only_from_jump() {
    let f = fixture(auto());
    if f.topo.kind() == TopologyKind::Loopback {
        let why = f.topo.fallback_reason().unwrap_or("?").to_owned();
        if TopologyKind::from_env().unwrap() == Some(TopologyKind::Loopback) {
            note(&format!(
                "SKIPPED target isolation check: loopback chosen explicitly ({why})"
            ));
            return;
        }
        panic!(
            "target isolation needs network namespaces, which do not work here ({why}); set \
             OUTPOST_TESTKIT_TOPOLOGY=loopback to accept running without this check"
        );
    }
    let routes = Command::new("ip")
        .args(["route", "show", "10.200.0.0/16"])
        .output()
        .unwrap();
    assert!(
        text(&routes.stdout).contains("unreachable 10.200.0.0/16"),
        "{}",
        text(&routes.stdout)
    );
    let target = f.topo.target_addr();
    assert!(
        f.topo.jump_reaches(target, Duration::from_secs(2)),
        "jump must reach the target"
    );

    let started = Instant::now();
    let err = TcpStream::connect_timeout(&target, Duration::from_secs(3))
        .expect_err("the target must not be reachable from the test's namespace");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "should fail at once (unreachable route), took {:?}: {err}",
        started.elapsed()
    );

    // Not by ssh either, even with the right key.
    let mut cmd = f.user.command("ssh");
    cmd.args(f.ssh_opts())
        .args(f.topo.target_destination(&f.user))
        .arg("hostname");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(255), "{}", explain(&out));
}

/// The jump host's own sshd, as the desktop will reach it: from the test's namespace.
#[test]
fn jump_sshd_is_reachable_from_the_test_namespace() {
    let f = fixture(auto());
    let jump = f.topo.jump().expect("jump sshd");
    let mut cmd = f.user.command("ssh");
    cmd.args(f.ssh_opts())
        .args([
            "-p",
            &jump.addr().port().to_string(),
            &format!("{}@{}", f.user.name, jump.addr().ip()),
        ])
        .arg("hostname");
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "ssh to jump: {}\njump sshd log:\n{}",
        explain(&out),
        jump.log()
    );
    assert_eq!(text(&out.stdout), f.topo.jump_hostname());
}

#[test]
fn password_login_from_jump() {
    require_root();
    if !have_program("sshpass") {
        note("SKIPPED password login check: sshpass is not installed (apt-get install -y sshpass)");
        return;
    }
    let f = fixture(auto().password_authentication(true));
    f.user.set_password("correct horse 7").unwrap();
    let login = |password: &str| {
        let mut cmd = f.topo.jump_exec(&f.user, "sshpass");
        cmd.arg("-e")
            .env("SSHPASS", password)
            .args(["ssh", "-o", "PubkeyAuthentication=no"])
            .args(f.ssh_opts_prompting())
            .args([
                "-o",
                "PreferredAuthentications=password",
                "-o",
                "NumberOfPasswordPrompts=1",
            ])
            .args(f.topo.target_destination(&f.user))
            .arg("hostname");
        cmd.output().unwrap()
    };
    let out = login("correct horse 7");
    assert!(
        out.status.success(),
        "password login: {}\nsshd log:\n{}",
        explain(&out),
        f.topo.target().log()
    );
    assert_eq!(text(&out.stdout), f.topo.target_hostname());
    let out = login("wrong");
    assert!(
        !out.status.success(),
        "a wrong password must fail: {}",
        explain(&out)
    );
}

/// Passwords are refused unless asked for.
#[test]
fn password_login_is_off_by_default() {
    require_root();
    if !have_program("sshpass") {
        note("SKIPPED password-off check: sshpass is not installed (apt-get install -y sshpass)");
        return;
    }
    let f = fixture(auto());
    f.user.set_password("pw-off-1").unwrap();
    let out = f
        .topo
        .jump_exec(&f.user, "sshpass")
        .args(["-p", "pw-off-1", "ssh", "-o", "PubkeyAuthentication=no"])
        .args(f.ssh_opts_prompting())
        .args(f.topo.target_destination(&f.user))
        .arg("hostname")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", explain(&out));
}

fn cut_and_restore(builder: outpost_testkit::TopologyBuilder) {
    let mut f = fixture(builder);
    let mut session = f
        .ssh_target(
            &["-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2"],
            "echo ready; exec sleep 600",
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = session.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(15)).ok().as_deref(),
        Some("ready"),
        "the session did not start"
    );

    f.topo.cut_link().unwrap();
    assert!(!f.topo.link_is_up());
    let cut_at = Instant::now();
    let status = wait_for(Duration::from_secs(30), || session.try_wait().unwrap());
    let Some(status) = status else {
        let _ = session.kill();
        panic!("ssh did not notice the cut link within 30 s");
    };
    let took = cut_at.elapsed();
    let stderr = text(
        &std::io::read_to_string(session.stderr.take().unwrap())
            .unwrap()
            .into_bytes(),
    );
    assert_eq!(
        status.code(),
        Some(255),
        "ssh after the cut: {status}, stderr: {stderr}"
    );
    assert!(
        took < Duration::from_secs(15),
        "ServerAlive 1×2 should give up in ~3 s, took {took:?}"
    );
    note(&format!(
        "{}: ssh gave up {took:?} after the cut: {stderr}",
        f.topo.kind()
    ));

    // While cut, a new login fails too.
    let out = f
        .ssh_target(&["-o", "ConnectTimeout=2"], "hostname")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(255),
        "login while cut: {}",
        explain(&out)
    );

    f.topo.restore_link().unwrap();
    assert!(f.topo.link_is_up());
    let out = f.ssh_target(&[], "hostname").output().unwrap();
    assert!(
        out.status.success(),
        "login after restore: {}",
        explain(&out)
    );
    assert_eq!(text(&out.stdout), f.topo.target_hostname());
}

#[test]
fn cut_link_ends_ssh_with_255_and_restore_lets_it_back() {
    cut_and_restore(auto());
}

#[test]
fn cut_link_ends_ssh_with_255_and_restore_lets_it_back_loopback() {
    cut_and_restore(loopback());
}

#[test]
fn changed_host_key_is_refused() {
    let mut f = fixture(auto());
    let out = f.ssh_target(&[], "true").output().unwrap();
    assert!(out.status.success(), "{}", explain(&out));

    let old = f.topo.target().host_key_fingerprint().to_owned();
    f.topo.target_mut().regenerate_host_key().unwrap();
    assert_ne!(f.topo.target().host_key_fingerprint(), old);

    let out = f.ssh_target(&[], "true").output().unwrap();
    assert_eq!(out.status.code(), Some(255), "{}", explain(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        "{stderr}"
    );
    assert!(
        stderr.contains(f.topo.target().host_key_fingerprint()),
        "ssh names the new fingerprint: {stderr}"
    );

    // Trusting the new key lets the user in again.
    f.user
        .write_file(".ssh/known_hosts_topo", f.topo.known_hosts(), 0o600)
        .unwrap();
    let out = f.ssh_target(&[], "hostname").output().unwrap();
    assert!(out.status.success(), "{}", explain(&out));
}

/// The user's `~/.ssh/config` alias works from the jump host.
#[test]
fn ssh_config_alias_on_jump() {
    let f = fixture(auto());
    let config = f.topo.target_ssh_config("target", &f.user, Some(&f.key));
    f.user.write_file(".ssh/config", config, 0o600).unwrap();
    let known = format!("UserKnownHostsFile={}", f.known_hosts.display());
    let out = f
        .topo
        .jump_exec(&f.user, "ssh")
        .args([
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            &known,
            "target",
            "hostname",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", explain(&out));
    assert_eq!(text(&out.stdout), f.topo.target_hostname());
}

fn namespaces() -> String {
    String::from_utf8_lossy(
        &Command::new("ip")
            .args(["netns", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned()
}

fn cmdlines_containing(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(needle))
        })
        .collect()
}

fn drop_cleans_up(builder: outpost_testkit::TopologyBuilder) {
    let f = fixture(builder);
    // A live session on the target and a client on the jump host at the time of the drop.
    let mut client = f
        .ssh_target(&[], "echo up; exec sleep 600")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(client.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "up");

    let mut processes: Vec<ProcessId> = f.topo.target().processes();
    processes.extend(f.topo.jump().map(Sshd::processes).unwrap_or_default());
    assert!(
        processes.len() >= 3,
        "the target should have a listener and session processes: {processes:?}"
    );
    let namespaces_before: Vec<String> = [f.topo.jump_netns(), f.topo.target_netns()]
        .into_iter()
        .flatten()
        .map(String::from)
        .collect();
    let root_link = f.topo.root_link().map(String::from);
    let dirs: Vec<PathBuf> = [Some(f.topo.target().dir()), f.topo.jump().map(Sshd::dir)]
        .into_iter()
        .flatten()
        .map(Path::to_path_buf)
        .collect();
    let (name, home) = (f.user.name.clone(), f.user.home.clone());
    let kind = f.topo.kind();
    drop(f);

    // The client lost its server; it is our child, so reap it.
    let status = wait_for(Duration::from_secs(30), || client.try_wait().unwrap());
    assert!(
        status.is_some(),
        "the ssh client on jump is still running after the drop"
    );

    let listed = namespaces();
    for ns in &namespaces_before {
        assert!(
            !listed.contains(ns.as_str()),
            "namespace {ns} left behind: {listed}"
        );
    }
    if let Some(link) = root_link {
        assert!(
            !Path::new("/sys/class/net").join(&link).exists(),
            "link {link} left behind"
        );
    }
    for p in &processes {
        assert!(
            !p.exists(),
            "process {p:?} left behind (zombie: {})",
            p.is_zombie()
        );
    }
    for d in &dirs {
        assert!(!d.exists(), "{} left behind", d.display());
        assert!(
            cmdlines_containing(&d.display().to_string()).is_empty(),
            "an sshd of {} still runs",
            d.display()
        );
    }
    assert!(
        nix::unistd::User::from_name(&name).unwrap().is_none(),
        "user {name} left behind"
    );
    assert!(!home.exists(), "{} left behind", home.display());
    note(&format!(
        "{kind}: everything removed ({} processes, namespaces {namespaces_before:?})",
        processes.len()
    ));
}

#[test]
fn drop_removes_namespaces_processes_and_users() {
    drop_cleans_up(auto());
}

#[test]
fn drop_removes_processes_and_users_loopback() {
    drop_cleans_up(loopback());
}

/// Several topologies at once get distinct names and addresses and all work.
#[test]
fn parallel_topologies_are_independent() {
    require_root();
    let handles: Vec<_> = (0..3)
        .map(|_| {
            std::thread::spawn(|| {
                let f = fixture(auto());
                let out = f.ssh_target(&[], "hostname").output().unwrap();
                assert!(out.status.success(), "{}", explain(&out));
                assert_eq!(text(&out.stdout), f.topo.target_hostname());
                (
                    f.topo.target_addr(),
                    f.topo.target_hostname().to_owned(),
                    f.topo.target_netns().map(String::from),
                    f,
                )
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for (i, a) in results.iter().enumerate() {
        for b in &results[i + 1..] {
            assert_ne!(a.1, b.1, "host names must differ");
            if a.3.topo.kind() == TopologyKind::Netns {
                assert_ne!(a.0, b.0, "target addresses must differ");
                assert_ne!(a.2, b.2, "namespaces must differ");
            }
        }
    }
}

/// A stand-alone sshd in the test's namespace: key login, the fingerprint `ssh` sees, suspend.
#[test]
fn standalone_sshd_on_loopback() {
    require_root();
    let user = TestUser::create("tks").unwrap();
    let key = user.generate_key("k1", Some("passphrase 1")).unwrap();
    let key2 = user.generate_key("k2", None).unwrap();
    let sshd = Sshd::builder()
        .authorize_key(&user.name, &public_key_of(&key2).unwrap())
        .start()
        .unwrap();
    assert!(sshd.addr().ip().is_loopback());
    assert_eq!(
        sshd.host_pattern(),
        format!("[127.0.0.1]:{}", sshd.addr().port())
    );

    // Files are the user's, with the asked mode.
    let known = user
        .write_file(".ssh/known_hosts", sshd.known_hosts_entry(), 0o640)
        .unwrap();
    let meta = std::fs::metadata(&known).unwrap();
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    assert_eq!(
        (meta.uid(), meta.gid(), meta.permissions().mode() & 0o777),
        (user.uid, user.gid, 0o640)
    );
    let ssh_dir = std::fs::metadata(user.home.join(".ssh")).unwrap();
    assert_eq!(
        (ssh_dir.uid(), ssh_dir.permissions().mode() & 0o777),
        (user.uid, 0o700)
    );
    assert!(std::fs::read_to_string(&key)
        .unwrap()
        .contains("OPENSSH PRIVATE KEY"));

    let ssh = |identity: &Path| {
        user.command("ssh")
            .args([
                "-F",
                "/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "IdentitiesOnly=yes",
            ])
            .arg("-i")
            .arg(identity)
            .args([
                "-p",
                &sshd.addr().port().to_string(),
                &format!("{}@127.0.0.1", user.name),
                "id -un",
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = ssh(&key2);
    assert!(out.status.success(), "{}\n{}", explain(&out), sshd.log());
    assert_eq!(text(&out.stdout), user.name);
    // k1 is not authorized (and has a passphrase BatchMode cannot type).
    assert_eq!(ssh(&key).status.code(), Some(255));

    // The fingerprint we report is the one the server presents.
    let scan = Command::new("ssh-keyscan")
        .args([
            "-t",
            "ed25519",
            "-p",
            &sshd.addr().port().to_string(),
            "127.0.0.1",
        ])
        .output()
        .unwrap();
    let scanned = text(&scan.stdout);
    assert!(
        scanned.contains(sshd.host_public_key()),
        "keyscan: {scanned}"
    );

    // Startup failures carry sshd's own words.
    let err = Sshd::builder()
        .config_line("NoSuchOption yes")
        .start()
        .unwrap_err();
    assert!(format!("{err:#}").contains("NoSuchOption"), "{err:#}");
}
