//! A real OpenSSH server for tests ([`Sshd`]): `/usr/sbin/sshd -D -e -f CONFIG` as a child of
//! the test, with its own ed25519 host key, authorized keys in its own directory, optionally
//! inside a network namespace and with its own host name, killed (with every session process)
//! on drop.

use std::ffi::CString;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};

use super::{global, stale};
use crate::process::{self, run, Enter, ProcessId};

/// Path of the OpenSSH server binary.
pub const SSHD: &str = "/usr/sbin/sshd";

/// How long [`Sshd`] waits for a new server to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// How [`SshdBuilder::start`] starts a server. Every option has a default: listening on
/// `127.0.0.1` on a free port, in the test's own namespaces, public keys only.
#[derive(Clone, Debug)]
pub struct SshdBuilder {
    listen: SocketAddr,
    netns: Option<String>,
    hostname: Option<String>,
    password_authentication: bool,
    authorized: Vec<(String, String)>,
    config_lines: Vec<String>,
    config_tail: Vec<String>,
    label: String,
    sftp: Option<String>,
}

impl Default for SshdBuilder {
    fn default() -> Self {
        SshdBuilder {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            netns: None,
            hostname: None,
            password_authentication: false,
            authorized: Vec::new(),
            config_lines: Vec::new(),
            config_tail: Vec::new(),
            label: "sshd".into(),
            sftp: Some("internal-sftp".into()),
        }
    }
}

impl SshdBuilder {
    /// The address to listen on; port 0 picks a free port (in the server's network namespace).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Runs the server inside the existing network namespace `name` (as in `ip netns`).
    pub fn netns(mut self, name: impl Into<String>) -> Self {
        self.netns = Some(name.into());
        self
    }

    /// Runs the server in its own UTS namespace whose host name is `name`, so `hostname` in its
    /// sessions prints `name`.
    pub fn hostname(mut self, name: impl Into<String>) -> Self {
        self.hostname = Some(name.into());
        self
    }

    /// Allows password authentication (`PasswordAuthentication yes`); off by default.
    pub fn password_authentication(mut self, allow: bool) -> Self {
        self.password_authentication = allow;
        self
    }

    /// Authorizes `public_key` (an `authorized_keys` line) for `user` from the start; see also
    /// [`Sshd::authorize_key`].
    pub fn authorize_key(mut self, user: &str, public_key: &str) -> Self {
        self.authorized.push((user.into(), public_key.into()));
        self
    }

    /// Adds a configuration line *before* the kit's defaults; `sshd` keeps the first value it
    /// reads for a keyword, so this overrides a default. Not for `Match` blocks (see
    /// [`SshdBuilder::config_tail`]).
    pub fn config_line(mut self, line: impl Into<String>) -> Self {
        self.config_lines.push(line.into());
        self
    }

    /// Adds a configuration line at the very end, e.g. `Match User alice` and its body.
    pub fn config_tail(mut self, line: impl Into<String>) -> Self {
        self.config_tail.push(line.into());
        self
    }

    /// The `sftp` subsystem: `Some(command)` serves it with `command` (default
    /// `internal-sftp`; e.g. `/usr/lib/openssh/sftp-server`, which runs through the user's
    /// shell), `None` leaves the `Subsystem sftp` line out, so SFTP requests are refused (a
    /// server with SFTP turned off).
    ///
    /// ```no_run
    /// # use outpost_testkit::Sshd;
    /// let no_sftp = Sshd::builder().sftp_subsystem(None).start().unwrap();
    /// ```
    pub fn sftp_subsystem(mut self, command: Option<&str>) -> Self {
        self.sftp = command.map(str::to_owned);
        self
    }

