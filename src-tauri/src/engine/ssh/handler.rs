//! The russh [`client::Handler`] of one hop: host-key verification against [`KnownHosts`]
//! (asking the [`Prompter`] about keys not on record, with a warning when keys of other types
//! are), agent-forwarding channels (refused unless this connection asked for them, see
//! [`super::agent_forward`]), `forwarded-tcpip` channels (refused unless they are for a `-R`
//! forward this connection asked for, see [`crate::engine::forward::permit`]; streamlocal and
//! X11 channels, never asked for, are refused), and the "connection closed" signal behind
//! [`SshSession::closed`](super::SshSession::closed).
//!
//! A host certificate is checked by [`host_cert`](super::host_cert) against the
//! `@cert-authority` lines that match the host: trusted when valid; refused with its problem
//! when revoked, or when CAs are trusted for the host and the certificate fails (unless its key
//! is on record as a plain key, where OpenSSH falls back to it); checked as its plain key, with
//! the certificate's facts shown in the question, when no CA is trusted for the host.
//!
//! russh calls [`client::Handler::check_server_key`] after verifying the key-exchange signature
//! and *before* anything else is sent; returning an error there ends the connection, so no
//! user name, key or password ever reaches a server whose key is not trusted.

use std::sync::{Arc, Mutex};

use russh::client;
use russh::keys::{Certificate, PublicKey, PublicKeyOrCertificate};
use tokio::sync::watch;

use super::agent_forward::ForwardPermit;
use super::clock::PromptClock;
use super::config::HostKeyPolicy;
use super::error::SshError;
use super::host_cert::{self, unix_now, CertificateInfo, CertificateProblem, CertificateRejected};
use super::prompt::{HostKeyDecision, HostKeyQuestion, Prompter};
use crate::engine::forward::permit::{self, RemotePermits};
use crate::engine::ssh::known_hosts::{
    fingerprint, lookup_name, ChangedKey, HostKeyStatus, KnownHosts, KnownKey, ServerKey,
};

/// Liveness of one hop's connection, shared by its handler (inside russh's session task) and
/// the [`SshSession`](super::SshSession).
#[derive(Debug)]
pub(crate) struct HopState {
    closed: watch::Sender<bool>,
    reason: Mutex<Option<String>>,
    /// Whether the server may open agent channels on this connection, and to which local agent.
    pub(crate) agent_forward: ForwardPermit,
    /// The `-R` forwards this connection asked the server for, whose channels it accepts.
    pub(crate) remote_forwards: Arc<RemotePermits>,
}

impl HopState {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(HopState {
            closed: watch::Sender::new(false),
            reason: Mutex::new(None),
            agent_forward: ForwardPermit::default(),
            remote_forwards: Arc::default(),
        })
    }

    /// Marks the connection closed, keeping the first reason given.
    pub(crate) fn mark_closed(&self, reason: Option<String>) {
        if let Some(reason) = reason {
            if let Ok(mut r) = self.reason.lock() {
                r.get_or_insert(reason);
            }
        }
        self.closed.send_replace(true);
    }

    pub(crate) fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    pub(crate) fn reason(&self) -> Option<String> {
        self.reason.lock().ok().and_then(|r| r.clone())
    }

    /// Resolves once the connection is closed.
    pub(crate) async fn wait_closed(&self) {
        let mut rx = self.closed.subscribe();
        // `wait_for` fails only when the sender is gone, and `self` owns it.
        let _ = rx.wait_for(|closed| *closed).await;
    }
}

/// The handler of one hop.
pub(crate) struct ClientHandler {
    /// Host and port as connected to (for a hop behind a jump host: as the jump host resolves).
    pub(crate) host: String,
    pub(crate) port: u16,
    /// What to do with a key not on record (`StrictHostKeyChecking`).
    pub(crate) policy: HostKeyPolicy,
    pub(crate) known: KnownHosts,
    pub(crate) prompter: Arc<dyn Prompter>,
    pub(crate) clock: PromptClock,
    pub(crate) state: Arc<HopState>,
    /// The key trusted at the first key exchange.
    pub(crate) accepted: Option<PublicKey>,
}

impl Drop for ClientHandler {
    fn drop(&mut self) {
        // russh drops the handler when its session task ends, whatever ended it.
        self.state.mark_closed(Some("the connection ended".into()));
    }
}

