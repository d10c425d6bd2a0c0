//! Deploying the agent to a host over SSH.
//!
//! One probe (`uname -sm` and the installed agent's `--version`) decides. When the agent is
//! missing or of another version, the binary for the host's platform is uploaded over SFTP (or
//! `cat >` over exec when the server has no SFTP) to a temporary name, its SHA-256 is checked on
//! the host, it is made executable and renamed into
//! `~/.local/share/outpost/agent/<version>/outpost-agent`. The previous version stays until the
//! new one answers `--version`; then older versions are removed.
//!
//! Every command sent is built from constants and our own version string only (paths are
//! relative to the login directory, so the host's `$HOME` is never spliced into a command).
//! Output a shell startup file prints before the probe's marker is reported, not mistaken for an
//! answer.

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::engine::agent::bin::{self as agent_bin, Platform};
use crate::engine::ssh::SshSession;
use crate::engine::EngineError;

/// Where agents live on a host, relative to the login directory.
pub const AGENT_ROOT: &str = ".local/share/outpost/agent";

/// The marker that separates startup-file noise from the probe's answer.
const MARKER: &str = "@@outpost-probe@@";

/// The line [`serve_command`] prints right before the agent starts: what arrives before it is
/// the shell's (startup files that print, with or without a final newline), what follows is the
/// agent's protocol.
pub const SERVE_MARKER: &str = "@@outpost-serve@@";

/// This build's agent version (the desktop and its agent ship together).
pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The host's platform.
    pub platform: Platform,
    /// `outpost-agent <version> protocol <n>` of the installed agent of our version, if any.
    pub installed: Option<String>,
    /// Lines printed before the marker (by shell startup files).
    pub preamble: Vec<String>,
}

/// How deployment went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployed {
    /// The agent's path, relative to the login directory.
    pub path: String,
    /// Whether it was uploaded now.
    pub uploaded: bool,
    /// The host's platform.
    pub platform: Platform,
    /// Lines a shell startup file printed.
    pub preamble: Vec<String>,
}

/// The agent's path for `version`, relative to the login directory.
pub fn agent_path(version: &str) -> String {
    format!("{AGENT_ROOT}/{version}/outpost-agent")
}

/// The command that runs the agent, preceded by [`SERVE_MARKER`] on a line of its own.
pub fn serve_command(version: &str) -> String {
    format!(
        "echo {SERVE_MARKER}; exec {} serve --stdio",
        agent_path(version)
    )
}

fn expected_version_line() -> String {
    format!(
        "outpost-agent {AGENT_VERSION} protocol {}",
        outpost_protocol::PROTOCOL_VERSION
    )
}

fn deploy_err(msg: impl Into<String>) -> EngineError {
    EngineError::Deploy(msg.into())
}

/// Parses the probe's output.
pub fn parse_probe(stdout: &str) -> Result<Probe, EngineError> {
    let (before, after) = stdout.split_once(MARKER).ok_or_else(|| {
        deploy_err(format!(
            "the host did not run the probe; its shell printed: {:?}",
            stdout.chars().take(200).collect::<String>()
        ))
    })?;
    let preamble: Vec<String> = before
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let mut lines = after.lines().map(str::trim).filter(|l| !l.is_empty());
    let uname = lines
        .next()
        .ok_or_else(|| deploy_err("the probe printed no `uname -sm`"))?;
    let platform = Platform::from_uname(uname)
        .ok_or_else(|| deploy_err(format!("cannot read the platform from {uname:?}")))?;
    let installed = lines.next().map(str::to_string);
    Ok(Probe {
        platform,
        installed,
        preamble,
    })
}

/// Runs the probe.
pub async fn probe(ssh: &SshSession) -> Result<Probe, EngineError> {
    let path = agent_path(AGENT_VERSION);
    let cmd = format!(
        "echo {MARKER}; uname -sm; if [ -x {path} ]; then {path} --version 2>/dev/null; fi"
    );
    let out = ssh.exec(&cmd, None).await?;
    parse_probe(&out.stdout_text())
}

