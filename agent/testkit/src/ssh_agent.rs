//! A real OpenSSH `ssh-agent` for tests ([`SshAgent`]): started in the foreground on a socket
//! of the test's choosing, keys added with `ssh-add`, killed on drop.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `ssh-agent -D -a SOCKET`, killed on drop.
pub struct SshAgent {
    child: Child,
    socket: PathBuf,
}

impl SshAgent {
    /// Starts an agent listening on `dir/agent.sock` and waits for its socket.
    pub fn start(dir: &Path) -> SshAgent {
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent (openssh-client)");
        let agent = SshAgent { child, socket };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !agent.socket.exists() {
            assert!(Instant::now() < deadline, "ssh-agent made no socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        agent
    }

    /// The agent's socket (what `SSH_AUTH_SOCK` would name).
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Adds the private key `key` (`ssh-add KEY`); panics when that fails.
    pub fn add(&self, key: &Path) {
        let out = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "ssh-add: {out:?}");
    }
}

impl Drop for SshAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
