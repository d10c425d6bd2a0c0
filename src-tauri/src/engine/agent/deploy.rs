//! Deploying the agent to a host over SSH.
//!
//! A probe prints `uname -sm` (mapped through an allow-list of systems and architectures before
//! any local file name is built from it) and `$HOME`, read once: every path after that is
//! absolute, `$HOME/.local/share/outpost/agent/<version>/<os>-<arch>/outpost-agent`, so a `cd` in
//! a startup file cannot move it and hosts of different platforms sharing an NFS home do not
//! overwrite each other. The directories from `outpost/` down are created 0700 and must be
//! directories owned by the user and not writable by group or others; otherwise nothing is
//! installed.
//!
//! An installed agent is never run before its SHA-256 matches the local binary's. When it is
//! missing or differs, the binary is uploaded over SFTP (or `cat >` over exec when the server
//! has no SFTP) to a temporary name; one remote command verifies its SHA-256, makes it
//! executable and renames it into place, and its exit status is checked. The previous version
//! stays until the new one answers `--version`; then older versions are removed.
//!
//! Commands are built from constants, our version, the platform and the home directory (quoted
//! for the shell). Each has a time limit ([`EXEC_TIMEOUT`], [`UPLOAD_TIMEOUT`]) and its output is
//! bounded (1 MiB of each stream, see [`ExecOutput::truncated`]). Output a shell
//! startup file prints before a command's marker is reported, not mistaken for an answer.

use std::future::Future;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::engine::agent::bin::{self as agent_bin, Platform};
use crate::engine::ssh::ExecOutput;
use crate::engine::ssh::SshSession;
use crate::engine::EngineError;

/// Where agents live on a host, relative to its home directory.
pub const AGENT_ROOT: &str = ".local/share/outpost/agent";

/// The directory above [`AGENT_ROOT`] that is Outpost's own: checked from here down.
const OUTPOST_DIR: &str = ".local/share/outpost";

/// The longest a deploy command may take.
pub const EXEC_TIMEOUT: Duration = Duration::from_secs(60);

/// The longest an upload may take.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(600);

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
    /// The host's platform (allow-listed).
    pub platform: Platform,
    /// The user's home directory on the host (absolute).
    pub home: String,
    /// Lines printed before the marker (by shell startup files).
    pub preamble: Vec<String>,
}

/// How deployment went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployed {
    /// The agent's absolute path on the host.
    pub path: String,
    /// Whether it was uploaded now.
    pub uploaded: bool,
    /// The host's platform.
    pub platform: Platform,
    /// Lines a shell startup file printed.
    pub preamble: Vec<String>,
}

/// The agent's path for `version` on `platform`, relative to the home directory.
pub fn agent_path_for(version: &str, platform: &Platform) -> String {
    format!("{AGENT_ROOT}/{version}/{platform}/outpost-agent")
}

/// The agent's path for `version` on this machine's platform, relative to the home directory.
pub fn agent_path(version: &str) -> String {
    agent_path_for(version, &Platform::current())
}

/// The command that runs the agent at `path` (absolute), preceded by [`SERVE_MARKER`] on a line
/// of its own.
pub fn serve_command(path: &str) -> String {
    format!("echo {SERVE_MARKER}; exec {} serve --stdio", quote(path))
}

/// `s` as one shell word (single quotes; a `'` inside becomes `'\''`).
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn expected_version_line() -> String {
    format!(
        "outpost-agent {AGENT_VERSION} protocol {}",
        outpost_protocol::PROTOCOL_VERSION
    )
}

