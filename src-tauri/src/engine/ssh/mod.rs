//! The desktop's SSH layer, on `russh`: connect to a host (through ProxyJump hosts), verify its
//! key, authenticate, run commands and open streams for the agent's JSON-RPC and SFTP.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use outpost_desktop::engine::ssh::known_hosts::KnownHosts;
//! # use outpost_desktop::engine::ssh::*;
//! # async fn demo() -> Result<(), SshError> {
//! let known = KnownHosts::default_paths(std::path::Path::new("/home/me/.config/outpost"));
//! let creds = Credentials::new(); // keep it: reconnects reuse what worked
//! let prompter = Arc::new(AutoPrompter::new().accept_new_host_key(true));
//! let mut target = SshTarget::new("db.internal", "alice");
//! target.proxy_jump.push(SshTarget::new("bastion.example.com", "alice"));
//! let session = SshSession::connect(&target, &known, prompter, &creds).await?;
//! let out = session.exec("uname -sm", None).await?;
//! let agent = session.exec_stream("~/.local/share/outpost/agent/0.1.0/outpost-agent serve --stdio").await?;
//! tokio::select! {
//!     () = session.closed() => { /* link dead: reconnect */ }
//!     // … use `agent` …
//! }
//! # drop((out, agent)); Ok(()) }
//! ```
//!
//! | piece | file |
//! |---|---|
//! | [`SshTarget`], [`AgentSource`], [`HostKeyPolicy`], keepalive and timeout constants | `config.rs` |
//! | [`Prompter`], [`AutoPrompter`], the questions and answers | `prompt.rs` |
//! | [`Credentials`]: secrets that worked, in memory only | `credentials.rs` |
//! | host-key check (russh `Handler`), liveness signal | `handler.rs` |
//! | agent forwarding: which local agent, refused unless asked for, relayed byte for byte | `agent_forward.rs` |
//! | authentication order: agent, key files, password, keyboard-interactive | `auth.rs` |
//! | [`SshSession::connect`], ProxyJump hops, [`SshSession::closed`] | `connect.rs` |
//! | the ciphers offered: AES-GCM first where the CPU has AES instructions | `ciphers.rs` |
//! | a hop over a `ProxyCommand`'s stdin/stdout, its stderr and exit | `proxy_command.rs` |
//! | the first hop's TCP connection, failures told apart (refused, name, route) | `dial.rs` |
//! | [`SshSession::exec`], [`ChannelStream`], subsystems | `channel.rs` |
//! | connect timeout that stops at prompts | `clock.rs` |
//! | [`SshError`] and its codes | `error.rs` |
//! | host-key trust: `~/.ssh/known_hosts` and Outpost's own file | `known_hosts.rs` |
//! | host certificates: `@cert-authority` checks, [`host_cert::CertificateProblem`] | `host_cert.rs` |
//! | user certificates: `CertificateFile`, `<key>-cert.pub` | `user_cert.rs` |
//!
//! Security rules kept here: nothing is sent to a server before its host key is trusted (the
//! check runs inside key exchange; a changed key is refused with both fingerprints, an unknown
//! one is put to the [`Prompter`]); secrets live only in memory ([`Credentials`], zeroized);
//! `~/.ssh/known_hosts` is never written.

mod agent_forward;
mod auth;
mod channel;
mod ciphers;
mod clock;
mod config;
mod connect;
mod credentials;
mod dial;
mod error;
mod handler;
pub mod host_cert;
pub mod known_hosts;
mod prompt;
mod proxy_command;
mod user_cert;

pub use agent_forward::agent_to_forward;
pub use channel::{ChannelExit, ChannelExitWatch, ChannelStream, ExecOutput, STDERR_TAIL};
pub use config::{
    current_user, AgentSource, HostKeyPolicy, SshTarget, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_IDENTITY_FILES, KEEPALIVE_INTERVAL, KEEPALIVE_MAX,
};
pub use connect::SshSession;
pub use credentials::Credentials;
pub use error::SshError;
pub use prompt::{
    visible, visible_lines, AutoPrompter, BoxFuture, HostKeyDecision, HostKeyQuestion, Prompter,
    SecretKind, SecretPrompt,
};
