//! A host's session recordings (asciicast v2 files the agent keeps, see docs/recordings.md):
//! listing them, reading one whole in bounded `recording.read` chunks, and exporting one to a
//! local file. Used by `outpost recordings` and the window's replay; both go through the typed
//! [`RpcClient`].

use std::io::Write;
use std::path::Path;

use outpost_protocol::method;
use outpost_protocol::recording::{
    RecordingInfo, RecordingListParams, RecordingReadParams, MAX_RECORDING_READ,
};

use crate::engine::agent::rpc_client::RpcClient;
use crate::engine::EngineError;

/// The largest recording [`read_all`] brings into memory (the window's replay): 256 MiB.
pub const MAX_LOADED_BYTES: u64 = 256 * 1024 * 1024;

/// The recordings on the agent's host (of one session when given), oldest first, and whether
/// older ones were left out.
pub async fn list(
    rpc: &RpcClient,
    session_id: Option<&str>,
) -> Result<(Vec<RecordingInfo>, bool), EngineError> {
    let r = rpc
        .call::<method::RecordingList>(RecordingListParams {
            session_id: session_id.map(str::to_string),
        })
        .await?;
    Ok((r.recordings, r.truncated))
}

/// Reads the recording `name` chunk by chunk from its start, handing each to `sink`, until the
/// end of the file as it stood when the read began (a file still being written may grow; what
/// came after is left for next time). Returns the bytes read; a failure of `sink` ends the
/// read with its error as a [`EngineError::Usage`].
pub async fn read_each(
    rpc: &RpcClient,
    name: &str,
    limit: u64,
    mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<u64, EngineError> {
    let mut offset = 0u64;
    let mut end: Option<u64> = None;
    loop {
        let want = end.map_or(MAX_RECORDING_READ, |e| {
            e.saturating_sub(offset).min(MAX_RECORDING_READ)
        });
        if want == 0 {
            return Ok(offset);
        }
        let r = rpc
            .call::<method::RecordingRead>(RecordingReadParams {
                name: name.to_string(),
                offset,
                max: want,
            })
            .await?;
        let end = *end.get_or_insert(r.size);
        if r.offset != offset {
            return Err(EngineError::Agent(format!(
                "recording.read answered offset {} for {offset}",
                r.offset
            )));
        }
        let data = r.data.into_inner();
        if data.is_empty() {
            return Ok(offset);
        }
        if offset + data.len() as u64 > limit {
            return Err(EngineError::Usage(format!(
                "recording {name} is larger than {limit} bytes"
            )));
        }
        sink(&data)
            .map_err(|e| EngineError::Usage(format!("cannot save recording {name}: {e}")))?;
        offset += data.len() as u64;
        if offset >= end {
            return Ok(offset);
        }
    }
}

/// The whole recording `name`, up to [`MAX_LOADED_BYTES`].
pub async fn read_all(rpc: &RpcClient, name: &str) -> Result<Vec<u8>, EngineError> {
    let mut out = Vec::new();
    read_each(rpc, name, MAX_LOADED_BYTES, |d| {
        out.extend_from_slice(d);
        std::io::Result::Ok(())
    })
    .await?;
    Ok(out)
}

/// Copies the recording `name` into the local file `file` (written beside it as
/// `<file>.part`, 0600, then renamed into place). Returns the bytes written.
pub async fn export(rpc: &RpcClient, name: &str, file: &Path) -> Result<u64, EngineError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut part = file.as_os_str().to_owned();
    part.push(".part");
    let part = std::path::PathBuf::from(part);
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&part)
        .map_err(|e| EngineError::Usage(format!("cannot create {}: {e}", part.display())))?;
    let copied = async {
        let n = read_each(rpc, name, u64::MAX, |d| out.write_all(d)).await?;
        out.sync_all()
            .and_then(|()| std::fs::rename(&part, file))
            .map_err(|e| EngineError::Usage(format!("cannot write {}: {e}", file.display())))?;
        Ok::<u64, EngineError>(n)
    }
    .await;
    if copied.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    copied
}
