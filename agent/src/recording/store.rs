//! The agent's side of recordings: listing the recordings directory and reading a file in
//! bounded chunks (`recording.list`, `recording.read`).
//!
//! Only names that pass [`valid_recording_name`] are listed or opened, so no path ever leaves
//! the directory; a file is opened `O_NOFOLLOW` and must be a regular file of this user.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use outpost_protocol::recording::{
    parse_recording_name, stamp_rfc3339, valid_recording_name, RecordingInfo, RecordingListResult,
    RecordingReadResult, MAX_RECORDINGS_LISTED, MAX_RECORDING_READ,
};
use outpost_protocol::{Base64Bytes, ErrorCode, ErrorObject};

/// How much of a file's end is read to find its last event's time.
const TAIL_BYTES: u64 = 64 * 1024;

fn invalid(message: impl Into<String>) -> ErrorObject {
    ErrorObject::new(ErrorCode::InvalidParams, message)
}

/// The recordings in `dir` (of `session_id` when given), oldest first, the newest
/// [`MAX_RECORDINGS_LISTED`]. A missing directory holds none.
pub fn list(dir: &Path, session_id: Option<&str>) -> Result<RecordingListResult, ErrorObject> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(RecordingListResult::default())
        }
        Err(e) => {
            return Err(ErrorObject::new(
                ErrorCode::InternalError,
                format!("cannot list {}: {e}", dir.display()),
            ))
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| {
            parse_recording_name(n).is_some_and(|(_, id, _)| session_id.is_none_or(|s| s == id))
        })
        .collect();
    names.sort();
    let truncated = names.len() > MAX_RECORDINGS_LISTED;
    let skip = names.len().saturating_sub(MAX_RECORDINGS_LISTED);
    let recordings = names
        .into_iter()
        .skip(skip)
        .filter_map(|name| describe(dir, name))
        .collect();
    Ok(RecordingListResult {
        recordings,
        truncated,
    })
}

/// One file's description (`None` when it is not a regular file any more).
fn describe(dir: &Path, name: String) -> Option<RecordingInfo> {
    let (stamp, id, _) = parse_recording_name(&name)?;
    let (started, session_id) = (stamp_rfc3339(stamp), id.to_string());
    let mut file = open(dir, &name).ok()?;
    let bytes = file.metadata().ok()?.len();
    Some(RecordingInfo {
        duration_ms: last_event_ms(&mut file, bytes),
        name,
        session_id,
        bytes,
        started,
    })
}

/// The time of the file's last event, read from its last line.
fn last_event_ms(file: &mut File, len: u64) -> Option<u64> {
    let from = len.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(from)).ok()?;
    let mut tail = Vec::new();
    file.take(TAIL_BYTES).read_to_end(&mut tail).ok()?;
    let body = tail.strip_suffix(b"\n")?;
    let start = match body.iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        // The whole last line must be in view.
        None if from == 0 => 0,
        None => return None,
    };
    let line = body[start..].strip_prefix(b"[")?;
    let end = line.iter().position(|&b| b == b',')?;
    let secs: f64 = std::str::from_utf8(&line[..end])
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).round() as u64)
}

/// Opens a recording for reading: no links, a regular file owned by this user.
fn open(dir: &Path, name: &str) -> std::io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(dir.join(name))?;
    let meta = file.metadata()?;
    if !meta.file_type().is_file() || meta.uid() != nix::unistd::getuid().as_raw() {
        return Err(std::io::Error::other("not a regular file of this user"));
    }
    Ok(file)
}

/// Up to `max` bytes of the recording `name` from `offset`.
pub fn read(
    dir: &Path,
    name: &str,
    offset: u64,
    max: u64,
) -> Result<RecordingReadResult, ErrorObject> {
    if !valid_recording_name(name) {
        return Err(invalid(format!(
            "{:?} is not a recording name (as recording.list gives them)",
            name.chars().take(80).collect::<String>()
        )));
    }
    if max == 0 || max > MAX_RECORDING_READ {
        return Err(invalid(format!("max must be 1..={MAX_RECORDING_READ}")));
    }
    let mut file = open(dir, name).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => invalid(format!("no recording named {name}")),
        _ => ErrorObject::new(
            ErrorCode::InternalError,
            format!("cannot open recording {name}: {e}"),
        ),
    })?;
    let io = |e: std::io::Error| {
        ErrorObject::new(
            ErrorCode::InternalError,
            format!("cannot read recording {name}: {e}"),
        )
    };
    let size = file.metadata().map_err(io)?.len();
    let mut data = Vec::new();
    if offset < size {
        file.seek(SeekFrom::Start(offset)).map_err(io)?;
        file.take(max).read_to_end(&mut data).map_err(io)?;
    }
    Ok(RecordingReadResult {
        offset,
        data: Base64Bytes(data),
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn durations_come_from_the_last_line() {
        let t = tempfile::tempdir().unwrap();
        let name = "20261204T183421123Z-abc-0001.cast";
        let mut f = std::fs::File::create(t.path().join(name)).unwrap();
        write!(
            f,
            "{{\"version\":2}}\n[0.5,\"o\",\"a\"]\n[2.25,\"o\",\"b\"]\n"
        )
        .unwrap();
        let l = list(t.path(), Some("abc")).unwrap();
        assert_eq!(l.recordings.len(), 1);
        assert_eq!(l.recordings[0].duration_ms, Some(2250));
        assert_eq!(l.recordings[0].started, "2026-12-04T18:34:21.123Z");
        assert!(list(t.path(), Some("other")).unwrap().recordings.is_empty());
        let r = read(t.path(), name, 1, 8).unwrap();
        assert_eq!(r.data.0, b"\"version");
        assert_eq!(
            read(t.path(), "../x", 0, 8).unwrap_err().code,
            ErrorCode::InvalidParams.code()
        );
    }
}
