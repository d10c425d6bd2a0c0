//! Throwaway local users ([`TestUser`]): created fresh for a test, removed with their home and
//! processes when dropped. Tests log in as these, never as root (whose shell start-up is slow
//! and whose files are not the test's to touch).

use std::ffi::{CString, OsStr};
use std::io::Write;
use std::os::unix::fs::{chown, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, ensure, Context, Result};

use super::accounts::remove_user;
use super::global::{self, GlobalLock, GECOS_MARK};
use super::stale;
use crate::process::{run, Enter, Identity};

/// The `PATH` test users' commands get.
pub const USER_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// A fresh local user with a home directory and `/bin/bash` as shell, removed on drop (its
/// processes are killed first, then `userdel -r`).
///
/// The password field is `*` (no password, but not "locked", so `sshd` without PAM accepts
/// public keys); [`TestUser::set_password`] sets a real one.
#[derive(Debug)]
pub struct TestUser {
    /// Login name: `<prefix>-<pid>-<n>`.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group id (a group of the same name, created with the user).
    pub gid: u32,
    /// Home directory (created, owned by the user).
    pub home: PathBuf,
    groups: Vec<libc::gid_t>,
}

impl TestUser {
    /// Creates a user named `<prefix>-<pid>-<n>`. `prefix` is 1–12 characters, a lowercase
    /// letter followed by lowercase letters or digits. Needs root.
    pub fn create(prefix: &str) -> Result<TestUser> {
        crate::ensure_root()?;
        ensure!(
            (1..=12).contains(&prefix.len())
                && prefix.starts_with(|c: char| c.is_ascii_lowercase())
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
            "test user prefix {prefix:?} must be 1-12 characters [a-z][a-z0-9]*"
        );
        stale::clean_stale_once();
        let (pid, n) = global::unique_id();
        let name = format!("{prefix}-{pid}-{n}");
        {
            let _lock = GlobalLock::acquire()?;
            run(Command::new("useradd").args([
                "-m",
                "-s",
                "/bin/bash",
                // `*`: no password, yet not locked (sshd without PAM refuses keys for `!`).
                "-p",
                "*",
                "-c",
                &format!("{GECOS_MARK}{pid}"),
                &name,
            ]))?;
        }
        // From here on the user exists: build the value first so an error below removes it.
        let mut user = TestUser {
            name,
            uid: 0,
            gid: 0,
            home: PathBuf::new(),
            groups: Vec::new(),
        };
        let entry = nix::unistd::User::from_name(&user.name)
            .with_context(|| format!("cannot look up new user {}", user.name))?
            .with_context(|| format!("new user {} not found", user.name))?;
        user.uid = entry.uid.as_raw();
        user.gid = entry.gid.as_raw();
        user.home = entry.dir;
        let cname = CString::new(user.name.clone())?;
        user.groups = nix::unistd::getgrouplist(&cname, entry.gid)
            .with_context(|| format!("cannot list the groups of {}", user.name))?
            .into_iter()
            .map(|g| g.as_raw())
            .collect();
        Ok(user)
    }