/// Makes sure our agent version is installed; uploads it if needed.
pub async fn ensure_agent(ssh: &SshSession) -> Result<Deployed, EngineError> {
    let p = probe(ssh).await?;
    let path = agent_path(AGENT_VERSION);
    if p.installed.as_deref() == Some(expected_version_line().as_str()) {
        return Ok(Deployed {
            path,
            uploaded: false,
            platform: p.platform,
            preamble: p.preamble,
        });
    }
    if p.platform.os != "linux" {
        return Err(deploy_err(format!(
            "the host runs {}; the Outpost agent runs on Linux hosts",
            p.platform
        )));
    }
    let bin = agent_bin::find(&p.platform)?;
    let data = tokio::fs::read(&bin)
        .await
        .map_err(|e| deploy_err(format!("cannot read {}: {e}", bin.display())))?;
    let digest = hex(&Sha256::digest(&data));
    install(ssh, &data, &digest).await?;
    Ok(Deployed {
        path,
        uploaded: true,
        platform: p.platform,
        preamble: p.preamble,
    })
}

/// `cmd`, preceded by the marker, so that what it prints can be told from what shell startup
/// files print before it.
fn marked(cmd: &str) -> String {
    format!("echo {MARKER}; {cmd}")
}

/// What a [`marked`] command printed: everything after the (last) marker line; everything
/// when there is no marker.
fn after_marker(stdout: &str) -> &str {
    stdout
        .rsplit_once(MARKER)
        .map_or(stdout, |(_, after)| after)
}

