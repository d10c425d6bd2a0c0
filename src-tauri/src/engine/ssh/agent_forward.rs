//! Agent forwarding from the desktop: which local ssh-agent a host may use
//! ([`agent_to_forward`]: `ForwardAgent` as OpenSSH reads it, or the saved host's setting), the
//! per-connection permission ([`ForwardPermit`], given only when this connection asked sshd for
//! forwarding), and the answer to each `auth-agent@openssh.com` channel ([`answer`]): refused
//! unless permitted, otherwise relayed byte for byte to the local agent's socket.
//!
//! russh's default handler *accepts* every forwarding channel; [`ClientHandler`]
//! (super::handler) overrides it with [`answer`], so a server can never reach the desktop's
//! agent on a connection that did not ask for it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use russh::client::{ChannelOpenHandle, Msg};
use russh::{Channel, ChannelOpenFailure};
use tokio::net::UnixStream;

use super::config::AgentSource;

/// How long connecting to the local agent may take before the channel is refused.
const LOCAL_AGENT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The local agent socket to forward to a host, or `None` for no forwarding.
///
/// `forward_agent` is the effective `ForwardAgent` of the host's `ssh_config` (`yes`, `no`, a
/// socket path, or `$VAR` naming one), `saved` the saved host's own switch (forward even when the
/// configuration says `no`), `agent` the host's `IdentityAgent` ([`AgentSource`]). With `yes` (or
/// the switch) the agent forwarded is the one used for authentication: `IdentityAgent`, else
/// `SSH_AUTH_SOCK`; `IdentityAgent none` forwards nothing. `env` reads environment variables.
pub fn agent_to_forward(
    forward_agent: &str,
    saved: bool,
    agent: &AgentSource,
    env: impl Fn(&str) -> Option<String>,
) -> Option<PathBuf> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    match forward_agent {
        "yes" => {}
        "no" if saved => {}
        "no" | "" => return None,
        path => {
            return path
                .strip_prefix('$')
                .map_or(Some(PathBuf::from(path)), var)
        }
    }
    match agent {
        AgentSource::Env => var("SSH_AUTH_SOCK"),
        AgentSource::Socket(p) => Some(p.clone()),
        AgentSource::Disabled => None,
    }
}

/// Whether, and to which local socket, the server may open agent channels on one connection.
/// Empty until the desktop asks for forwarding on one of the connection's channels.
#[derive(Debug, Default)]
pub(crate) struct ForwardPermit {
    socket: Mutex<Option<PathBuf>>,
}

impl ForwardPermit {
    /// Permits agent channels on this connection, relayed to `socket`.
    pub(crate) fn allow(&self, socket: PathBuf) {
        if let Ok(mut s) = self.socket.lock() {
            *s = Some(socket);
        }
    }

    /// Takes the permission back (the server refused the request).
    pub(crate) fn revoke(&self) {
        if let Ok(mut s) = self.socket.lock() {
            *s = None;
        }
    }

    /// The socket to relay to, when permitted.
    pub(crate) fn socket(&self) -> Option<PathBuf> {
        self.socket.lock().ok().and_then(|s| s.clone())
    }
}

/// What to do with an agent channel the server opened.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Refuse it: this connection never asked for forwarding.
    NotRequested,
    /// Relay it to this local socket.
    RelayTo(PathBuf),
}

/// The decision for a new agent channel, from the connection's permit.
pub(crate) fn verdict(permit: &ForwardPermit) -> Verdict {
    match permit.socket() {
        None => Verdict::NotRequested,
        Some(p) => Verdict::RelayTo(p),
    }
}

/// Answers one `auth-agent@openssh.com` channel opened by `host`: refuses it unless permitted
/// (or when the local agent cannot be reached), otherwise accepts it and copies bytes both ways
/// between it and a new connection to the local agent, until either side closes.
pub(crate) async fn answer(
    channel: Channel<Msg>,
    reply: ChannelOpenHandle,
    permit: &ForwardPermit,
    host: &str,
) {
    let socket = match verdict(permit) {
        Verdict::NotRequested => {
            tracing::warn!(%host, "refused an agent-forwarding channel this connection did not ask for");
            reply
                .reject(ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return;
        }
        Verdict::RelayTo(p) => p,
    };
    let local = match connect_local(&socket).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(%host, socket = %socket.display(), "forwarded agent request: the local agent is unreachable: {e}");
            reply.reject(ChannelOpenFailure::ConnectFailed).await;
            return;
        }
    };
    reply.accept().await;
    let host = host.to_owned();
    tokio::spawn(async move {
        let mut remote = channel.into_stream();
        let mut local = local;
        match tokio::io::copy_bidirectional(&mut remote, &mut local).await {
            Ok((up, down)) => tracing::debug!(%host, up, down, "agent channel relayed"),
            Err(e) => tracing::debug!(%host, "agent channel ended: {e}"),
        }
    });
}

async fn connect_local(socket: &Path) -> std::io::Result<UnixStream> {
    tokio::time::timeout(LOCAL_AGENT_CONNECT_TIMEOUT, UnixStream::connect(socket))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "SSH_AUTH_SOCK" => Some("/run/desk/agent".into()),
            "OTHER_SOCK" => Some("/run/other".into()),
            _ => None,
        }
    }

    #[test]
    fn forwarding_is_opt_in_and_follows_identity_agent() {
        let p = |s: &str| Some(PathBuf::from(s));
        // Never by default.
        assert_eq!(agent_to_forward("no", false, &AgentSource::Env, env), None);
        // `ForwardAgent yes` or the saved switch: the authentication agent.
        assert_eq!(
            agent_to_forward("yes", false, &AgentSource::Env, env),
            p("/run/desk/agent")
        );
        assert_eq!(
            agent_to_forward("no", true, &AgentSource::Env, env),
            p("/run/desk/agent")
        );
        let own = AgentSource::Socket("/run/own".into());
        assert_eq!(agent_to_forward("yes", false, &own, env), p("/run/own"));
        assert_eq!(
            agent_to_forward("yes", true, &AgentSource::Disabled, env),
            None
        );
        assert_eq!(
            agent_to_forward("yes", false, &AgentSource::Env, |_| None),
            None
        );
        // A path or an environment variable, as OpenSSH allows.
        assert_eq!(
            agent_to_forward("/run/x", false, &AgentSource::Disabled, env),
            p("/run/x")
        );
        assert_eq!(
            agent_to_forward("$OTHER_SOCK", false, &AgentSource::Env, env),
            p("/run/other")
        );
        assert_eq!(
            agent_to_forward("$UNSET", false, &AgentSource::Env, env),
            None
        );
    }

    #[test]
    fn channels_the_connection_did_not_ask_for_are_refused() {
        let permit = ForwardPermit::default();
        assert_eq!(verdict(&permit), Verdict::NotRequested);
        permit.allow("/run/desk/agent".into());
        assert_eq!(verdict(&permit), Verdict::RelayTo("/run/desk/agent".into()));
        permit.revoke();
        assert_eq!(verdict(&permit), Verdict::NotRequested);
    }
}