    /// Sets the user's password (`chpasswd`), for password-authentication tests.
    pub fn set_password(&self, password: &str) -> Result<()> {
        ensure!(
            !password.contains(['\n', ':']),
            "a test password cannot contain a newline or a colon"
        );
        let _lock = GlobalLock::acquire()?;
        let mut child = Command::new("chpasswd")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot run chpasswd")?;
        child
            .stdin
            .take()
            .context("chpasswd stdin")?
            .write_all(format!("{}:{password}\n", self.name).as_bytes())?;
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!(
                "chpasswd failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    /// Writes `contents` to `rel_path` under the home directory with permission bits `mode`,
    /// owned by the user; missing parent directories are created (mode 0700, owned by the user).
    /// An existing file is replaced. Returns the absolute path.
    ///
    /// ```no_run
    /// # let user = outpost_testkit::TestUser::create("doc").unwrap();
    /// user.write_file(".ssh/config", "Host target\n  HostName 10.200.0.2\n", 0o600).unwrap();
    /// ```
    pub fn write_file(
        &self,
        rel_path: impl AsRef<Path>,
        contents: impl AsRef<[u8]>,
        mode: u32,
    ) -> Result<PathBuf> {
        let rel = rel_path.as_ref();
        ensure!(
            rel.components().all(|c| matches!(c, Component::Normal(_))),
            "{} must be a plain relative path inside the home directory",
            rel.display()
        );
        let path = self.home.join(rel);
        if let Some(parent) = rel.parent() {
            self.make_dirs(parent)?;
        }
        let _ = std::fs::remove_file(&path);
        std::fs::write(&path, contents.as_ref())
            .with_context(|| format!("cannot write {}", path.display()))?;
        chown(&path, Some(self.uid), Some(self.gid))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
        Ok(path)
    }

    /// Creates `rel` (relative to home) and its missing parents, mode 0700, owned by the user.
    fn make_dirs(&self, rel: &Path) -> Result<()> {
        let mut dir = self.home.clone();
        for part in rel.components() {
            dir.push(part);
            if !dir.is_dir() {
                std::fs::create_dir(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                chown(&dir, Some(self.uid), Some(self.gid))?;
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
            }
        }
        Ok(())
    }

    /// Generates an ed25519 key pair `~/.ssh/<name>` and `~/.ssh/<name>.pub` as the user (an
    /// existing pair of that name is replaced), optionally protected by `passphrase`. Returns the
    /// private key's path; [`public_key_of`] reads the public half.
    pub fn generate_key(&self, name: &str, passphrase: Option<&str>) -> Result<PathBuf> {
        ensure!(
            !name.is_empty() && !name.contains('/') && name != "." && name != "..",
            "key name {name:?} must be a plain file name"
        );
        self.make_dirs(Path::new(".ssh"))?;
        let path = self.home.join(".ssh").join(name);
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(pub_path(&path));
        run(self.command("ssh-keygen").args([
            OsStr::new("-q"),
            OsStr::new("-t"),
            OsStr::new("ed25519"),
            OsStr::new("-N"),
            OsStr::new(passphrase.unwrap_or("")),
            OsStr::new("-C"),
            OsStr::new(&format!("{}@outpost-testkit", self.name)),
            OsStr::new("-f"),
            path.as_os_str(),
        ]))?;
        Ok(path)
    }

    /// A command that runs `program` as this user: uid, gid and groups switched, working
    /// directory the home directory, and an environment cleared down to `HOME`, `USER`,
    /// `LOGNAME`, `SHELL` and `PATH` ([`USER_PATH`]). Runs in the test's own namespaces; see
    /// [`crate::Topology::jump_exec`] for "on the jump host".
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear().envs(self.env()).current_dir(&self.home);
        Enter {
            identity: Some(self.identity()),
            ..Enter::default()
        }
        .apply(&mut cmd);
        cmd
    }

    /// The login environment [`TestUser::command`] sets.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("HOME".into(), self.home.to_string_lossy().into_owned()),
            ("USER".into(), self.name.clone()),
            ("LOGNAME".into(), self.name.clone()),
            ("SHELL".into(), "/bin/bash".into()),
            ("PATH".into(), USER_PATH.into()),
        ]
    }

    pub(crate) fn identity(&self) -> Identity {
        Identity {
            uid: self.uid,
            gid: self.gid,
            groups: self.groups.clone(),
        }
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        remove_user(&self.name);
    }
}

/// `<private>.pub`.
fn pub_path(private: &Path) -> PathBuf {
    let mut s = private.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

/// The public key (`ssh-ed25519 AAAA… comment`) next to the private key at `private_key`, as
/// written by [`TestUser::generate_key`].
pub fn public_key_of(private_key: &Path) -> Result<String> {
    let path = pub_path(private_key);
    Ok(std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .trim()
        .to_owned())
}
