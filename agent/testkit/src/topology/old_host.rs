//! A real old jump host ([`OldHost`]): the Debian 11 system of [`DebianRoot`] running its own
//! `/usr/sbin/sshd` (OpenSSH 8.4, glibc 2.31) chrooted inside a network namespace of the test
//! topology, with a user of its own whose `authorized_keys` holds the test's key.
//!
//! | piece | how |
//! |---|---|
//! | network | a [`NetPair`]: the server listens on the jump namespace's `BASE+6:22`, reached from the test's namespace through `BASE+5` |
//! | file system | an overlay: the cached root below (never written), a per-host directory above (`/etc/passwd` with the user, the home, a fresh host key, the server's configuration) |
//! | mounts | in a mount namespace of the server's own: the overlay, `/proc`, `/sys` (read-only), a new `devpts` instance (`/dev/ptmx` → `pts/ptmx`, so sessions get terminals inside the chroot) and `/dev/shm` |
//! | host name | a UTS namespace: `bullseye-<pid>-<n>` |
//! | clean-up | dropping kills the server and everything below it (it is a child subreaper, so detached session daemons are its descendants); the mount namespace, and every mount in it, ends with its last process, also when the test panics or is killed; then the namespaces and the directory go |
//!
//! Tests read and write the host's files through [`OldHost::path`] (`/proc/<sshd>/root/…`) and
//! run programs inside it with [`OldHost::command`] (`nsenter` into its namespaces and root).

