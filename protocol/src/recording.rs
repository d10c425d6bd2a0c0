//! Recordings: a session's output written by its daemon as an asciicast v2 file, and the
//! `session.record`, `recording.list` and `recording.read` methods.
//!
//! A recording's name is `<YYYYMMDD>T<HHMMSSmmm>Z-<session_id>-<part>.cast` (UTC, four-digit
//! part), so names sort by time and say which session they belong to. [`valid_recording_name`]
//! is the one check of that grammar: a name that does not match (a path, `..`, anything else) is
//! refused with `invalid_params` (-32602). See docs/recordings.md.

use serde::{Deserialize, Serialize};

use crate::bytes::Base64Bytes;
use crate::session::valid_session_id;

/// The default size of one recording file before a new one is started: 64 MiB.
pub const DEFAULT_RECORDING_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The file sizes `session.record` accepts for `max_bytes`: 64 KiB to 1 GiB.
pub const RECORDING_MAX_BYTES_RANGE: std::ops::RangeInclusive<u64> = 64 * 1024..=1024 * 1024 * 1024;

/// The most files kept per session: starting another removes the session's oldest.
pub const DEFAULT_RECORDINGS_KEPT: u32 = 8;

/// The numbers of files `session.record` accepts for `keep`.
pub const RECORDINGS_KEPT_RANGE: std::ops::RangeInclusive<u32> = 1..=1000;

/// The most entries `recording.list` returns (the newest are kept).
pub const MAX_RECORDINGS_LISTED: usize = 1000;

/// The most bytes `recording.read` returns in one call: 1 MiB.
pub const MAX_RECORDING_READ: u64 = 1024 * 1024;

/// The longest recording name, in bytes.
pub const MAX_RECORDING_NAME: usize = 64;

/// `session.record` params: start or stop recording a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordParams {
    /// The session's id.
    pub session_id: String,
    /// Start (true) or stop (false). Starting while recording changes nothing but `input`.
    pub on: bool,
    /// Also record what clients type ("i" events). Off by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub input: bool,
    /// Start a new file once one reaches this size; see [`RECORDING_MAX_BYTES_RANGE`]. Default
    /// [`DEFAULT_RECORDING_MAX_BYTES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<u64>,
    /// Keep at most this many of the session's files; see [`RECORDINGS_KEPT_RANGE`]. Default
    /// [`DEFAULT_RECORDINGS_KEPT`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep: Option<u32>,
}

/// `session.record` result.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordResult {
    /// The file being written now (`None` once stopped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
}

/// `recording.list` params.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingListParams {
    /// Only this session's recordings (it need not exist any more).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// One recording file.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingInfo {
    /// The file's name; see [`valid_recording_name`].
    pub name: String,
    /// The session it records.
    pub session_id: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// When it started, RFC 3339 (UTC, milliseconds).
    pub started: String,
    /// The time of its last event in milliseconds, when the file's last line says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

/// `recording.list` result.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingListResult {
    /// The recordings, oldest first (at most [`MAX_RECORDINGS_LISTED`], the newest).
    pub recordings: Vec<RecordingInfo>,
    /// Whether older recordings were left out.
    #[serde(default)]
    pub truncated: bool,
}

/// `recording.read` params: a chunk of a recording file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingReadParams {
    /// The file's name, as `recording.list` gave it.
    pub name: String,
    /// The first byte wanted.
    pub offset: u64,
    /// The most bytes wanted, 1..=[`MAX_RECORDING_READ`].
    pub max: u64,
}

/// `recording.read` result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingReadResult {
    /// The offset of `data`'s first byte (the offset asked for).
    pub offset: u64,
    /// The bytes, base64 (empty at or past the end).
    pub data: Base64Bytes,
    /// The file's size when read (it may still grow while the session records).
    pub size: u64,
}

/// Whether `name` is a recording name: `<8 digits>T<9 digits>Z-<session id>-<4 digits>.cast`.
/// Nothing else (no `/`, no `..`, no other file) passes.
pub fn valid_recording_name(name: &str) -> bool {
    parse_recording_name(name).is_some()
}

/// The parts of a recording name: `(timestamp "YYYYMMDDTHHMMSSmmmZ", session_id, part)`.
pub fn parse_recording_name(name: &str) -> Option<(&str, &str, u32)> {
    if name.len() > MAX_RECORDING_NAME || !name.is_ascii() {
        return None;
    }
    let stem = name.strip_suffix(".cast")?;
    let (stamp, rest) = stem.split_at_checked(19)?;
    let b = stamp.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..8) && b[8] == b'T' && digits(9..18) && b[18] == b'Z') {
        return None;
    }
    let rest = rest.strip_prefix('-')?;
    let (id, part) = rest.rsplit_once('-')?;
    if !valid_session_id(id) || part.len() != 4 || !part.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((stamp, id, part.parse().ok()?))
}

/// The RFC 3339 form of a name's timestamp: `20261204T183421123Z` → `2026-12-04T18:34:21.123Z`.
pub fn stamp_rfc3339(stamp: &str) -> String {
    let s = stamp;
    if s.len() != 19 || !s.is_ascii() {
        return String::new();
    }
    format!(
        "{}-{}-{}T{}:{}:{}.{}Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13],
        &s[13..15],
        &s[15..18]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let n = "20261204T183421123Z-abc123-0001.cast";
        assert_eq!(
            parse_recording_name(n),
            Some(("20261204T183421123Z", "abc123", 1))
        );
        assert_eq!(
            stamp_rfc3339("20261204T183421123Z"),
            "2026-12-04T18:34:21.123Z"
        );
        for bad in [
            "",
            "../20261204T183421123Z-abc123-0001.cast",
            "20261204T183421123Z-abc123-0001.cast/..",
            "20261204T183421123Z-ABC-0001.cast",
            "20261204T183421123Z-abc123-001.cast",
            "20261204T183421123Z-abc123-0001.json",
            "20261204X183421123Z-abc123-0001.cast",
            "20261204T183421123Z--0001.cast",
            "20261204T183421123Z-a/b-0001.cast",
            "..",
            "é0261204T183421123Z-abc123-0001.cast",
        ] {
            assert!(!valid_recording_name(bad), "{bad:?} passed");
        }
    }
}