    /// A short word naming this server in its directory name and messages ("target", "jump").
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Creates the directory, host key and configuration, starts `sshd` and waits until it
    /// accepts connections. Fails with `sshd`'s own messages when it does not come up.
    pub fn start(self) -> Result<Sshd> {
        crate::ensure_root()?;
        stale::clean_stale_once();
        ensure!(
            Path::new(SSHD).exists(),
            "{SSHD} is missing: apt-get install -y openssh-server"
        );
        ensure!(
            self.label.chars().all(|c| c.is_ascii_alphanumeric()),
            "sshd label {:?} must be alphanumeric",
            self.label
        );
        global::ensure_privsep_dir()?;
        let dir = global::temp_dir(&self.label)?;
        let keys = dir.path().join("authorized_keys");
        std::fs::create_dir(&keys)?;
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o755))?;
        let mut sshd = Sshd {
            addr: self.listen,
            auto_port: self.listen.port() == 0,
            builder: self,
            dir,
            child: None,
            log: Arc::new(Mutex::new(String::new())),
            host_public_key: String::new(),
            fingerprint: String::new(),
            suspended: false,
        };
        for (user, key) in sshd.builder.authorized.clone() {
            sshd.authorize_key(&user, &key)?;
        }
        sshd.generate_host_key()?;
        sshd.launch()?;
        Ok(sshd)
    }
}

/// A running OpenSSH server; see the [module documentation](self). Dropping it kills the server
/// and every process of its sessions, and removes its directory.
#[derive(Debug)]
pub struct Sshd {
    builder: SshdBuilder,
    addr: SocketAddr,
    auto_port: bool,
    dir: tempfile::TempDir,
    child: Option<Child>,
    log: Arc<Mutex<String>>,
    host_public_key: String,
    fingerprint: String,
    suspended: bool,
}

impl Sshd {
    /// A builder with every default; `Sshd::builder().start()` is a loopback server.
    pub fn builder() -> SshdBuilder {
        SshdBuilder::default()
    }

    /// The address the server listens on (with the actual port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's network namespace, `None` for the test's own.
    pub fn netns(&self) -> Option<&str> {
        self.builder.netns.as_deref()
    }

    /// The host name sessions see, when the server has its own UTS namespace.
    pub fn hostname(&self) -> Option<&str> {
        self.builder.hostname.as_deref()
    }

    /// The server's directory (configuration, host key, `authorized_keys/<user>`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Path of the configuration file.
    pub fn config_path(&self) -> PathBuf {
        self.dir().join("sshd_config")
    }

    /// Process id of the listening `sshd`.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The listening `sshd` and every process below it (sessions, shells), for leak checks.
    pub fn processes(&self) -> Vec<ProcessId> {
        let Some(root) = self.pid() else {
            return Vec::new();
        };
        std::iter::once(root)
            .chain(process::descendants(root))
            .filter_map(ProcessId::of)
            .collect()
    }

    /// Everything `sshd` wrote to standard error so far (its log, `LogLevel VERBOSE`).
    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Authorizes `public_key` (one `authorized_keys` line) for `user`. Takes effect for the
    /// next login, no restart needed.
    pub fn authorize_key(&self, user: &str, public_key: &str) -> Result<()> {
        ensure!(
            !user.is_empty() && !user.contains(['/', '\0']) && !user.starts_with('.'),
            "bad user name {user:?}"
        );
        ensure!(!public_key.trim().contains('\n'), "one public key per call");
        let path = self.dir().join("authorized_keys").join(user);
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str(public_key.trim());
        text.push('\n');
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        // sshd reads the file as the logging-in user.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
        Ok(())
    }

    /// The host key's public half: `ssh-ed25519 AAAA…` (no comment).
    pub fn host_public_key(&self) -> &str {
        &self.host_public_key
    }

    /// The host key's fingerprint as `ssh` prints it: `SHA256:…`.
    pub fn host_key_fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// How `ssh` names this server in `known_hosts`: `ADDRESS` on port 22, `[ADDRESS]:PORT`
    /// otherwise.
    pub fn host_pattern(&self) -> String {
        match self.addr.port() {
            22 => self.addr.ip().to_string(),
            port => format!("[{}]:{port}", self.addr.ip()),
        }
    }

