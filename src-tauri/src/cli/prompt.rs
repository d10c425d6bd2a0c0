//! The CLI's answers to SSH prompts: asked on the controlling terminal (`/dev/tty`) with echo
//! off for secrets, or decided by flags when there is no terminal (scripts, `--json`).
//!
//! The wording follows OpenSSH's: a host whose keys of other types are on record gets OpenSSH's
//! "REMOTE HOST IDENTIFICATION HAS CHANGED" warning (what `ssh` 9.x prints for a server offering
//! only a key type not on record) and refusing is the default; `--accept-new-host-key` accepts
//! hosts never seen only, like `StrictHostKeyChecking=accept-new`. Keyboard-interactive prompts
//! are prefixed with `(user@host)` as OpenSSH 8.4 and later do, and every string a server sent is
//! shown with its control characters made visible ([`visible`]).

use std::io::{BufRead, Write};
use std::os::fd::AsFd;

use nix::sys::termios::{self, LocalFlags, SetArg};

use crate::engine::ssh::host_cert::CertificateInfo;
use crate::engine::ssh::known_hosts::lookup_name;
use crate::engine::ssh::{
    visible, visible_lines, BoxFuture, HostKeyDecision, HostKeyQuestion, Prompter, SecretKind,
    SecretPrompt,
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

/// OpenSSH's name for a key type in its messages (`sshkey_type`): `ED25519`, `ECDSA`, `RSA`.
fn key_type_label(algorithm: &str) -> String {
    let sk = algorithm.starts_with("sk-");
    let base = if algorithm.contains("ed25519") {
        "ED25519"
    } else if algorithm.contains("ecdsa") {
        "ECDSA"
    } else if algorithm.contains("rsa") {
        "RSA"
    } else if algorithm.contains("dss") {
        "DSA"
    } else {
        return visible(algorithm);
    };
    if sk {
        format!("{base}-SK")
    } else {
        base.to_owned()
    }
}

/// What a host certificate says, in the words of `ssh-keygen -L`; every part the server chose
/// (key id, principals) has its control characters made visible.
fn certificate_text(c: &CertificateInfo) -> String {
    let principals = if c.principals.is_empty() {
        "(none: every name)".to_owned()
    } else {
        c.principals
            .iter()
            .map(|p| visible(p))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let until = c
        .valid_before
        .map_or_else(|| "forever".to_owned(), |t| format!("{t} (Unix time)"));
    format!(
        "The key came in a host certificate, ID \"{}\" (serial {}),\n\
         signed by CA {} {} (not trusted for this host),\n\
         principals: {principals}; valid from {} to {until}.\n",
        visible(&c.key_id),
        c.serial,
        key_type_label(&c.ca_key_type),
        c.ca_fingerprint,
        c.valid_after,
    )
}

/// The question for a host key not on record, in OpenSSH's words.
fn host_key_text(q: &HostKeyQuestion) -> String {
    let name = visible(&lookup_name(&q.host, q.port));
    let label = key_type_label(&q.key_type);
    let cert = q
        .certificate
        .as_ref()
        .map(certificate_text)
        .unwrap_or_default();
    if !q.other_types_known() {
        return format!(
            "The authenticity of host '{name}' can't be established.\n\
             {label} key fingerprint is {}.\n\
             {cert}\
             Trust it? [a]lways / [o]nce / [N]o: ",
            q.fingerprint
        );
    }
    let mut text = format!(
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
         @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n\
         @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
         IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n\
         Someone could be eavesdropping on you right now (man-in-the-middle attack)!\n\
         It is also possible that a host key has just been changed.\n\
         The fingerprint for the {label} key sent by the remote host is\n\
         {}.\n\
         {cert}\
         Please contact your system administrator.\n",
        q.fingerprint
    );
    for k in &q.known {
        text.push_str(&format!(
            "Offending {} key for {name}: {}\n",
            key_type_label(&k.key_type),
            k.fingerprint
        ));
    }
    text.push_str(&format!(
        "The authenticity of host '{name}' can't be established\n\
         but keys of different type are already known for this host.\n\
         Trust the new key anyway? [a]lways / [o]nce / [N]o: "
    ));
    text
}

/// A keyboard-interactive question as OpenSSH (8.4 and later) shows it: the server's name and
/// instructions on lines of their own, then the prompt prefixed with `(user@host)`; every part
/// sent by the server has its control characters made visible.
fn keyboard_interactive_text(
    p: &SecretPrompt,
    name: &str,
    instructions: &str,
    prompt: &str,
) -> String {
    let mut q = String::new();
    if !name.is_empty() {
        q.push_str(&visible(name));
        q.push('\n');
    }
    if !instructions.is_empty() {
        q.push_str(&visible_lines(instructions.trim_end_matches(['\r', '\n'])));
        q.push('\n');
    }
    q.push_str(&format!("({}) {}", p.asker(), visible(prompt)));
    q
}

impl Prompter for TerminalPrompter {
    fn host_key(&self, q: HostKeyQuestion) -> BoxFuture<'_, HostKeyDecision> {
        Box::pin(async move {
            // Like `StrictHostKeyChecking=accept-new`: hosts never seen only.
            if self.accept_new_host_key && !q.other_types_known() {
                return HostKeyDecision::AcceptAndSave;
            }
            if !self.interactive {
                return HostKeyDecision::Reject;
            }
            let question = host_key_text(&q);
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
                SecretKind::Password => (format!("{}'s password: ", p.asker()), false),
                SecretKind::Passphrase { key_path } => (
                    format!("Enter passphrase for key '{}': ", key_path.display()),
                    false,
                ),
                SecretKind::KeyboardInteractive {
                    name,
                    instructions,
                    prompt,
                    echo,
                } => (
                    keyboard_interactive_text(&p, name, instructions, prompt),
                    *echo,
                ),
            };
            tokio::task::spawn_blocking(move || ask(&question, echo))
                .await
                .ok()
                .flatten()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ssh::known_hosts::KnownKey;

    fn question(known: Vec<KnownKey>) -> HostKeyQuestion {
        HostKeyQuestion {
            host: "127.0.0.1".into(),
            port: 42722,
            key_type: "ssh-ed25519".into(),
            fingerprint: "SHA256:new".into(),
            known,
            certificate: None,
        }
    }

    #[test]
    fn a_host_certificate_is_described_with_hostile_parts_made_visible() {
        let mut q = question(Vec::new());
        q.certificate = Some(CertificateInfo {
            key_id: "web\x1b[2Jhost".into(),
            serial: 7,
            principals: vec!["web.example".into(), "evil\r\nTrust".into()],
            ca_key_type: "ssh-ed25519".into(),
            ca_fingerprint: "SHA256:ca".into(),
            valid_after: 100,
            valid_before: None,
        });
        let text = host_key_text(&q);
        assert!(text.contains("signed by CA ED25519 SHA256:ca"), "{text}");
        assert!(text.contains("principals: web.example, "), "{text}");
        assert!(text.contains("valid from 100 to forever"), "{text}");
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
        assert!(
            text.ends_with("Trust it? [a]lways / [o]nce / [N]o: "),
            "{text}"
        );
    }

    #[test]
    fn unknown_host_uses_openssh_words() {
        let text = host_key_text(&question(Vec::new()));
        assert!(text.starts_with(
            "The authenticity of host '[127.0.0.1]:42722' can't be established.\n\
             ED25519 key fingerprint is SHA256:new.\n"
        ));
        assert!(!text.contains("WARNING"));
    }

    #[test]
    fn other_key_types_known_warns_as_openssh_does() {
        let text = host_key_text(&question(vec![KnownKey {
            key_type: "ecdsa-sha2-nistp256".into(),
            fingerprint: "SHA256:old".into(),
        }]));
        for line in [
            "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n",
            "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n",
            "The fingerprint for the ED25519 key sent by the remote host is\nSHA256:new.\n",
            "Offending ECDSA key for [127.0.0.1]:42722: SHA256:old\n",
            "but keys of different type are already known for this host.\n",
            "[N]o: ",
        ] {
            assert!(text.contains(line), "{line:?} missing from:\n{text}");
        }
    }

    #[tokio::test]
    async fn accept_new_host_key_does_not_accept_other_types_known() {
        let p = TerminalPrompter {
            accept_new_host_key: true,
            interactive: false,
        };
        assert_eq!(
            p.host_key(question(Vec::new())).await,
            HostKeyDecision::AcceptAndSave
        );
        let other = question(vec![KnownKey {
            key_type: "ssh-rsa".into(),
            fingerprint: "SHA256:old".into(),
        }]);
        assert_eq!(p.host_key(other).await, HostKeyDecision::Reject);
    }

    #[test]
    fn keyboard_interactive_prompt_names_the_asker_and_shows_controls() {
        let p = SecretPrompt {
            host: "jump".into(),
            user: "me".into(),
            kind: SecretKind::Password,
        };
        let text = keyboard_interactive_text(
            &p,
            "Outpost\x1b]52;c;eA==\x07",
            "Enter your key passphrase\r\nsecond line\n",
            "Passphrase: \x1b[8m",
        );
        assert_eq!(
            text,
            "Outpost\\033]52;c;eA==\\007\n\
             Enter your key passphrase\nsecond line\n\
             (me@jump) Passphrase: \\033[8m"
        );
        assert!(!text.contains('\x1b'));
        assert_eq!(
            keyboard_interactive_text(&p, "", "", "Verification code: "),
            "(me@jump) Verification code: "
        );
    }
}
