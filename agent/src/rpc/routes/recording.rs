//! `session.record` (asks the session's daemon to start or stop writing its recording) and
//! `recording.list` / `recording.read` (the agent reads the recordings directory itself, so
//! recordings of closed sessions stay reachable). See [`crate::recording`].

use outpost_protocol::method::{RecordingList, RecordingRead, SessionRecord};
use outpost_protocol::recording::{
    RecordParams, RecordResult, RecordingListParams, RecordingListResult, RecordingReadParams,
    RecordingReadResult,
};
use outpost_protocol::{ErrorCode, ErrorObject};

use super::{Context, Handler};
use crate::daemon::frames::{DaemonReply, DaemonRequest};
use crate::recording::store;
use crate::registry::check_id;

fn internal(message: String) -> ErrorObject {
    ErrorObject::new(ErrorCode::InternalError, message)
}

impl Handler for SessionRecord {
    async fn handle(cx: &Context, p: RecordParams) -> Result<RecordResult, ErrorObject> {
        check_id(&p.session_id)?;
        let req = DaemonRequest::Record {
            on: p.on,
            input: p.input,
            max_bytes: p.max_bytes,
            keep: p.keep,
        };
        match cx.registry.conn(&p.session_id).await?.request(req).await? {
            DaemonReply::Recording { name } => Ok(RecordResult { recording: name }),
            other => Err(internal(format!("unexpected daemon reply {other:?}"))),
        }
    }
}

impl Handler for RecordingList {
    async fn handle(
        cx: &Context,
        p: RecordingListParams,
    ) -> Result<RecordingListResult, ErrorObject> {
        if let Some(id) = &p.session_id {
            check_id(id)?;
        }
        let dir = cx.registry.paths().recordings();
        tokio::task::spawn_blocking(move || store::list(&dir, p.session_id.as_deref()))
            .await
            .map_err(|e| internal(e.to_string()))?
    }
}

impl Handler for RecordingRead {
    async fn handle(
        cx: &Context,
        p: RecordingReadParams,
    ) -> Result<RecordingReadResult, ErrorObject> {
        let dir = cx.registry.paths().recordings();
        tokio::task::spawn_blocking(move || store::read(&dir, &p.name, p.offset, p.max))
            .await
            .map_err(|e| internal(e.to_string()))?
    }
}
