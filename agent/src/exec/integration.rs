//! Shell integration: how a local shell session is started so that its shell marks its prompts
//! and command ends, without editing the user's startup files.
//!
//! The scripts are real files (`shells/`), embedded here and written at run time into a private
//! 0700 directory under the agent's state directory ([`write_scripts`]). [`prepare`] turns a
//! session's spec into the one actually started:
//!
//! - bash: `bash --init-file bash.sh`; the script reads what the user's bash would (the login
//!   files when it stands in for the login shell, `~/.bashrc` otherwise) and then wraps
//!   `PROMPT_COMMAND`;
//! - zsh: `ZDOTDIR` points at a private directory whose `.zshenv` puts the user's `ZDOTDIR` back
//!   (so zsh reads the user's own files) and adds `precmd`/`preexec` hooks;
//! - fish: `fish --init-command 'source "$OUTPOST_EXEC_INIT"'` (events `fish_prompt`,
//!   `fish_preexec`, `fish_postexec`);
//! - dash, sh, ash and `busybox sh`: `ENV` names `posix.sh`, which puts the marks into `PS1`.
//!
//! A session standing in for the login shell starts its shell as a login shell (`-l`; bash reads
//! the login files from its init file instead). Every mark carries the session's [`Nonce`], given
//! to the shell in `OUTPOST_EXEC_NONCE`, which the script moves into an unexported variable at
//! once: output that imitates a mark without the nonce is never trusted
//! ([`crate::exec::tracker`]). Other programs, and shells given arguments, start unchanged.

use std::path::{Path, PathBuf};

use outpost_protocol::session::SessionKind;
use portable_pty::CommandBuilder;

use crate::daemon::spec::DaemonSpec;

/// The bash init file.
const BASH: &str = include_str!("shells/bash.sh");
/// The zsh `.zshenv` of the private `ZDOTDIR`.
const ZSHENV: &str = include_str!("shells/zshenv.zsh");
/// The fish init script.
const FISH: &str = include_str!("shells/fish.fish");
/// The `ENV` file of POSIX shells.
const POSIX: &str = include_str!("shells/posix.sh");

/// The variable that carries the nonce to the shell (the scripts unset it at once).
pub const NONCE_VAR: &str = "OUTPOST_EXEC_NONCE";

/// The key of the nonce in a mark: `OSC 133 ; D ; <exit> ; op=<nonce> BEL`.
pub const TAG_KEY: &str = "op=";

/// Which integration a shell gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShellKind {
    /// bash, by `--init-file`.
    Bash,
    /// zsh, by a private `ZDOTDIR`.
    Zsh,
    /// fish, by `--init-command`.
    Fish,
    /// dash, sh, ash, busybox sh, by `ENV`: no output-start mark (output starts after the
    /// echoed command line).
    Posix,
}

impl ShellKind {
    /// Whether the shell marks where a command's output starts (OSC 133 C).
    pub fn marks_output_start(self) -> bool {
        self != ShellKind::Posix
    }
}

/// A session's secret: the tag its shell puts on every mark (64 random bits, 16 hex digits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nonce(pub u64);

impl Nonce {
    /// A fresh random nonce.
    pub fn random() -> std::io::Result<Nonce> {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(Nonce(u64::from_le_bytes(b)))
    }

    /// As the shell prints it.
    pub fn hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

/// The nonce in one part of a mark (`op=<16 hex digits>`), if it is one.
pub fn parse_tag(part: &[u8]) -> Option<u64> {
    let hex = part.strip_prefix(TAG_KEY.as_bytes())?;
    if hex.len() != 16 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
}

/// The shell a session runs and the arguments it had, when it gets an integration: the login
/// shell (`program` none), or a shell named with no arguments (`busybox` with `sh` or `ash`).
pub fn shell_kind(program: &str, args: &[String]) -> Option<ShellKind> {
    let base = program.rsplit('/').next().unwrap_or(program);
    let base = base.strip_prefix('-').unwrap_or(base);
    let kind = match base {
        "bash" => ShellKind::Bash,
        "zsh" => ShellKind::Zsh,
        "fish" => ShellKind::Fish,
        "sh" | "dash" | "ash" => ShellKind::Posix,
        "busybox" => {
            return matches!(args, [a] if a == "sh" || a == "ash").then_some(ShellKind::Posix)
        }
        _ => return None,
    };
    args.is_empty().then_some(kind)
}

/// Where the scripts go: `shell-integration/` beside the sessions' directory (0700).
pub fn scripts_dir(paths: &crate::paths::Paths) -> PathBuf {
    paths.recordings().with_file_name("shell-integration")
}

/// Writes the scripts into `dir` (created 0700; each file written atomically, 0600).
pub fn write_scripts(dir: &Path) -> Result<(), crate::paths::PathError> {
    crate::paths::ensure_private_dir(dir)?;
    crate::paths::ensure_private_dir(&dir.join("zsh"))?;
    crate::paths::write_atomic(&dir.join("bash.sh"), BASH.as_bytes())?;
    crate::paths::write_atomic(&dir.join("zsh/.zshenv"), ZSHENV.as_bytes())?;
    crate::paths::write_atomic(&dir.join("fish.fish"), FISH.as_bytes())?;
    crate::paths::write_atomic(&dir.join("posix.sh"), POSIX.as_bytes())?;
    Ok(())
}

/// A session started with an integration.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The spec to start (the program, its arguments and environment changed).
    pub spec: DaemonSpec,
    /// The shell's integration.
    pub kind: ShellKind,
    /// The marks' tag.
    pub nonce: Nonce,
}

