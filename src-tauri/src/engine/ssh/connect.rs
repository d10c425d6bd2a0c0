//! [`SshSession`]: connecting through the ProxyJump chain, hop by hop (each with its own
//! host-key check and authentication), and watching the connection's liveness.
//!
//! The first hop is a TCP connection, or the stdin/stdout of its `ProxyCommand`
//! ([`super::proxy_command`]); every next hop is an SSH connection carried by a `direct-tcpip`
//! channel of the hop before it (what `ssh -J` does). Each hop's host key is checked on its own,
//! against its own known-hosts files and policy ([`HostKeyPolicy`](super::HostKeyPolicy)). Every hop sends keepalives
//! ([`KEEPALIVE_INTERVAL`], or the hop's `ServerAliveInterval`; [`KEEPALIVE_MAX`]), so a silent
//! link anywhere along the chain ends the session and [`SshSession::closed`] resolves.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use russh::client;
use russh::keys::Algorithm;
use tracing::Instrument;

use super::auth::Authenticator;
use super::clock::PromptClock;
use super::config::{SshTarget, KEEPALIVE_INTERVAL, KEEPALIVE_MAX};
use super::credentials::Credentials;
use super::error::SshError;
use super::handler::{ClientHandler, HopState};
use super::prompt::Prompter;
use super::proxy_command::{self, ProxyChild};
use crate::engine::ssh::known_hosts::KnownHosts;

/// How long [`SshSession::disconnect`] waits for each hop to say goodbye.
const DISCONNECT_GRACE: Duration = Duration::from_secs(2);

/// One connected, authenticated hop.
pub(crate) struct Hop {
    pub(crate) handle: client::Handle<ClientHandler>,
    pub(crate) state: Arc<HopState>,
    pub(crate) name: String,
    /// The `ProxyCommand` carrying this hop, if any (killed with the hop).
    pub(crate) proxy: Option<ProxyChild>,
}

/// A connected, authenticated SSH session to the final hop of an [`SshTarget`] (through its
/// jump hosts). Run commands with [`SshSession::exec`], stream with
/// [`SshSession::exec_stream`], open `sftp` with [`SshSession::open_subsystem`]; all of these
/// take `&self` and may run concurrently on one session.
pub struct SshSession {
    hops: Vec<Hop>,
}

