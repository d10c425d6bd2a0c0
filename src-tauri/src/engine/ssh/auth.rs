//! Authentication of one hop, in OpenSSH's order: keys from the ssh-agent, then key files
//! (explicit, else the defaults that exist), then password, then keyboard-interactive — each
//! only when the server accepts that method, each secret through the [`Prompter`] and the
//! [`Credentials`] cache.
//!
//! User certificates go first with the key they certify: a certificate the agent holds, then
//! for each agent key or key file the certificates of that key (`CertificateFile`,
//! `<key>-cert.pub`; see [`user_cert`](super::user_cert)), then the key itself.
//!
//! Public keys are first offered without a signature (russh sends the "probe" and signs only
//! after the server's `PK_OK`), so the passphrase of an encrypted key is asked only when the
//! server would accept that key. Passwords and keyboard-interactive answers get three prompted
//! tries each (OpenSSH's `NumberOfPasswordPrompts`), passphrases three per key.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use russh::client::{self, AuthResult, KeyboardInteractiveAuthResponse};
use russh::keys::agent::client::AgentClient;
use russh::keys::agent::AgentIdentity;
use russh::keys::ssh_encoding::Encode;
use russh::keys::ssh_key::private::KeypairData;
use russh::keys::ssh_key::Signature;
use russh::keys::{Certificate, HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKey};
use russh::{MethodKind, MethodSet};
use zeroize::Zeroizing;

use super::clock::PromptClock;
use super::config::{AgentSource, SshTarget, DEFAULT_IDENTITY_FILES};
use super::credentials::Credentials;
use super::error::SshError;
use super::handler::ClientHandler;
use super::prompt::{Prompter, SecretKind, SecretPrompt};
use super::user_cert::UserCertificates;
use crate::engine::ssh::known_hosts::fingerprint;
use outpost_openssh::home_dir;

/// Prompted tries for a password, a keyboard-interactive exchange or one key's passphrase.
const PROMPT_TRIES: usize = 3;

/// How one authentication attempt ended.
enum Step {
    Done,
    Continue,
}

/// State of authenticating one hop.
pub(crate) struct Authenticator<'a> {
    pub(crate) handle: &'a mut client::Handle<ClientHandler>,
    pub(crate) target: &'a SshTarget,
    pub(crate) prompter: &'a Arc<dyn Prompter>,
    pub(crate) creds: &'a Credentials,
    pub(crate) clock: &'a PromptClock,
    /// Methods the server still accepts (after the first "none" request).
    methods: MethodSet,
    /// What was tried, for the error message.
    tried: Vec<String>,
    /// Public keys and certificates already offered (agent and files may hold the same key).
    offered: HashSet<Vec<u8>>,
    /// User certificates from files, offered with the keys they certify.
    certs: UserCertificates,
    /// The RSA signature hash to use, once asked.
    rsa_hash: Option<Option<HashAlg>>,
}

impl<'a> Authenticator<'a> {
    pub(crate) fn new(
        handle: &'a mut client::Handle<ClientHandler>,
        target: &'a SshTarget,
        prompter: &'a Arc<dyn Prompter>,
        creds: &'a Credentials,
        clock: &'a PromptClock,
    ) -> Self {
        Authenticator {
            handle,
            target,
            prompter,
            creds,
            clock,
            methods: MethodSet::empty(),
            tried: Vec::new(),
            offered: HashSet::new(),
            certs: UserCertificates::default(),
            rsa_hash: None,
        }
    }

