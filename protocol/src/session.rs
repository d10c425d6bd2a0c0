//! Terminal sessions: their description ([`SessionInfo`]) and the params and results of every
//! `session.*` method.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bytes::Base64Bytes;

/// The smallest and largest terminal dimension accepted, in cells.
pub const SIZE_RANGE: std::ops::RangeInclusive<u16> = 1..=1000;

/// The default scrollback kept per session: 2 MiB.
pub const DEFAULT_SCROLLBACK_BYTES: u64 = 2 * 1024 * 1024;

/// The scrollback sizes a session may ask for: 64 KiB to 256 MiB.
pub const SCROLLBACK_RANGE: std::ops::RangeInclusive<u64> = 64 * 1024..=256 * 1024 * 1024;

/// The most `session.read` returns in one call: 1 MiB.
pub const MAX_READ_BYTES: u64 = 1024 * 1024;

/// The most bytes a client puts in one `session.input`: 1 MiB, whose base64 keeps the line well
/// under [`MAX_LINE_BYTES`](crate::MAX_LINE_BYTES). Longer input (a large paste) is sent as
/// several, in order.
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// What runs inside a session.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// A login shell (or a chosen program) on the agent's host.
    Shell,
    /// OpenSSH's `ssh` from the agent's host to a target behind it.
    Ssh,
}

/// Whether the session's process still runs.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// The process runs.
    Running,
    /// The process has exited; its output stays readable until the session is closed.
    Exited,
}

/// Everything a client needs to show a session.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The session's id: 1 to 32 characters of `[a-z0-9]`.
    pub session_id: String,
    /// What runs inside.
    pub kind: SessionKind,
    /// A title for people.
    pub title: String,
    /// Running or exited.
    pub state: SessionState,
    /// The exit code, once exited normally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The signal that ended the process, once exited by a signal (e.g. `"KILL"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_signal: Option<String>,
    /// The process id of the session's child (the shell).
    pub pid: u32,
    /// When the session was created, RFC 3339.
    pub created_at: String,
    /// Terminal width in cells.
    pub cols: u16,
    /// Terminal height in cells.
    pub rows: u16,
    /// The oldest output offset still held.
    pub output_start: u64,
    /// The offset of the next output byte (total bytes produced so far).
    pub output_end: u64,
    /// How many clients are attached right now (across all agents).
    pub attached_clients: u32,
    /// The scrollback capacity in bytes.
    #[serde(default)]
    pub scrollback_bytes: u64,
    /// For `ssh` sessions: the target as asked, `[user@]host[:port]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// For `ssh` sessions: the state of the SSH connection, read from its ControlMaster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkState>,
    /// The title the program set last (OSC 0 or 2): control characters removed, at most
    /// [`MAX_TERMINAL_TITLE_CHARS`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_title: Option<String>,
    /// The working directory the shell reported last (OSC 7 `file://host/path`, percent-decoded):
    /// control characters removed, at most [`MAX_CWD_BYTES`] bytes. For a running `shell`
    /// session whose shell reports none, the foreground process's directory read from `/proc`
    /// when listed (not pushed by `session.changed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// For `shell` sessions: the name of the terminal's foreground process (its process group
    /// leader's `comm`) when it is not the shell itself, e.g. `"vim"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreground: Option<String>,
    /// The last non-blank line of the screen, at most [`MAX_PREVIEW_CHARS`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
}

/// The longest [`SessionInfo::terminal_title`], in characters.
pub const MAX_TERMINAL_TITLE_CHARS: usize = 256;

/// The longest [`SessionInfo::cwd`], in bytes.
pub const MAX_CWD_BYTES: usize = 4096;

/// The longest [`SessionInfo::preview`], in characters.
pub const MAX_PREVIEW_CHARS: usize = 200;

/// The longest [`SessionInfo::foreground`] name, in characters.
pub const MAX_FOREGROUND_CHARS: usize = 64;

/// The largest screen snapshot ([`AttachResult::snapshot`]) in bytes: a bigger one (a huge
/// screen full of attribute changes) is not sent, and the attach falls back to bytes.
pub const MAX_SNAPSHOT_BYTES: usize = 1024 * 1024;