/// The environment the shell will see for `name` (the session's own, then the daemon's).
fn env_of(spec: &DaemonSpec, name: &str) -> Option<String> {
    spec.env
        .get(name)
        .cloned()
        .or_else(|| std::env::var(name).ok())
}

/// The spec that starts `spec`'s shell with its integration (scripts in `dir`, already written),
/// or `None` when the session gets none (not a local shell, or a program that is no shell).
pub fn prepare(spec: &DaemonSpec, dir: &Path, nonce: Nonce) -> Option<Prepared> {
    if spec.kind != SessionKind::Shell {
        return None;
    }
    let login = spec.program.is_none();
    let program = match &spec.program {
        Some(p) => p.clone(),
        None => {
            // The shell `CommandBuilder::new_default_prog` would start.
            let mut cmd = CommandBuilder::new_default_prog();
            for (k, v) in &spec.env {
                cmd.env(k, v);
            }
            cmd.get_shell()
        }
    };
    let kind = shell_kind(&program, &spec.args)?;
    let mut out = spec.clone();
    out.program = Some(program);
    out.env.insert(NONCE_VAR.into(), nonce.hex());
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    match kind {
        ShellKind::Bash => {
            out.args = vec!["--init-file".into(), path("bash.sh")];
            if login {
                out.env.insert("OUTPOST_EXEC_LOGIN".into(), "1".into());
            }
        }
        ShellKind::Zsh => {
            if let Some(orig) = env_of(spec, "ZDOTDIR") {
                out.env.insert("OUTPOST_EXEC_ZDOTDIR".into(), orig);
            }
            out.env.insert("ZDOTDIR".into(), path("zsh"));
            if login {
                out.args = vec!["-l".into()];
            }
        }
        ShellKind::Fish => {
            out.env
                .insert("OUTPOST_EXEC_INIT".into(), path("fish.fish"));
            out.args = if login { vec!["-l".into()] } else { vec![] };
            out.args.push("--init-command".into());
            out.args.push("source \"$OUTPOST_EXEC_INIT\"".into());
        }
        ShellKind::Posix => {
            if let Some(orig) = env_of(spec, "ENV") {
                out.env.insert("OUTPOST_EXEC_ENV".into(), orig);
            }
            out.env.insert("ENV".into(), path("posix.sh"));
            if login {
                out.args.push("-l".into());
            }
        }
    }
    Some(Prepared {
        spec: out,
        kind,
        nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shells_are_recognised_only_without_arguments() {
        let none: Vec<String> = vec![];
        assert_eq!(shell_kind("/bin/bash", &none), Some(ShellKind::Bash));
        assert_eq!(shell_kind("-zsh", &none), Some(ShellKind::Zsh));
        assert_eq!(shell_kind("fish", &none), Some(ShellKind::Fish));
        assert_eq!(shell_kind("/bin/sh", &none), Some(ShellKind::Posix));
        assert_eq!(shell_kind("dash", &none), Some(ShellKind::Posix));
        assert_eq!(
            shell_kind("/usr/bin/busybox", &["sh".to_string()]),
            Some(ShellKind::Posix)
        );
        assert_eq!(shell_kind("/usr/bin/busybox", &none), None);
        assert_eq!(shell_kind("bash", &["-c".to_string()]), None);
        assert_eq!(shell_kind("python3", &none), None);
    }

    #[test]
    fn tags_are_sixteen_hex_digits() {
        let n = Nonce(0x0123_4567_89ab_cdef);
        assert_eq!(n.hex(), "0123456789abcdef");
        assert_eq!(parse_tag(format!("op={}", n.hex()).as_bytes()), Some(n.0));
        for bad in [
            "op=",
            "op=0123",
            "op=0123456789abcdeg",
            "xx=0123456789abcdef",
            "0",
        ] {
            assert_eq!(parse_tag(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn other_sessions_start_unchanged() {
        let spec: DaemonSpec = serde_json::from_value(serde_json::json!({
            "session_id": "abc", "kind": "shell", "title": "t", "cols": 80, "rows": 24,
            "cwd": null, "env": {}, "scrollback_bytes": 1024, "program": "python3", "args": []
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(prepare(&spec, Path::new("/x"), Nonce(1)).is_none());
        let bash = DaemonSpec {
            program: Some("/bin/bash".into()),
            ..spec
        };
        let p = prepare(&bash, Path::new("/x"), Nonce(1)).unwrap_or_else(|| panic!("bash"));
        assert_eq!(p.spec.args, ["--init-file", "/x/bash.sh"]);
        assert_eq!(
            p.spec.env.get(NONCE_VAR).map(String::as_str),
            Some("0000000000000001")
        );
        assert!(!p.spec.env.contains_key("OUTPOST_EXEC_LOGIN"));
    }
}