    /// Authenticates, or fails with [`SshError::AuthFailed`] (or `Cancelled`, `Disconnected`).
    pub(crate) async fn run(mut self) -> Result<(), SshError> {
        let user = self.target.user.clone();
        // "none" tells which methods the server accepts (and lets through servers that need none).
        match self.handle.authenticate_none(user.as_str()).await? {
            AuthResult::Success => return Ok(()),
            AuthResult::Failure {
                remaining_methods, ..
            } => self.methods = remaining_methods,
        }
        tracing::debug!(host = %self.target.host, methods = ?self.methods_names(), "server accepts");
        if self.allows(MethodKind::PublicKey) {
            let files: Vec<PathBuf> = self.identity_files().into_iter().map(|(p, _)| p).collect();
            let configured: Vec<PathBuf> = self
                .target
                .certificate_files
                .iter()
                .map(|p| expand_tilde(p))
                .collect();
            self.certs = UserCertificates::load(&configured, &files);
        }
        if self.allows(MethodKind::PublicKey) {
            if let Step::Done = self.agent_keys().await? {
                return Ok(());
            }
        }
        if self.allows(MethodKind::PublicKey) {
            if let Step::Done = self.key_files().await? {
                return Ok(());
            }
        }
        if self.allows(MethodKind::Password) {
            if let Step::Done = self.password().await? {
                return Ok(());
            }
        }
        if self.allows(MethodKind::KeyboardInteractive) {
            if let Step::Done = self.keyboard_interactive().await? {
                return Ok(());
            }
        }
        if self.handle.is_closed() && self.tried.is_empty() {
            return Err(SshError::Disconnected {
                reason: "the server closed the connection during authentication".into(),
            });
        }
        let allowed = self.methods_names();
        Err(SshError::AuthFailed {
            host: self.target.host.clone(),
            user,
            tried: self.tried,
            allowed,
        })
    }

    /// The host, port and user that remembered secrets are kept under.
    fn login(&self) -> (String, u16, String) {
        (
            self.target.host.clone(),
            self.target.port,
            self.target.user.clone(),
        )
    }

    fn allows(&self, kind: MethodKind) -> bool {
        !self.handle.is_closed() && self.methods.contains(&kind)
    }

    fn methods_names(&self) -> Vec<String> {
        self.methods.iter().map(String::from).collect()
    }

    /// Records the server's answer; `Step::Done` on success.
    fn outcome(&mut self, result: AuthResult) -> Step {
        match result {
            AuthResult::Success => Step::Done,
            AuthResult::Failure {
                remaining_methods,
                partial_success,
            } => {
                if partial_success {
                    tracing::debug!("partial success; the server wants more");
                }
                self.methods = remaining_methods;
                Step::Continue
            }
        }
    }

    async fn ask(&self, kind: SecretKind) -> Result<Zeroizing<String>, SshError> {
        let prompt = SecretPrompt {
            host: self.target.host.clone(),
            user: self.target.user.clone(),
            kind,
        };
        match self.clock.prompt(self.prompter.secret(prompt)).await {
            Some(secret) => Ok(Zeroizing::new(secret)),
            None => Err(SshError::Cancelled {
                host: self.target.host.clone(),
            }),
        }
    }

    /// The RSA signature hash the server prefers (SHA-512, SHA-256, or SHA-1 for old servers),
    /// asked once per connection and only when an RSA key is about to be offered.
    async fn rsa_hash(&mut self) -> Result<Option<HashAlg>, SshError> {
        if let Some(h) = self.rsa_hash {
            return Ok(h);
        }
        let h = match self.handle.best_supported_rsa_hash().await? {
            Some(h) => h,
            // No `server-sig-algs`: every server from the last decade does SHA-256.
            None => Some(HashAlg::Sha256),
        };
        self.rsa_hash = Some(h);
        Ok(h)
    }

    async fn hash_for(&mut self, key: &PublicKey) -> Result<Option<HashAlg>, SshError> {
        if key.algorithm().is_rsa() {
            self.rsa_hash().await
        } else {
            Ok(None)
        }
    }

