//! The desktop against a real old jump host: Debian 11 (glibc 2.31, OpenSSH 8.4), installed by
//! `debootstrap` and cached under `target/old-host/` (`outpost_testkit::topology::debian_root`),
//! running its own `sshd` chrooted in a network namespace (`outpost_testkit::topology::old_host`).
//! `outpost check`, `new`, `send`, `attach` (reading the output from the start and live until
//! the session exits) and `monitor` work against it with the agent deployed there; the deployed
//! binary is the portable build, needs no `GLIBC_` symbol version above 2.17 (`objdump -T`) and
//! runs there, while the host-built agent does not (the system's loader names the missing
//! `GLIBC_2.3x`).
//! When the host goes, no process of it and none of its mounts remain.
//!
//! Needs root, network namespaces, and (once, to build the cache) Debian's package mirror.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use outpost_desktop::engine::agent::deploy;
use outpost_testkit::cli::{sha256_file, Cli, Collected, DEADLINE};
use outpost_testkit::fixture::wait_until;
use outpost_testkit::process::wait_exit;
use outpost_testkit::topology::debian_root::DebianRoot;
use outpost_testkit::topology::glibc::highest_glibc_version;
use outpost_testkit::topology::old_host::OldHost;
use outpost_testkit::{note, public_key_of, require_root};

/// The CLI under test.
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The newest glibc the deployed agent may need: CentOS 7's.
const OLDEST_GLIBC: (u32, u32, u32) = (2, 17, 0);

/// `(2, 17, 0)` as `2.17`.
fn dotted((a, b, c): (u32, u32, u32)) -> String {
    if c == 0 {
        format!("{a}.{b}")
    } else {
        format!("{a}.{b}.{c}")
    }
}