/// Why deploying the agent failed, as data: the window shows these fields, the CLI the message.
/// (SSH failures on the way are [`SshError`](crate::engine::ssh::SshError)s, and a missing
/// binary for the platform is [`NoAgentBinary`](agent_bin::NoAgentBinary).)
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DeployError {
    /// The probe's marker never came: the login shell printed something else instead.
    #[error("the host did not run the probe; its shell printed: {printed:?}")]
    ProbeNotRun {
        /// The first 200 characters the shell printed.
        printed: String,
    },
    /// The probe's `uname -sm` line is missing or unreadable.
    #[error("cannot read the platform from {uname:?}")]
    UnknownPlatform {
        /// What the probe printed where `uname -sm` belongs (empty when nothing).
        uname: String,
    },
    /// The host runs a system the agent is not built for.
    #[error("the host runs {platform}; the Outpost agent runs on Linux hosts")]
    UnsupportedPlatform {
        /// `os-arch`, e.g. `darwin-aarch64`.
        platform: String,
    },
    /// The local agent binary could not be read.
    #[error("cannot read {path}: {error}")]
    ReadBinary {
        /// The binary.
        path: String,
        /// Why.
        error: String,
    },
    /// The agent's directory could not be created on the host.
    #[error("cannot create {dir} on the host: {stderr}")]
    CreateDir {
        /// The directory, relative to the login directory.
        dir: String,
        /// What the host said.
        stderr: String,
    },
    /// Neither SFTP nor `cat` over exec could upload the binary.
    #[error("cannot upload the agent: {stderr}")]
    UploadFailed {
        /// What the host said to `cat`.
        stderr: String,
    },
    /// The upload arrived corrupted; it was removed and nothing was installed.
    #[error(
        "the uploaded agent is corrupted (SHA-256 on the host {}, expected {expected}); nothing was installed",
        actual.as_deref().unwrap_or("unknown")
    )]
    ChecksumMismatch {
        /// The SHA-256 of the binary sent.
        expected: String,
        /// The SHA-256 the host computed, when it printed one.
        actual: Option<String>,
    },
    /// The checked upload could not be made executable and moved into place.
    #[error("cannot install the agent: {stderr}")]
    InstallFailed {
        /// What the host said.
        stderr: String,
    },
    /// The installed agent does not answer `--version` with this build's version line.
    #[error("the installed agent does not answer as expected: {answer:?} {stderr:?}")]
    WrongVersion {
        /// What it printed.
        answer: String,
        /// What it printed on stderr.
        stderr: String,
    },
}

/// Parses the probe's output: the platform (allow-listed) and the home directory.
pub fn parse_probe(stdout: &str) -> Result<Probe, DeployError> {
    let (before, after) = stdout
        .split_once(MARKER)
        .ok_or_else(|| DeployError::ProbeNotRun {
            printed: stdout.chars().take(200).collect(),
        })?;
    let preamble: Vec<String> = before
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let mut lines = after.lines().filter(|l| !l.trim().is_empty());
    let uname = lines.next().unwrap_or_default().trim();
    let platform = Platform::from_uname(uname).ok_or_else(|| DeployError::UnknownPlatform {
        uname: uname.chars().take(200).collect(),
    })?;
    let home = lines.next().unwrap_or_default();
    if !home.starts_with('/') || home.chars().any(char::is_control) {
        return Err(DeployError::CreateDir {
            dir: "$HOME".into(),
            stderr: format!("the host's home directory is {home:?}, not an absolute path"),
        });
    }
    Ok(Probe {
        platform,
        home: home.trim_end_matches('/').to_owned(),
        preamble,
    })
}

/// Runs the probe: `uname -sm` and `$HOME`, nothing installed is run.
pub async fn probe(ssh: &SshSession) -> Result<Probe, EngineError> {
    let out = exec(
        ssh,
        &format!("echo {MARKER}; uname -sm; printf '%s\\n' \"$HOME\""),
        None,
    )
    .await?;
    Ok(parse_probe(&out.stdout_text())?)
}

/// Runs `cmd` with a time limit of [`EXEC_TIMEOUT`].
async fn exec(
    ssh: &SshSession,
    cmd: &str,
    stdin: Option<&[u8]>,
) -> Result<ExecOutput, EngineError> {
    limited("a deploy command", EXEC_TIMEOUT, async {
        Ok(ssh.exec(cmd, stdin).await?)
    })
    .await
}

/// `step`, or an error when it takes longer than `limit`.
async fn limited<T>(
    what: &str,
    limit: Duration,
    step: impl Future<Output = Result<T, EngineError>>,
) -> Result<T, EngineError> {
    tokio::time::timeout(limit, step).await.unwrap_or_else(|_| {
        Err(EngineError::Agent(format!(
            "deploying the agent: {what} did not finish within {limit:?}"
        )))
    })
}

/// Where one version of the agent goes on one host: absolute paths.
struct Layout {
    /// `$HOME/.local/share/outpost`.
    outpost: String,
    /// `$HOME/.local/share/outpost/agent`.
    root: String,
    /// `<root>/<version>`.
    version_dir: String,
    /// `<version_dir>/<os>-<arch>`.
    dir: String,
    /// `<dir>/outpost-agent`.
    path: String,
}

impl Layout {
    fn new(home: &str, platform: &Platform) -> Layout {
        let root = format!("{home}/{AGENT_ROOT}");
        let version_dir = format!("{root}/{AGENT_VERSION}");
        let dir = format!("{version_dir}/{platform}");
        Layout {
            outpost: format!("{home}/{OUTPOST_DIR}"),
            path: format!("{dir}/outpost-agent"),
            root,
            version_dir,
            dir,
        }
    }

