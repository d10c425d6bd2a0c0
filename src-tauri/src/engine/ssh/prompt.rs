//! Everything the SSH layer asks the person in front of the screen, through one [`Prompter`]
//! that the CLI (terminal) and the GUI (dialogs) each implement, and [`AutoPrompter`], which
//! answers from memory for tests and scripts.
//!
//! Two kinds of question exist: whether to trust an unknown host key ([`HostKeyQuestion`]; when
//! keys of other types are already on record for the host, [`HostKeyQuestion::known`] lists them
//! and front ends warn instead of asking plainly), and a secret ([`SecretPrompt`]: password, key
//! passphrase or keyboard-interactive answer). Secrets are only ever held in memory; answering
//! `None` cancels the connection attempt.
//!
//! A keyboard-interactive exchange's name, instructions and prompt are the *server's* text: front
//! ends show them as such, quoted under a fixed heading naming the asker ([`SecretPrompt::asker`],
//! `user@host`), with control characters made visible ([`visible`]), never as Outpost's own words.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use futures::future::BoxFuture;

use super::host_cert::CertificateInfo;
use super::known_hosts::KnownKey;

/// The answer to a [`HostKeyQuestion`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKeyDecision {
    /// Do not connect.
    Reject,
    /// Connect this time; ask again next time.
    AcceptOnce,
    /// Connect and record the key in Outpost's own known-hosts file.
    AcceptAndSave,
}

/// "The authenticity of host … can't be established": a server presented a key that no
/// known-hosts file mentions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostKeyQuestion {
    /// The host name or address connected to (for a hop behind a jump host, as the jump host
    /// resolves it).
    pub host: String,
    /// The port.
    pub port: u16,
    /// The key type, as OpenSSH names it (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`).
    pub key_type: String,
    /// The key's fingerprint as OpenSSH prints it: `SHA256:…`.
    pub fingerprint: String,
    /// Keys of *other* types already on record for this host; empty for a host never seen.
    /// Not empty, the key may belong to a man in the middle: warn, default to refusing, and never
    /// accept automatically.
    pub known: Vec<KnownKey>,
    /// The host certificate the key came in, when the server presented one whose CA is not
    /// trusted for the host (its CA and principals, to show beside the fingerprint); accepting
    /// records the plain key, as OpenSSH does.
    pub certificate: Option<CertificateInfo>,
}

impl HostKeyQuestion {
    /// Whether keys of other types are on record for this host (see [`HostKeyQuestion::known`]).
    pub fn other_types_known(&self) -> bool {
        !self.known.is_empty()
    }
}

/// What secret is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretKind {
    /// The user's password on the host.
    Password,
    /// The passphrase of an encrypted private key file.
    Passphrase {
        /// The key file.
        key_path: PathBuf,
    },
    /// One question of a keyboard-interactive exchange (PAM, one-time codes, …).
    KeyboardInteractive {
        /// The exchange's name, often empty.
        name: String,
        /// Instructions to show, often empty.
        instructions: String,
        /// The question itself (`Password: `, `Verification code: `).
        prompt: String,
        /// Whether the answer may be shown as it is typed.
        echo: bool,
    },
}

/// A request for a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretPrompt {
    /// The host asking (or, for a passphrase, the host it is needed for).
    pub host: String,
    /// The user logging in.
    pub user: String,
    /// What is asked.
    pub kind: SecretKind,
}

impl SecretPrompt {
    /// Who asks, as OpenSSH (8.4 and later) names it before a keyboard-interactive prompt:
    /// `user@host`, control characters made visible.
    pub fn asker(&self) -> String {
        visible(&format!("{}@{}", self.user, self.host))
    }
}

