//! `outpost cp|ls|stat|mkdir|rm|mv` against real `sshd`s: files and trees to a host and back
//! (SHA-256 by `sha256sum`, modes and mtimes by `stat`, on the real files), OpenSSH's `sftp -b`
//! reading what Outpost wrote and the other way round, a server without an SFTP subsystem (the
//! `cat` fallback), interrupted copies (the CLI killed mid-transfer while the server is frozen)
//! leaving nothing under the final name and `--resume` completing them, and every bad input's
//! error code.
//!
//! Every test needs root (throwaway users, `sshd`, `mount`) and fails without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use outpost_testkit::cli::{Jumped, Remote};
use outpost_testkit::random_file;
use outpost_testkit::{public_key_of, Sshd, TestUser, Topology};
use serde_json::Value;

/// The CLI under test.
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// Writes `len` pseudo-random bytes (from `seed`) to `path` with `mode` and mtime `mtime`.
fn make_file(path: &Path, len: usize, seed: u64, mode: u32, mtime: u64) {
    use std::os::unix::fs::PermissionsExt;
    random_file::write(path, len, seed).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    set_mtime(path, mtime);
}

fn set_mtime(path: &Path, mtime: u64) {
    let st = Command::new("touch")
        .arg("-m")
        .arg("-d")
        .arg(format!("@{mtime}"))
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success());
}

/// `sha256sum FILE` (the oracle).
fn sha(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success(), "sha256sum {}", path.display());
    String::from_utf8_lossy(&out.stdout)[..64].to_string()
}

