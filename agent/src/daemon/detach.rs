//! Detaching a session daemon from the agent that starts it.
//!
//! `outpost-agent daemon` reads the [`DaemonSpec`] on its standard input and forks; the child
//! calls `setsid`, closes every descriptor it inherited, points its standard streams at
//! `/dev/null` and its log file, and runs the session (`daemon::run`), which reports
//! [`Readiness`] through a pipe. The launcher prints that report as one JSON line and exits, so
//! the daemon is never the agent's child and shares nothing with the agent's SSH channel.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;

use anyhow::Context;

use super::spec::{DaemonSpec, Readiness, MAX_SPEC_BYTES};
use crate::paths::Paths;

/// Runs the `daemon` command: reads the spec, forks the daemon and reports its readiness.
///
/// Must be called before any thread or async runtime starts (it forks).
pub fn launch() -> anyhow::Result<()> {
    let mut raw = Vec::new();
    std::io::stdin()
        .take(MAX_SPEC_BYTES)
        .read_to_end(&mut raw)
        .context("reading the daemon spec from stdin")?;
    let spec: DaemonSpec = serde_json::from_slice(&raw).context("parsing the daemon spec")?;
    let (read_end, write_end) = nix::unistd::pipe().context("creating the readiness pipe")?;
    // SAFETY: the process is single-threaded here (no runtime, no threads yet), so the child may
    // run arbitrary code after fork.
    match unsafe { nix::unistd::fork() }.context("forking the daemon")? {
        nix::unistd::ForkResult::Parent { .. } => {
            drop(write_end);
            let mut report = String::new();
            std::fs::File::from(read_end)
                .read_to_string(&mut report)
                .context("reading the daemon's readiness")?;
            let readiness = serde_json::from_str::<Readiness>(report.trim()).unwrap_or_else(|_| {
                Readiness::Failed {
                    message: "the session daemon exited before it was ready".into(),
                }
            });
            let mut out = std::io::stdout().lock();
            serde_json::to_writer(&mut out, &readiness)?;
            writeln!(out)?;
            out.flush()?;
            Ok(())
        }
        nix::unistd::ForkResult::Child => {
            drop(read_end);
            let code = match daemon_main(spec, write_end) {
                Ok(()) => 0,
                Err(e) => {
                    tracing::error!("daemon failed: {e:#}");
                    1
                }
            };
            std::process::exit(code);
        }
    }
}

/// Sends the readiness report through the pipe to the launcher (once; later calls do nothing).
pub(super) fn report(pipe: &mut Option<OwnedFd>, r: &Readiness) {
    if let Some(fd) = pipe.take() {
        let mut f = std::fs::File::from(fd);
        let _ = serde_json::to_writer(&mut f, r);
    }
}

fn daemon_main(spec: DaemonSpec, ready: OwnedFd) -> anyhow::Result<()> {
    let mut ready = Some(ready);
    let result = daemon_setup_and_run(spec, &mut ready);
    if let Err(e) = &result {
        report(
            &mut ready,
            &Readiness::Failed {
                message: format!("{e:#}"),
            },
        );
    }
    result
}

fn daemon_setup_and_run(spec: DaemonSpec, ready: &mut Option<OwnedFd>) -> anyhow::Result<()> {
    nix::unistd::setsid().context("setsid")?;
    // Before any thread starts, so every thread of the daemon carries the name.
    super::name::set(super::name::SESSION);
    if let Some(fd) = ready.as_ref() {
        close_inherited_fds(fd.as_raw_fd());
    }
    // An idle daemon should cost well under 1 MiB: no thread exists yet.
    super::memory::configure();
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let paths = Paths::from_env()?;
    paths.ensure()?;
    redirect_stdio(&paths.log(&spec.session_id))?;
    crate::logging::init_stderr();
    // Stay out of the way of whoever started us.
    std::env::set_current_dir("/").context("chdir /")?;
    // SAFETY: ignoring SIGHUP installs no handler code.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGHUP,
            nix::sys::signal::SigHandler::SigIgn,
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(super::run(spec, paths, ready))
}

/// Closes every descriptor above stderr except `keep`: whatever the agent's parent left open
/// (pipes of an SSH channel, a profiler's) must not be held for the daemon's whole life.
fn close_inherited_fds(keep: std::os::fd::RawFd) {
    let fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .collect();
    for fd in fds {
        if fd > 2 && fd != keep {
            // SAFETY: closing a descriptor number; nothing in this process owns these yet (the
            // directory handle used to list them is already closed).
            unsafe {
                libc::close(fd);
            }
        }
    }
}

fn redirect_stdio(log: &std::path::Path) -> anyhow::Result<()> {
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .context("opening /dev/null")?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    for (src, dst) in [
        (null.as_raw_fd(), 0),
        (null.as_raw_fd(), 1),
        (log.as_raw_fd(), 2),
    ] {
        // SAFETY: dup2 onto the standard descriptors, which this process owns.
        if unsafe { libc::dup2(src, dst) } < 0 {
            return Err(std::io::Error::last_os_error()).context("redirecting stdio");
        }
    }
    Ok(())
}
