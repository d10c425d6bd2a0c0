//! `session.*`: validation, then the call into the session registry or the session's daemon.

use outpost_protocol::method::{
    SessionAttach, SessionClose, SessionCreate, SessionDetach, SessionInput, SessionList,
    SessionMarks, SessionRead, SessionResize, SessionSignal,
};
use outpost_protocol::session::{
    AttachParams, CreateParams, CreateResult, Empty, InputParams, ListParams, ListResult,
    MarksResult, ReadParams, ReadResult, ResizeParams, SessionRef, SignalParams,
};
use outpost_protocol::{ErrorCode, ErrorObject, RequestId};

use super::{Context, Handler, Responder};
use crate::daemon::frames::{DaemonReply, DaemonRequest};
use crate::outbound::Sink;
use crate::registry::{check_id, check_size};

/// Types into a session, in order with every other input. With `wait`, returns the daemon's
/// verdict; without, returns once queued.
pub(super) async fn input(cx: &Context, p: InputParams, wait: bool) -> Result<(), ErrorObject> {
    let conn = cx.registry.conn(&p.session_id).await?;
    conn.input(p.data.into_inner(), wait).await
}

impl Handler for SessionInput {
    async fn handle(cx: &Context, p: InputParams) -> Result<Empty, ErrorObject> {
        input(cx, p, true).await.map(|()| Empty {})
    }
}

impl Handler for SessionCreate {
    async fn handle(cx: &Context, p: CreateParams) -> Result<CreateResult, ErrorObject> {
        let session = cx.registry.create(p).await?;
        Ok(CreateResult { session })
    }
}

impl Handler for SessionList {
    async fn handle(cx: &Context, _: ListParams) -> Result<ListResult, ErrorObject> {
        Ok(ListResult {
            sessions: cx.registry.list().await,
        })
    }
}

/// The daemon connection answers attach itself, in order with the output it announces.
impl Responder for SessionAttach {
    async fn respond(cx: &Context, id: RequestId, p: AttachParams) {
        let attached = match cx.registry.conn(&p.session_id).await {
            Ok(conn) => conn.attach(id.clone(), &p).await,
            Err(e) => Err(e),
        };
        if let Err(e) = attached {
            cx.out.error(Some(id), e).await;
        }
    }
}

impl Handler for SessionDetach {
    async fn handle(cx: &Context, p: SessionRef) -> Result<Empty, ErrorObject> {
        cx.registry.conn(&p.session_id).await?.detach().await?;
        Ok(Empty {})
    }
}

impl Handler for SessionResize {
    async fn handle(cx: &Context, p: ResizeParams) -> Result<Empty, ErrorObject> {
        check_size(p.cols, p.rows)?;
        let req = DaemonRequest::Resize {
            cols: p.cols,
            rows: p.rows,
        };
        cx.registry.conn(&p.session_id).await?.request(req).await?;
        Ok(Empty {})
    }
}

impl Handler for SessionSignal {
    async fn handle(cx: &Context, p: SignalParams) -> Result<Empty, ErrorObject> {
        let req = DaemonRequest::Signal { signal: p.signal };
        cx.registry.conn(&p.session_id).await?.request(req).await?;
        Ok(Empty {})
    }
}

impl Handler for SessionRead {
    async fn handle(cx: &Context, p: ReadParams) -> Result<ReadResult, ErrorObject> {
        check_id(&p.session_id)?;
        let req = DaemonRequest::Read {
            from_offset: p.from_offset,
            max_bytes: p.max_bytes,
        };
        match cx.registry.conn(&p.session_id).await?.request(req).await? {
            DaemonReply::Read {
                offset,
                data,
                output_end,
            } => Ok(ReadResult {
                offset,
                data,
                output_end,
            }),
            other => Err(ErrorObject::new(
                ErrorCode::InternalError,
                format!("unexpected daemon reply {other:?}"),
            )),
        }
    }
}

impl Handler for SessionMarks {
    async fn handle(cx: &Context, p: SessionRef) -> Result<MarksResult, ErrorObject> {
        check_id(&p.session_id)?;
        let conn = cx.registry.conn(&p.session_id).await?;
        match conn.request(DaemonRequest::Marks).await? {
            DaemonReply::Marks { marks } => Ok(MarksResult { marks }),
            other => Err(ErrorObject::new(
                ErrorCode::InternalError,
                format!("unexpected daemon reply {other:?}"),
            )),
        }
    }
}

impl Handler for SessionClose {
    async fn handle(cx: &Context, p: SessionRef) -> Result<Empty, ErrorObject> {
        cx.registry.close(&p.session_id).await?;
        Ok(Empty {})
    }
}