/// `stat -c '%F %a %Y %s' FILE` (the oracle): kind, mode, mtime, size.
fn stat(path: &Path) -> String {
    let out = Command::new("stat")
        .args(["-c", "%F %a %Y %s"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "stat {}", path.display());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `stat` without the size (directories' sizes differ between file systems).
fn stat_dir(path: &Path) -> String {
    let s = stat(path);
    s.rsplit_once(' ').unwrap().0.to_string()
}

/// Every `.outpost-part` file below `dir`.
fn parts_below(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(".outpost-part") {
                found.push(p);
            }
        }
    }
    found
}

/// The local tree the copies start from: two levels, modes, mtimes, an empty file and a
/// file of several MiB (many pipelined requests).
fn source_tree(root: &Path) -> PathBuf {
    let tree = root.join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    make_file(&tree.join("a.txt"), 100 * 1024 + 3, 1, 0o640, 1_500_000_000);
    make_file(
        &tree.join("sub/b.bin"),
        3 * 1024 * 1024 + 7,
        2,
        0o755,
        1_600_000_123,
    );
    make_file(&tree.join("sub/empty"), 0, 3, 0o600, 1_300_000_000);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(tree.join("sub"), std::fs::Permissions::from_mode(0o750)).unwrap();
    set_mtime(&tree.join("sub"), 1_400_000_000);
    tree
}

/// The files of [`source_tree`], relative.
const FILES: [&str; 3] = ["a.txt", "sub/b.bin", "sub/empty"];

/// Asserts that `copy` holds the same files as `orig`: SHA-256, mode, mtime, size; and the
/// same mode and mtime on `sub`.
fn assert_same_tree(orig: &Path, copy: &Path) {
    for f in FILES {
        assert_eq!(sha(&orig.join(f)), sha(&copy.join(f)), "{f}");
        assert_eq!(stat(&orig.join(f)), stat(&copy.join(f)), "{f}");
    }
    assert_eq!(stat_dir(&orig.join("sub")), stat_dir(&copy.join("sub")));
}

/// Runs OpenSSH's `sftp -b -` with `batch` on stdin against the remote.
fn sftp_batch(r: &Remote, batch: &str) {
    use std::io::Write;
    let known = r.cli.home().join(".ssh/known_hosts");
    let mut child = Command::new("sftp")
        .args(["-b", "-", "-P", &r.sshd.addr().port().to_string(), "-i"])
        .arg(&r.key)
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known.display()))
        .args([
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
        ])
        .arg(format!("{}@{}", r.user.name, r.sshd.addr().ip()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(batch.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sftp -b failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn files_and_trees_round_trip_to_the_host() {
    let r = Remote::start(OUTPOST, Sshd::builder());
    let work = tempfile::tempdir().unwrap();
    let tree = source_tree(work.path());
    let home = r.user.home.clone();

    // Upload the tree into a new directory `up`.
    let tree_arg = tree.display().to_string();
    let up = r.cli.ok(&["cp", "-r", "--verify", &tree_arg, "h:up"]);
    assert_eq!(up["copied"]["files"], 3, "{up}");
    assert_eq!(up["copied"]["verified"], 3, "{up}");
    assert_eq!(up["copied"]["bytes"], 100 * 1024 + 3 + 3 * 1024 * 1024 + 7);
    assert_same_tree(&tree, &home.join("up"));
    assert!(parts_below(&home.join("up")).is_empty());
    // The files belong to the user.
    let owner = Command::new("stat")
        .args(["-c", "%U"])
        .arg(home.join("up/sub/b.bin"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&owner.stdout).trim(), r.user.name);

    // Into an existing directory: `up/tree`.
    r.cli.ok(&["cp", "-r", &tree_arg, "h:up"]);
    assert_same_tree(&tree, &home.join("up/tree"));

    // Download it back.
    let down = work.path().join("down");
    let down_arg = down.display().to_string();
    let got = r.cli.ok(&["cp", "-r", "--verify", "h:up", &down_arg]);
    assert_eq!(got["copied"]["verified"], 6, "{got}");
    assert_same_tree(&tree, &down);
    assert_same_tree(&tree, &down.join("tree"));
    assert!(parts_below(&down).is_empty());

    // One file, to a new name and into a directory.
    let one = work.path().join("one.bin");
    r.cli
        .ok(&["cp", "h:up/sub/b.bin", &one.display().to_string()]);
    assert_eq!(sha(&one), sha(&tree.join("sub/b.bin")));
    assert_eq!(stat(&one), stat(&tree.join("sub/b.bin")));

    // OpenSSH's sftp reads what Outpost wrote …
    let oracle = work.path().join("by-sftp.bin");
    sftp_batch(&r, &format!("get up/sub/b.bin {}\n", oracle.display()));
    assert_eq!(sha(&oracle), sha(&tree.join("sub/b.bin")));
    // … and Outpost reads what sftp wrote (with -p: mode and mtime kept).
    make_file(
        &work.path().join("put.bin"),
        777_777,
        9,
        0o604,
        1_234_567_890,
    );
    sftp_batch(
        &r,
        &format!(
            "put -p {} from-sftp.bin\n",
            work.path().join("put.bin").display()
        ),
    );
    let back = work.path().join("back.bin");
    r.cli.ok(&[
        "cp",
        "--verify",
        "h:from-sftp.bin",
        &back.display().to_string(),
    ]);
    assert_eq!(sha(&back), sha(&work.path().join("put.bin")));
    assert_eq!(stat(&back), stat(&work.path().join("put.bin")));

    // ls and stat.
    let ls = r.cli.ok(&["ls", "h:up"]);
    let names: Vec<&str> = ls
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.txt", "sub", "tree"], "{ls}");
    assert_eq!(ls[1]["kind"], "dir");
    let st = r.cli.ok(&["stat", "h:up/a.txt"]);
    assert_eq!(st["kind"], "file");
    assert_eq!(st["mode"], 0o640);
    assert_eq!(st["mtime"], 1_500_000_000u64);
    assert_eq!(st["size"], 100 * 1024 + 3);

    // mkdir, mv, rm, checked on the real files.
    r.cli.ok(&["mkdir", "--mode", "700", "h:made"]);
    assert!(stat(&home.join("made")).starts_with("directory 700 "));
    r.cli.ok(&["mkdir", "-p", "h:made/x/y"]);
    assert!(home.join("made/x/y").is_dir());
    r.cli.ok(&["mv", "h:made", "h:renamed"]);
    assert!(!home.join("made").exists() && home.join("renamed/x/y").is_dir());
    r.cli.ok(&["mv", "h:up/a.txt", "h:renamed"]);
    assert_eq!(sha(&home.join("renamed/a.txt")), sha(&tree.join("a.txt")));
    let rm = r.cli.ok(&["rm", "-r", "h:up"]);
    // sub/{b.bin,empty}, sub, tree/{a.txt,sub/{b.bin,empty},sub}, tree, up (a.txt moved out).
    assert_eq!(rm["removed"], 9, "{rm}");
    assert!(!home.join("up").exists());
    r.cli.ok(&["rm", "h:renamed/a.txt"]);
    assert!(!home.join("renamed/a.txt").exists());
}

/// A tmpfs of `size` mounted at a fresh directory owned by `uid`; unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn new(size: &str, uid: u32) -> SmallDisk {
        let dir = tempfile::Builder::new()
            .prefix("ofull")
            .tempdir_in("/tmp")
            .unwrap();
        let st = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755,uid={uid}"),
                "tmpfs",
            ])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(st.success(), "mount tmpfs");
        SmallDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn bad_inputs_have_stable_error_codes() {
    let r = Remote::start(OUTPOST, Sshd::builder());
    let work = tempfile::tempdir().unwrap();
    let tree = source_tree(work.path());
    let home = r.user.home.clone();
    let tree_arg = tree.display().to_string();
    let a = tree.join("a.txt").display().to_string();
    let local_dir = work.path().display().to_string();
    r.cli.ok(&["cp", "-r", &tree_arg, "h:up"]);

    let code = |args: &[&str]| r.cli.err(args).0;
    // Not found, both ways and for every command.
    assert_eq!(code(&["cp", "/nonexistent/x", "h:x"]), "not_found");
    assert_eq!(code(&["cp", "h:missing", &local_dir]), "not_found");
    assert_eq!(code(&["ls", "h:missing"]), "not_found");
    assert_eq!(code(&["stat", "h:missing"]), "not_found");
    assert_eq!(code(&["rm", "h:missing"]), "not_found");
    assert_eq!(code(&["mv", "h:missing", "h:other"]), "not_found");
    // Permission denied (root's home).
    assert_eq!(code(&["cp", &a, "h:/root/x"]), "permission_denied");
    // A file where a directory belongs.
    assert_eq!(code(&["cp", &a, "h:up/a.txt/child"]), "not_a_directory");
    assert_eq!(code(&["mkdir", "h:up/a.txt/d"]), "not_a_directory");
    assert_eq!(
        code(&["cp", "-r", &tree_arg, "h:up/a.txt"]),
        "not_a_directory"
    );
    assert_eq!(code(&["ls", "h:up/a.txt/x"]), "not_found");
    // A directory where a file belongs.
    assert_eq!(code(&["cp", &tree_arg, "h:elsewhere"]), "is_a_directory");
    assert_eq!(code(&["cp", "h:up", &local_dir]), "is_a_directory");
    assert_eq!(code(&["rm", "h:up"]), "is_a_directory");
    // Exists.
    assert_eq!(code(&["mkdir", "h:up"]), "exists");
    assert_eq!(code(&["cp", "-n", &a, "h:up/a.txt"]), "exists");
    assert_eq!(
        code(&["mv", "-n", "h:up/a.txt", "h:up/sub/b.bin"]),
        "exists"
    );
    let local_a = work.path().join("a-copy");
    std::fs::write(&local_a, b"keep").unwrap();
    assert_eq!(
        code(&["cp", "-n", "h:up/a.txt", &local_a.display().to_string()]),
        "exists"
    );
    assert_eq!(std::fs::read(&local_a).unwrap(), b"keep");
    // Usage.
    assert_eq!(code(&["cp", &a, &local_dir]), "usage");
    assert_eq!(code(&["ls", &local_dir]), "usage");
    assert_eq!(code(&["cp", ":x", &local_dir]), "usage");
    // Not a saved host: resolved like an ~/.ssh/config alias, and not found.
    assert_eq!(code(&["ls", "nosuchhost.invalid:x"]), "name_not_resolved");

    // No space, on the host and here; nothing under the final name either time.
    let big = work.path().join("big.bin");
    make_file(&big, 3 * 1024 * 1024, 5, 0o644, 1_000_000_000);
    let full = SmallDisk::new("1m", r.user.uid);
    let dest = full.path().join("big.bin");
    let (c, msg) = r.cli.err(&[
        "cp",
        &big.display().to_string(),
        &format!("h:{}", dest.display()),
    ]);
    assert_eq!(c, "no_space", "{msg}");
    assert!(!dest.exists());
    let local_full = SmallDisk::new("1m", 0);
    let (c, msg) = r.cli.err(&[
        "cp",
        "h:up/sub/b.bin",
        &local_full.path().display().to_string(),
    ]);
    assert_eq!(c, "no_space", "{msg}");
    assert!(!local_full.path().join("b.bin").exists());
    drop(home);
}

#[test]
fn a_server_without_sftp_gets_cat_and_checksums() {
    let r = Remote::start(OUTPOST, Sshd::builder().sftp_subsystem(None));
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("f.bin");
    make_file(&src, 2 * 1024 * 1024 + 1, 11, 0o751, 1_555_555_555);
    let up = r.cli.ok(&["cp", &src.display().to_string(), "h:f.bin"]);
    assert_eq!(
        up["copied"]["verified"], 1,
        "always verified without SFTP: {up}"
    );
    let there = r.user.home.join("f.bin");
    assert_eq!(sha(&there), sha(&src));
    assert_eq!(stat(&there), stat(&src));
    let back = work.path().join("back.bin");
    let down = r.cli.ok(&["cp", "h:f.bin", &back.display().to_string()]);
    assert_eq!(down["copied"]["verified"], 1);
    assert_eq!(sha(&back), sha(&src));
    assert_eq!(stat(&back), stat(&src));
    assert!(parts_below(&r.user.home).is_empty());
    assert_eq!(r.cli.err(&["ls", "h:"]).0, "unsupported");
    assert_eq!(
        r.cli
            .err(&["cp", "h:missing", &work.path().display().to_string()])
            .0,
        "not_found"
    );
}

/// Waits (up to 120 s) until `part` holds at least `at_least` bytes while `child` still runs.
fn wait_for_part(child: &mut std::process::Child, part: &Path, at_least: u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::fs::metadata(part).map(|m| m.len()).unwrap_or(0) < at_least {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the copy ended before it was interrupted"
        );
        assert!(
            Instant::now() < deadline,
            "{} never reached {at_least} bytes",
            part.display()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Starts `outpost --json cp ARGS`, waits until `part` holds at least `at_least` bytes, freezes
/// the server, kills the CLI, thaws the server.
fn interrupt(r: &mut Remote, args: &[&str], part: &Path, at_least: u64) {
    let mut child = r
        .cli
        .cmd()
        .arg("--json")
        .arg("cp")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_part(&mut child, part, at_least);
    r.sshd.suspend();
    child.kill().unwrap();
    child.wait().unwrap();
    r.sshd.resume();
}

#[test]
fn interrupted_copies_leave_no_file_and_resume() {
    let mut r = Remote::start(OUTPOST, Sshd::builder());
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("big.bin");
    let size: u64 = 96 * 1024 * 1024;
    make_file(&src, size as usize, 21, 0o640, 1_700_000_000);
    let src_arg = src.display().to_string();
    let home = r.user.home.clone();

    // Upload, cut in the middle.
    let part = home.join(".big.bin.outpost-part");
    interrupt(&mut r, &[&src_arg, "h:big.bin"], &part, 4 * 1024 * 1024);
    assert!(
        !home.join("big.bin").exists(),
        "a half file under the final name"
    );
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(kept > 0 && kept < size, "{kept}");
    let (code, v, out) = r
        .cli
        .run(&["cp", "--resume", "--verify", &src_arg, "h:big.bin"]);
    assert_eq!(code, 0, "{v}");
    assert!(
        v["data"]["copied"]["resumed"].as_u64().unwrap() >= 4 * 1024 * 1024,
        "{v}"
    );
    assert_eq!(v["data"]["copied"]["verified"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let start: Value = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["progress"]["event"] == "start")
        .unwrap_or_else(|| panic!("no JSON progress in {stderr}"));
    assert_eq!(start["progress"]["resumed"], v["data"]["copied"]["resumed"]);
    assert_eq!(sha(&home.join("big.bin")), sha(&src));
    assert_eq!(stat(&home.join("big.bin")), stat(&src));
    assert!(!part.exists());

    // Download, cut in the middle.
    let dl = work.path().join("dl.bin");
    let dl_arg = dl.display().to_string();
    let dl_part = work.path().join(".dl.bin.outpost-part");
    interrupt(&mut r, &["h:big.bin", &dl_arg], &dl_part, 4 * 1024 * 1024);
    assert!(!dl.exists(), "a half file under the final name");
    let v = r
        .cli
        .ok(&["cp", "--resume", "--verify", "h:big.bin", &dl_arg]);
    assert!(
        v["copied"]["resumed"].as_u64().unwrap() >= 4 * 1024 * 1024,
        "{v}"
    );
    assert_eq!(sha(&dl), sha(&src));
    assert_eq!(stat(&dl), stat(&src));
    assert!(!dl_part.exists());

    // A partial file that is not the source's prefix is not trusted: the copy starts over.
    let dl2 = work.path().join("dl2.bin");
    std::fs::write(
        work.path().join(".dl2.bin.outpost-part"),
        vec![0x55u8; 1024 * 1024],
    )
    .unwrap();
    let v = r
        .cli
        .ok(&["cp", "--resume", "h:big.bin", &dl2.display().to_string()]);
    assert_eq!(v["copied"]["resumed"], 0, "{v}");
    assert_eq!(sha(&dl2), sha(&src));
}

/// The jump/target topology with `target_opts` for the target's sshd, the user authorized on
/// both and its key on the jump host (as [`Jumped::new`] does), and an `ssh` session from the
/// jump host to the target whose link is up: (the setup, the session id).
fn jumped_with_session(target_opts: outpost_testkit::SshdBuilder) -> (Jumped, String) {
    let topo = Topology::builder()
        .target_sshd(target_opts)
        .build()
        .unwrap();
    let user = TestUser::create("ofile").unwrap();
    let key = user.generate_key("id_ed25519", None).unwrap();
    topo.authorize_key(&user, &public_key_of(&key).unwrap())
        .unwrap();
    user.write_file(".ssh/known_hosts", topo.known_hosts(), 0o600)
        .unwrap();
    let cli = outpost_testkit::cli::Cli::new(OUTPOST);
    cli.trust(&topo.known_hosts());
    cli.add_host("jump", &user.name, topo.jump_addr().unwrap(), &key, None);
    let j = Jumped {
        cli,
        topo,
        user,
        key,
    };
    let sid = j.ssh_session();
    (j, sid)
}

/// How many SFTP subsystems `sshd` started so far (its VERBOSE log).
fn sftp_starts(sshd: &Sshd) -> usize {
    sshd.log().matches("subsystem 'sftp'").count()
}

#[test]
fn files_reach_a_target_through_the_session() {
    let (mut j, sid) = jumped_with_session(Sshd::builder());
    let work = tempfile::tempdir().unwrap();
    let tree = source_tree(work.path());
    let tree_arg = tree.display().to_string();
    // Jump and target share this machine's file system: the target's sshd log tells that the
    // SFTP server ran there, and the jump host's that none ran there.
    let home = j.user.home.clone();
    let at = |p: &str| format!("jump:{sid}:{p}");
    let (jump_before, target_before) = (
        sftp_starts(j.topo.jump().unwrap()),
        sftp_starts(j.topo.target()),
    );

    let up = j.cli.ok(&["cp", "-r", "--verify", &tree_arg, &at("tgt")]);
    assert_eq!(up["copied"]["verified"], 3, "{up}");
    assert_same_tree(&tree, &home.join("tgt"));
    assert!(
        sftp_starts(j.topo.target()) > target_before,
        "{}",
        j.topo.target().log()
    );
    assert_eq!(
        sftp_starts(j.topo.jump().unwrap()),
        jump_before,
        "SFTP ran on the jump host"
    );

    let down = work.path().join("down");
    j.cli.ok(&[
        "cp",
        "-r",
        "--verify",
        &at("tgt"),
        &down.display().to_string(),
    ]);
    assert_same_tree(&tree, &down);

    let ls = j.cli.ok(&["ls", &at("tgt")]);
    assert_eq!(ls.as_array().unwrap().len(), 2, "{ls}");
    assert_eq!(j.cli.ok(&["stat", &at("tgt/sub/b.bin")])["mode"], 0o755);
    j.cli.ok(&["mkdir", &at("tdir")]);
    assert!(home.join("tdir").is_dir());
    assert_eq!(j.cli.err(&["mkdir", &at("tdir")]).0, "exists");
    j.cli.ok(&["rm", "-r", &at("tdir")]);
    assert!(!home.join("tdir").exists());
    assert_eq!(j.cli.err(&["stat", &at("nothing")]).0, "not_found");

    // A session that is not there, and one that is not an ssh session.
    let (c, _) = j.cli.err(&["ls", "jump:zzzz9:"]);
    assert_eq!(c, "rpc_32001", "session_not_found from the agent");
    let shell = j.cli.ok(&["new", "jump"]);
    let shell_id = shell["session_id"].as_str().unwrap();
    let (c, m) = j.cli.err(&["ls", &format!("jump:{shell_id}:")]);
    assert_eq!(c, "rpc_32602", "{m}");
    assert!(m.contains("not an ssh session"), "{c}: {m}");

    // Interrupted upload to the target, then resumed and verified.
    let big = work.path().join("big.bin");
    make_file(&big, 64 * 1024 * 1024, 31, 0o600, 1_650_000_000);
    let big_arg = big.display().to_string();
    let part = home.join(".big.bin.outpost-part");
    let mut child = j
        .cli
        .cmd()
        .args(["--json", "cp", &big_arg, &at("big.bin")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_part(&mut child, &part, 4 * 1024 * 1024);
    j.topo.target_mut().suspend();
    child.kill().unwrap();
    child.wait().unwrap();
    j.topo.target_mut().resume();
    assert!(
        !home.join("big.bin").exists(),
        "a half file under the final name"
    );
    let v = j
        .cli
        .ok(&["cp", "--resume", "--verify", &big_arg, &at("big.bin")]);
    assert!(
        v["copied"]["resumed"].as_u64().unwrap() >= 4 * 1024 * 1024,
        "{v}"
    );
    assert_eq!(sha(&home.join("big.bin")), sha(&big));
    assert_eq!(stat(&home.join("big.bin")), stat(&big));
    assert!(!part.exists());
}

#[test]
fn a_target_without_sftp_gets_cat_through_the_master() {
    let (j, sid) = jumped_with_session(Sshd::builder().sftp_subsystem(None));
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("f.bin");
    make_file(&src, 1024 * 1024 + 5, 41, 0o604, 1_456_789_012);
    let at = format!("jump:{sid}:f.bin");
    let up = j.cli.ok(&["cp", &src.display().to_string(), &at]);
    assert_eq!(up["copied"]["verified"], 1, "{up}");
    let there = j.user.home.join("f.bin");
    assert_eq!(sha(&there), sha(&src));
    assert_eq!(stat(&there), stat(&src));
    let back = work.path().join("back.bin");
    j.cli.ok(&["cp", &at, &back.display().to_string()]);
    assert_eq!(sha(&back), sha(&src));
    assert_eq!(stat(&back), stat(&src));
    assert_eq!(j.cli.err(&["ls", &format!("jump:{sid}:")]).0, "unsupported");
}

/// How many connections the jump host's `sshd` has seen end so far (its log).
fn ended_connections(j: &Jumped) -> usize {
    let log = j.topo.jump().unwrap().log();
    [
        "Connection closed by",
        "Connection reset by",
        "Disconnected from",
        "Read error from",
        "Timeout, client not responding",
    ]
    .iter()
    .map(|m| log.matches(m).count())
    .sum()
}

/// Restores the desktop → jump link, then waits until the jump host's `sshd` has ended the
/// connection the cut orphaned (`ended_before`: [`ended_connections`] at the cut). Until then
/// its SFTP server still holds the partial file open, and the data the desktop's kernel still
/// had queued for it would land there after the link came back, under a resumed copy.
fn restore_and_settle(j: &mut Jumped, ended_before: usize) {
    j.topo.restore_root_link().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while ended_connections(j) <= ended_before {
        assert!(
            Instant::now() < deadline,
            "the jump host never ended the cut connection: {}",
            j.topo.jump().unwrap().log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `outpost --json cp ARGS` with stdout and stderr in files under `dir`, waits until
/// `part` holds at least `at_least` bytes, cuts the desktop → jump link and waits (bounded) for
/// the CLI to fail: (its exit code, its JSON result, how long it took to fail after the cut).
fn cut_under_copy(
    j: &mut Jumped,
    dir: &Path,
    args: &[&str],
    part: &Path,
    at_least: u64,
) -> (i32, Value, Duration) {
    let out_path = dir.join("cut.out");
    let err_path = dir.join("cut.err");
    let mut child = j
        .cli
        .cmd()
        .arg("--json")
        .arg("cp")
        .args(args)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    wait_for_part(&mut child, part, at_least);
    j.topo.cut_root_link().unwrap();
    let cut = Instant::now();
    // Keepalives declare the link dead within 10 s; 60 s is far beyond that and far below the
    // SFTP request timeout, so a CLI that waits on the dead link fails here.
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if cut.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            child.wait().unwrap();
            j.topo.restore_root_link().unwrap();
            panic!("the CLI still ran 60 s after the link was cut");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let failed_after = cut.elapsed();
    let text = std::fs::read_to_string(&out_path).unwrap();
    let line = text.lines().last().unwrap_or_else(|| {
        panic!(
            "no result; stderr: {}",
            std::fs::read_to_string(&err_path).unwrap()
        )
    });
    let v: Value = serde_json::from_str(line).unwrap();
    (status.code().unwrap_or(-1), v, failed_after)
}

/// The `resumed` offset of the first `start` progress line in `--json` stderr.
fn first_start_offset(stderr: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(stderr);
    let start = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["progress"]["event"] == "start")
        .unwrap_or_else(|| panic!("no JSON progress in {text}"));
    start["progress"]["resumed"].as_u64().unwrap()
}

#[test]
fn a_200_mib_copy_over_a_cut_link_fails_then_resumes_and_verifies() {
    let mut j = Jumped::new(OUTPOST);
    eprintln!(
        "files: link cut under a copy, topology={}{}",
        j.topo.kind(),
        j.topo
            .fallback_reason()
            .map(|w| format!(" ({w}: the jump sshd is frozen instead)"))
            .unwrap_or_default()
    );
    let work = tempfile::tempdir().unwrap();
    let size: u64 = 200 * 1024 * 1024;
    let cut_at: u64 = 50 * 1024 * 1024;
    let src = work.path().join("big.bin");
    make_file(&src, size as usize, 51, 0o640, 1_710_000_000);
    let src_arg = src.display().to_string();
    let home = j.user.home.clone();

    // Upload to the jump host; the desktop → jump link is cut a quarter of the way in.
    let part = home.join(".big.bin.outpost-part");
    let ended = ended_connections(&j);
    let (code, v, after) = cut_under_copy(
        &mut j,
        work.path(),
        &[&src_arg, "jump:big.bin"],
        &part,
        cut_at,
    );
    eprintln!("upload: the CLI failed {after:?} after the cut: {v}");
    assert_ne!(code, 0, "{v}");
    assert_eq!(v["error"]["code"], "disconnected", "{v}");
    assert!(
        !home.join("big.bin").exists(),
        "a half file under the final name"
    );
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(kept >= cut_at && kept < size, "{kept}");
    restore_and_settle(&mut j, ended);
    let (code, v, out) = j
        .cli
        .run(&["cp", "--resume", "--verify", &src_arg, "jump:big.bin"]);
    assert_eq!(code, 0, "{v}");
    let resumed = v["data"]["copied"]["resumed"].as_u64().unwrap();
    assert!(resumed >= cut_at, "restarted instead of resuming: {v}");
    assert_eq!(first_start_offset(&out.stderr), resumed);
    assert_eq!(v["data"]["copied"]["verified"], 1, "{v}");
    assert_eq!(sha(&home.join("big.bin")), sha(&src));
    assert_eq!(stat(&home.join("big.bin")), stat(&src));
    assert!(!part.exists());

    // Download from the jump host, cut the same way.
    let dl = work.path().join("dl.bin");
    let dl_arg = dl.display().to_string();
    let dl_part = work.path().join(".dl.bin.outpost-part");
    let ended = ended_connections(&j);
    let (code, v, after) = cut_under_copy(
        &mut j,
        work.path(),
        &["jump:big.bin", &dl_arg],
        &dl_part,
        cut_at,
    );
    eprintln!("download: the CLI failed {after:?} after the cut: {v}");
    assert_ne!(code, 0, "{v}");
    assert_eq!(v["error"]["code"], "disconnected", "{v}");
    assert!(!dl.exists(), "a half file under the final name");
    restore_and_settle(&mut j, ended);
    let (code, v, out) = j
        .cli
        .run(&["cp", "--resume", "--verify", "jump:big.bin", &dl_arg]);
    assert_eq!(code, 0, "{v}");
    let resumed = v["data"]["copied"]["resumed"].as_u64().unwrap();
    assert!(resumed >= cut_at, "restarted instead of resuming: {v}");
    assert_eq!(first_start_offset(&out.stderr), resumed);
    assert_eq!(sha(&dl), sha(&src));
    assert_eq!(stat(&dl), stat(&src));
    assert!(!dl_part.exists());
}

/// The processes that have `path` open (scanning `/proc/*/fd`).
fn openers_of(path: &Path) -> Vec<u32> {
    let mut found = Vec::new();
    for proc_entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = proc_entry.file_name().to_str().and_then(|p| p.parse().ok()) else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(proc_entry.path().join("fd")) else {
            continue;
        };
        if fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l == path))
        {
            found.push(pid);
        }
    }
    found
}

/// A process stopped with `SIGSTOP`, continued when this is dropped (also when a test fails).
struct Frozen(u32);

impl Frozen {
    fn new(pid: u32) -> Frozen {
        signal(pid, libc::SIGSTOP);
        Frozen(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        signal(self.0, libc::SIGCONT);
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) with a specific positive pid of a process this test started (through sshd).
    unsafe {
        libc::kill(libc::pid_t::try_from(pid).unwrap(), sig);
    }
}

/// Flips every byte of `path` from `from` on (its first `from` bytes stay as they were).
fn rewrite_tail(path: &Path, from: u64) {
    use std::io::{Read, Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut tail = Vec::new();
    f.seek(SeekFrom::Start(from)).unwrap();
    f.read_to_end(&mut tail).unwrap();
    for b in &mut tail {
        *b = !*b;
    }
    f.seek(SeekFrom::Start(from)).unwrap();
    f.write_all(&tail).unwrap();
}

/// Issue 19: the old writer of an interrupted upload to a target cannot touch the resumed copy.
/// The target's `sftp-server` under the first attempt is frozen (`SIGSTOP`) with writes queued
/// for it (the pipeline of an 8 MiB request window: the target sshd, the ControlMaster on the
/// jump host), then the desktop → jump link is cut and the CLI fails; the jump host ends the
/// orphaned connection. The source's bytes after the kept prefix change, the copy is resumed
/// (the prefix matches) and completes, and only then the old server thaws and writes its
/// queue. Without the fence in `copy.rs` it writes into the inode the resumed copy renamed into
/// place: the destination then holds the old bytes there and a later mtime.
#[test]
fn a_resumed_upload_is_safe_from_the_old_writer() {
    let (mut j, sid) = jumped_with_session(Sshd::builder());
    let work = tempfile::tempdir().unwrap();
    let size: u64 = 64 * 1024 * 1024;
    let src = work.path().join("big.bin");
    make_file(&src, size as usize, 61, 0o640, 1_720_000_000);
    let src_arg = src.display().to_string();
    let home = j.user.home.clone();
    let at = format!("jump:{sid}:big.bin");
    let part = home.join(".big.bin.outpost-part");

    let ended = ended_connections(&j);
    let mut child = j
        .cli
        .cmd()
        .args(["--json", "cp", &src_arg, &at])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_part(&mut child, &part, 8 * 1024 * 1024);
    let writers = openers_of(&part);
    assert_eq!(
        writers.len(),
        1,
        "one SFTP server writes {}",
        part.display()
    );
    let old = outpost_testkit::ProcessId::of(writers[0]).unwrap();
    let frozen = Frozen::new(old.pid);
    j.topo.cut_root_link().unwrap();
    let failed = outpost_testkit::process::wait_exit(&mut child, Duration::from_secs(60));
    if failed.is_none() {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    assert!(
        failed.is_some_and(|s| !s.success()),
        "the CLI did not fail within 60 s of the cut: {failed:?}"
    );
    restore_and_settle(&mut j, ended);
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(kept >= 8 * 1024 * 1024 && kept < size, "{kept}");

    // The source changes after the kept prefix; the resumed copy must carry the new bytes.
    rewrite_tail(&src, kept);
    set_mtime(&src, 1_730_000_000);
    let v = j.cli.ok(&["cp", "--resume", "--verify", &src_arg, &at]);
    assert_eq!(v["copied"]["resumed"].as_u64().unwrap(), kept, "{v}");
    let dest = home.join("big.bin");
    assert_eq!(sha(&dest), sha(&src));

    // Now the old server writes what it had queued, and ends (its input ended with the cut
    // connection).
    drop(frozen);
    let gone = outpost_testkit::process::wait_for(Duration::from_secs(120), || {
        (!old.exists() || old.is_zombie()).then_some(())
    });
    assert!(gone.is_some(), "the old SFTP server never ended");
    assert_eq!(sha(&dest), sha(&src), "the old server wrote into the copy");
    assert_eq!(stat(&dest), stat(&src));
    assert!(!part.exists());
    assert!(!home.join(".big.bin.outpost-stale").exists());
}