/// The state of an `ssh` session's connection to its target.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// `ssh` runs but has not authenticated yet (or is reconnecting).
    Connecting,
    /// The ControlMaster answers: the connection is up.
    Up,
    /// The connection is lost (waiting to reconnect, or given up).
    Down,
}

/// Where an `ssh` session connects, run as OpenSSH's `ssh` on the agent's host.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshSpec {
    /// The target: a host name, address or `~/.ssh/config` alias on the agent's host.
    pub host: String,
    /// The port (`-p`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The user (`-l`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// A private key file on the agent's host (`-i`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_file: Option<String>,
    /// Extra OpenSSH options, each passed as `-o Name=value`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    /// A command to run instead of the remote login shell (passed to the remote shell as typed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_command: Option<String>,
    /// Forward the agent onward to the target (`ForwardAgent`), pointing at the agent's relay
    /// socket: the forwarded agent of whichever desktop is attached. Off unless asked for.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forward_agent: bool,
}

impl SshSpec {
    /// The target as asked: `[user@]host[:port]`.
    pub fn target(&self) -> String {
        let mut t = String::new();
        if let Some(u) = &self.user {
            t.push_str(u);
            t.push('@');
        }
        t.push_str(&self.host);
        if let Some(p) = self.port {
            t.push(':');
            t.push_str(&p.to_string());
        }
        t
    }
}

/// When an `ssh` session's connection is lost (`ssh` exits with 255), start `ssh` again in the same
/// session with exponential backoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconnectPolicy {
    /// Attempts in a row before giving up, 1..=1000.
    #[serde(default = "ReconnectPolicy::default_attempts")]
    pub max_attempts: u32,
    /// The first delay, 0..=600000 ms.
    #[serde(default = "ReconnectPolicy::default_initial")]
    pub initial_delay_ms: u64,
    /// The longest delay, initial_delay_ms..=600000 ms.
    #[serde(default = "ReconnectPolicy::default_max")]
    pub max_delay_ms: u64,
}

impl ReconnectPolicy {
    fn default_attempts() -> u32 {
        10
    }
    fn default_initial() -> u64 {
        1000
    }
    fn default_max() -> u64 {
        30_000
    }

    /// The delay before attempt `n` (1-based): doubling from the initial delay, capped.
    pub fn delay_ms(&self, n: u32) -> u64 {
        let shift = n.saturating_sub(1).min(30);
        self.initial_delay_ms
            .saturating_mul(1u64 << shift)
            .min(self.max_delay_ms)
    }
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self {
            max_attempts: Self::default_attempts(),
            initial_delay_ms: Self::default_initial(),
            max_delay_ms: Self::default_max(),
        }
    }
}

/// What to run in a `shell` session instead of the user's login shell.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShellSpec {
    /// The program (absolute path or a name looked up in `PATH`). Default: the user's login shell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// Its arguments (argv, never parsed by a shell).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
}

/// `session.create` params.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateParams {
    /// The session kind.
    pub kind: SessionKind,
    /// Terminal width, 1..=1000.
    pub cols: u16,
    /// Terminal height, 1..=1000.
    pub rows: u16,
    /// A title; defaults to the program's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The working directory; defaults to the user's home.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Extra environment variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Scrollback capacity in bytes; see [`SCROLLBACK_RANGE`]. Default 2 MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrollback_bytes: Option<u64>,
    /// For `shell` sessions: the program to run instead of the login shell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<ShellSpec>,
    /// For `ssh` sessions: where to connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<SshSpec>,
    /// For `ssh` sessions: reconnect when the connection is lost (off when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect: Option<ReconnectPolicy>,
    /// Record the session from its first byte to an asciicast file (as `session.record`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub record: bool,
    /// With `record`: also record what clients type.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub record_input: bool,
    /// This session's own default for [`AttachParams::max_stall_ms`]: how long an attached
    /// client that does not say may stop reading before it no longer holds the program back, in
    /// ms ([`MAX_STALL_MS_RANGE`]; default [`DEFAULT_MAX_STALL_MS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_stall_ms: Option<u64>,
}