impl ClientHandler {
    /// The facts of `key` (and of the certificate it came in) for an error or a question.
    fn server_key(&self, key: &PublicKey, certificate: &Option<CertificateInfo>) -> ServerKey {
        ServerKey::new(&self.host, self.port, key).with_certificate(certificate.clone())
    }

    /// A host certificate; see the [module documentation](self).
    async fn verify_certificate(&mut self, cert: &Certificate) -> Result<bool, SshError> {
        let key = PublicKey::new(cert.public_key().clone(), "");
        if self.accepted.as_ref().map(PublicKey::key_data) == Some(key.key_data()) {
            return Ok(true);
        }
        let info = CertificateInfo::of(cert);
        let name = lookup_name(&self.host, self.port);
        let cas = self.known.cert_authorities(&self.host, self.port)?;
        let key_revoked = self
            .known
            .is_revoked(&self.host, self.port, cert.public_key())?;
        let ca_revoked = self
            .known
            .is_revoked(&self.host, self.port, cert.signature_key())?;
        let revoked = |k: &_| {
            (key_revoked && k == cert.public_key()) || (ca_revoked && k == cert.signature_key())
        };
        let problem = match host_cert::check(cert, &self.host, &cas, revoked, unix_now()) {
            Ok(()) => {
                tracing::debug!(host = %name, key_id = %info.key_id, ca = %info.ca_fingerprint, "host certificate trusted");
                self.accepted = Some(key);
                return Ok(true);
            }
            Err(CertificateProblem::UnknownCa { .. }) if cas.is_empty() => {
                tracing::debug!(host = %name, ca = %info.ca_fingerprint, "no CA is trusted for this host; checking the certificate's key as a plain key");
                return self.verify(key, Some(info)).await;
            }
            Err(problem) => problem,
        };
        let revoked = matches!(problem, CertificateProblem::Revoked { .. });
        if !revoked && self.known.check(&self.host, self.port, &key)? == HostKeyStatus::Trusted {
            tracing::warn!(host = %name, key_id = %info.key_id, "host certificate not accepted ({problem}), but its key is on record as a plain key: trusted");
            self.accepted = Some(key);
            return Ok(true);
        }
        tracing::warn!(host = %name, key_id = %info.key_id, ca = %info.ca_fingerprint, "host certificate refused: {problem}");
        Err(SshError::HostCertificate(Box::new(CertificateRejected {
            presented: self.server_key(&key, &Some(info)),
            problem,
        })))
    }

    /// A plain key, or the key of a certificate whose CA is not trusted for the host
    /// (`certificate` is then its facts, carried into errors and the question).
    async fn verify(
        &mut self,
        key: PublicKey,
        certificate: Option<CertificateInfo>,
    ) -> Result<bool, SshError> {
        if self.accepted.as_ref().map(PublicKey::key_data) == Some(key.key_data()) {
            return Ok(true);
        }
        let name = lookup_name(&self.host, self.port);
        let fp = fingerprint(&key);
        match self.known.check(&self.host, self.port, &key)? {
            HostKeyStatus::Trusted => {
                tracing::debug!(host = %name, fingerprint = %fp, "host key trusted");
            }
            HostKeyStatus::Changed {
                expected_fingerprints,
            } => {
                tracing::warn!(host = %name, fingerprint = %fp, ?expected_fingerprints, "host key changed");
                return Err(SshError::HostKeyChanged(Box::new(ChangedKey {
                    presented: self.server_key(&key, &certificate),
                    expected_fingerprints,
                })));
            }
            HostKeyStatus::Revoked => {
                return Err(SshError::HostKeyRevoked(
                    self.server_key(&key, &certificate),
                ))
            }
            HostKeyStatus::Unknown | HostKeyStatus::OtherTypesKnown { .. }
                if self.policy == HostKeyPolicy::Strict =>
            {
                tracing::warn!(host = %name, fingerprint = %fp, "host key not on record; StrictHostKeyChecking yes refuses it");
                return Err(SshError::HostKeyRejected(
                    self.server_key(&key, &certificate),
                ));
            }
            HostKeyStatus::Unknown if self.policy == HostKeyPolicy::AcceptNew => {
                tracing::info!(host = %name, fingerprint = %fp, "host key not on record; accepted and saved (StrictHostKeyChecking accept-new)");
                self.known.add(&self.host, self.port, &key)?;
            }
            HostKeyStatus::Unknown => self.ask(&key, Vec::new(), certificate).await?,
            HostKeyStatus::OtherTypesKnown { known } => {
                tracing::warn!(host = %name, fingerprint = %fp, ?known, "host key of a new type; keys of other types are on record");
                self.ask(&key, known, certificate).await?
            }
        }
        self.accepted = Some(key);
        Ok(true)
    }

