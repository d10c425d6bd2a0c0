//! Wire types of Outpost: the one source of truth for every message that crosses between the desktop
//! and the agent.
//!
//! The transport is JSON-RPC 2.0 with one JSON object per line (see [`codec`]). Every method has a
//! marker type implementing [`Method`] that ties its name to its `Params` and `Result` types, so a
//! client can call `client.call::<method::SessionCreate>(params)` and a server can dispatch on
//! [`Method::NAME`]. Notifications the agent sends are the [`Notification`] enum.
//!
//! Compatibility rules: field names are `snake_case` everywhere; new fields are added as `Option`
//! or `#[serde(default)]` so older peers still parse; [`PROTOCOL_VERSION`] is bumped only for
//! incompatible changes. The golden files in `protocol/tests/golden/` pin the exact JSON.

pub mod bytes;
pub mod codec;
pub mod error;
pub mod exec;
pub mod files;
pub mod forward;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod incoming;
pub mod initialize;
pub mod jsonrpc;
pub mod method;
pub mod monitor;
pub mod notification;
pub mod output;
pub mod recording;
pub mod session;
pub mod ssh_hosts;
#[cfg(feature = "text")]
pub mod text;

pub use bytes::Base64Bytes;
pub use error::{ErrorCode, ErrorObject};
pub use jsonrpc::{Message, RequestId};
pub use method::Method;
pub use notification::Notification;

/// The protocol version spoken by this build. Bumped only for backwards-incompatible changes.
pub const PROTOCOL_VERSION: u32 = 1;

/// The longest line (one JSON-RPC message, without its newline) either side accepts: 4 MiB.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;
