//! The tools' parameters: typed, bounded, and described for a language model (the doc comments
//! become the JSON schemas' descriptions).

use std::collections::BTreeMap;

use outpost_protocol::session::Signal;
use schemars::JsonSchema;
use serde::Deserialize;

/// The most bytes `session_read` returns at once.
pub const MAX_READ_BYTES: u64 = 256 * 1024;

/// What `session_read` returns when `max_bytes` is not given.
pub const DEFAULT_READ_BYTES: u64 = 16 * 1024;

/// The longest `session_read` follow and `session_send` expect wait, in ms.
pub const MAX_WAIT_MS: u64 = 10 * 60 * 1000;

/// The longest text `session_send` types at once, in bytes.
pub const MAX_SEND_BYTES: usize = 64 * 1024;

/// The most expect/respond pairs of one `session_send`.
pub const MAX_EXPECT_PAIRS: usize = 16;

/// A host, for tools that act on one.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostParams {
    /// The host's name as `hosts_list` shows it (`local` is the computer the server runs on).
    pub host: String,
}

/// A session on a host.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionParams {
    /// The host's name.
    pub host: String,
    /// The session's id, from `sessions_list` or `session_open`.
    pub session_id: String,
}

/// `session_open`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenParams {
    /// The host's name.
    pub host: String,
    /// Open an SSH session from the host to this target, `[user@]host[:port]`, instead of a
    /// shell on the host itself. The target needs nothing installed.
    #[serde(default)]
    pub ssh: Option<String>,
    /// A title for people watching the session in the Outpost window.
    #[serde(default)]
    pub title: Option<String>,
    /// Terminal width in cells (default 120).
    #[serde(default)]
    pub cols: Option<u16>,
    /// Terminal height in cells (default 40).
    #[serde(default)]
    pub rows: Option<u16>,
}

/// `session_exec`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecParams {
    /// The host's name.
    pub host: String,
    /// The session's id (a shell session, or an ssh session to a target).
    pub session_id: String,
    /// The command line, typed at the shell's prompt as is (it may span lines).
    pub command: String,
    /// How long to wait for the command to end, in ms (default 30000). On timeout the result
    /// has `timed_out: true` and what was printed so far; the command goes on unless
    /// `interrupt_on_timeout` is set; fetch its final result with `session_exec_result`.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Send Ctrl-C to the command when the timeout passes.
    #[serde(default)]
    pub interrupt_on_timeout: bool,
    /// The most output text to return, in bytes (default 262144, at most 1048576).
    #[serde(default)]
    pub max_output: Option<u64>,
}

/// `session_exec_result`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecResultParams {
    /// The host's name.
    pub host: String,
    /// The `exec_id` a `session_exec` returned.
    pub exec_id: String,
    /// The most output text to return, in bytes.
    #[serde(default)]
    pub max_output: Option<u64>,
}

/// One expect/respond pair of `session_send`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectRespond {
    /// A regular expression (Rust regex syntax) to wait for in the output, e.g. `[Pp]assword:`.
    pub pattern: String,
    /// The text to type once it appears (never written to the audit log).
    pub respond: String,
    /// Press Enter after the response (default true).
    #[serde(default = "yes")]
    pub enter: bool,
}

fn yes() -> bool {
    true
}

/// `session_send`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendParams {
    /// The host's name.
    pub host: String,
    /// The session's id.
    pub session_id: String,
    /// Text to type, exactly as given (use "\u0003" for Ctrl-C, "\u001b" for Escape). May be
    /// empty when only expect/respond pairs are wanted.
    #[serde(default)]
    pub text: String,
    /// Press Enter after the text.
    #[serde(default)]
    pub enter: bool,
    /// Pairs handled in order after the text: wait for `pattern`, then type `respond`.
    #[serde(default)]
    pub expect: Vec<ExpectRespond>,
    /// How long to wait for each pattern, in ms (default 10000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// `session_read`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadParams {
    /// The host's name.
    pub host: String,
    /// The session's id.
    pub session_id: String,
    /// The output offset to start at; pass the previous call's `next_offset` to page on.
    /// Default: the last `max_bytes` of the output.
    #[serde(default)]
    pub from_offset: Option<u64>,
    /// The most bytes of output to return (default 16384, at most 262144).
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// When nothing is there yet at `from_offset`, wait up to this many ms for output.
    #[serde(default)]
    pub follow_ms: Option<u64>,
    /// Return the bytes as they are (escape sequences included) instead of plain text.
    #[serde(default)]
    pub raw: bool,
}