    /// Keys offered by the ssh-agent.
    async fn agent_keys(&mut self) -> Result<Step, SshError> {
        let socket = match &self.target.agent {
            AgentSource::Disabled => return Ok(Step::Continue),
            AgentSource::Socket(path) => path.clone(),
            AgentSource::Env => match std::env::var_os("SSH_AUTH_SOCK").filter(|s| !s.is_empty()) {
                Some(s) => PathBuf::from(s),
                None => return Ok(Step::Continue),
            },
        };
        let mut agent = match AgentClient::connect_uds(&socket).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!("cannot reach the ssh-agent at {}: {e}", socket.display());
                return Ok(Step::Continue);
            }
        };
        let identities = match agent.request_identities().await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(
                    "the ssh-agent at {} did not list keys: {e}",
                    socket.display()
                );
                return Ok(Step::Continue);
            }
        };
        for identity in identities {
            if !self.allows(MethodKind::PublicKey) {
                break;
            }
            let (key, comment) = match identity {
                AgentIdentity::Certificate {
                    certificate,
                    comment,
                } => {
                    let what = format!("agent: {comment}");
                    if let Step::Done = self
                        .offer_certificate(certificate, &what, &mut agent)
                        .await?
                    {
                        return Ok(Step::Done);
                    }
                    continue;
                }
                AgentIdentity::PublicKey { key, comment } => (key, comment),
            };
            for (path, cert) in self.certs.for_key(key.key_data()) {
                let what = format!("{}, key in the agent", path.display());
                let mut signer = AgentKeySigner {
                    agent: &mut agent,
                    key: AgentIdentity::PublicKey {
                        key: key.clone(),
                        comment: String::new(),
                    },
                };
                if let Step::Done = self.offer_certificate(cert, &what, &mut signer).await? {
                    return Ok(Step::Done);
                }
            }
            if !self.allows(MethodKind::PublicKey) {
                break;
            }
            if !self
                .offered
                .insert(key.key_data().encode_vec().unwrap_or_default())
            {
                continue;
            }
            let hash = self.hash_for(&key).await?;
            self.tried.push(format!(
                "publickey (agent: {} {})",
                fingerprint(&key),
                comment
            ));
            match self
                .handle
                .authenticate_publickey_with(self.target.user.as_str(), key, hash, &mut agent)
                .await
            {
                Ok(result) => {
                    if let Step::Done = self.outcome(result) {
                        return Ok(Step::Done);
                    }
                }
                Err(e) => tracing::warn!("the ssh-agent could not sign: {e}"),
            }
        }
        Ok(Step::Continue)
    }

    /// The key files to try: the target's, else the default ones that exist.
    fn identity_files(&self) -> Vec<(PathBuf, bool)> {
        if !self.target.identity_files.is_empty() {
            return self
                .target
                .identity_files
                .iter()
                .map(|p| (expand_tilde(p), true))
                .collect();
        }
        if !self.target.default_identities {
            return Vec::new();
        }
        let Some(home) = home_dir() else {
            return Vec::new();
        };
        DEFAULT_IDENTITY_FILES
            .iter()
            .map(|name| (home.join(".ssh").join(name), false))
            .filter(|(p, _)| p.exists())
            .collect()
    }

    /// Key files, decrypting encrypted ones with a cached or asked passphrase.
    async fn key_files(&mut self) -> Result<Step, SshError> {
        for (path, explicit) in self.identity_files() {
            if !self.allows(MethodKind::PublicKey) {
                break;
            }
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => Zeroizing::new(t),
                Err(e) => {
                    if explicit {
                        tracing::warn!("cannot read identity file {}: {e}", path.display());
                    }
                    continue;
                }
            };
            let step = match russh::keys::decode_secret_key(&text, None) {
                Ok(key) => self.offer_key(&path, key).await?,
                Err(russh::keys::Error::KeyIsEncrypted) => {
                    self.offer_encrypted(&path, &text).await?
                }
                Err(e) => {
                    tracing::warn!("cannot use identity file {}: {e}", path.display());
                    Step::Continue
                }
            };
            if let Step::Done = step {
                return Ok(Step::Done);
            }
        }
        Ok(Step::Continue)
    }

    /// Offers `cert` (from `what`, for the list of what was tried), signed by `signer` once the
    /// server has said it would accept it. A signer that fails skips the certificate; a
    /// cancelled passphrase prompt cancels the connection.
    async fn offer_certificate<S>(
        &mut self,
        cert: Certificate,
        what: &str,
        signer: &mut S,
    ) -> Result<Step, SshError>
    where
        S: russh::Signer,
        S::Error: SignFailure,
    {
        if !self.allows(MethodKind::PublicKey)
            || !self.offered.insert(cert.to_bytes().unwrap_or_default())
        {
            return Ok(Step::Continue);
        }
        let key = PublicKey::new(cert.public_key().clone(), "");
        let hash = self.hash_for(&key).await?;
        let id = format!(
            "publickey (certificate {:?} of {}, {what})",
            cert.key_id(),
            fingerprint(&key)
        );
        let result = self
            .handle
            .authenticate_certificate_with(self.target.user.as_str(), cert, hash, signer)
            .await;
        match result {
            Ok(result) => {
                self.tried.push(id);
                Ok(self.outcome(result))
            }
            Err(e) => {
                if e.cancelled() {
                    return Err(SshError::Cancelled {
                        host: self.target.host.clone(),
                    });
                }
                tracing::warn!("{id}: cannot sign: {e}");
                self.tried.push(format!("{id}: {e}"));
                Ok(Step::Continue)
            }
        }
    }

    async fn offer_key(&mut self, path: &Path, key: PrivateKey) -> Result<Step, SshError> {
        let public = key.public_key().clone();
        for (cert_path, cert) in self.certs.for_key(public.key_data()) {
            let what = format!("{}, key {}", cert_path.display(), path.display());
            let mut signer = KeySigner(&key);
            if let Step::Done = self.offer_certificate(cert, &what, &mut signer).await? {
                return Ok(Step::Done);
            }
        }
        if !self
            .offered
            .insert(public.key_data().encode_vec().unwrap_or_default())
        {
            return Ok(Step::Continue);
        }
        let hash = self.hash_for(&public).await?;
        self.tried.push(format!("publickey ({})", path.display()));
        let key = PrivateKeyWithHashAlg::new(Arc::new(key), hash);
        let result = self
            .handle
            .authenticate_publickey(self.target.user.as_str(), key)
            .await?;
        Ok(self.outcome(result))
    }

    async fn offer_encrypted(&mut self, path: &Path, text: &str) -> Result<Step, SshError> {
        if let Some(pp) = self.creds.passphrase(path) {
            match russh::keys::decode_secret_key(text, Some(pp.as_str())) {
                Ok(key) => return self.offer_key(path, key).await,
                Err(_) => self.creds.forget_passphrase(path),
            }
        }
        // The public half: inside OpenSSH-format files, else in `<key>.pub`.
        let public = PrivateKey::from_openssh(text)
            .map(|k| k.public_key().clone())
            .ok()
            .or_else(|| russh::keys::load_public_key(pub_path(path)).ok());
        let Some(public) = public else {
            // Legacy PEM without a .pub file: the passphrase is needed to learn the key at all.
            for _ in 0..PROMPT_TRIES {
                let pp = self
                    .ask(SecretKind::Passphrase {
                        key_path: path.to_owned(),
                    })
                    .await?;
                if let Ok(key) = russh::keys::decode_secret_key(text, Some(pp.as_str())) {
                    self.creds.set_passphrase(path, pp);
                    return self.offer_key(path, key).await;
                }
            }
            self.tried
                .push(format!("publickey ({}: wrong passphrase)", path.display()));
            return Ok(Step::Continue);
        };
        let (target, prompter, clock, creds) = (self.target, self.prompter, self.clock, self.creds);
        for (cert_path, cert) in self.certs.for_key(public.key_data()) {
            let what = format!("{}, key {}", cert_path.display(), path.display());
            let mut signer = PassphraseSigner {
                path,
                text,
                auth: AskContext {
                    host: &target.host,
                    user: &target.user,
                    prompter,
                    clock,
                },
                creds,
            };
            if let Step::Done = self.offer_certificate(cert, &what, &mut signer).await? {
                return Ok(Step::Done);
            }
            // The passphrase typed for the certificate opens the key: offer it plainly with that.
            if let Some(pp) = self.creds.passphrase(path) {
                if let Ok(key) = russh::keys::decode_secret_key(text, Some(pp.as_str())) {
                    return self.offer_key(path, key).await;
                }
            }
        }
        if !self
            .offered
            .insert(public.key_data().encode_vec().unwrap_or_default())
        {
            return Ok(Step::Continue);
        }
        let hash = self.hash_for(&public).await?;
        let mut signer = PassphraseSigner {
            path,
            text,
            auth: AskContext {
                host: &self.target.host,
                user: &self.target.user,
                prompter: self.prompter,
                clock: self.clock,
            },
            creds: self.creds,
        };
        let result = self
            .handle
            .authenticate_publickey_with(self.target.user.as_str(), public, hash, &mut signer)
            .await;
        match result {
            Ok(result) => {
                self.tried.push(format!("publickey ({})", path.display()));
                Ok(self.outcome(result))
            }
            Err(SignError::Cancelled) => Err(SshError::Cancelled {
                host: self.target.host.clone(),
            }),
            Err(SignError::WrongPassphrase) => {
                self.tried
                    .push(format!("publickey ({}: wrong passphrase)", path.display()));
                Ok(Step::Continue)
            }
            Err(e) => {
                self.tried
                    .push(format!("publickey ({}: {e})", path.display()));
                Ok(Step::Continue)
            }
        }
    }

    /// Password: the cached one first, then up to three asked.
    async fn password(&mut self) -> Result<Step, SshError> {
        let (host, port, user) = self.login();
        if let Some(pw) = self.creds.password(&host, port, &user) {
            self.tried.push("password (remembered)".into());
            let result = self
                .handle
                .authenticate_password(user.as_str(), pw.as_str())
                .await?;
            if let Step::Done = self.outcome(result) {
                return Ok(Step::Done);
            }
            self.creds.forget_password(&host, port, &user);
        }
        for _ in 0..PROMPT_TRIES {
            if !self.allows(MethodKind::Password) {
                break;
            }
            let pw = self.ask(SecretKind::Password).await?;
            self.tried.push("password".into());
            let result = self
                .handle
                .authenticate_password(user.as_str(), pw.as_str())
                .await?;
            if let Step::Done = self.outcome(result) {
                self.creds.set_password(&host, port, &user, pw);
                return Ok(Step::Done);
            }
        }
        Ok(Step::Continue)
    }

    /// Keyboard-interactive: one round with remembered answers (when there are any), then up to
    /// three rounds asking.
    async fn keyboard_interactive(&mut self) -> Result<Step, SshError> {
        let (host, port, user) = self.login();
        let mut asked_rounds = 0;
        let mut use_cache = true;
        self.tried.push("keyboard-interactive".into());
        while asked_rounds < PROMPT_TRIES && self.allows(MethodKind::KeyboardInteractive) {
            let mut answers: Vec<(String, Zeroizing<String>)> = Vec::new();
            let mut asked = false;
            let mut reply = self
                .handle
                .authenticate_keyboard_interactive_start(user.as_str(), None)
                .await?;
            loop {
                match reply {
                    KeyboardInteractiveAuthResponse::Success => {
                        self.creds
                            .set_keyboard_interactive(&host, port, &user, answers);
                        return Ok(Step::Done);
                    }
                    KeyboardInteractiveAuthResponse::Failure {
                        remaining_methods, ..
                    } => {
                        self.methods = remaining_methods;
                        break;
                    }
                    KeyboardInteractiveAuthResponse::InfoRequest {
                        name,
                        instructions,
                        prompts,
                    } => {
                        let mut responses = Vec::with_capacity(prompts.len());
                        for p in prompts {
                            let cached = use_cache
                                .then(|| {
                                    self.creds
                                        .keyboard_interactive(&host, port, &user, &p.prompt)
                                })
                                .flatten();
                            let answer = match cached {
                                Some(a) => a,
                                None => {
                                    asked = true;
                                    self.ask(SecretKind::KeyboardInteractive {
                                        name: name.clone(),
                                        instructions: instructions.clone(),
                                        prompt: p.prompt.clone(),
                                        echo: p.echo,
                                    })
                                    .await?
                                }
                            };
                            responses.push(answer.to_string());
                            answers.push((p.prompt, answer));
                        }
                        reply = self
                            .handle
                            .authenticate_keyboard_interactive_respond(responses)
                            .await?;
                    }
                }
            }
            if use_cache {
                self.creds.forget_keyboard_interactive(&host, port, &user);
                use_cache = false;
            }
            if asked {
                asked_rounds += 1;
            } else if answers.is_empty() {
                // The server asked nothing and refused: asking again cannot help.
                break;
            }
        }
        Ok(Step::Continue)
    }
}

