//! Creating a session: checking what the client asked for and turning it into a daemon spec.
//!
//! Every limit is checked here, before anything starts: size, kind and its options, scrollback,
//! title, environment, working directory, and for `ssh` sessions the options that could inject
//! anything (see [`crate::ssh::argv`]).

use outpost_protocol::session::{
    CreateParams, SessionKind, ShellSpec, DEFAULT_SCROLLBACK_BYTES, MAX_STALL_MS_RANGE,
    SCROLLBACK_RANGE,
};
use outpost_protocol::{ErrorCode, ErrorObject};

use super::{check_size, invalid};
use crate::daemon::spec::{DaemonSpec, SshWatch};
use crate::paths::Paths;
use crate::ssh::argv;

/// The longest title accepted, in bytes.
const MAX_TITLE: usize = 256;

fn new_session_id() -> Result<String, ErrorObject> {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes)
        .map_err(|e| ErrorObject::new(ErrorCode::InternalError, format!("no randomness: {e}")))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[(b & 31) as usize] as char)
        .collect())
}

/// Validates create params and turns them into a daemon spec.
pub(super) fn spec_for(paths: &Paths, p: CreateParams) -> Result<DaemonSpec, ErrorObject> {
    check_size(p.cols, p.rows)?;
    match (p.kind, &p.ssh, &p.shell, &p.reconnect) {
        (SessionKind::Shell, None, _, None) => {}
        (SessionKind::Shell, _, _, _) => {
            return Err(invalid(
                "ssh and reconnect are only for sessions of kind \"ssh\"",
            ))
        }
        (SessionKind::Ssh, Some(_), None, _) => {}
        (SessionKind::Ssh, None, _, _) => {
            return Err(invalid("a session of kind \"ssh\" needs ssh: {host, ...}"))
        }
        (SessionKind::Ssh, Some(_), Some(_), _) => {
            return Err(invalid("shell is only for sessions of kind \"shell\""))
        }
    }
    if let Some(r) = &p.reconnect {
        if !(1..=1000).contains(&r.max_attempts)
            || r.max_delay_ms > 600_000
            || r.initial_delay_ms > r.max_delay_ms
        {
            return Err(invalid(
                "reconnect: max_attempts 1..=1000, initial_delay_ms <= max_delay_ms <= 600000",
            ));
        }
    }
    let scrollback = p.scrollback_bytes.unwrap_or(DEFAULT_SCROLLBACK_BYTES);
    if !SCROLLBACK_RANGE.contains(&scrollback) {
        return Err(invalid(format!(
            "scrollback_bytes must be {}..={} (got {scrollback})",
            SCROLLBACK_RANGE.start(),
            SCROLLBACK_RANGE.end()
        )));
    }
    if let Some(ms) = p.max_stall_ms.filter(|ms| !MAX_STALL_MS_RANGE.contains(ms)) {
        return Err(invalid(format!(
            "max_stall_ms must be {}..={} (got {ms})",
            MAX_STALL_MS_RANGE.start(),
            MAX_STALL_MS_RANGE.end()
        )));
    }
    if let Some(t) = &p.title {
        if t.len() > MAX_TITLE || t.chars().any(char::is_control) {
            return Err(invalid(
                "title must be at most 256 bytes with no control characters",
            ));
        }
    }
    for (k, v) in &p.env {
        if k.is_empty() || k.contains(['=', '\0']) || v.contains('\0') {
            return Err(invalid(format!(
                "environment variable {k:?}: names must be non-empty without '=' or NUL, values without NUL"
            )));
        }
    }
    if let Some(cwd) = &p.cwd {
        if cwd.contains('\0') || !std::path::Path::new(cwd).is_dir() {
            return Err(ErrorObject::new(
                ErrorCode::SessionCreateFailed,
                format!("cwd {cwd:?} is not a directory"),
            ));
        }
    }
    let session_id = new_session_id()?;
    let (shell, ssh_watch, default_title) = match &p.ssh {
        None => (p.shell.unwrap_or_default(), None, None),
        Some(s) => {
            argv::validate(s)?;
            let program = argv::find_ssh()?.to_string_lossy().into_owned();
            let control_path = paths
                .control_path(&session_id)
                .map_err(|e| ErrorObject::new(ErrorCode::SessionCreateFailed, e.to_string()))?;
            let shell = ShellSpec {
                program: Some(program.clone()),
                args: argv::argv(s, &control_path),
            };
            let watch = SshWatch {
                target: s.target(),
                host: s.host.clone(),
                user: s.user.clone(),
                port: s.port,
                check_args: argv::check_argv(s, &control_path),
                probe_args: argv::probe_argv(s, &control_path),
                control_path,
                program,
            };
            (shell, Some(watch), Some(s.target()))
        }
    };
    if shell
        .program
        .iter()
        .chain(&shell.args)
        .any(|s| s.contains('\0'))
    {
        return Err(invalid("shell program and args may not contain NUL"));
    }
    if shell.program.as_deref() == Some("") {
        return Err(invalid("shell.program may not be empty"));
    }
    if shell.program.is_none() && !shell.args.is_empty() {
        return Err(invalid("shell.args needs shell.program"));
    }
    let title = p.title.or(default_title).unwrap_or_else(|| {
        let prog = shell
            .program
            .clone()
            .or_else(|| std::env::var("SHELL").ok())
            .unwrap_or_else(|| "shell".into());
        prog.rsplit('/').next().unwrap_or("shell").to_string()
    });
    Ok(DaemonSpec {
        session_id,
        kind: p.kind,
        title,
        cols: p.cols,
        rows: p.rows,
        cwd: p.cwd,
        env: crate::relay::session_env(paths, p.env),
        scrollback_bytes: scrollback,
        program: shell.program,
        args: shell.args,
        ssh: ssh_watch,
        reconnect: p.reconnect,
        record: Some(crate::recording::RecordSpec {
            dir: paths.recordings(),
            on: p.record,
            input: p.record_input,
        }),
        max_stall_ms: p.max_stall_ms,
    })
}
