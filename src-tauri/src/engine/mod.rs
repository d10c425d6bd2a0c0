//! The desktop's engine, built and tested without a window. The CLI and the GUI are thin layers
//! over it; the GUI's long-lived pieces live here too, so they are tested without a window.
//!
//! | folder | what it holds |
//! |---|---|
//! | [`ssh`] | SSH on `russh`: connect through jump hosts, host keys (`known_hosts`), authentication, channels |
//! | [`agent`] | the agent: binary lookup, deployment, the local agent, connecting, the JSON-RPC client |
//! | [`store`] | what is kept on disk: configuration directory, saved hosts, window state, `~/.ssh/config` import |
//! | [`live`] | long-lived views: shared connections, following a session, tabs, monitoring feeds, prompts |
//! | [`forward`] | port forwards through a host: `-L`, SOCKS5 `-D`, saved per host, kept across reconnects |
//! | [`recordings`] | a host's session recordings: list, read in chunks, export |
//! | [`transfer`] | files on a host or a session's target: SFTP, `cp`/`ls`/`stat`/`mkdir`/`rm`/`mv` |
//! | [`automation`] | driving sessions: exec with exit codes, expect, one-shot runs, many hosts or sessions at once |
//!
//! Every failure is an [`EngineError`] with a stable code; [`error`] turns it into the
//! `{code, message, details}` data a front end receives ([`ErrorReport`]).

pub mod agent;
pub mod automation;
pub mod error;
pub mod forward;
pub mod live;
pub mod recordings;
pub mod ssh;
pub mod store;
pub mod transfer;

use std::path::PathBuf;
use std::sync::Arc;

pub use error::{EngineError, ErrorDetails, ErrorReport};

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
