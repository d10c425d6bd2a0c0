//! A monitoring panel's live feed of one target's samples, for a long-lived front end.
//!
//! [`MonitorFeed::start`] subscribes through the [`Hub`]'s shared connection and returns the
//! agent's history (the last 10 minutes) so a chart fills at once; later samples go to a
//! [`MonitorSink`]. When the connection drops the feed says so, reconnects with backoff and
//! subscribes again, forwarding only the samples newer than the last one delivered. Dropping
//! the feed ends the subscription.

use std::sync::Arc;

use outpost_protocol::method;
use outpost_protocol::monitor::{
    MonitorTarget, Sample, SampleParams, SubscribeParams, UnsubscribeParams,
};
use serde::Serialize;
use tokio::sync::mpsc;

use super::hub::Hub;
use super::reconnect::{BACKOFF_MAX, BACKOFF_START};
use super::rpc_client::RpcClient;
use super::EngineError;

/// What a monitoring panel is told.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MonitorEvent {
    /// A new sample (which may carry an `error` instead of figures).
    Sample {
        /// The sample.
        sample: Box<Sample>,
    },
    /// The feed is interrupted (connection lost); it resumes by itself.
    Error {
        /// Why, in plain words.
        message: String,
    },
    /// The target is gone (its session ended); no more samples will come.
    Closed,
}

/// Where a feed's samples go.
pub trait MonitorSink: Send + Sync + 'static {
    /// One event.
    fn event(&self, event: MonitorEvent);
}

/// A running feed; dropping it unsubscribes.
pub struct MonitorFeed {
    task: tokio::task::JoinHandle<()>,
}

struct Subscription {
    rpc: RpcClient,
    id: String,
    samples: mpsc::Receiver<SampleParams>,
}

async fn subscribe(
    hub: &Hub,
    host: &str,
    params: &SubscribeParams,
) -> Result<(Subscription, Vec<Sample>), EngineError> {
    let rpc = hub.rpc(host).await?;
    let result = rpc.call::<method::MonitorSubscribe>(params.clone()).await?;
    let samples = rpc.samples(&result.subscription_id);
    Ok((
        Subscription {
            rpc,
            id: result.subscription_id,
            samples,
        },
        result.history,
    ))
}

impl MonitorFeed {
    /// Subscribes to `target` on `host` every `interval_ms`; returns the feed and the history.
    pub async fn start(
        hub: Arc<Hub>,
        host: String,
        target: MonitorTarget,
        interval_ms: u64,
        sink: Arc<dyn MonitorSink>,
    ) -> Result<(MonitorFeed, Vec<Sample>), EngineError> {
        let params = SubscribeParams {
            target,
            interval_ms,
        };
        let (sub, history) = subscribe(&hub, &host, &params).await?;
        let last_at = history.last().map(|s| s.at).unwrap_or(0);
        let task = tokio::spawn(run(hub, host, params, sub, last_at, sink));
        Ok((MonitorFeed { task }, history))
    }
}

impl Drop for MonitorFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Unsubscribes when the task ends, including when it is aborted.
struct Unsubscribe(Option<(RpcClient, String)>);

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        if let Some((rpc, subscription_id)) = self.0.take() {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let _ = rpc
                        .call::<method::MonitorUnsubscribe>(UnsubscribeParams { subscription_id })
                        .await;
                });
            }
        }
    }
}

async fn run(
    hub: Arc<Hub>,
    host: String,
    params: SubscribeParams,
    first: Subscription,
    mut last_at: u64,
    sink: Arc<dyn MonitorSink>,
) {
    let mut sub = first;
    loop {
        let mut guard = Unsubscribe(Some((sub.rpc.clone(), sub.id.clone())));
        while let Some(s) = sub.samples.recv().await {
            last_at = last_at.max(s.sample.at);
            sink.event(MonitorEvent::Sample {
                sample: Box::new(s.sample),
            });
        }
        // The route closed: the connection is gone, and the subscription with it.
        guard.0 = None;
        let mut backoff = BACKOFF_START;
        sub = loop {
            sink.event(MonitorEvent::Error {
                message: format!("lost the connection to {host}; reconnecting"),
            });
            tokio::time::sleep(backoff).await;
            match subscribe(&hub, &host, &params).await {
                Ok((next, history)) => {
                    let since = last_at;
                    for sample in history.into_iter().filter(|s| s.at > since) {
                        last_at = sample.at;
                        sink.event(MonitorEvent::Sample {
                            sample: Box::new(sample),
                        });
                    }
                    break next;
                }
                Err(e) if e.is_permanent() => {
                    sink.event(MonitorEvent::Closed);
                    return;
                }
                Err(e) => tracing::debug!(host = %host, "monitor resubscribe failed: {e}"),
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
        };
    }
}
