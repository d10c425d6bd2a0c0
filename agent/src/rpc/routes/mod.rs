//! Typed routes: the handler of every method, keyed by the protocol's marker types
//! ([`outpost_protocol::method`]).
//!
//! [`Route::find`] turns a wire name into a [`Route`] once. Handlers are implemented on the
//! markers themselves, so each takes its method's own `Params` type and returns its own `Result`
//! type; parsing the params and sending the answer happen here, in one place. A [`Handler`]
//! returns its result; a [`Responder`] sends its own answer (`session.attach`, answered by the
//! daemon connection in order with the output; `monitor.subscribe`, whose samples start only
//! after the answer). One file per namespace: [`initialize`], [`session`], [`monitor`], [`ssh`],
//! [`recording`].

pub mod exec;
pub mod files;
pub mod forward;
pub mod initialize;
pub mod monitor;
pub mod recording;
pub mod run;
pub mod session;
pub mod ssh;

use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use outpost_protocol::jsonrpc::parse_params;
use outpost_protocol::method::{self, Method};
use outpost_protocol::{ErrorCode, ErrorObject, RequestId};
use serde::Serialize;
use serde_json::Value;

use crate::monitor::hub::Monitor;
use crate::outbound::{Sink, Writer};
use crate::registry::Registry;

/// What every handler can reach: one per client.
pub struct Context {
    /// This user's sessions.
    pub registry: Arc<Registry<Writer>>,
    /// The monitoring hub.
    pub monitor: Arc<Monitor<Writer>>,
    /// The client.
    pub out: Writer,
    /// Whether `initialize` has succeeded.
    pub initialized: AtomicBool,
}

impl Context {
    /// A context over `registry`, answering through `out`.
    pub fn new(registry: Arc<Registry<Writer>>, out: Writer) -> Context {
        Context {
            monitor: Monitor::new(registry.clone(), out.clone()),
            registry,
            out,
            initialized: AtomicBool::new(false),
        }
    }
}

/// A method whose answer is what its handler returns.
pub trait Handler: Method {
    /// Handles one request with its parsed params.
    fn handle(
        cx: &Context,
        params: Self::Params,
    ) -> impl Future<Output = Result<Self::Result, ErrorObject>> + Send;
}

/// A method whose handler sends its own answer (and everything it announces).
pub trait Responder: Method {
    /// Handles one request with its parsed params and answers `id`.
    fn respond(
        cx: &Context,
        id: RequestId,
        params: Self::Params,
    ) -> impl Future<Output = ()> + Send;
}

/// Every method this agent serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// [`method::Initialize`].
    Initialize,
    /// [`method::SessionCreate`].
    SessionCreate,
    /// [`method::SessionList`].
    SessionList,
    /// [`method::SessionAttach`].
    SessionAttach,
    /// [`method::SessionDetach`].
    SessionDetach,
    /// [`method::SessionInput`].
    SessionInput,
    /// [`method::SessionResize`].
    SessionResize,
    /// [`method::SessionSignal`].
    SessionSignal,
    /// [`method::SessionRead`].
    SessionRead,
    /// [`method::SessionClose`].
    SessionClose,
    /// [`method::SessionMarks`].
    SessionMarks,
    /// [`method::MonitorSnapshot`].
    MonitorSnapshot,
    /// [`method::MonitorSubscribe`].
    MonitorSubscribe,
    /// [`method::MonitorUnsubscribe`].
    MonitorUnsubscribe,
    /// [`method::SshHosts`].
    SshHosts,
    /// [`method::SessionRecord`].
    SessionRecord,
    /// [`method::RecordingList`].
    RecordingList,
    /// [`method::RecordingRead`].
    RecordingRead,
    /// [`method::SessionSshControl`].
    SessionSshControl,
    /// [`method::SessionExec`].
    SessionExec,
    /// [`method::SessionExecResult`].
    SessionExecResult,
    /// [`method::SessionExpect`].
    SessionExpect,
    /// [`method::ExecRun`].
    ExecRun,
    /// [`method::ForwardOpen`].
    ForwardOpen,
    /// [`method::ForwardList`].
    ForwardList,
    /// [`method::ForwardClose`].
    ForwardClose,
}

impl Route {
    /// The route of the method named `name` on the wire, if this agent serves it.
    pub fn find(name: &str) -> Option<Route> {
        use method::*;
        Some(match name {
            Initialize::NAME => Route::Initialize,
            SessionCreate::NAME => Route::SessionCreate,
            SessionList::NAME => Route::SessionList,
            SessionAttach::NAME => Route::SessionAttach,
            SessionDetach::NAME => Route::SessionDetach,
            SessionInput::NAME => Route::SessionInput,
            SessionResize::NAME => Route::SessionResize,
            SessionSignal::NAME => Route::SessionSignal,
            SessionRead::NAME => Route::SessionRead,
            SessionClose::NAME => Route::SessionClose,
            SessionMarks::NAME => Route::SessionMarks,
            MonitorSnapshot::NAME => Route::MonitorSnapshot,
            MonitorSubscribe::NAME => Route::MonitorSubscribe,
            MonitorUnsubscribe::NAME => Route::MonitorUnsubscribe,
            SshHosts::NAME => Route::SshHosts,
            SessionRecord::NAME => Route::SessionRecord,
            RecordingList::NAME => Route::RecordingList,
            RecordingRead::NAME => Route::RecordingRead,
            SessionSshControl::NAME => Route::SessionSshControl,
            SessionExec::NAME => Route::SessionExec,
            SessionExecResult::NAME => Route::SessionExecResult,
            SessionExpect::NAME => Route::SessionExpect,
            ExecRun::NAME => Route::ExecRun,
            ForwardOpen::NAME => Route::ForwardOpen,
            ForwardList::NAME => Route::ForwardList,
            ForwardClose::NAME => Route::ForwardClose,
            _ => return None,
        })
    }

