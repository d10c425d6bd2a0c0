//! The forward tools' parameters (`forward_open`, `forward_list`, `forward_close`): typed,
//! bounded, and described for a language model (the doc comments become the JSON schemas'
//! descriptions).

use schemars::JsonSchema;
use serde::Deserialize;

/// The longest `spec` or `id` accepted, in bytes.
pub const MAX_SPEC_BYTES: usize = 300;

/// The most forwards one server keeps open at once.
pub const MAX_FORWARDS: usize = 64;

/// `forward_open`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenParams {
    /// The host the forward goes through, as `hosts_list` shows it (a saved SSH host, usually
    /// the jump host; `local` cannot forward).
    pub host: String,
    /// OpenSSH's spelling: `-L [BIND:]PORT:DEST:DPORT` (a port on this computer carried to
    /// DEST:DPORT as the host reaches it, e.g. `-L 8080:db:5432`) or `-D [BIND:]PORT` (a SOCKS5
    /// server on this computer whose connections the host makes, e.g. `-D 1080`). BIND
    /// defaults to 127.0.0.1; PORT 0 picks a free port (the result shows it).
    pub spec: String,
}

/// `forward_list`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only the forwards through this host. Omit for all.
    #[serde(default)]
    pub host: Option<String>,
}

/// `forward_close`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseParams {
    /// The forward's id as `forward_open` and `forward_list` show it (e.g.
    /// `L127.0.0.1:8080:db:5432`).
    pub id: String,
}