/// The digest in the output of a [`marked`] `sha256sum FILE` (empty when there is none).
fn parse_sha256(stdout: &str) -> String {
    after_marker(stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Uploads `data` as our agent version, checks it against `sha256` on the host, and moves it
/// into place; removes older versions once it answers. Exposed so tests can hand it a wrong
/// digest and see the corruption caught.
pub async fn install(ssh: &SshSession, data: &[u8], sha256: &str) -> Result<(), EngineError> {
    let dir = format!("{AGENT_ROOT}/{AGENT_VERSION}");
    let final_path = agent_path(AGENT_VERSION);
    let mut nonce = [0u8; 6];
    let _ = getrandom_fill(&mut nonce);
    let tmp = format!("{dir}/.outpost-agent.{}.tmp", hex(&nonce));
    let mk = ssh
        .exec(&format!("umask 077 && mkdir -p {dir}"), None)
        .await?;
    if !mk.success() {
        return Err(deploy_err(format!(
            "cannot create {dir} on the host: {}",
            mk.stderr_text().trim()
        )));
    }
    if let Err(e) = upload_sftp(ssh, &tmp, data).await {
        tracing::info!("SFTP upload failed ({e}); falling back to cat over exec");
        let out = ssh.exec(&format!("cat > {tmp}"), Some(data)).await?;
        if !out.success() {
            let _ = ssh.exec(&format!("rm -f {tmp}"), None).await;
            return Err(deploy_err(format!(
                "cannot upload the agent: {}",
                out.stderr_text().trim()
            )));
        }
    }
    let sum = ssh
        .exec(
            &marked(&format!(
                "sha256sum {tmp} 2>/dev/null || shasum -a 256 {tmp}"
            )),
            None,
        )
        .await?;
    let got = parse_sha256(&sum.stdout_text());
    if got != sha256 {
        let _ = ssh.exec(&format!("rm -f {tmp}"), None).await;
        return Err(deploy_err(format!(
            "the uploaded agent is corrupted (SHA-256 on the host {}, expected {sha256}); nothing was installed",
            if got.is_empty() { "unknown".to_string() } else { got }
        )));
    }
    let mv = ssh
        .exec(
            &format!("chmod 755 {tmp} && mv -f {tmp} {final_path}"),
            None,
        )
        .await?;
    if !mv.success() {
        let _ = ssh.exec(&format!("rm -f {tmp}"), None).await;
        return Err(deploy_err(format!(
            "cannot install the agent: {}",
            mv.stderr_text().trim()
        )));
    }
    let check = ssh
        .exec(&marked(&format!("{final_path} --version")), None)
        .await?;
    let answer = check.stdout_text();
    let answer = after_marker(&answer).trim();
    if answer != expected_version_line() {
        return Err(deploy_err(format!(
            "the installed agent does not answer as expected: {answer:?} {:?}",
            check.stderr_text().trim()
        )));
    }
    // The new version answers: older ones go (running daemons keep their mapped binary). Newer
    // ones stay: they belong to a newer desktop that shares this host.
    let listing = ssh
        .exec(&marked(&format!("ls -1 {AGENT_ROOT}")), None)
        .await?;
    let listing = listing.stdout_text();
    let older: Vec<&str> = after_marker(&listing)
        .lines()
        .map(str::trim)
        .filter(|v| is_older_version(v, AGENT_VERSION))
        .collect();
    if !older.is_empty() {
        let dirs: Vec<String> = older.iter().map(|v| format!("{AGENT_ROOT}/{v}")).collect();
        let _ = ssh.exec(&format!("rm -rf {}", dirs.join(" ")), None).await;
    }
    Ok(())
}

/// Whether `v` names an agent version older than `ours` (dotted numbers compared as numbers).
/// Anything that is not a plain version (odd characters, which could mean something to a shell)
/// is never touched.
fn is_older_version(v: &str, ours: &str) -> bool {
    let plain = |x: &str| {
        !x.is_empty()
            && x.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c))
    };
    if !plain(v) || v == ours {
        return false;
    }
    let key = |x: &str| -> Vec<u64> {
        x.split(['-', '+'])
            .next()
            .unwrap_or("")
            .split('.')
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    key(v) < key(ours)
}

fn getrandom_fill(buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}

async fn upload_sftp(ssh: &SshSession, path: &str, data: &[u8]) -> Result<(), String> {
    let stream = ssh
        .open_subsystem("sftp")
        .await
        .map_err(|e| e.to_string())?;
    let sftp = russh_sftp::client::SftpSession::new(stream)
        .await
        .map_err(|e| e.to_string())?;
    let mut file = sftp.create(path).await.map_err(|e| e.to_string())?;
    for chunk in data.chunks(256 * 1024) {
        file.write_all(chunk).await.map_err(|e| e.to_string())?;
    }
    file.flush().await.map_err(|e| e.to_string())?;
    file.shutdown().await.map_err(|e| e.to_string())?;
    let _ = sftp.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_output_with_noise() {
        let p = parse_probe(&format!(
            "Welcome!\nfortune says hi\n{MARKER}\nLinux x86_64\noutpost-agent 0.1.0 protocol 1\n"
        ))
        .unwrap();
        assert_eq!(p.platform.to_string(), "linux-x86_64");
        assert_eq!(
            p.installed.as_deref(),
            Some("outpost-agent 0.1.0 protocol 1")
        );
        assert_eq!(p.preamble, vec!["Welcome!", "fortune says hi"]);
        let p = parse_probe(&format!("{MARKER}\nLinux aarch64\n")).unwrap();
        assert_eq!(p.installed, None);
        assert!(parse_probe("no marker").is_err());
    }

    #[test]
    fn answers_are_read_after_startup_noise() {
        // A `.bashrc` that prints runs before every command: its words are not the digest.
        let digest = "ab".repeat(32);
        let out = format!("Welcome to jump!\n{MARKER}\n{digest}  .local/x.tmp\n");
        assert_eq!(parse_sha256(&out), digest);
        assert_eq!(parse_sha256(&format!("{MARKER}\n")), "");
        assert_eq!(
            after_marker(&format!("hi\n{MARKER}\noutpost-agent 0.1.0 protocol 1\n")).trim(),
            "outpost-agent 0.1.0 protocol 1"
        );
        assert_eq!(
            marked("uname"),
            format!("echo {MARKER}; uname"),
            "the marker comes first"
        );
    }

    #[test]
    fn only_older_versions_are_removed() {
        assert!(is_older_version("0.0.1", "0.1.0"));
        assert!(is_older_version("0.9.9", "0.10.0"));
        assert!(!is_older_version("0.2.0", "0.1.0"));
        assert!(!is_older_version("0.1.0", "0.1.0"));
        assert!(!is_older_version("$(rm -rf ~)", "0.1.0"));
        assert!(!is_older_version("", "0.1.0"));
    }

    #[test]
    fn commands_hold_only_constants() {
        assert_eq!(
            serve_command("0.1.0"),
            "echo @@outpost-serve@@; exec .local/share/outpost/agent/0.1.0/outpost-agent serve --stdio"
        );
        assert!(AGENT_VERSION
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c)));
    }
}