#[test]
fn a_debian_11_jump_host_runs_the_deployed_portable_agent() {
    require_root();
    let started = Instant::now();
    let root = DebianRoot::bullseye().unwrap();
    match root.built_in() {
        Some(took) => note(&format!("debootstrap (cold): {:.1} s", took.as_secs_f64())),
        None => note(&format!(
            "Debian root from the cache: {:.1} s",
            started.elapsed().as_secs_f64()
        )),
    }
    assert_eq!(
        root.libc_version().unwrap(),
        "glibc 2.31",
        "Debian 11's C library"
    );
    let lap = |what: &str| note(&format!("{what}: {:.1} s", started.elapsed().as_secs_f64()));

    let cli = Cli::new(OUTPOST);
    let key = cli.home().join("id_ed25519");
    outpost_testkit::process::run(
        std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key),
    )
    .unwrap();
    let host = OldHost::start(&root, &public_key_of(&key).unwrap()).unwrap();
    let sshd_version = host
        .command(&["/usr/sbin/sshd", "-V"])
        .unwrap()
        .output()
        .unwrap();
    let sshd_version = String::from_utf8_lossy(&sshd_version.stderr).into_owned();
    assert!(
        sshd_version.contains("OpenSSH_8.4p1 Debian"),
        "the host's own sshd: {sshd_version}"
    );
    cli.trust(&host.known_hosts_entry());
    cli.add_host("old", host.user(), host.addr(), &key, None);
    lap("old host up");

    // check: connects, deploys the portable agent, which answers on glibc 2.31.
    let check = cli.ok(&["check", "old"]);
    lap("first check (deploys)");
    assert_eq!(check["hostname"], host.hostname(), "{check}");
    assert_eq!(check["user"], host.user());
    assert_eq!(check["agent_version"], deploy::AGENT_VERSION);
    assert_eq!(check["deployed"], true, "{check}");
    let installed_rel = deploy::agent_path(deploy::AGENT_VERSION);
    let installed_abs = format!("{}/{installed_rel}", host.home());
    let installed = host.path(&installed_abs).unwrap();
    assert_eq!(
        sha256_file(&installed),
        sha256_file(cli.agent()),
        "the deployed agent is the CLI's ({})",
        cli.agent().display()
    );
    let needs = highest_glibc_version(&installed)
        .unwrap()
        .expect("the agent is linked against glibc");
    note(&format!(
        "deployed agent ({}): highest GLIBC_ symbol version {} (objdump -T)",
        installed_rel,
        dotted(needs)
    ));
    assert!(
        needs <= OLDEST_GLIBC,
        "the deployed agent needs GLIBC_{}, newer than {}",
        dotted(needs),
        dotted(OLDEST_GLIBC)
    );
    let answer = host
        .command(&[&installed_abs, "--version"])
        .unwrap()
        .output()
        .unwrap();
    assert!(answer.status.success(), "{answer:?}");
    assert!(String::from_utf8_lossy(&answer.stdout).starts_with("outpost-agent "));

    // The host-built agent does not run there: the system's loader names the missing version.
    let host_built = Path::new(OUTPOST).with_file_name("outpost-agent");
    assert!(
        host_built.is_file(),
        "{} is missing: cargo build -p outpost-agent first",
        host_built.display()
    );
    let built_needs = highest_glibc_version(&host_built).unwrap().unwrap();
    assert!(
        built_needs > (2, 31, 0),
        "the host-built agent needs only GLIBC_{}: this machine's toolchain would not show the problem",
        dotted(built_needs)
    );
    let copy = host.path("/tmp/host-built-agent").unwrap();
    std::fs::copy(&host_built, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    let refused = host
        .command(&["/tmp/host-built-agent", "--version"])
        .unwrap()
        .output()
        .unwrap();
    let refused_err = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(
        !refused.status.success(),
        "the host-built agent ran on glibc 2.31"
    );
    assert!(
        refused_err.contains("version `GLIBC_2.3") && refused_err.contains("not found"),
        "{refused_err}"
    );
    note(&format!(
        "host-built agent (needs GLIBC_{}) on Debian 11: {}",
        dotted(built_needs),
        refused_err.lines().next().unwrap_or_default()
    ));

    lap("host-built agent refused");

    // new: a shell in a PTY inside the chroot (devpts), on the host's own bash and libc.
    let shell = cli.ok(&[
        "new", "old", "--title", "sh", "--cols", "100", "--rows", "30",
    ]);
    let sid = shell["session_id"].as_str().unwrap().to_string();
    assert_eq!(shell["kind"], "shell", "{shell}");
    cli.ok(&[
        "send",
        "old",
        &sid,
        "echo on-$(hostname)-$(getconf GNU_LIBC_VERSION | tr ' ' -)-$(tty | cut -c1-9)\\n",
    ]);

    // attach: the output from the start, then live output, then the session's exit code.
    let mut attach = cli
        .cmd()
        .args(["attach", "old", &sid, "--from", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let io = Collected::start(&mut attach);
    let marker = format!("on-{}-glibc-2.31-/dev/pts/", host.hostname());
    wait_until(DEADLINE, "the shell's answer through attach", || {
        io.out().contains(&marker)
    });
    lap("new, send, output read through attach");
    cli.ok(&["send", "old", &sid, "echo live-$((6*7))\\n"]);
    wait_until(DEADLINE, "live output through attach", || {
        io.out().contains("live-42")
    });

    lap("attach live");

    // monitor: the host's facts, read by the agent from the chroot's /proc.
    let snap = cli.ok(&["monitor", "old", "--once"]);
    assert!(snap.get("error").is_none(), "{snap}");
    assert_eq!(snap["hostname"], host.hostname(), "{snap}");
    assert!(
        snap["memory"]["total_bytes"].as_u64().unwrap() > 0,
        "{snap}"
    );

    cli.ok(&["send", "old", &sid, "exit 7\\n"]);
    let status = wait_exit(&mut attach, DEADLINE);
    if status.is_none() {
        let _ = attach.kill();
        let _ = attach.wait();
    }
    let (_, err) = io.join();
    let status = status.unwrap_or_else(|| panic!("attach did not end with the session: {err}"));
    assert_eq!(
        status.code(),
        Some(7),
        "attach ends with the session's code; {err}"
    );
    cli.ok(&["close", "old", &sid]);
    assert_eq!(cli.ok(&["sessions", "old"]), serde_json::json!([]));

    // Dropping the host leaves no process, no mount namespace (so no mount) and no files.
    let sshd = host.sshd_process().unwrap();
    let mount_ns = host.mount_namespace().unwrap();
    let dir = host.dir().to_path_buf();
    drop(host);
    assert!(!sshd.exists(), "the old host's sshd survived");
    assert_eq!(
        OldHost::processes_in_mount_namespace(&mount_ns),
        Vec::<u32>::new(),
        "processes left in the old host's mount namespace {mount_ns}"
    );
    assert!(!dir.exists(), "{} was left behind", dir.display());
    note(&format!(
        "old host test: {:.1} s in all",
        started.elapsed().as_secs_f64()
    ));
}