/// `session.create` result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateResult {
    /// The new session.
    pub session: SessionInfo,
}

/// `session.list` params (none yet).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListParams {}

/// `session.list` result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListResult {
    /// Every session of this user on this host, oldest first.
    pub sessions: Vec<SessionInfo>,
}

/// Params naming one session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRef {
    /// The session's id.
    pub session_id: String,
}

/// `session.attach` params.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachParams {
    /// The session's id.
    pub session_id: String,
    /// Replay from this offset; default: all that is held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_offset: Option<u64>,
    /// How to bring the client's terminal up to date; default [`Restore::Bytes`].
    #[serde(default, skip_serializing_if = "Restore::is_bytes")]
    pub restore: Restore,
    /// How long this client may stop reading output while it holds the program back, in ms
    /// ([`MAX_STALL_MS_RANGE`]; default the session's [`CreateParams::max_stall_ms`], else
    /// [`DEFAULT_MAX_STALL_MS`]; 0: never hold it back). While
    /// attached, the program waits rather than overwrite output this client has not received
    /// yet; after this long without reading, the client is skipped ahead instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_stall_ms: Option<u64>,
}

/// How long an attached client may stop reading before it no longer holds the program back
/// ([`AttachParams::max_stall_ms`]), by default.
pub const DEFAULT_MAX_STALL_MS: u64 = 10_000;

/// The allowed values of [`AttachParams::max_stall_ms`] (up to an hour).
pub const MAX_STALL_MS_RANGE: std::ops::RangeInclusive<u64> = 0..=3_600_000;

/// How `session.attach` brings a client's terminal up to date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Restore {
    /// Replay the held bytes from `from_offset` (those older than the ring are lost).
    #[default]
    Bytes,
    /// A [`ScreenSnapshot`] of the screen as it is now, then the bytes after it.
    Screen,
    /// Bytes when the ring holds everything from `from_offset` (0 when absent), else the
    /// snapshot and then the bytes after it.
    Auto,
}

impl Restore {
    /// Whether this is the default, [`Restore::Bytes`].
    pub fn is_bytes(&self) -> bool {
        *self == Restore::Bytes
    }
}

/// The terminal's state as escape sequences: written to an empty terminal, they reproduce the
/// screen as it stood after output byte `offset - 1` (primary and alternate screen, cursor
/// position and visibility, colours and attributes, input modes, title). Output from `offset` on
/// follows byte-exact. See docs/protocol.md, "Screen snapshots".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenSnapshot {
    /// The output offset the snapshot stands for: `session.output` continues from here.
    pub offset: u64,
    /// The escape sequences, base64; at most [`MAX_SNAPSHOT_BYTES`].
    pub data: Base64Bytes,
}

/// `session.attach` result. `session.output` notifications follow from `replay_from` on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttachResult {
    /// The session as it is now.
    pub session: SessionInfo,
    /// The offset of the first byte that will be sent.
    pub replay_from: u64,
    /// True when `from_offset` was older than the oldest byte held, so bytes were lost to the
    /// client (also with a snapshot: the bytes themselves were not sent).
    pub truncated: bool,
    /// With `restore` `"screen"`, or `"auto"` when the bytes were no longer all held: the screen
    /// as of `snapshot.offset` (equal to `replay_from`), to write before the output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<ScreenSnapshot>,
}

/// `session.changed` notification params: an attached session's title or working directory
/// changed (sent at most every [`CHANGED_MIN_INTERVAL_MS`]; absent fields are unknown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedParams {
    /// The session's id.
    pub session_id: String,
    /// The title, as in [`SessionInfo::terminal_title`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_title: Option<String>,
    /// The working directory, as in [`SessionInfo::cwd`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
}

/// A shell-integration prompt mark (OSC 133), as `session.marks` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptMarkKind {
    /// `A`: a prompt starts.
    PromptStart,
    /// `B`: the command line starts.
    CommandStart,
    /// `C`: the command's output starts.
    OutputStart,
    /// `D`: the command finished.
    CommandEnd,
}