    /// A command that creates the agent's directory (0700) and checks every directory from
    /// `outpost/` down: a directory (not a link) owned by the user, not writable by group or
    /// others. Exit status 3 with the reason on stderr when one is not; then `then` runs.
    fn prepare_then(&self, then: &str) -> String {
        let dirs = [&self.outpost, &self.root, &self.version_dir, &self.dir]
            .map(|d| quote(d))
            .join(" ");
        format!(
            "cd / && umask 077 && mkdir -p {dir} || exit 2; for d in {dirs}; do \
             if [ -h \"$d\" ] || [ ! -d \"$d\" ] || [ ! -O \"$d\" ]; then echo \"$d is not a directory owned by $(id -un)\" >&2; exit 3; fi; \
             case $(ls -ld \"$d\") in ?????w*|????????w*) echo \"$d is writable by group or others\" >&2; exit 3;; esac; \
             done; {then}",
            dir = quote(&self.dir),
        )
    }
}

/// Whether `s` is a SHA-256 in lower-case hex (the only digest spliced into a command).
fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The command printing the SHA-256 of `path` (`sha256sum`, else `shasum -a 256`).
fn sha256_of(path: &str) -> String {
    let p = quote(path);
    format!("(sha256sum {p} 2>/dev/null || shasum -a 256 {p}) | cut -d' ' -f1")
}

/// Creates and checks the agent's directories, and prints the installed agent's SHA-256 (when
/// there is one): its bytes are compared before it is ever run.
async fn prepare(ssh: &SshSession, layout: &Layout) -> Result<String, EngineError> {
    let p = quote(&layout.path);
    let cmd = marked(&layout.prepare_then(&format!(
        "if [ -f {p} ] && [ ! -h {p} ]; then {}; fi",
        sha256_of(&layout.path)
    )));
    let out = exec(ssh, &cmd, None).await?;
    if !out.success() {
        return Err(DeployError::CreateDir {
            dir: layout.dir.clone(),
            stderr: out.stderr_text().trim().to_owned(),
        }
        .into());
    }
    Ok(parse_sha256(&out.stdout_text()))
}

/// Makes sure our agent version is installed for the host's platform; uploads it if needed.
pub async fn ensure_agent(ssh: &SshSession) -> Result<Deployed, EngineError> {
    let p = probe(ssh).await?;
    if p.platform.os != "linux" {
        return Err(DeployError::UnsupportedPlatform {
            platform: p.platform.to_string(),
        }
        .into());
    }
    let bin = agent_bin::find(&p.platform)?;
    let data = tokio::fs::read(&bin)
        .await
        .map_err(|e| DeployError::ReadBinary {
            path: bin.display().to_string(),
            error: e.to_string(),
        })?;
    let digest = hex(&Sha256::digest(&data));
    let layout = Layout::new(&p.home, &p.platform);
    let installed = prepare(ssh, &layout).await?;
    let uploaded = installed != digest || answers(ssh, &layout).await?.is_err();
    if uploaded {
        install_at(ssh, &layout, &data, &digest).await?;
    }
    Ok(Deployed {
        path: layout.path,
        uploaded,
        platform: p.platform,
        preamble: p.preamble,
    })
}