/// `text` with every control character made visible, as OpenSSH shows text a server or a remote
/// host sent (`vis(3)` style): C0 controls, DEL and C1 controls become `\ooo` octal escapes of
/// their UTF-8 bytes (`ESC` → `\033`), and a backslash becomes `\\`, so nothing in the result can
/// move the cursor, set a title or write the clipboard, and nothing can pass for an escape.
/// Tabs and newlines are escaped too: a line of remote text stays one line.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\{b:03o}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// [`visible`] line by line: newlines (and a `\r` before one) are kept, for multi-line remote
/// text such as keyboard-interactive instructions; every other control character is escaped.
pub fn visible_lines(text: &str) -> String {
    text.split('\n')
        .map(|line| visible(line.strip_suffix('\r').unwrap_or(line)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One callback the CLI and the GUI each implement.
///
/// Called from the connecting task; a prompt may take as long as the user needs (the connect
/// timeout does not run meanwhile).
pub trait Prompter: Send + Sync + 'static {
    /// An unknown host key: trust it?
    fn host_key(&self, q: HostKeyQuestion) -> BoxFuture<'_, HostKeyDecision>;
    /// A secret; `None` means the user cancelled, which ends the connection attempt.
    fn secret(&self, p: SecretPrompt) -> BoxFuture<'_, Option<String>>;
}

/// A [`Prompter`] that answers from memory and records every question, for tests and scripts
/// (the CLI's `--accept-new-host-key`).
///
/// - Unknown host keys: [`AutoPrompter::host_key_decision`] (default [`HostKeyDecision::Reject`];
///   [`AutoPrompter::accept_new_host_key`] sets [`HostKeyDecision::AcceptAndSave`] for hosts never
///   seen only: a host with keys of other types on record is rejected, as OpenSSH's
///   `StrictHostKeyChecking=accept-new` does).
/// - Passwords: [`AutoPrompter::password`]; also the answer to keyboard-interactive questions
///   that do not echo, unless [`AutoPrompter::keyboard_interactive`] gave one for that question.
/// - Passphrases: [`AutoPrompter::passphrase_for`] for one key file, else
///   [`AutoPrompter::passphrase`].
/// - Anything else is answered `None` (cancel).
///
/// ```
/// # use outpost_desktop::engine::ssh::AutoPrompter;
/// let prompter = AutoPrompter::new().accept_new_host_key(true).password("hunter2");
/// assert!(prompter.secret_prompts().is_empty());
/// ```
#[derive(Default)]
pub struct AutoPrompter {
    host_key: Option<HostKeyDecision>,
    /// Set by [`AutoPrompter::accept_new_host_key`]: the decision applies to new hosts only.
    new_hosts_only: bool,
    password: Option<String>,
    passphrase: Option<String>,
    passphrases: HashMap<PathBuf, String>,
    keyboard_interactive: HashMap<String, String>,
    asked_host_keys: Mutex<Vec<HostKeyQuestion>>,
    asked_secrets: Mutex<Vec<SecretPrompt>>,
}

impl std::fmt::Debug for AutoPrompter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secrets.
        f.debug_struct("AutoPrompter")
            .field("host_key", &self.host_key)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("passphrase", &self.passphrase.as_ref().map(|_| "…"))
            .field("passphrases", &self.passphrases.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl AutoPrompter {
    /// Rejects unknown host keys and knows no secrets.
    pub fn new() -> Self {
        AutoPrompter::default()
    }

    /// `true`: accept and save the keys of hosts never seen (like OpenSSH's
    /// `StrictHostKeyChecking=accept-new`), rejecting a host whose keys of other types are on
    /// record; `false`: reject them.
    pub fn accept_new_host_key(mut self, accept: bool) -> Self {
        self.new_hosts_only = true;
        self.host_key = Some(if accept {
            HostKeyDecision::AcceptAndSave
        } else {
            HostKeyDecision::Reject
        });
        self
    }

    /// The answer to every unknown host key, including hosts with keys of other types on record
    /// (what a person answering the warning would decide).
    pub fn host_key_decision(mut self, decision: HostKeyDecision) -> Self {
        self.new_hosts_only = false;
        self.host_key = Some(decision);
        self
    }

    /// The password (also used for non-echoing keyboard-interactive questions).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// The passphrase for any encrypted key without a specific one.
    pub fn passphrase(mut self, passphrase: impl Into<String>) -> Self {
        self.passphrase = Some(passphrase.into());
        self
    }

    /// The passphrase for the key file `key_path`.
    pub fn passphrase_for(
        mut self,
        key_path: impl AsRef<Path>,
        passphrase: impl Into<String>,
    ) -> Self {
        self.passphrases
            .insert(key_path.as_ref().to_owned(), passphrase.into());
        self
    }

    /// The answer to the keyboard-interactive question whose prompt is exactly `prompt`.
    pub fn keyboard_interactive(
        mut self,
        prompt: impl Into<String>,
        answer: impl Into<String>,
    ) -> Self {
        self.keyboard_interactive
            .insert(prompt.into(), answer.into());
        self
    }

    /// Every host-key question asked so far, in order.
    pub fn host_key_questions(&self) -> Vec<HostKeyQuestion> {
        self.asked_host_keys
            .lock()
            .map(|q| q.clone())
            .unwrap_or_default()
    }

    /// Every secret asked for so far, in order.
    pub fn secret_prompts(&self) -> Vec<SecretPrompt> {
        self.asked_secrets
            .lock()
            .map(|q| q.clone())
            .unwrap_or_default()
    }

    fn answer(&self, p: &SecretPrompt) -> Option<String> {
        match &p.kind {
            SecretKind::Password => self.password.clone(),
            SecretKind::Passphrase { key_path } => self
                .passphrases
                .get(key_path)
                .or(self.passphrase.as_ref())
                .cloned(),
            SecretKind::KeyboardInteractive { prompt, echo, .. } => {
                match self.keyboard_interactive.get(prompt) {
                    Some(answer) => Some(answer.clone()),
                    None if !echo => self.password.clone(),
                    None => None,
                }
            }
        }
    }
}

impl Prompter for AutoPrompter {
    fn host_key(&self, q: HostKeyQuestion) -> BoxFuture<'_, HostKeyDecision> {
        let decision = if self.new_hosts_only && q.other_types_known() {
            HostKeyDecision::Reject
        } else {
            self.host_key.unwrap_or(HostKeyDecision::Reject)
        };
        if let Ok(mut asked) = self.asked_host_keys.lock() {
            asked.push(q);
        }
        Box::pin(async move { decision })
    }

    fn secret(&self, p: SecretPrompt) -> BoxFuture<'_, Option<String>> {
        let answer = self.answer(&p);
        if let Ok(mut asked) = self.asked_secrets.lock() {
            asked.push(p);
        }
        Box::pin(async move { answer })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_escapes_controls_and_backslashes() {
        assert_eq!(
            visible("a\x1b]52;c;SGVsbG8=\x07b\x1b[2J"),
            "a\\033]52;c;SGVsbG8=\\007b\\033[2J"
        );
        assert_eq!(visible("t\tn\nr\r\x7f"), "t\\011n\\012r\\015\\177");
        // C1 (U+009B, CSI) as its UTF-8 bytes; printable non-ASCII unchanged.
        assert_eq!(visible("\u{9b}2J é"), "\\302\\2332J é");
        assert_eq!(visible("a\\033"), "a\\\\033");
        assert!(!visible("\x1b\u{9d}\x00").chars().any(char::is_control));
    }

    #[test]
    fn visible_lines_keeps_line_breaks_only() {
        assert_eq!(
            visible_lines("one\r\ntwo\x1b]0;t\x07\n"),
            "one\ntwo\\033]0;t\\007\n"
        );
    }

    #[test]
    fn asker_names_user_at_host_visibly() {
        let p = SecretPrompt {
            host: "h\x1b[2J".into(),
            user: "me".into(),
            kind: SecretKind::Password,
        };
        assert_eq!(p.asker(), "me@h\\033[2J");
    }
}
