//! Driving sessions from scripts and AI agents: `session.exec` (a command run in a session's
//! persistent shell, with its exit code), `session.exec_result`, `session.expect`, and
//! `exec.run` (a one-shot command without a terminal, on the agent's host or on an ssh session's
//! target through its ControlMaster). See docs/automation.md.
//!
//! Every list, string and size here is bounded by a constant of this module; values outside them
//! are refused with `invalid_params` (-32602). A shell not at its prompt answers `session_busy`
//! (-32009) and nothing is typed into it; an exec id the session does not hold answers
//! `exec_not_found` (-32010); an expect that sees no match in time answers `timed_out` (-32011);
//! a program `exec.run` cannot start answers `spawn_failed` (-32012).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bytes::Base64Bytes;
use crate::session::valid_session_id;

/// The default time `session.exec` and `exec.run` wait for the command: 30 s.
pub const DEFAULT_EXEC_TIMEOUT_MS: u64 = 30_000;

/// The timeouts `session.exec`, `exec.run` and `session.expect` accept: 1 ms to 24 h.
pub const EXEC_TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 1..=86_400_000;

/// The longest command `session.exec` types, in bytes (it may hold newlines).
pub const MAX_EXEC_COMMAND_BYTES: usize = 64 * 1024;

/// The default cap on the output text one result carries: 256 KiB.
pub const DEFAULT_EXEC_OUTPUT_BYTES: u64 = 256 * 1024;

/// The output caps `session.exec` and `exec.run` accept for `max_output` (per stream for
/// `exec.run`): 0 to 1 MiB. Output beyond the cap is not lost for `session.exec`: it stays in
/// the session's ring between `output_from` and `output_to`.
pub const EXEC_OUTPUT_RANGE: std::ops::RangeInclusive<u64> = 0..=1024 * 1024;

/// The exec results a session keeps for `session.exec_result` (the oldest go first).
pub const MAX_EXEC_RESULTS_KEPT: usize = 64;

/// The most patterns one `session.expect` waits for.
pub const MAX_EXPECT_PATTERNS: usize = 16;

/// The longest pattern, in bytes.
pub const MAX_EXPECT_PATTERN_BYTES: usize = 1024;

/// How far back a match may start from the newest output, in bytes: a pattern is matched within
/// a window of this much output (escape sequences removed) that slides as output arrives.
pub const EXPECT_WINDOW_BYTES: usize = 64 * 1024;

/// The most argv entries of `exec.run`.
pub const MAX_RUN_ARGS: usize = 4096;

/// The most environment variables of `exec.run`.
pub const MAX_RUN_ENV: usize = 256;

/// The most bytes `exec.run` feeds to the command's standard input: 1 MiB.
pub const MAX_RUN_STDIN_BYTES: usize = 1024 * 1024;

/// What `session.exec` does when its timeout passes before the command ends.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnTimeout {
    /// Answer with what was printed so far; the command goes on (`session.exec_result` later).
    #[default]
    Return,
    /// Interrupt the command (Ctrl-C to its process group), then answer once the shell is back.
    Interrupt,
}

/// `session.exec` params: run one command in a session's shell, as if typed at its prompt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecParams {
    /// The session's id.
    pub session_id: String,
    /// The command line, as typed (1..=[`MAX_EXEC_COMMAND_BYTES`] bytes, no NUL).
    pub command: String,
    /// How long to wait, in ms ([`EXEC_TIMEOUT_RANGE`]; default [`DEFAULT_EXEC_TIMEOUT_MS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// What to do when the timeout passes (default [`OnTimeout::Return`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_timeout: Option<OnTimeout>,
    /// The most output text to carry ([`EXEC_OUTPUT_RANGE`]; default
    /// [`DEFAULT_EXEC_OUTPUT_BYTES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output: Option<u64>,
}

/// `session.exec` and `session.exec_result` result.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecResult {
    /// The exec's id (see [`exec_id`]), for `session.exec_result`.
    pub exec_id: String,
    /// The command's exit status; `None` while it still runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The command's output as text: escape sequences removed, invalid UTF-8 replaced, `\r\n`
    /// as `\n`, at most `max_output` bytes (the first ones; see `truncated`).
    pub output: String,
    /// The output offset where the command's output starts.
    pub output_from: u64,
    /// The output offset where it ends (so far, while it runs).
    pub output_to: u64,
    /// The output text was cut at `max_output`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// Time from typing the command to its end (or to now, while it runs), in ms.
    pub duration_ms: u64,
    /// The timeout passed before the command ended.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    /// The shell's working directory after the command, when the shell reported it (OSC 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
}

/// `session.exec_result` params.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecResultParams {
    /// An id a `session.exec` answered with.
    pub exec_id: String,
    /// The most output text to carry (as in [`ExecParams::max_output`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output: Option<u64>,
}