/// One prompt mark with where it is in the output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptMark {
    /// The output offset of the mark's escape sequence.
    pub offset: u64,
    /// Which mark.
    pub kind: PromptMarkKind,
    /// For `command_end`: the exit status, when the shell gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
}

/// The most prompt marks a session keeps (the oldest go first).
pub const MAX_PROMPT_MARKS: usize = 1000;

/// `session.marks` result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarksResult {
    /// The marks held, oldest first (at most [`MAX_PROMPT_MARKS`]).
    pub marks: Vec<PromptMark>,
}

/// The shortest time between two `session.changed` notifications of one session to one client.
pub const CHANGED_MIN_INTERVAL_MS: u64 = 250;

/// `session.input` params (a request or a notification).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputParams {
    /// The session's id.
    pub session_id: String,
    /// The bytes to type, base64.
    pub data: Base64Bytes,
}

/// `session.resize` params.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResizeParams {
    /// The session's id.
    pub session_id: String,
    /// Width, 1..=1000.
    pub cols: u16,
    /// Height, 1..=1000.
    pub rows: u16,
}

/// The signals a client may send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Signal {
    /// SIGINT.
    #[serde(rename = "INT")]
    Int,
    /// SIGTERM.
    #[serde(rename = "TERM")]
    Term,
    /// SIGKILL.
    #[serde(rename = "KILL")]
    Kill,
    /// SIGHUP.
    #[serde(rename = "HUP")]
    Hup,
    /// SIGQUIT.
    #[serde(rename = "QUIT")]
    Quit,
}

/// `session.signal` params.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalParams {
    /// The session's id.
    pub session_id: String,
    /// The signal, sent to the terminal's foreground process group.
    pub signal: Signal,
}

/// `session.read` params.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadParams {
    /// The session's id.
    pub session_id: String,
    /// The first offset wanted.
    pub from_offset: u64,
    /// The most bytes wanted, 1..=1 MiB.
    pub max_bytes: u64,
}

/// `session.read` result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadResult {
    /// The offset of `data`'s first byte: `from_offset`, or the oldest byte held if that is later.
    pub offset: u64,
    /// The bytes, base64.
    pub data: Base64Bytes,
    /// The offset of the next byte the session will produce.
    pub output_end: u64,
}

/// The empty result of methods that only acknowledge.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// `session.output` notification params.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputParams {
    /// The session's id.
    pub session_id: String,
    /// The offset of `data`'s first byte.
    pub offset: u64,
    /// The output bytes, base64.
    pub data: Base64Bytes,
}

/// `session.exit` notification params.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitParams {
    /// The session's id.
    pub session_id: String,
    /// The exit code, when the process exited normally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The signal's name (e.g. `"KILL"`), when a signal ended it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
}

/// Whether a session id is well formed: 1 to 32 characters of `[a-z0-9]`.
pub fn valid_session_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids() {
        assert!(valid_session_id("a1b2"));
        assert!(!valid_session_id(""));
        assert!(!valid_session_id("../etc"));
        assert!(!valid_session_id("ABC"));
        assert!(!valid_session_id(&"a".repeat(33)));
    }

    #[test]
    fn targets_and_backoff() {
        let s = SshSpec {
            host: "db".into(),
            user: Some("ann".into()),
            port: Some(2222),
            ..Default::default()
        };
        assert_eq!(s.target(), "ann@db:2222");
        let p = ReconnectPolicy {
            max_attempts: 5,
            initial_delay_ms: 500,
            max_delay_ms: 3000,
        };
        assert_eq!(
            (1..=5).map(|n| p.delay_ms(n)).collect::<Vec<_>>(),
            vec![500, 1000, 2000, 3000, 3000]
        );
        let d: ReconnectPolicy = serde_json::from_str("{}").unwrap();
        assert_eq!(d, ReconnectPolicy::default());
    }

    #[test]
    fn create_rejects_unknown_fields() {
        let r = serde_json::from_str::<CreateParams>(
            r#"{"kind":"shell","cols":80,"rows":24,"colour":"red"}"#,
        );
        assert!(r.is_err());
    }
}
