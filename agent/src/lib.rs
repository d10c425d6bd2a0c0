//! The Outpost agent: a JSON-RPC server on stdio ([`rpc`]) in front of per-session daemons
//! ([`daemon`]) that own the terminals ([`terminal`]) and outlive every agent.
//!
//! Layers, top down: [`rpc`] parses requests and routes them; [`registry`] finds, starts and
//! talks to session daemons and [`monitor`] samples hosts, both sending what the client should
//! see through an [`outbound::Sink`]; [`daemon`], [`terminal`] and [`ssh`] run inside each
//! session daemon; [`relay`] keeps agent forwarding alive across connections. `main.rs` only
//! parses the command line.

pub mod background;
pub mod clock;
pub mod daemon;
pub mod exec;
pub mod forward;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod host;
pub mod logging;
pub mod monitor;
pub mod outbound;
pub mod paths;
pub mod recording;
pub mod registry;
pub mod relay;
pub mod rpc;
pub mod socket;
pub mod ssh;
pub mod terminal;

/// `outpost-agent <semver> protocol <N>`, as printed by `--version`.
pub fn version_line() -> String {
    format!(
        "outpost-agent {} protocol {}",
        env!("CARGO_PKG_VERSION"),
        outpost_protocol::PROTOCOL_VERSION
    )
}