/// What a prompt needs to know.
struct AskContext<'a> {
    host: &'a str,
    user: &'a str,
    prompter: &'a Arc<dyn Prompter>,
    clock: &'a PromptClock,
}

/// Why [`PassphraseSigner`] did not sign.
#[derive(Debug, thiserror::Error)]
enum SignError {
    #[error("the passphrase prompt was cancelled")]
    Cancelled,
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("cannot sign: {0}")]
    Sign(String),
    #[error("the connection is gone")]
    Send(#[from] russh::SendError),
}

/// Signs with an encrypted key file, asking for its passphrase only when the server has said
/// it would accept the key (russh calls the signer after `PK_OK`).
struct PassphraseSigner<'a> {
    path: &'a Path,
    text: &'a str,
    auth: AskContext<'a>,
    creds: &'a Credentials,
}

impl russh::Signer for PassphraseSigner<'_> {
    type Error = SignError;

    async fn auth_sign(
        &mut self,
        _key: &AgentIdentity,
        hash_alg: Option<HashAlg>,
        to_sign: Vec<u8>,
    ) -> Result<Vec<u8>, Self::Error> {
        for _ in 0..PROMPT_TRIES {
            let prompt = SecretPrompt {
                host: self.auth.host.to_owned(),
                user: self.auth.user.to_owned(),
                kind: SecretKind::Passphrase {
                    key_path: self.path.to_owned(),
                },
            };
            let Some(pp) = self
                .auth
                .clock
                .prompt(self.auth.prompter.secret(prompt))
                .await
            else {
                return Err(SignError::Cancelled);
            };
            let pp = Zeroizing::new(pp);
            match russh::keys::decode_secret_key(self.text, Some(pp.as_str())) {
                Ok(key) => {
                    self.creds.set_passphrase(self.path, pp);
                    return sign(&key, hash_alg, to_sign).map_err(SignError::Sign);
                }
                Err(e) => tracing::debug!("passphrase for {} rejected: {e}", self.path.display()),
            }
        }
        Err(SignError::WrongPassphrase)
    }
}

