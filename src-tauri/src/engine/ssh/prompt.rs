//! Everything the SSH layer asks the person in front of the screen, through one [`Prompter`]
//! that the CLI (terminal) and the GUI (dialogs) each implement, and [`AutoPrompter`], which
//! answers from memory for tests and scripts.
//!
//! Two kinds of question exist: whether to trust an unknown host key ([`HostKeyQuestion`]), and
//! a secret ([`SecretPrompt`]: password, key passphrase or keyboard-interactive answer). Secrets
//! are only ever held in memory; answering `None` cancels the connection attempt.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use futures::future::BoxFuture;

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
///   [`AutoPrompter::accept_new_host_key`] sets [`HostKeyDecision::AcceptAndSave`]).
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

    /// `true`: accept and save unknown host keys (like OpenSSH's
    /// `StrictHostKeyChecking=accept-new`); `false`: reject them.
    pub fn accept_new_host_key(self, accept: bool) -> Self {
        self.host_key_decision(if accept {
            HostKeyDecision::AcceptAndSave
        } else {
            HostKeyDecision::Reject
        })
    }

    /// The answer to every unknown host key.
    pub fn host_key_decision(mut self, decision: HostKeyDecision) -> Self {
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
        if let Ok(mut asked) = self.asked_host_keys.lock() {
            asked.push(q);
        }
        let decision = self.host_key.unwrap_or(HostKeyDecision::Reject);
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
