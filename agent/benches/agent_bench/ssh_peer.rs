//! The `ssh -tt localhost` peer: the testkit's loopback [`Sshd`] (own host key, `UsePAM no`,
//! `StrictModes no`), logged into as the bench's own user with an ed25519 key of its own.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use outpost_testkit::bench::cleanup;
use outpost_testkit::bench::machine::first_line;
use outpost_testkit::Sshd;

use crate::tmux::run_quiet;

/// A loopback `sshd` and the key and user `ssh` logs in with.
pub struct LoopbackSsh {
    sshd: Sshd,
    client_key: PathBuf,
    user: String,
    /// The cipher negotiated (from `ssh -v`).
    pub cipher: String,
}

impl LoopbackSsh {
    /// Starts the server, authorizes a new client key (in `dir`) for this process's user and
    /// logs in once, which also tells the cipher.
    pub fn start(dir: &Path) -> Result<LoopbackSsh> {
        std::fs::create_dir_all(dir)?;
        let client_key = dir.join("client_ed25519");
        run_quiet(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(&client_key),
        )
        .context("ssh-keygen")?;
        let public = std::fs::read_to_string(client_key.with_extension("pub"))?;
        let user = first_line(Command::new("id").arg("-un"));
        // The bench logs in as itself (root), quietly: sshd's log is read by the kit.
        let sshd = Sshd::builder()
            .label("agentbench")
            .config_line("PermitRootLogin yes")
            .config_line("LogLevel ERROR")
            .start()
            .context("starting the loopback sshd")?;
        if let Some(pid) = sshd.pid() {
            cleanup::track(pid);
        }
        sshd.authorize_key(&user, public.trim())?;
        let mut s = LoopbackSsh {
            sshd,
            client_key,
            user,
            cipher: "?".into(),
        };
        let out = s
            .ssh_command(&["-v"], "true")
            .stdin(Stdio::null())
            .output()
            .context("running ssh")?;
        let err = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            let why: Vec<&str> = err.lines().filter(|l| !l.starts_with("debug1:")).collect();
            bail!(
                "ssh login to the bench sshd failed ({}): {} {}",
                out.status,
                why.join(" / "),
                s.sshd.log().trim()
            );
        }
        if let Some(c) = err
            .lines()
            .find_map(|l| l.split_once("kex: server->client cipher: "))
            .and_then(|(_, rest)| rest.split_whitespace().next())
        {
            s.cipher = c.to_string();
        }
        Ok(s)
    }

    /// The listening `sshd`'s pid.
    pub fn pid(&self) -> u32 {
        self.sshd.pid().unwrap_or(0)
    }

    /// `ssh EXTRA … user@127.0.0.1 REMOTE` with the bench's key and no configuration.
    pub fn ssh_command(&self, extra: &[&str], remote: &str) -> Command {
        let addr = self.sshd.addr();
        let mut c = Command::new("ssh");
        c.args(extra)
            .args(["-F", "/dev/null", "-i"])
            .arg(&self.client_key)
            .args([
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "LogLevel=ERROR",
                "-p",
            ])
            .arg(addr.port().to_string())
            .arg(format!("{}@{}", self.user, addr.ip()))
            .arg(remote)
            .env(cleanup::TAG_VAR, cleanup::tag());
        c
    }

    /// Stops the server (and every process of its sessions).
    pub fn stop(self) {
        let pid = self.pid();
        drop(self.sshd);
        cleanup::untrack(pid);
    }
}