/// `session_expect`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectParams {
    /// The host's name.
    pub host: String,
    /// The session's id.
    pub session_id: String,
    /// Regular expressions (Rust regex syntax, 1 to 16); the first to match wins.
    pub patterns: Vec<String>,
    /// Match output from this offset on (default: only output arriving after the call).
    #[serde(default)]
    pub from_offset: Option<u64>,
    /// How long to wait, in ms.
    pub timeout_ms: u64,
}

/// The JSON schema of `session_interrupt`'s `signal` (the protocol's [`Signal`] names).
fn signal_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "enum": ["INT", "TERM", "KILL", "HUP", "QUIT"],
        "default": "INT",
        "description": "The signal sent to the terminal's foreground process group: INT (as Ctrl-C, the default), TERM, KILL, HUP or QUIT (as Ctrl-\\)."
    })
}

fn interrupt() -> Signal {
    Signal::Int
}

/// `session_interrupt`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InterruptParams {
    /// The host's name.
    pub host: String,
    /// The session's id.
    pub session_id: String,
    /// The signal sent to the terminal's foreground process group (default INT).
    #[serde(default = "interrupt")]
    #[schemars(schema_with = "signal_schema")]
    pub signal: Signal,
}

/// `session_close`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseParams {
    /// The host's name.
    pub host: String,
    /// The session's id.
    pub session_id: String,
    /// Leave the session running on its host (to come back to later, or for a person to
    /// watch) instead of ending it.
    #[serde(default)]
    pub leave_running: bool,
}

/// `exec_run`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunParams {
    /// The host's name.
    pub host: String,
    /// The program and its arguments, run without a shell (give this or `shell`).
    #[serde(default)]
    pub argv: Option<Vec<String>>,
    /// A command line run by `sh -c` (give this or `argv`).
    #[serde(default)]
    pub shell: Option<String>,
    /// The working directory (default: the user's home).
    #[serde(default)]
    pub cwd: Option<String>,
    /// Environment variables to add.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Text for standard input (default: none).
    #[serde(default)]
    pub stdin: Option<String>,
    /// Kill the command after this many ms (default 30000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// The most bytes kept of each of stdout and stderr (default 262144).
    #[serde(default)]
    pub max_output: Option<u64>,
    /// Run on the target of this ssh session (through its existing connection) instead of on
    /// the host.
    #[serde(default)]
    pub target_session_id: Option<String>,
}

/// A session of `group_exec`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupSession {
    /// The host's name.
    pub host: String,
    /// The session's id.
    pub session_id: String,
}

/// `group_exec`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupParams {
    /// Run as a one-shot command (`sh -c`, no terminal) on each of these hosts.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Run in each of these sessions' shells (cwd and environment kept per session).
    #[serde(default)]
    pub sessions: Vec<GroupSession>,
    /// The command line.
    pub command: String,
    /// How long to wait on each, in ms (default 30000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// `monitor_snapshot`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitorParams {
    /// The host's name.
    pub host: String,
    /// Sample this ssh session's target instead of the host.
    #[serde(default)]
    pub session_id: Option<String>,
}

/// `policy`: with only `host` (or nothing), shows the policy; otherwise changes it for the
/// life of this server, as far as the policy file allows.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyParams {
    /// The host whose rules change (`*` for every host). Without it, only tools can be
    /// enabled or disabled, everywhere.
    #[serde(default)]
    pub host: Option<String>,
    /// Make the host read-only (true) or not (false).
    #[serde(default)]
    pub read_only: Option<bool>,
    /// Regular expressions to add to the host's denied commands.
    #[serde(default)]
    pub add_deny_commands: Vec<String>,
    /// Patterns to remove from the host's denied commands.
    #[serde(default)]
    pub remove_deny_commands: Vec<String>,
    /// Tools to disable.
    #[serde(default)]
    pub disable_tools: Vec<String>,
    /// Tools to enable again.
    #[serde(default)]
    pub enable_tools: Vec<String>,
}

/// No parameters.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}
