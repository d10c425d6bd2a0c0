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
//! Starting the agent ([`start_agent`]) is one remote command when it is installed already:
//! the probe's lines, then — when `uname -sm` names a platform this desktop has a binary for,
//! every directory passes the checks below and the installed file's SHA-256 equals that
//! binary's — `exec` of the agent ([`start_command`]). Otherwise that command prints
//! [`DEPLOY_MARKER`] and ends, and the steps below follow, each its own command; then the agent
//! is started by [`serve_command`]. (The local binary's SHA-256 is remembered per process:
//! [`agent_bin::sha256_file`].)
//!
//! An installed agent is never run before its SHA-256 has matched the local binary's: hashed
//! in full on the host the first time, then as long as the file keeps the inode, size and
//! modification and change times recorded right after that check ([`start_command`]). When it is
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
use tracing::Instrument;

use crate::engine::agent::bin::{self as agent_bin, Platform};
use crate::engine::agent::connect::read_to_marker;
use crate::engine::agent::rpc_client::DEFAULT_TIMEOUT;
use crate::engine::ssh::SshSession;
use crate::engine::ssh::{ChannelStream, ExecOutput};
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

/// The line [`start_command`] prints when it did not start the agent (none installed, another
/// build, a directory that fails the checks, a platform without a local binary): deployment
/// follows.
pub const DEPLOY_MARKER: &str = "@@outpost-deploy@@";

/// The architectures whose Linux binaries [`start_command`] looks for beside the desktop.
const START_ARCHES: [&str; 2] = ["x86_64", "aarch64"];

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

