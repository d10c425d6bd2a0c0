//! Outpost's desktop side: the [`engine`] (hosts, SSH, agent deployment, JSON-RPC client,
//! reconnection), built and tested without a window, and the `outpost` command line ([`cli`]).

pub mod cli;
pub mod engine;