/// An exec's id: the session's id, `.`, and the exec's number in that session (from 1).
pub fn exec_id(session_id: &str, number: u64) -> String {
    format!("{session_id}.{number}")
}

/// The session id and number of an exec id; `None` when it is not one.
pub fn parse_exec_id(id: &str) -> Option<(&str, u64)> {
    let (session, number) = id.split_once('.')?;
    let valid_number = !number.is_empty()
        && number.len() <= 20
        && number.bytes().all(|b| b.is_ascii_digit())
        && !number.starts_with('0');
    if !valid_session_id(session) || !valid_number {
        return None;
    }
    Some((session, number.parse().ok()?))
}

/// `session.expect` params: wait until a session's output matches one of the patterns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectParams {
    /// The session's id.
    pub session_id: String,
    /// Match output from this offset on (default: output arriving after the call; an offset no
    /// longer held starts at the oldest held byte).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_offset: Option<u64>,
    /// Regular expressions (Rust `regex` syntax), 1..=[`MAX_EXPECT_PATTERNS`], each at most
    /// [`MAX_EXPECT_PATTERN_BYTES`]; matched against the output with escape sequences removed.
    pub patterns: Vec<String>,
    /// How long to wait, in ms ([`EXEC_TIMEOUT_RANGE`]).
    pub timeout_ms: u64,
}

/// `session.expect` result: the first match.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectResult {
    /// Which pattern matched (its index in `patterns`).
    pub pattern: u32,
    /// The matched text (escape sequences removed).
    pub matched: String,
    /// The output offset where the match starts.
    pub offset: u64,
    /// The output offset just after the match: an expect that goes on from here sees only
    /// later output.
    pub end_offset: u64,
}

/// What `exec.run` runs: exactly one of `argv` and `shell`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunParams {
    /// The program and its arguments (1..=[`MAX_RUN_ARGS`] entries, no NUL), run without a shell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argv: Option<Vec<String>>,
    /// A command line run by `sh -c` (the caller asked for a shell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<String>,
    /// The working directory (default: the user's home).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Environment variables added to the agent's (names `[A-Za-z_][A-Za-z0-9_]*`, at most
    /// [`MAX_RUN_ENV`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Bytes for standard input, base64 (at most [`MAX_RUN_STDIN_BYTES`]); none: `/dev/null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<Base64Bytes>,
    /// How long to wait before killing the command, in ms ([`EXEC_TIMEOUT_RANGE`]; default
    /// [`DEFAULT_EXEC_TIMEOUT_MS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// The most bytes kept of each of stdout and stderr ([`EXEC_OUTPUT_RANGE`]; default
    /// [`DEFAULT_EXEC_OUTPUT_BYTES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output: Option<u64>,
    /// Run on this ssh session's target through its ControlMaster instead of the agent's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<RunTarget>,
}

impl RunParams {
    /// Runs `argv` (the program, then its arguments) without a shell, on the agent's host,
    /// with every other field at its default.
    pub fn argv<S: Into<String>>(argv: impl IntoIterator<Item = S>) -> RunParams {
        RunParams {
            argv: Some(argv.into_iter().map(Into::into).collect()),
            shell: None,
            cwd: None,
            env: BTreeMap::new(),
            stdin: None,
            timeout_ms: None,
            max_output: None,
            target: None,
        }
    }
}

/// Where `exec.run` runs when not on the agent's host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunTarget {
    /// An `ssh` session whose ControlMaster carries the command.
    pub session_id: String,
}

/// `exec.run` result.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunResult {
    /// The exit status, when the command exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The signal that ended it, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// Standard output, base64 (at most `max_output` bytes).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub stdout: Base64Bytes,
    /// Standard error, base64 (at most `max_output` bytes).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub stderr: Base64Bytes,
    /// Standard output went past `max_output` (the rest was read and dropped).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stdout_truncated: bool,
    /// Standard error went past `max_output`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stderr_truncated: bool,
    /// The timeout passed and the command was killed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    /// Time from start to exit, in ms.
    pub duration_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_ids_round_trip_and_refuse_others() {
        let id = exec_id("abc123", 7);
        assert_eq!(id, "abc123.7");
        assert_eq!(parse_exec_id(&id), Some(("abc123", 7)));
        for bad in [
            "",
            "abc",
            "abc.",
            ".1",
            "ABC.1",
            "abc.01",
            "abc.-1",
            "abc.1.2",
            "a/b.1",
            "abc.99999999999999999999",
        ] {
            assert_eq!(parse_exec_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_argv_run_is_the_argv_alone_on_the_wire() {
        let p = RunParams::argv(["ls", "-l"]);
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({ "argv": ["ls", "-l"] })
        );
    }
}