/// How a signer failed: whether the user cancelled a prompt (which ends the attempt).
trait SignFailure: std::fmt::Display {
    fn cancelled(&self) -> bool {
        false
    }
}

impl SignFailure for SignError {
    fn cancelled(&self) -> bool {
        matches!(self, SignError::Cancelled)
    }
}

impl SignFailure for russh::AgentAuthError {}

/// Signs for a certificate from a file with the plain key the agent holds: the agent is asked
/// with the key's blob, not the certificate's, which OpenSSH's `ssh-agent` would not recognise
/// (OpenSSH's `ssh` does the same).
struct AgentKeySigner<'a> {
    agent: &'a mut AgentClient<tokio::net::UnixStream>,
    key: AgentIdentity,
}

impl russh::Signer for AgentKeySigner<'_> {
    type Error = russh::AgentAuthError;

    async fn auth_sign(
        &mut self,
        _certificate: &AgentIdentity,
        hash_alg: Option<HashAlg>,
        to_sign: Vec<u8>,
    ) -> Result<Vec<u8>, Self::Error> {
        Ok(self
            .agent
            .sign_request(&self.key, hash_alg, to_sign)
            .await?)
    }
}

/// Signs with a key already in memory (an unencrypted key file, or one whose passphrase is
/// known), for a certificate of that key.
struct KeySigner<'a>(&'a PrivateKey);