impl std::fmt::Debug for SshSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshSession")
            .field(
                "hops",
                &self
                    .hops
                    .iter()
                    .map(|h| h.name.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl SshSession {
    /// Connects to `target` through its jump hosts: for each hop, TCP (or `direct-tcpip` through
    /// the previous hop), key exchange, host-key verification against `known` (unknown keys are
    /// put to `prompter`; changed ones are refused before anything is sent), then
    /// authentication (agent, key files, password, keyboard-interactive; secrets from `creds`
    /// first, then `prompter`; secrets that work are remembered in `creds`).
    ///
    /// Each hop must get through within its `connect_timeout`, not counting time at prompts.
    pub async fn connect(
        target: &SshTarget,
        known: &KnownHosts,
        prompter: Arc<dyn Prompter>,
        creds: &Credentials,
    ) -> Result<SshSession, SshError> {
        let mut hops: Vec<Hop> = Vec::new();
        for hop in target.hops() {
            validate(hop)?;
            let span = tracing::info_span!("ssh_connect", host = %hop.host, port = hop.port, user = %hop.user);
            let connected = connect_hop(hop, hops.last(), known, &prompter, creds)
                .instrument(span)
                .await;
            match connected {
                Ok(h) => {
                    tracing::info!(host = %hop.host, port = hop.port, user = %hop.user, "connected");
                    hops.push(h);
                }
                Err(e) => {
                    tracing::info!(host = %hop.host, port = hop.port, "connection failed: {e}");
                    // Dropping the hops so far ends their connections.
                    return Err(e);
                }
            }
        }
        Ok(SshSession { hops })
    }

    /// The final hop (the target itself).
    pub(crate) fn last_hop(&self) -> Result<&Hop, SshError> {
        self.hops.last().ok_or_else(|| SshError::Disconnected {
            reason: "no connection".into(),
        })
    }

    /// `user@host[:port]` of every hop, the target last.
    pub fn hop_names(&self) -> Vec<String> {
        self.hops.iter().map(|h| h.name.clone()).collect()
    }

    /// True once any hop's connection has ended (keepalive failure, EOF, disconnect).
    pub fn is_closed(&self) -> bool {
        self.hops
            .iter()
            .any(|h| h.state.is_closed() || h.handle.is_closed())
    }

    /// Why the connection ended, when it has (the first hop that ended, and its reason).
    pub fn close_reason(&self) -> Option<String> {
        self.hops
            .iter()
            .find(|h| h.state.is_closed() || h.handle.is_closed())
            .map(|h| {
                format!(
                    "{}: {}",
                    h.name,
                    h.state.reason().unwrap_or_else(|| "closed".into())
                )
            })
    }

    /// Resolves when the connection dies: any hop's session ends (server closed it, keepalives
    /// went unanswered for 9 s, network error). Cancel-safe; may be awaited from many tasks.
    pub async fn closed(&self) {
        if self.hops.is_empty() {
            return;
        }
        let waits = self.hops.iter().map(|h| Box::pin(h.state.wait_closed()));
        futures::future::select_all(waits).await;
    }

    /// Says goodbye (`SSH_MSG_DISCONNECT`) to every hop, the target first, and waits briefly
    /// for each to finish.
    pub async fn disconnect(self) {
        let mut hops = self.hops;
        while let Some(mut hop) = hops.pop() {
            let _ = hop
                .handle
                .disconnect(russh::Disconnect::ByApplication, "bye", "en")
                .await;
            let _ = tokio::time::timeout(DISCONNECT_GRACE, &mut hop.handle).await;
            if let Some(proxy) = hop.proxy.as_mut() {
                proxy.stop().await;
            }
        }
    }
}

/// Rejects targets that cannot work before any network traffic.
fn validate(t: &SshTarget) -> Result<(), SshError> {
    if t.host.is_empty() {
        return Err(SshError::InvalidTarget("the host name is empty".into()));
    }
    if t.user.is_empty() {
        return Err(SshError::InvalidTarget(format!(
            "no user name for {}",
            t.host
        )));
    }
    if t.port == 0 {
        return Err(SshError::InvalidTarget(format!("port 0 for {}", t.host)));
    }
    Ok(())
}

/// The russh configuration of one hop: keepalives, no Nagle, host-key types on record for this
/// host preferred (so a host known by its RSA key is not asked for an unknown ed25519 one), and
/// the ciphers fastest on this machine first ([`super::ciphers`]).
fn client_config(known: &KnownHosts, hop: &SshTarget) -> client::Config {
    let mut preferred = russh::Preferred::default();
    match known.known_algorithms(&hop.host, hop.port) {
        Ok(on_record) if !on_record.is_empty() => {
            let same_type = |a: &Algorithm, b: &Algorithm| match (a, b) {
                (Algorithm::Rsa { .. }, Algorithm::Rsa { .. }) => true,
                _ => a == b,
            };
            let mut order: Vec<Algorithm> = preferred
                .key
                .iter()
                .filter(|a| on_record.iter().any(|k| same_type(k, a)))
                .cloned()
                .collect();
            for a in preferred.key.iter() {
                if !order.contains(a) {
                    order.push(a.clone());
                }
            }
            preferred.key = Cow::Owned(order);
        }
        Ok(_) => {}
        // The same error surfaces, with its path, when the key is checked.
        Err(e) => tracing::debug!("known hosts unreadable: {e}"),
    }
    // Host certificates, where a CA can check them or nothing is on record (`known_hosts.rs`).
    if let Ok(certificates) = known.certificate_algorithms(&hop.host, hop.port) {
        preferred.host_key_certificates = Cow::Owned(certificates);
    }
    super::ciphers::prefer_fastest(&mut preferred);
    client::Config {
        keepalive_interval: Some(hop.keepalive.unwrap_or(KEEPALIVE_INTERVAL)),
        keepalive_max: KEEPALIVE_MAX,
        nodelay: true,
        preferred,
        ..client::Config::default()
    }
}

/// Connects and authenticates one hop, directly or through `via`.
async fn connect_hop(
    hop: &SshTarget,
    via: Option<&Hop>,
    known: &KnownHosts,
    prompter: &Arc<dyn Prompter>,
    creds: &Credentials,
) -> Result<Hop, SshError> {
    let clock = PromptClock::new();
    let state = HopState::new();
    let known = &known.with_user_files(&hop.known_hosts_files);
    let handler = ClientHandler {
        host: hop.host.clone(),
        port: hop.port,
        policy: hop.host_key_policy,
        known: known.clone(),
        prompter: Arc::clone(prompter),
        clock: clock.clone(),
        state: Arc::clone(&state),
        accepted: None,
    };
    let config = Arc::new(client_config(known, hop));
    let transport_up = AtomicBool::new(false);
    let mut proxy: Option<ProxyChild> = None;
    let work = async {
        let mut handle = match via {
            None if hop.proxy_command.is_some() => {
                let command = hop.proxy_command.as_deref().unwrap_or_default();
                let (stream, child) = proxy_command::spawn(&hop.host, command)?;
                proxy = Some(child);
                transport_up.store(true, Ordering::SeqCst);
                client::connect_stream(config, stream, handler).await?
            }
            None => {
                let tcp = super::dial::dial(&hop.host, hop.port).await?;
                if let Err(e) = tcp.set_nodelay(true) {
                    tracing::debug!("set_nodelay: {e}");
                }
                // While russh's loop waits to write into a full send buffer on a dead link it
                // sends no keepalive, so the kernel must give up on unacknowledged data within
                // the same bound the keepalives promise.
                let interval = hop.keepalive.unwrap_or(KEEPALIVE_INTERVAL);
                super::dial::give_up_unacknowledged(&tcp, interval * (KEEPALIVE_MAX as u32 + 1));
                transport_up.store(true, Ordering::SeqCst);
                client::connect_stream(config, tcp, handler).await?
            }
            Some(prev) => {
                let channel = prev
                    .handle
                    .channel_open_direct_tcpip(
                        hop.host.as_str(),
                        u32::from(hop.port),
                        "127.0.0.1",
                        0,
                    )
                    .await
                    .map_err(|e| match e {
                        russh::Error::ChannelOpenFailure(why) => SshError::Unreachable {
                            host: hop.host.clone(),
                            port: hop.port,
                            reason: format!(
                                "the jump host {} could not connect ({why:?})",
                                prev.name
                            ),
                        },
                        other => SshError::from(other),
                    })?;
                transport_up.store(true, Ordering::SeqCst);
                client::connect_stream(config, channel.into_stream(), handler).await?
            }
        };
        Authenticator::new(&mut handle, hop, prompter, creds, &clock)
            .run()
            .await?;
        Ok::<_, SshError>(handle)
    };
    let outcome = clock.limit(hop.connect_timeout, work).await;
    let handle = match outcome {
        Ok(Ok(handle)) => handle,
        // A transport failure over a proxy command that ended is explained by the command.
        Ok(Err(e @ (SshError::Disconnected { .. } | SshError::Io(_) | SshError::Protocol(_)))) => {
            return Err(match proxy.take() {
                Some(child) => child.explain(&hop.host, e).await,
                None => e,
            })
        }
        Ok(Err(e)) => return Err(e),
        Err(()) => {
            return Err(SshError::Timeout {
                host: hop.host.clone(),
                port: hop.port,
                after: hop.connect_timeout,
                stage: if transport_up.load(Ordering::SeqCst) {
                    "key exchange and authentication"
                } else {
                    "connecting"
                },
            })
        }
    };
    Ok(Hop {
        handle,
        state,
        name: hop.display_name(),
        proxy,
    })
}
