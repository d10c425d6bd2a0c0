//! The desktop's engine, built and tested without a window. The CLI and the GUI are thin layers
//! over it; the GUI's long-lived pieces live here too, so they are tested without a window.
//!
//! | folder | what it holds |
//! |---|---|
//! | [`ssh`] | SSH on `russh`: connect through jump hosts, host keys (`known_hosts`), authentication, channels |
//! | [`agent`] | the agent: binary lookup, deployment, the local agent, connecting, the JSON-RPC client |
//! | [`store`] | what is kept on disk: configuration directory, saved hosts, window state, `~/.ssh/config` import |
//! | [`live`] | long-lived views: shared connections, following a session, tabs, monitoring feeds, prompts |

pub mod agent;
pub mod live;
pub mod ssh;
pub mod store;

use std::path::PathBuf;
use std::sync::Arc;

/// What every connection needs: where the configuration lives, which host keys are trusted,
/// who answers prompts, and the secrets that worked so far (in memory only).
#[derive(Clone)]
pub struct EngineContext {
    /// The configuration directory (`hosts.json`, Outpost's `known_hosts`).
    pub config_dir: PathBuf,
    /// Trusted host keys.
    pub known_hosts: Arc<ssh::known_hosts::KnownHosts>,
    /// Answers host-key questions and secret prompts.
    pub prompter: Arc<dyn ssh::Prompter>,
    /// Secrets that worked, for reconnecting without asking again.
    pub credentials: Arc<ssh::Credentials>,
}

impl EngineContext {
    /// A context over `config_dir` with the default known-hosts files.
    pub fn new(config_dir: PathBuf, prompter: Arc<dyn ssh::Prompter>) -> Self {
        EngineContext {
            known_hosts: Arc::new(ssh::known_hosts::KnownHosts::default_paths(&config_dir)),
            config_dir,
            prompter,
            credentials: Arc::new(ssh::Credentials::new()),
        }
    }
}

/// What can go wrong in the engine, with a stable code for JSON output.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Saved hosts could not be read or changed.
    #[error(transparent)]
    Hosts(#[from] store::hosts::HostsError),
    /// The configuration could not be read or written.
    #[error(transparent)]
    Config(#[from] store::config_dir::ConfigError),
    /// No agent binary for the host's platform.
    #[error(transparent)]
    NoAgentBinary(#[from] agent::bin::NoAgentBinary),
    /// The agent could not be started or spoke nonsense.
    #[error("{0}")]
    Agent(String),
    /// A call to the agent failed.
    #[error(transparent)]
    Rpc(#[from] agent::rpc_client::RpcError),
    /// Bad input from the user.
    #[error("{0}")]
    Usage(String),
    /// SSH failed (connection, host key, authentication).
    #[error(transparent)]
    Ssh(#[from] ssh::SshError),
    /// Deploying the agent failed.
    #[error("{0}")]
    Deploy(String),
    /// The window's saved state could not be read or written.
    #[error(transparent)]
    UiState(#[from] store::ui_state::UiStateError),
}

impl EngineError {
    /// Whether retrying cannot help a long-lived view of a session: the session is gone, the
    /// request is invalid, or the user must act first (host keys, credentials, configuration).
    /// Lost connections, timeouts and agent start-up failures are worth retrying.
    pub fn is_permanent(&self) -> bool {
        use outpost_protocol::ErrorCode;
        match self {
            EngineError::Rpc(agent::rpc_client::RpcError::Remote(o)) => {
                o.code == ErrorCode::SessionNotFound.code()
                    || o.code == ErrorCode::InvalidParams.code()
            }
            EngineError::Rpc(_) | EngineError::Agent(_) => false,
            EngineError::Ssh(e) => !e.is_transient(),
            _ => true,
        }
    }

    /// Whether the connection to the agent went away (closed, or stopped answering): the view
    /// was working and should reconnect at once.
    pub fn is_lost_link(&self) -> bool {
        matches!(
            self,
            EngineError::Rpc(
                agent::rpc_client::RpcError::Closed | agent::rpc_client::RpcError::Timeout { .. }
            )
        )
    }

    /// A stable, machine-readable code.
    pub fn code(&self) -> String {
        match self {
            EngineError::Hosts(store::hosts::HostsError::NotFound(_)) => "host_not_found".into(),
            EngineError::Hosts(store::hosts::HostsError::Exists(_)) => "host_exists".into(),
            EngineError::Hosts(store::hosts::HostsError::Invalid(_)) => "invalid".into(),
            EngineError::Hosts(store::hosts::HostsError::Config(_)) | EngineError::Config(_) => {
                "config".into()
            }
            EngineError::NoAgentBinary(_) => "no_agent_binary".into(),
            EngineError::Agent(_) => "agent".into(),
            EngineError::Rpc(agent::rpc_client::RpcError::Remote(e)) => format!("rpc_{}", -e.code),
            EngineError::Rpc(agent::rpc_client::RpcError::Closed) => "disconnected".into(),
            EngineError::Rpc(agent::rpc_client::RpcError::Timeout { .. }) => "timeout".into(),
            EngineError::Rpc(agent::rpc_client::RpcError::BadResult { .. }) => "protocol".into(),
            EngineError::Usage(_) => "usage".into(),
            EngineError::Ssh(e) => e.code().into(),
            EngineError::Deploy(_) => "deploy".into(),
            EngineError::UiState(_) => "ui_state".into(),
        }
    }
}
