//! The Outpost agent: a JSON-RPC server on stdio ([`rpc`]) in front of per-session daemons
//! ([`daemon`]) that own the terminals and outlive every agent.
//!
//! `main.rs` only parses the command line; everything else lives in these modules.

pub mod clock;
pub mod daemon;
pub mod host;
pub mod logging;
pub mod monitor;
pub mod paths;
pub mod record;
pub mod rpc;
pub mod sessions;
pub mod socket;
pub mod ssh_hosts;

/// `outpost-agent <semver> protocol <N>`, as printed by `--version`.
pub fn version_line() -> String {
    format!(
        "outpost-agent {} protocol {}",
        env!("CARGO_PKG_VERSION"),
        outpost_protocol::PROTOCOL_VERSION
    )
}