/// The agent running on a host ([`start_agent`]).
pub struct Started {
    /// Its stdin/stdout; stderr and exit status through [`ChannelStream::exit_watch`].
    pub stream: ChannelStream,
    /// Bytes of its protocol read already (past [`SERVE_MARKER`]).
    pub rest: Vec<u8>,
    /// Where it is, whether it was uploaded now, what startup files printed.
    pub deployed: Deployed,
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

/// The Linux platforms this desktop has an agent binary for, with each binary's SHA-256
/// (binaries that cannot be read are left out: deployment reports them).
fn local_binaries() -> Vec<(Platform, String)> {
    START_ARCHES
        .iter()
        .filter_map(|arch| {
            let platform = Platform {
                os: "linux".into(),
                arch: (*arch).into(),
            };
            let path = agent_bin::find(&platform).ok()?;
            let digest = agent_bin::sha256_file(&path)
                .map_err(|e| tracing::debug!("hashing {}: {e}", path.display()))
                .ok()?;
            Some((platform, digest))
        })
        .collect()
}

/// The one command that starts an installed agent; see the [module documentation](self). It
/// prints the probe's lines (marker, `uname -sm`, `$HOME`), then either [`SERVE_MARKER`] and
/// `exec`s the agent, or [`DEPLOY_MARKER`]. `known` pairs each platform with the SHA-256 of
/// this desktop's binary for it; both are spliced in only after checks (allow-listed `uname`
/// words, lower-case hex digests), everything else is a constant.
///
/// The installed file's SHA-256 is computed in full once; after a match the command records
/// the digest with the file's inode, size, modification and change times
/// (`<version>/.<platform>.verified`), and later runs skip `sha256sum` while those are the
/// same. Any write to the file or any file put in its place changes its change time or inode,
/// which no process can set back, so a planted or altered binary is hashed, and refused, again.
pub fn start_command(known: &[(Platform, String)]) -> String {
    let arms: String = known
        .iter()
        .filter(|(p, digest)| {
            is_sha256_hex(digest)
                && p.to_string()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
        })
        .map(|(p, digest)| {
            let lines: Vec<String> = p.uname_lines().iter().map(|l| quote(l)).collect();
            format!("{}) P={p} S={digest};; ", lines.join("|"))
        })
        .collect();
    let version_dir = format!("\"$HOME\"/{AGENT_ROOT}/{AGENT_VERSION}");
    format!(
        "echo {MARKER}; U=$(uname -sm); printf '%s\\n' \"$U\" \"$HOME\"; P=; S=; \
         case \"$U\" in {arms}*) ;; esac; \
         if [ -n \"$P\" ]; then \
         D={version_dir}/\"$P\"; F=\"$D/outpost-agent\"; ok=1; \
         for d in \"$HOME\"/{OUTPOST_DIR} \"$HOME\"/{AGENT_ROOT} {version_dir} \"$D\"; do \
         if [ -h \"$d\" ] || [ ! -d \"$d\" ] || [ ! -O \"$d\" ]; then ok=; fi; done; \
         if [ -n \"$ok\" ] && [ -f \"$F\" ] && [ ! -h \"$F\" ] && [ -x \"$F\" ] && \
         ls -ld \"$HOME\"/{OUTPOST_DIR} \"$HOME\"/{AGENT_ROOT} {version_dir} \"$D\" | \
         {{ while read m r; do case $m in ?????w*|????????w*) exit 1;; esac; done; }}; then \
         K={version_dir}/.\"$P\".verified; I=$(stat -c '%i %s %Y %z' \"$F\" 2>/dev/null); V=; \
         if [ -f \"$K\" ] && [ ! -h \"$K\" ]; then read -r V < \"$K\"; fi; \
         if [ -n \"$I\" ] && [ \"$V\" = \"$S $I\" ]; then echo {SERVE_MARKER}; exec \"$F\" serve --stdio; fi; \
         H=$(sha256sum \"$F\" 2>/dev/null || shasum -a 256 \"$F\"); \
         if [ \"${{H%% *}}\" = \"$S\" ]; then \
         if [ -n \"$I\" ]; then rm -f \"$K\"; printf '%s\\n' \"$S $I\" > \"$K\"; fi; \
         echo {SERVE_MARKER}; exec \"$F\" serve --stdio; fi; \
         fi; fi; echo {DEPLOY_MARKER}"
    )
}

/// Starts this build's agent on the host — in one command when it is installed already,
/// otherwise after deploying it ([`ensure_installed`]) — and reads up to its protocol. `host`
/// names the host in errors.
pub async fn start_agent(ssh: &SshSession, host: &str) -> Result<Started, EngineError> {
    start(ssh, host)
        .instrument(tracing::debug_span!("agent_start", host))
        .await
}

/// [`start_agent`], in its span.
async fn start(ssh: &SshSession, host: &str) -> Result<Started, EngineError> {
    let starting = |e: String| EngineError::Agent(format!("starting the agent on {host}: {e}"));
    let known = local_binaries();
    tracing::debug!(platforms = known.len(), "local agent binaries hashed");
    let mut stream = ssh.exec_stream(&start_command(&known)).await?;
    let (lines, rest) = read_to_marker(&mut stream, SERVE_MARKER, DEFAULT_TIMEOUT)
        .await
        .map_err(starting)?;
    let served = !lines.iter().any(|l| l == DEPLOY_MARKER);
    let probe = parse_probe(&lines.join("\n"))?;
    if served {
        tracing::debug!("installed agent verified and started");
        let path = Layout::new(&probe.home, &probe.platform).path;
        return Ok(Started {
            stream,
            rest,
            deployed: Deployed {
                path,
                uploaded: false,
                platform: probe.platform,
                preamble: probe.preamble,
            },
        });
    }
    drop(stream);
    tracing::debug!("the installed agent is missing or differs: deploying");
    let mut deployed = ensure_installed(ssh, probe).await?;
    let mut stream = ssh.exec_stream(&serve_command(&deployed.path)).await?;
    // What startup files print comes before the marker, the agent's protocol after it.
    let (shell_lines, rest) = read_to_marker(&mut stream, SERVE_MARKER, DEFAULT_TIMEOUT)
        .await
        .map_err(starting)?;
    for line in shell_lines {
        if !deployed.preamble.contains(&line) {
            deployed.preamble.push(line);
        }
    }
    Ok(Started {
        stream,
        rest,
        deployed,
    })
}

/// Makes sure our agent version is installed for the platform `p` found; uploads it if needed.
async fn ensure_installed(ssh: &SshSession, p: Probe) -> Result<Deployed, EngineError> {
    if p.platform.os != "linux" {
        return Err(DeployError::UnsupportedPlatform {
            platform: p.platform.to_string(),
        }
        .into());
    }
    let bin = agent_bin::find(&p.platform)?;
    let read_error = |e: std::io::Error| DeployError::ReadBinary {
        path: bin.display().to_string(),
        error: e.to_string(),
    };
    let digest = agent_bin::sha256_file(&bin).map_err(read_error)?;
    let layout = Layout::new(&p.home, &p.platform);
    let installed = prepare(ssh, &layout).await?;
    let uploaded = installed != digest || answers(ssh, &layout).await?.is_err();
    if uploaded {
        let data = tokio::fs::read(&bin).await.map_err(read_error)?;
        // The bytes sent are the bytes checked on the host.
        let digest = hex(&Sha256::digest(&data));
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

    /// A fake host for [`start_command`]: a home holding an "agent" script at our version's
    /// path for this machine's platform (it records its arguments when run), and a
    /// `sha256sum` in front of the real one that records each call.
    struct FakeHost {
        home: tempfile::TempDir,
        agent: std::path::PathBuf,
    }

    impl FakeHost {
        fn new() -> FakeHost {
            use std::os::unix::fs::PermissionsExt;
            let home = tempfile::tempdir().unwrap();
            let agent = home
                .path()
                .join(agent_path_for(AGENT_VERSION, &Platform::current()));
            std::fs::create_dir_all(agent.parent().unwrap()).unwrap();
            let h = home.path().display().to_string();
            std::fs::write(&agent, format!("#!/bin/sh\necho \"$@\" > '{h}/ran'\n")).unwrap();
            std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
            let bin = home.path().join("bin/sha256sum");
            std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
            std::fs::write(
                &bin,
                format!("#!/bin/sh\ntouch '{h}/hashed'\nexec /usr/bin/sha256sum \"$@\"\n"),
            )
            .unwrap();
            std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
            FakeHost { home, agent }
        }

        /// Runs the command with the agent's digest (or `digest`): what it printed, whether
        /// the agent ran, whether `sha256sum` ran.
        fn run(&self, digest: Option<&str>) -> (String, bool, bool) {
            let h = self.home.path();
            let _ = std::fs::remove_file(h.join("ran"));
            let _ = std::fs::remove_file(h.join("hashed"));
            let digest = match digest {
                Some(d) => d.to_owned(),
                None => agent_bin::sha256_file(&self.agent).unwrap(),
            };
            let path = format!(
                "{}:{}",
                h.join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            );
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(start_command(&[(Platform::current(), digest)]))
                .env("HOME", h)
                .env("PATH", path)
                .output()
                .unwrap();
            let served =
                std::fs::read_to_string(h.join("ran")).is_ok_and(|r| r.trim() == "serve --stdio");
            (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                served,
                h.join("hashed").exists(),
            )
        }
    }

    /// [`FakeHost::run`] once, after `setup(home, agent)`.
    fn run_start(
        setup: impl Fn(&std::path::Path, &std::path::Path),
        digest_of: Option<&str>,
    ) -> (String, bool) {
        let host = FakeHost::new();
        setup(host.home.path(), &host.agent);
        let (out, served, _) = host.run(digest_of);
        (out, served)
    }

    #[test]
    fn a_verified_agent_is_hashed_again_only_once_its_file_changes() {
        let host = FakeHost::new();
        let (out, served, hashed) = host.run(None);
        assert!(served && hashed, "{out}");
        // Recorded: the next start skips sha256sum.
        let (out, served, hashed) = host.run(None);
        assert!(served && !hashed, "{out}");
        // Rewritten in place with the very same bytes: its change time moved, so it is hashed.
        let bytes = std::fs::read(&host.agent).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&host.agent, &bytes).unwrap();
        let (out, served, hashed) = host.run(None);
        assert!(served && hashed, "{out}");
        // Another build (another digest) is never served from the record.
        let (out, served, hashed) = host.run(Some(&"1".repeat(64)));
        assert!(
            !served && hashed && out.ends_with(&format!("{DEPLOY_MARKER}\n")),
            "{out}"
        );
        // The same size, other bytes (a planted file), after a verified start: refused.
        let (_, served, _) = host.run(None);
        assert!(served);
        let digest = agent_bin::sha256_file(&host.agent).unwrap();
        let mut planted = bytes.clone();
        let last = planted.len() - 2;
        planted[last] = b'#';
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&host.agent, &planted).unwrap();
        let (out, served, hashed) = host.run(Some(&digest));
        assert!(!served && hashed, "{out}");
    }