    /// A `known_hosts` line that trusts this server's host key under `host_alias` (a host name,
    /// address or `[address]:port` pattern, as `ssh` will look it up).
    pub fn known_hosts_line(&self, host_alias: &str) -> String {
        format!("{host_alias} {}\n", self.host_public_key)
    }

    /// [`Sshd::known_hosts_line`] for [`Sshd::host_pattern`]: what `ssh` connecting to
    /// [`Sshd::addr`] looks up.
    pub fn known_hosts_entry(&self) -> String {
        self.known_hosts_line(&self.host_pattern())
    }

    /// Replaces the host key with a new one and restarts the server (the "host key changed"
    /// case). Sessions of the old server are killed.
    pub fn regenerate_host_key(&mut self) -> Result<()> {
        let old = self.fingerprint.clone();
        self.generate_host_key()?;
        ensure!(
            old != self.fingerprint,
            "the new host key has the old fingerprint"
        );
        self.restart()
    }

    /// Kills the server and its sessions and starts it again on the same address.
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        self.launch()
    }

    /// Freezes the server and every session process (`SIGSTOP`): connections stay open but
    /// nothing answers, as when the network silently drops packets.
    pub fn suspend(&mut self) {
        if let Some(root) = self.pid() {
            // Stop the listener first so it forks nothing new, then sweep twice for processes
            // that forked while the first sweep ran.
            for _ in 0..3 {
                process::signal_tree(root, libc::SIGSTOP);
            }
            self.suspended = true;
        }
    }

    /// Undoes [`Sshd::suspend`] (`SIGCONT` to the server and its sessions).
    pub fn resume(&mut self) {
        if let Some(root) = self.pid() {
            for pid in process::descendants(root) {
                process::signal(pid, libc::SIGCONT);
            }
            process::signal(root, libc::SIGCONT);
        }
        self.suspended = false;
    }

    /// True between [`Sshd::suspend`] and [`Sshd::resume`].
    pub fn is_suspended(&self) -> bool {
        self.suspended
    }

    fn key_path(&self) -> PathBuf {
        self.dir().join("ssh_host_ed25519_key")
    }

    fn generate_host_key(&mut self) -> Result<()> {
        let key = self.key_path();
        let _ = std::fs::remove_file(&key);
        let _ = std::fs::remove_file(key.with_extension("pub"));
        run(Command::new("ssh-keygen")
            .args([
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "outpost-testkit host key",
                "-f",
            ])
            .arg(&key))?;
        let public = std::fs::read_to_string(key.with_extension("pub"))?;
        self.host_public_key = public
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        let listing = run(Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(key.with_extension("pub")))?;
        self.fingerprint = listing
            .split_whitespace()
            .nth(1)
            .filter(|f| f.starts_with("SHA256:"))
            .with_context(|| format!("unexpected ssh-keygen -l output: {listing}"))?
            .to_owned();
        Ok(())
    }

    fn write_config(&self) -> Result<()> {
        let b = &self.builder;
        let dir = self.dir().display().to_string();
        let mut c = String::from("# Written by outpost-testkit.\n");
        for line in &b.config_lines {
            writeln!(c, "{line}")?;
        }
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        write!(
            c,
            "ListenAddress {addr}\n\
             HostKey {key}\n\
             PidFile none\n\
             UsePAM no\n\
             StrictModes no\n\
             AuthorizedKeysFile {dir}/authorized_keys/%u\n\
             PubkeyAuthentication yes\n\
             PasswordAuthentication {pw}\n\
             KbdInteractiveAuthentication no\n\
             PermitEmptyPasswords no\n\
             PermitRootLogin no\n\
             UseDNS no\n\
             PrintMotd no\n\
             PrintLastLog no\n\
             LogLevel VERBOSE\n\
             MaxStartups 200\n\
             MaxSessions 100\n",
            addr = self.addr,
            key = self.key_path().display(),
            pw = yes_no(b.password_authentication),
        )?;
        if let Some(sftp) = &b.sftp {
            writeln!(c, "Subsystem sftp {sftp}")?;
        }
        for line in &b.config_tail {
            writeln!(c, "{line}")?;
        }
        std::fs::write(self.config_path(), c)?;
        Ok(())
    }

    /// Picks a free port in the server's namespace.
    fn free_port(&self) -> Result<u16> {
        let ip = self.addr.ip();
        process::in_netns(self.netns(), move || -> Result<u16> {
            Ok(TcpListener::bind(SocketAddr::new(ip, 0))?
                .local_addr()?
                .port())
        })?
    }

    fn launch(&mut self) -> Result<()> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            if self.auto_port && (attempts > 1 || self.addr.port() == 0) {
                self.addr.set_port(self.free_port()?);
            }
            match self.launch_once() {
                Ok(()) => return Ok(()),
                // Another process took the free port between picking and binding: pick again.
                Err(e)
                    if self.auto_port
                        && attempts < 5
                        && self.log().contains("Address already in use") =>
                {
                    crate::note(&format!(
                        "{}: retrying on another port: {e:#}",
                        self.builder.label
                    ));
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn launch_once(&mut self) -> Result<()> {
        self.write_config()?;
        self.log = Arc::new(Mutex::new(String::new()));
        let mut cmd = Command::new(SSHD);
        cmd.args(["-D", "-e", "-f"])
            .arg(self.config_path())
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        Enter {
            netns: self.netns().map(Enter::netns).transpose()?,
            hostname: self.hostname().map(CString::new).transpose()?,
            subreaper: true,
            identity: None,
        }
        .apply(&mut cmd);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", process::describe(&cmd)))?;
        let stderr = child.stderr.take().context("sshd stderr")?;
        let exited = Arc::new(AtomicBool::new(false));
        {
            let log = Arc::clone(&self.log);
            let exited = Arc::clone(&exited);
            std::thread::Builder::new()
                .name(format!("sshd-{}-log", self.builder.label))
                .spawn(move || {
                    for line in BufReader::new(stderr).lines() {
                        let Ok(line) = line else { break };
                        if let Ok(mut log) = log.lock() {
                            if log.len() > 4 << 20 {
                                let cut = log.len() - (2 << 20);
                                let cut = (cut..log.len())
                                    .find(|&i| log.is_char_boundary(i))
                                    .unwrap_or(0);
                                log.drain(..cut);
                            }
                            log.push_str(&line);
                            log.push('\n');
                        }
                    }
                    exited.store(true, Ordering::SeqCst);
                })?;
        }
        // Ready when this sshd itself listens on the port: a connection alone could reach
        // another process that took the port between picking and binding.
        let (pid, port) = (child.id(), self.addr.port());
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        let ready = loop {
            if crate::procfs::listens_on(pid, port) {
                break true;
            }
            if exited.load(Ordering::SeqCst) || Instant::now() > deadline {
                break false;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        if ready {
            return Ok(());
        }
        let status = self
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten());
        self.kill();
        let why = match status {
            Some(s) => format!("exited ({s})"),
            None => format!("did not accept connections within {START_TIMEOUT:?}"),
        };
        Err(anyhow!(
            "sshd {} on {} {why}; its log:\n{}",
            self.builder.label,
            self.addr,
            self.log()
        ))
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            process::kill_tree(&mut child);
        }
        self.suspended = false;
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Fails unless `ssh`, `ssh-keygen` and `sshd` are installed.
pub fn ensure_openssh() -> Result<()> {
    for (program, package) in [
        ("ssh", "openssh-client"),
        ("ssh-keygen", "openssh-client"),
        (SSHD, "openssh-server"),
    ] {
        if !process::have_program(program) {
            bail!("{program} is missing: apt-get install -y {package}");
        }
    }
    Ok(())
}
