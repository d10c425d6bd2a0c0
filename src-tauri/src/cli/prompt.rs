//! The CLI's answers to SSH prompts: asked on the controlling terminal (`/dev/tty`) with echo
//! off for secrets, or decided by flags when there is no terminal (scripts, `--json`).

use std::io::{BufRead, Write};
use std::os::fd::AsFd;

use nix::sys::termios::{self, LocalFlags, SetArg};

use crate::engine::ssh::{
    BoxFuture, HostKeyDecision, HostKeyQuestion, Prompter, SecretKind, SecretPrompt,
};

/// Prompts on the terminal.
pub struct TerminalPrompter {
    /// `--accept-new-host-key`: trust (and save) keys seen for the first time without asking.
    pub accept_new_host_key: bool,
    /// Whether asking is allowed at all (false with `--json`: no one may be watching).
    pub interactive: bool,
}

fn open_tty() -> Option<std::fs::File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()
}

/// Asks one line on the terminal, optionally without echo.
fn ask(question: &str, echo: bool) -> Option<String> {
    let mut tty = open_tty()?;
    let _ = write!(tty, "{question}");
    let _ = tty.flush();
    let saved = termios::tcgetattr(tty.as_fd()).ok();
    if let (false, Some(s)) = (echo, &saved) {
        let mut quiet = s.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        let _ = termios::tcsetattr(tty.as_fd(), SetArg::TCSANOW, &quiet);
    }
    let mut line = String::new();
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    if let (false, Some(s)) = (echo, &saved) {
        let _ = termios::tcsetattr(tty.as_fd(), SetArg::TCSANOW, s);
        let _ = writeln!(tty);
    }
    match read {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\r', '\n']).to_string()),
    }
}

impl Prompter for TerminalPrompter {
    fn host_key(&self, q: HostKeyQuestion) -> BoxFuture<'_, HostKeyDecision> {
        Box::pin(async move {
            if self.accept_new_host_key {
                return HostKeyDecision::AcceptAndSave;
            }
            if !self.interactive {
                return HostKeyDecision::Reject;
            }
            let question = format!(
                "The authenticity of host '{}' (port {}) can't be established.\n{} key fingerprint is {}.\nTrust it? [a]lways / [o]nce / [N]o: ",
                q.host, q.port, q.key_type, q.fingerprint
            );
            let answer = tokio::task::spawn_blocking(move || ask(&question, true))
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            match answer.trim().to_ascii_lowercase().as_str() {
                "a" | "always" | "y" | "yes" => HostKeyDecision::AcceptAndSave,
                "o" | "once" => HostKeyDecision::AcceptOnce,
                _ => HostKeyDecision::Reject,
            }
        })
    }

    fn secret(&self, p: SecretPrompt) -> BoxFuture<'_, Option<String>> {
        Box::pin(async move {
            if !self.interactive {
                return None;
            }
            let (question, echo) = match &p.kind {
                SecretKind::Password => (format!("{}@{}'s password: ", p.user, p.host), false),
                SecretKind::Passphrase { key_path } => (
                    format!("Enter passphrase for key '{}': ", key_path.display()),
                    false,
                ),
                SecretKind::KeyboardInteractive {
                    instructions,
                    prompt,
                    echo,
                    ..
                } => {
                    let mut q = String::new();
                    if !instructions.is_empty() {
                        q.push_str(instructions);
                        q.push('\n');
                    }
                    q.push_str(prompt);
                    (q, *echo)
                }
            };
            tokio::task::spawn_blocking(move || ask(&question, echo))
                .await
                .ok()
                .flatten()
        })
    }
}