    #[test]
    fn the_start_command_runs_only_a_verified_agent() {
        let nothing = |_: &std::path::Path, _: &std::path::Path| {};
        // Our bytes: probe lines, then the serve marker, and the agent runs.
        let (out, served) = run_start(nothing, None);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], MARKER, "{out}");
        assert!(Platform::from_uname(lines[1]).is_some(), "{out}");
        assert_eq!(lines[3], SERVE_MARKER, "{out}");
        assert!(served, "{out}");
        assert!(parse_probe(&out).is_ok());
        // Other bytes: the deploy marker, and nothing runs.
        let (out, served) = run_start(nothing, Some(&"0".repeat(64)));
        assert!(out.ends_with(&format!("{DEPLOY_MARKER}\n")), "{out}");
        assert!(!served && !out.contains(SERVE_MARKER), "{out}");
        // A directory others may write to, or a link in place of the file: not run.
        let open_dir = |_: &std::path::Path, agent: &std::path::Path| {
            use std::os::unix::fs::PermissionsExt;
            let dir = agent.parent().unwrap();
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o775)).unwrap();
        };
        let (out, served) = run_start(open_dir, None);
        assert!(
            !served && out.ends_with(&format!("{DEPLOY_MARKER}\n")),
            "{out}"
        );
        let linked = |home: &std::path::Path, agent: &std::path::Path| {
            let real = home.join("real-agent");
            std::fs::rename(agent, &real).unwrap();
            std::os::unix::fs::symlink(&real, agent).unwrap();
        };
        let (out, served) = run_start(linked, None);
        assert!(
            !served && out.ends_with(&format!("{DEPLOY_MARKER}\n")),
            "{out}"
        );
        // No binary for the host's platform: nothing is looked at.
        let cmd = start_command(&[]);
        assert!(!cmd.contains(") P="), "{cmd}");
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