impl russh::Signer for KeySigner<'_> {
    type Error = SignError;

    async fn auth_sign(
        &mut self,
        _key: &AgentIdentity,
        hash_alg: Option<HashAlg>,
        to_sign: Vec<u8>,
    ) -> Result<Vec<u8>, Self::Error> {
        sign(self.0, hash_alg, to_sign).map_err(SignError::Sign)
    }
}

/// Appends the SSH signature of `data` by `key` (as an SSH string) to `data`, the form russh
/// expects back from a signer.
fn sign(key: &PrivateKey, hash: Option<HashAlg>, mut data: Vec<u8>) -> Result<Vec<u8>, String> {
    use russh::keys::signature::Signer as _;
    let signature: Signature = match key.key_data() {
        KeypairData::Rsa(rsa) => (rsa, hash).try_sign(&data),
        other => other.try_sign(&data),
    }
    .map_err(|e| e.to_string())?;
    let blob = signature.encode_vec().map_err(|e| e.to_string())?;
    let len = u32::try_from(blob.len()).map_err(|e| e.to_string())?;
    data.extend_from_slice(&len.to_be_bytes());
    data.extend_from_slice(&blob);
    Ok(data)
}

/// `<key>.pub`.
fn pub_path(key: &Path) -> PathBuf {
    let mut s = key.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

/// `~/x` → `$HOME/x`.
fn expand_tilde(p: &Path) -> PathBuf {
    match (p.strip_prefix("~"), home_dir()) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => p.to_owned(),
    }
}