    /// Whether requests of this route are handled in arrival order, before the next line is
    /// read: `initialize`, and `session.input` (input must never be reordered). Every other
    /// request runs in its own task.
    pub fn in_order(self) -> bool {
        matches!(self, Route::Initialize | Route::SessionInput)
    }

    /// Handles one request and sends its answer.
    pub async fn run(self, cx: &Context, id: RequestId, params: Option<Value>) {
        use method::*;
        match self {
            Route::Initialize => answer::<Initialize>(cx, id, params).await,
            Route::SessionCreate => answer::<SessionCreate>(cx, id, params).await,
            Route::SessionList => answer::<SessionList>(cx, id, params).await,
            Route::SessionAttach => respond::<SessionAttach>(cx, id, params).await,
            Route::SessionDetach => answer::<SessionDetach>(cx, id, params).await,
            Route::SessionInput => answer::<SessionInput>(cx, id, params).await,
            Route::SessionResize => answer::<SessionResize>(cx, id, params).await,
            Route::SessionSignal => answer::<SessionSignal>(cx, id, params).await,
            Route::SessionRead => answer::<SessionRead>(cx, id, params).await,
            Route::SessionClose => answer::<SessionClose>(cx, id, params).await,
            Route::SessionMarks => answer::<SessionMarks>(cx, id, params).await,
            Route::MonitorSnapshot => answer::<MonitorSnapshot>(cx, id, params).await,
            Route::MonitorSubscribe => respond::<MonitorSubscribe>(cx, id, params).await,
            Route::MonitorUnsubscribe => answer::<MonitorUnsubscribe>(cx, id, params).await,
            Route::SshHosts => answer::<SshHosts>(cx, id, params).await,
            Route::SessionRecord => answer::<SessionRecord>(cx, id, params).await,
            Route::RecordingList => answer::<RecordingList>(cx, id, params).await,
            Route::RecordingRead => answer::<RecordingRead>(cx, id, params).await,
            Route::SessionSshControl => answer::<SessionSshControl>(cx, id, params).await,
            Route::SessionExec => answer::<SessionExec>(cx, id, params).await,
            Route::SessionExecResult => answer::<SessionExecResult>(cx, id, params).await,
            Route::SessionExpect => answer::<SessionExpect>(cx, id, params).await,
            Route::ExecRun => answer::<ExecRun>(cx, id, params).await,
            Route::ForwardOpen => answer::<ForwardOpen>(cx, id, params).await,
            Route::ForwardList => answer::<ForwardList>(cx, id, params).await,
            Route::ForwardClose => answer::<ForwardClose>(cx, id, params).await,
        }
    }
}

/// `session.input` sent as a notification: typed in order, nobody told how it went.
pub async fn input_notification(cx: &Context, params: Option<Value>) {
    let typed = match parse_params(params) {
        Ok(p) => session::input(cx, p, false).await,
        Err(e) => Err(e),
    };
    if let Err(e) = typed {
        tracing::debug!("session.input notification failed: {e}");
    }
}

/// The JSON of a result.
pub(super) fn to_value<T: Serialize>(v: T) -> Result<Value, ErrorObject> {
    serde_json::to_value(v).map_err(|e| ErrorObject::new(ErrorCode::InternalError, e.to_string()))
}

/// Sends `r` as the answer to `id`.
pub(super) async fn send(cx: &Context, id: RequestId, r: Result<Value, ErrorObject>) {
    match r {
        Ok(v) => cx.out.result(id, v).await,
        Err(e) => cx.out.error(Some(id), e).await,
    }
}

async fn answer<M: Handler>(cx: &Context, id: RequestId, params: Option<Value>) {
    let r = match parse_params::<M::Params>(params) {
        Ok(p) => M::handle(cx, p).await,
        Err(e) => Err(e),
    };
    send(cx, id, r.and_then(to_value)).await;
}

async fn respond<M: Responder>(cx: &Context, id: RequestId, params: Option<Value>) {
    match parse_params::<M::Params>(params) {
        Ok(p) => M::respond(cx, id, p).await,
        Err(e) => cx.out.error(Some(id), e).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_method_has_a_route() {
        for name in method::ALL {
            assert!(Route::find(name).is_some(), "{name} has no route");
        }
        assert_eq!(Route::find("session.nope"), None);
        assert_eq!(Route::find("Initialize"), None);
    }

    #[test]
    fn only_initialize_and_input_run_in_order() {
        let in_order: Vec<&str> = method::ALL
            .iter()
            .copied()
            .filter(|n| Route::find(n).is_some_and(Route::in_order))
            .collect();
        assert_eq!(
            in_order,
            [method::Initialize::NAME, method::SessionInput::NAME]
        );
    }
}
