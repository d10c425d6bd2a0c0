//! Port forwards through a host (usually the jump host): `-L` (a desktop port to a destination
//! the host reaches) and `-D` (a SOCKS5 server on the desktop whose destinations the host
//! reaches), each accepted connection carried by its own `direct-tcpip` channel on the host's
//! SSH connection; `-R` (a port on the host whose connections come back as `forwarded-tcpip`
//! channels to a destination the desktop reaches); and agent-owned `-L` forwards, whose
//! destination the host's agent keeps as a private Unix socket (reached by a
//! `direct-streamlocal` channel) that outlives the desktop.
//! Listeners stay bound while the link is lost and made again.
//!
//! | piece | file |
//! |---|---|
//! | [`ForwardSpec`]: `-L`/`-D`/`-R` spellings (and agent-owned `-L`), checks, ids | `spec.rs` |
//! | [`ForwardError`] and its codes (`port_in_use`, `unreachable`, …) | `error.rs` |
//! | binding (port in use told apart), the accept loop, waiting for the link | `listener.rs` |
//! | the channel per connection and the counted byte pumps | `relay.rs` |
//! | agent-owned forwards: `forward.open`, `forward.list`, `forward.close` on the host's agent | `agent.rs` |
//! | `-R`: asking the host to listen, serving its channels, cancelling | `remote.rs` |
//! | which `forwarded-tcpip` channels a connection accepts (those it asked for) | `permit.rs` |
//! | SOCKS5 (`fast-socks5`), names resolved on the host | `socks.rs` |
//! | counters per forward | `stats.rs` |
//! | connect, and keep connected with the engine's `Backoff` | `link.rs` |
//! | start (bind, connect, check destinations) and run (serve, status, close requests) | `run.rs` |
//! | saved forwards per host (`forwards.json`, 0600) | `saved.rs` |
//! | saved local ports of agent-owned forwards per host (in `forwards.json`) | `agent_saved.rs` |
//! | those saved ports served again in the window: at start and after each reconnect | `agent_restore.rs` |
//! | a front end's own forwards, added and closed one at a time over one link per host | `manager.rs` |
//! | running processes' status files, read by `outpost forward list` | `status.rs` |

pub mod agent;
pub mod agent_restore;
pub mod agent_saved;
pub mod error;
pub mod link;
pub mod listener;
pub mod manager;
pub mod permit;
pub mod relay;
pub mod remote;
pub mod run;
pub mod saved;
pub mod socks;
pub mod spec;
pub mod stats;
pub mod status;

pub use error::ForwardError;
pub use spec::ForwardSpec;
