//! A session's ControlMaster as forwards use it: `ssh -S <master> -O forward|cancel -L
//! <socket>:<host>:<port> -- <target>` (an argv, never a shell string; the master-only options
//! of [`outpost_openssh::master::MASTER_ONLY`], so nothing ever logs in anew), the master's
//! identity (its control socket's inode and change time: a reconnected session's ssh binds a
//! new one), and the removal of a stale forward socket, which `ssh` would otherwise refuse to
//! bind over.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{MasterId, Record};
use crate::ssh::argv::find_ssh;

/// How long one `ssh -O` may take.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(10);

/// The identity of the master listening on `control` now (`None`: no socket there).
pub fn master_id(control: &Path) -> Option<MasterId> {
    let m = std::fs::symlink_metadata(control).ok()?;
    m.file_type().is_socket().then(|| MasterId {
        dev: m.dev(),
        ino: m.ino(),
        changed_ns: m
            .ctime()
            .saturating_mul(1_000_000_000)
            .saturating_add(m.ctime_nsec()),
    })
}

/// Removes `socket` when it is a socket file (a dead listener's); anything else is left alone.
pub fn remove_stale(socket: &Path) {
    if std::fs::symlink_metadata(socket).is_ok_and(|m| m.file_type().is_socket()) {
        let _ = std::fs::remove_file(socket);
    }
}

/// The `-L` argument: `SOCKET:HOST:PORT`, an IPv6 address in brackets.
fn local_spec(socket: &Path, host: &str, port: u16) -> String {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    format!("{}:{host}:{port}", socket.to_string_lossy())
}

/// An `ssh` session's ControlMaster: its socket and the target to name to `ssh -O`.
pub struct Master {
    /// The control socket.
    pub control: PathBuf,
    /// The target host, as the session was asked for (checked).
    pub target: String,
}

/// The argv (after the program) of `ssh -O <op>` for forward `r` on master `m` at `socket`.
pub fn argv(op: &str, m: &Master, socket: &Path, r: &Record) -> Vec<String> {
    let mut a = vec!["-S".to_string(), m.control.to_string_lossy().into_owned()];
    a.extend(outpost_openssh::master::MASTER_ONLY.map(String::from));
    a.extend([
        "-O".into(),
        op.into(),
        "-L".into(),
        local_spec(socket, &r.host, r.port),
        "--".into(),
        m.target.clone(),
    ]);
    a
}

/// Runs `ssh -O <op>` (`forward` or `cancel`) for forward `r`; the error is ssh's own message.
pub async fn run(op: &str, m: &Master, socket: &Path, r: &Record) -> Result<(), String> {
    let ssh = find_ssh().map_err(|e| e.message)?;
    let mut cmd = tokio::process::Command::new(ssh);
    cmd.args(argv(op, m, socket, r))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = match tokio::time::timeout(CONTROL_TIMEOUT, cmd.output()).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(format!("cannot run ssh: {e}")),
        Err(_) => return Err(format!("ssh -O {op} did not finish within 10 s")),
    };
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(err.trim().chars().take(500).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_is_master_only_and_brackets_ipv6() {
        let m = Master {
            control: PathBuf::from("/run/k.cm"),
            target: "db".into(),
        };
        let r = Record {
            id: "f0123456789abcdef".into(),
            session_id: Some("k3v9q2".into()),
            host: "::1".into(),
            port: 80,
            master: None,
        };
        let a = argv("forward", &m, Path::new("/run/fwd/f1.sock"), &r);
        assert_eq!(
            a.join(" "),
            "-S /run/k.cm -o ControlMaster=no -o BatchMode=yes -o ProxyCommand=/bin/false \
             -O forward -L /run/fwd/f1.sock:[::1]:80 -- db"
        );
    }

    /// OpenSSH parses the `-L` argument as a socket-to-host forward: `ssh -G` prints it back.
    #[test]
    fn ssh_reads_the_forward_as_meant() {
        let out = std::process::Command::new("ssh")
            .args(["-G", "-F", "/dev/null", "-L"])
            .arg(local_spec(Path::new("/run/fwd/f1.sock"), "10.0.0.7", 8000))
            .arg("db")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.lines()
                .any(|l| l == "localforward /run/fwd/f1.sock [10.0.0.7]:8000"),
            "{text}"
        );
    }
}