    /// Puts a key not on record to the [`Prompter`] (with the keys of other types on record for
    /// the host, if any, and the certificate it came in, if any), and saves it when told to.
    async fn ask(
        &self,
        key: &PublicKey,
        known: Vec<KnownKey>,
        certificate: Option<CertificateInfo>,
    ) -> Result<(), SshError> {
        let fp = fingerprint(key);
        let question = HostKeyQuestion {
            host: self.host.clone(),
            port: self.port,
            key_type: key.algorithm().as_str().to_owned(),
            fingerprint: fp.clone(),
            known,
            certificate: certificate.clone(),
        };
        let decision = self.clock.prompt(self.prompter.host_key(question)).await;
        let name = lookup_name(&self.host, self.port);
        tracing::info!(host = %name, fingerprint = %fp, ?decision, "host key not on record");
        match decision {
            HostKeyDecision::Reject => Err(SshError::HostKeyRejected(
                self.server_key(key, &certificate),
            )),
            HostKeyDecision::AcceptOnce => Ok(()),
            HostKeyDecision::AcceptAndSave => Ok(self.known.add(&self.host, self.port, key)?),
        }
    }
}

impl client::Handler for ClientHandler {
    type Error = SshError;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        match server_public_key.certificate() {
            Some(cert) => self.verify_certificate(cert).await,
            None => self.verify(server_public_key.public_key(), None).await,
        }
    }

    async fn server_channel_open_agent_forward(
        &mut self,
        channel: russh::Channel<client::Msg>,
        reply: client::ChannelOpenHandle,
        _session: &mut client::Session,
    ) -> Result<(), Self::Error> {
        // russh's default accepts; only a connection that asked for forwarding gets it.
        super::agent_forward::answer(channel, reply, &self.state.agent_forward, &self.host).await;
        Ok(())
    }

    async fn server_channel_open_forwarded_tcpip(
        &mut self,
        channel: russh::Channel<client::Msg>,
        connected_address: &str,
        connected_port: u32,
        originator_address: &str,
        originator_port: u32,
        reply: client::ChannelOpenHandle,
        _session: &mut client::Session,
    ) -> Result<(), Self::Error> {
        // russh's default accepts; only a port this connection asked to forward gets through.
        permit::answer(
            &self.state.remote_forwards,
            channel,
            reply,
            (connected_address, connected_port),
            (originator_address, originator_port),
            &self.host,
        )
        .await;
        Ok(())
    }

    async fn server_channel_open_forwarded_streamlocal(
        &mut self,
        _channel: russh::Channel<client::Msg>,
        socket_path: &str,
        reply: client::ChannelOpenHandle,
        _session: &mut client::Session,
    ) -> Result<(), Self::Error> {
        // russh's default accepts; this client never asks for remote socket forwards.
        tracing::warn!(host = %self.host, socket_path, "refused a forwarded-streamlocal channel nobody asked for");
        reply
            .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
            .await;
        Ok(())
    }

    async fn server_channel_open_x11(
        &mut self,
        _channel: russh::Channel<client::Msg>,
        originator_address: &str,
        originator_port: u32,
        reply: client::ChannelOpenHandle,
        _session: &mut client::Session,
    ) -> Result<(), Self::Error> {
        // russh's default accepts; this client never asks for X11 forwarding.
        tracing::warn!(host = %self.host, originator_address, originator_port, "refused an x11 channel nobody asked for");
        reply
            .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
            .await;
        Ok(())
    }

    async fn auth_banner(
        &mut self,
        banner: &str,
        _session: &mut client::Session,
    ) -> Result<(), Self::Error> {
        tracing::info!(host = %self.host, "server banner: {}", banner.trim_end());
        Ok(())
    }

    async fn disconnected(
        &mut self,
        reason: client::DisconnectReason<Self::Error>,
    ) -> Result<(), Self::Error> {
        match reason {
            client::DisconnectReason::ReceivedDisconnect(info) => {
                let why = format!("the server disconnected: {}", info.message.trim());
                tracing::debug!(host = %self.host, "{why}");
                self.state.mark_closed(Some(why));
                Ok(())
            }
            client::DisconnectReason::Error(e) => {
                tracing::debug!(host = %self.host, "connection lost: {e}");
                self.state.mark_closed(Some(e.to_string()));
                Err(e)
            }
        }
    }
}