use std::ffi::CString;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{chown, symlink, DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

use super::debian_root::DebianRoot;
use super::global;
use super::netns::NetPair;
use super::stale;
use crate::process::{self, run, Enter, ProcessId};

/// The server's configuration inside the root.
const CONFIG: &str = "etc/ssh/outpost_sshd_config";
/// The server's host key inside the root (generated per host).
const HOST_KEY: &str = "etc/ssh/outpost_host_ed25519_key";
/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// The user's uid and gid inside the root (its own `/etc/passwd`; not a user of the machine).
const UID: u32 = 2017;

/// A Debian 11 host with its own `sshd`; see the [module documentation](self). Dropping it kills
/// every process inside and removes its namespaces and files.
#[derive(Debug)]
pub struct OldHost {
    // Declaration order is drop order: the processes (and with them the mounts) first.
    child: Option<Child>,
    sshd: Option<ProcessId>,
    log: Arc<Mutex<String>>,
    net: NetPair,
    dir: tempfile::TempDir,
    addr: SocketAddr,
    user: String,
    hostname: String,
    host_public_key: String,
}

impl OldHost {
    /// Starts the host on `root` with one user, `old-<pid>-<n>`, who may log in with
    /// `authorized_key` (an `authorized_keys` line). Needs root and network namespaces.
    pub fn start(root: &DebianRoot, authorized_key: &str) -> Result<OldHost> {
        crate::ensure_root()?;
        stale::clean_stale_once();
        ensure!(
            !authorized_key.trim().is_empty() && !authorized_key.trim().contains('\n'),
            "one authorized key"
        );
        if let Some(why) = super::netns_unavailable_reason() {
            bail!("an old host needs network namespaces, which do not work here: {why}");
        }
        let (pid, n) = global::unique_id();
        let net = NetPair::create((pid, n))?;
        let dir = global::temp_dir("oldhost")?;
        for d in ["upper", "work", "merged"] {
            std::fs::create_dir(dir.path().join(d))?;
        }
        let mut host = OldHost {
            child: None,
            sshd: None,
            log: Arc::new(Mutex::new(String::new())),
            addr: SocketAddr::new(IpAddr::V4(net.addr(6)), 22),
            net,
            dir,
            user: format!("old-{pid}-{n}"),
            hostname: format!("bullseye-{pid}-{n}"),
            host_public_key: String::new(),
        };
        host.prepare_upper(root.path(), authorized_key.trim())?;
        host.launch(root.path())?;
        crate::note(&format!(
            "old host: Debian {} sshd at {} (netns {}, host name {})",
            super::debian_root::SUITE,
            host.addr,
            host.net.jump_ns,
            host.hostname
        ));
        Ok(host)
    }

    /// The server's address, reachable from the test's namespace.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The login name of the host's user.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The user's home directory inside the host.
    pub fn home(&self) -> String {
        format!("/home/{}", self.user)
    }

    /// The host name its sessions see.
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// The network namespace the server runs in.
    pub fn netns(&self) -> &str {
        &self.net.jump_ns
    }

    /// The host key's public half, `ssh-ed25519 AAAA…`.
    pub fn host_public_key(&self) -> &str {
        &self.host_public_key
    }

    /// A `known_hosts` line trusting the host key under its address (port 22).
    pub fn known_hosts_entry(&self) -> String {
        format!("{} {}\n", self.addr.ip(), self.host_public_key)
    }

    /// Everything `sshd` logged so far (`LogLevel VERBOSE`).
    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The listening `sshd`, while it runs.
    pub fn sshd_process(&self) -> Option<ProcessId> {
        self.sshd
    }

    /// The server's mount namespace (`mnt:[INODE]`, as `/proc/PID/ns/mnt` reads), while it runs:
    /// every mount of the host lives there and ends with its last process.
    pub fn mount_namespace(&self) -> Option<String> {
        let pid = self.sshd?.pid;
        let link = std::fs::read_link(format!("/proc/{pid}/ns/mnt")).ok()?;
        Some(link.to_string_lossy().into_owned())
    }

    /// Every process in the mount namespace `ns` ([`OldHost::mount_namespace`]).
    pub fn processes_in_mount_namespace(ns: &str) -> Vec<u32> {
        crate::procfs::all()
            .into_iter()
            .map(|s| s.pid)
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/ns/mnt"))
                    .is_ok_and(|l| l.as_os_str() == std::ffi::OsStr::new(ns))
            })
            .collect()
    }

    /// The host's directory on the machine (the overlay's upper and work directories); gone
    /// after drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `path_in_host` (absolute, inside the host) as the machine sees it while the host runs:
    /// `/proc/<sshd>/root/<path>`, the overlay as the server sees it.
    pub fn path(&self, path_in_host: &str) -> Result<PathBuf> {
        let pid = self.sshd.context("the old host's sshd is not running")?.pid;
        Ok(PathBuf::from(format!("/proc/{pid}/root")).join(path_in_host.trim_start_matches('/')))
    }

    /// `argv` run inside the host as its user (its mount, network and UTS namespaces, its root,
    /// `/` as working directory, `HOME` and `PATH` set) through `nsenter`.
    pub fn command(&self, argv: &[&str]) -> Result<Command> {
        ensure!(!argv.is_empty(), "no program");
        let pid = self.sshd.context("the old host's sshd is not running")?.pid;
        let mut cmd = Command::new("nsenter");
        cmd.arg(format!("--target={pid}"))
            .args(["--mount", "--net", "--uts", "--root", "--wd=/"])
            .arg(format!("--setuid={UID}"))
            .arg(format!("--setgid={UID}"))
            .arg("--")
            .args(argv)
            .env_clear()
            .env("HOME", self.home())
            .env("USER", &self.user)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .stdin(Stdio::null());
        Ok(cmd)
    }

    /// The overlay's upper directory: what is written here shows inside the host.
    fn upper(&self) -> PathBuf {
        self.dir.path().join("upper")
    }

    /// Writes the per-host files into the upper directory: account, home with the key, host
    /// key, server configuration, privilege-separation directory, `/dev/ptmx`.
    fn prepare_upper(&mut self, lower: &Path, authorized_key: &str) -> Result<()> {
        let upper = self.upper();
        let mkdir = |rel: &str, mode: u32| -> Result<PathBuf> {
            let p = upper.join(rel);
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(mode)
                .create(&p)
                .with_context(|| format!("cannot create {}", p.display()))?;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))?;
            Ok(p)
        };
        for d in ["etc", "etc/ssh", "home", "dev", "run"] {
            mkdir(d, 0o755)?;
        }
        mkdir("run/sshd", 0o755)?;
        let name = &self.user;
        let home = self.home();
        append_line(
            lower,
            &upper,
            "etc/passwd",
            &format!("{name}:x:{UID}:{UID}:outpost old host:{home}:/bin/bash"),
        )?;
        append_line(lower, &upper, "etc/group", &format!("{name}:x:{UID}:"))?;
        // `*`: no password, yet not locked (sshd without PAM refuses keys for `!`).
        append_line(
            lower,
            &upper,
            "etc/shadow",
            &format!("{name}:*:19000:0:99999:7:::"),
        )?;
        let home_dir = mkdir(home.trim_start_matches('/'), 0o755)?;
        let ssh_dir = mkdir(&format!("{}/.ssh", home.trim_start_matches('/')), 0o700)?;
        let keys = ssh_dir.join("authorized_keys");
        std::fs::write(&keys, format!("{authorized_key}\n"))?;
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o600))?;
        for p in [&home_dir, &ssh_dir, &keys] {
            chown(p, Some(UID), Some(UID))?;
        }
        symlink("pts/ptmx", upper.join("dev/ptmx"))?;

        let key = upper.join(HOST_KEY);
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key))?;
        let public = super::user::public_key_of(&key)?;
        self.host_public_key = public
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        let config = format!(
            "# Written by outpost-testkit (old_host).\n\
             ListenAddress {addr}\n\
             HostKey /{HOST_KEY}\n\
             PidFile none\n\
             UsePAM no\n\
             PubkeyAuthentication yes\n\
             PasswordAuthentication no\n\
             ChallengeResponseAuthentication no\n\
             PermitRootLogin no\n\
             UseDNS no\n\
             PrintMotd no\n\
             PrintLastLog no\n\
             LogLevel VERBOSE\n\
             MaxStartups 100\n\
             MaxSessions 100\n\
             Subsystem sftp /usr/lib/openssh/sftp-server\n",
            addr = self.addr,
        );
        std::fs::write(upper.join(CONFIG), config)?;
        Ok(())
    }

    /// Starts `sshd` in its namespaces and chroot and waits until it accepts connections.
    fn launch(&mut self, lower: &Path) -> Result<()> {
        let merged = self.dir.path().join("merged");
        let (lower, upper, work) = (
            lower.display().to_string(),
            self.upper().display().to_string(),
            self.dir.path().join("work").display().to_string(),
        );
        for p in [&lower, &upper, &work] {
            // The overlay's option string separates with `,` and `:`.
            ensure!(
                !p.contains([',', ':', '\\']),
                "{p:?} cannot be an overlay directory"
            );
        }
        let overlay = format!("lowerdir={lower},upperdir={upper},workdir={work}");
        let c = |s: &str| CString::new(s).context("a NUL in a path or option");
        let at = |rel: &str| c(&merged.join(rel).display().to_string());
        let quiet = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        let mounts = Mounts {
            netns: Enter::netns(&self.net.jump_ns)?,
            hostname: c(&self.hostname)?,
            root: at("")?,
            // Source, mount point, type, flags, options; in this order.
            mounts: vec![
                (c("overlay")?, at("")?, c("overlay")?, 0, Some(c(&overlay)?)),
                (c("proc")?, at("proc")?, c("proc")?, quiet, None),
                (
                    c("sysfs")?,
                    at("sys")?,
                    c("sysfs")?,
                    quiet | libc::MS_RDONLY,
                    None,
                ),
                (
                    c("devpts")?,
                    at("dev/pts")?,
                    c("devpts")?,
                    libc::MS_NOSUID | libc::MS_NOEXEC,
                    Some(c("newinstance,ptmxmode=0666,mode=0620,gid=5")?),
                ),
                (
                    c("tmpfs")?,
                    at("dev/shm")?,
                    c("tmpfs")?,
                    libc::MS_NOSUID | libc::MS_NODEV,
                    Some(c("mode=1777")?),
                ),
            ],
        };
        let mut cmd = Command::new("/usr/sbin/sshd");
        cmd.args(["-D", "-e", "-f"])
            .arg(format!("/{CONFIG}"))
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: the hook makes only raw system calls on memory prepared before `fork` (no
        // allocation, no locks), which is what the child of a multi-threaded process may do.
        unsafe {
            cmd.pre_exec(move || mounts.enter());
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", process::describe(&cmd)))?;
        let stderr = child.stderr.take().context("sshd stderr")?;
        let log = Arc::clone(&self.log);
        std::thread::Builder::new()
            .name("old-host-sshd-log".into())
            .spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Ok(mut log) = log.lock() {
                        if log.len() < 4 << 20 {
                            log.push_str(&line);
                            log.push('\n');
                        }
                    }
                }
            })?;
        self.sshd = ProcessId::of(child.id());
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(250)).is_ok() {
                return Ok(());
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                let why = exited.map_or_else(
                    || format!("did not accept connections within {START_TIMEOUT:?}"),
                    |s| format!("exited ({s})"),
                );
                // Give the log thread a moment to read the last lines.
                std::thread::sleep(Duration::from_millis(100));
                bail!("the old host's sshd {why}; its log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for OldHost {
    fn drop(&mut self) {
        let ns = self.mount_namespace();
        if let Some(child) = self.child.as_mut() {
            process::kill_tree(child);
        }
        // What a test started inside with `nsenter` and left running is not below the server.
        if let Some(ns) = ns {
            for pid in OldHost::processes_in_mount_namespace(&ns) {
                process::signal(pid, libc::SIGKILL);
            }
        }
    }
}

/// Copies `rel` (an account file) from the root below into the upper directory, with its owner
/// and mode, plus `line`.
fn append_line(lower: &Path, upper: &Path, rel: &str, line: &str) -> Result<()> {
    let from = lower.join(rel);
    let to = upper.join(rel);
    let meta = std::fs::metadata(&from).with_context(|| format!("{}", from.display()))?;
    let mut text = std::fs::read_to_string(&from)?;
    if !text.ends_with('\n') && !text.is_empty() {
        text.push('\n');
    }
    text.push_str(line);
    text.push('\n');
    std::fs::write(&to, text)?;
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(meta.mode() & 0o7777))?;
    chown(&to, Some(meta.uid()), Some(meta.gid()))?;
    Ok(())
}

