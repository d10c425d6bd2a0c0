//! Reaching a host's agent: find the binary for a platform, deploy it over SSH, start it (over
//! SSH or as a local child over pipes) and speak JSON-RPC to it.
//!
//! | piece | file |
//! |---|---|
//! | the agent binary for a platform (`$OUTPOST_AGENT_BIN`, beside the executable) | `bin.rs` |
//! | deployment: probe, upload, SHA-256 check, versioned install; starting an installed agent in one remote command | `deploy.rs` |
//! | the local agent ("This computer") over pipes | `local.rs` |
//! | opening a connection and the `initialize` handshake | `connect.rs` |
//! | the typed JSON-RPC client (calls, one-pass reading of lines) | `rpc_client.rs` |
//! | which view gets which notification; several views of one session | `routes.rs` |

pub mod bin;
pub mod connect;
pub mod deploy;
pub mod local;
pub mod routes;
pub mod rpc_client;
