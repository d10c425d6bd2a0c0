//! `monitor.*`: snapshots and subscriptions of the agent's host or an `ssh` session's target.

use outpost_protocol::method::{MonitorSnapshot, MonitorSubscribe, MonitorUnsubscribe};
use outpost_protocol::monitor::{
    MonitorTarget, SnapshotParams, SnapshotResult, SubscribeParams, UnsubscribeParams,
};
use outpost_protocol::session::Empty;
use outpost_protocol::{ErrorObject, RequestId};

use super::{send, to_value, Context, Handler, Responder};
use crate::outbound::Sink;
use crate::registry::check_id;

/// Checks a session target's id (-32602 when malformed).
fn check_target(target: &MonitorTarget) -> Result<(), ErrorObject> {
    match target {
        MonitorTarget::Session { session_id } => check_id(session_id),
        MonitorTarget::Agent => Ok(()),
    }
}

impl Handler for MonitorSnapshot {
    async fn handle(cx: &Context, p: SnapshotParams) -> Result<SnapshotResult, ErrorObject> {
        check_target(&p.target)?;
        let sample = cx.monitor.snapshot(p.target).await?;
        Ok(SnapshotResult { sample })
    }
}

/// Answered first; the subscription's samples start only after the answer.
impl Responder for MonitorSubscribe {
    async fn respond(cx: &Context, id: RequestId, p: SubscribeParams) {
        let subscribed = match check_target(&p.target) {
            Ok(()) => cx.monitor.subscribe(p.target, p.interval_ms).await,
            Err(e) => Err(e),
        };
        match subscribed {
            Ok((result, starter)) => {
                send(cx, id, to_value(result)).await;
                starter.start();
            }
            Err(e) => cx.out.error(Some(id), e).await,
        }
    }
}

impl Handler for MonitorUnsubscribe {
    async fn handle(cx: &Context, p: UnsubscribeParams) -> Result<Empty, ErrorObject> {
        cx.monitor.unsubscribe(&p.subscription_id)?;
        Ok(Empty {})
    }
}