/// What the server's child process sets up between `fork` and `exec`, prepared in the parent.
struct Mounts {
    netns: std::fs::File,
    hostname: CString,
    /// The overlay's mount point, the server's root.
    root: CString,
    /// Source, mount point, type, flags and options of each mount, in order.
    mounts: Vec<(CString, CString, CString, libc::c_ulong, Option<CString>)>,
}

impl Mounts {
    /// Joins the network namespace, makes UTS and mount namespaces of its own, mounts the
    /// overlay and the pseudo file systems, enters the root and becomes a child subreaper.
    fn enter(&self) -> std::io::Result<()> {
        // SAFETY: raw system calls with pointers to NUL-terminated strings that live in `self`
        // (or are static), which outlives the calls.
        unsafe {
            check(libc::setns(self.netns.as_raw_fd(), libc::CLONE_NEWNET))?;
            check(libc::unshare(libc::CLONE_NEWNS | libc::CLONE_NEWUTS))?;
            let name = self.hostname.as_bytes();
            check(libc::sethostname(name.as_ptr().cast(), name.len()))?;
            // Nothing mounted from here on propagates back to the machine.
            check(libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ))?;
            for (source, target, fstype, flags, data) in &self.mounts {
                let data = data
                    .as_ref()
                    .map_or(std::ptr::null(), |d| d.as_ptr().cast());
                check(libc::mount(
                    source.as_ptr(),
                    target.as_ptr(),
                    fstype.as_ptr(),
                    *flags,
                    data,
                ))?;
            }
            check(libc::chroot(self.root.as_ptr()))?;
            check(libc::chdir(c"/".as_ptr()))?;
            check(libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))?;
        }
        Ok(())
    }
}

fn check(rc: libc::c_int) -> std::io::Result<()> {
    if rc == -1 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}