/// Whether the agent at `layout.path` answers `--version` with this build's line (its bytes
/// were checked first); `Err` with what it said otherwise.
async fn answers(
    ssh: &SshSession,
    layout: &Layout,
) -> Result<Result<(), DeployError>, EngineError> {
    let check = exec(
        ssh,
        &marked(&format!("{} --version", quote(&layout.path))),
        None,
    )
    .await?;
    let answer = check.stdout_text();
    let answer = after_marker(&answer).trim();
    Ok(if answer == expected_version_line() {
        Ok(())
    } else {
        Err(DeployError::WrongVersion {
            answer: answer.chars().take(200).collect(),
            stderr: check.stderr_text().trim().chars().take(200).collect(),
        })
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

/// Uploads `data` as our agent version for the host's platform, checks it against `sha256` on
/// the host, and moves it into place; removes older versions once it answers. Exposed so tests
/// can hand it a wrong digest and see the corruption caught.
pub async fn install(ssh: &SshSession, data: &[u8], sha256: &str) -> Result<(), EngineError> {
    let p = probe(ssh).await?;
    let layout = Layout::new(&p.home, &p.platform);
    prepare(ssh, &layout).await?;
    install_at(ssh, &layout, data, sha256).await
}

/// [`install`] into a prepared `layout`.
async fn install_at(
    ssh: &SshSession,
    layout: &Layout,
    data: &[u8],
    sha256: &str,
) -> Result<(), EngineError> {
    let mismatch = |actual: Option<String>| DeployError::ChecksumMismatch {
        expected: sha256.chars().take(64).collect(),
        actual,
    };
    if !is_sha256_hex(sha256) {
        return Err(mismatch(None).into());
    }
    let mut nonce = [0u8; 6];
    getrandom_fill(&mut nonce).map_err(|e| DeployError::UploadFailed {
        stderr: format!("cannot read /dev/urandom for a temporary name: {e}"),
    })?;
    let tmp = format!("{}/.outpost-agent.{}.tmp", layout.dir, hex(&nonce));
    let sftp = limited("the SFTP upload", UPLOAD_TIMEOUT, async {
        Ok(upload_sftp(ssh, &tmp, data).await)
    })
    .await?;
    if let Err(e) = sftp {
        tracing::info!("SFTP upload failed ({e}); falling back to cat over exec");
        let out = limited("the upload", UPLOAD_TIMEOUT, async {
            Ok(ssh
                .exec(&format!("cat > {}", quote(&tmp)), Some(data))
                .await?)
        })
        .await?;
        if !out.success() {
            let _ = exec(ssh, &format!("rm -f {}", quote(&tmp)), None).await;
            return Err(DeployError::UploadFailed {
                stderr: out.stderr_text().trim().to_owned(),
            }
            .into());
        }
    }
    // Verify, chmod and rename in one command: 3 = wrong digest (printed), 4 = not installed.
    let (t, f) = (quote(&tmp), quote(&layout.path));
    let cmd = marked(&format!(
        "cd / && S=$({sum}); if [ \"$S\" != {sha256} ]; then rm -f {t}; echo \"$S\"; exit 3; fi; \
         chmod 755 {t} && mv -f {t} {f} || {{ rm -f {t}; exit 4; }}",
        sum = sha256_of(&tmp),
    ));
    let put = exec(ssh, &cmd, None).await?;
    match put.exit_status {
        Some(0) => {}
        Some(3) => {
            let got = parse_sha256(&put.stdout_text());
            return Err(mismatch(Some(got).filter(|g| !g.is_empty())).into());
        }
        _ => {
            let _ = exec(ssh, &format!("rm -f {t}"), None).await;
            return Err(DeployError::InstallFailed {
                stderr: put.stderr_text().trim().to_owned(),
            }
            .into());
        }
    }
    answers(ssh, layout).await??;
    // The new version answers: older ones go (running daemons keep their mapped binary). Newer
    // ones stay: they belong to a newer desktop that shares this host.
    let listing = exec(
        ssh,
        &marked(&format!("ls -1 {}", quote(&layout.root))),
        None,
    )
    .await?;
    let listing = listing.stdout_text();
    let older: Vec<String> = after_marker(&listing)
        .lines()
        .map(str::trim)
        .filter(|v| is_older_version(v, AGENT_VERSION))
        .map(|v| quote(&format!("{}/{v}", layout.root)))
        .collect();
    if !older.is_empty() {
        let _ = exec(ssh, &format!("rm -rf {}", older.join(" ")), None).await;
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
            "Welcome!\nfortune says hi\n{MARKER}\nLinux x86_64\n/home/ann\n"
        ))
        .unwrap();
        assert_eq!(p.platform.to_string(), "linux-x86_64");
        assert_eq!(p.home, "/home/ann");
        assert_eq!(p.preamble, vec!["Welcome!", "fortune says hi"]);
        let p = parse_probe(&format!("{MARKER}\nLinux aarch64\n/h/it's/\n")).unwrap();
        assert_eq!(p.home, "/h/it's");
        assert!(parse_probe("no marker").is_err());
        for bad in [
            "Linux x86_64\nhome\n",
            "Linux x86_64\n",
            "Linux x86_64;rm -rf\n/h\n",
        ] {
            assert!(parse_probe(&format!("{MARKER}\n{bad}")).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn paths_are_absolute_quoted_and_per_platform() {
        let arm = Platform::from_uname("Linux aarch64").unwrap();
        let l = Layout::new("/home/o'brien", &arm);
        assert_eq!(
            l.path,
            format!("/home/o'brien/{AGENT_ROOT}/{AGENT_VERSION}/linux-aarch64/outpost-agent")
        );
        assert_eq!(quote("/home/o'brien"), "'/home/o'\\''brien'");
        assert!(l
            .prepare_then("true")
            .starts_with("cd / && umask 077 && mkdir -p '/home/"));
        assert!(is_sha256_hex(&"ab".repeat(32)));
        assert!(!is_sha256_hex("$(id)"));
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
            serve_command("/h/.local/share/outpost/agent/0.1.0/linux-x86_64/outpost-agent"),
            "echo @@outpost-serve@@; exec '/h/.local/share/outpost/agent/0.1.0/linux-x86_64/outpost-agent' serve --stdio"
        );
        assert!(AGENT_VERSION
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c)));
    }
}
