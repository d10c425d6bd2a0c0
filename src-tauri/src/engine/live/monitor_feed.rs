//! A monitoring panel's live feed of one target's samples, for a long-lived front end.
//!
//! [`MonitorFeed::start`] subscribes through the [`Connections`]'s shared connection and returns the
//! agent's history (the last 10 minutes) so a chart fills at once; later samples go to a
//! [`MonitorSink`]. The feed is a [`Follower`] over the shared connection: when the connection
//! drops it says so, reconnects with the shared backoff and subscribes again, forwarding only the
//! samples newer than the last one delivered. Dropping the feed ends the subscription.

use std::sync::Arc;
use std::time::Duration;

use outpost_protocol::method;
use outpost_protocol::monitor::{
    MonitorTarget, Sample, SampleParams, SubscribeParams, UnsubscribeParams,
};
use serde::Serialize;
use tokio::sync::mpsc;

use super::connections::Connections;
use super::follow::{follow, Follower, SharedLink, Step};
use crate::engine::agent::rpc_client::RpcClient;
use crate::engine::EngineError;

/// What a monitoring panel is told.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
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
    rpc: &RpcClient,
    params: &SubscribeParams,
) -> Result<(Subscription, Vec<Sample>), EngineError> {
    let result = rpc.call::<method::MonitorSubscribe>(params.clone()).await?;
    let samples = rpc.samples(&result.subscription_id);
    Ok((
        Subscription {
            rpc: rpc.clone(),
            id: result.subscription_id,
            samples,
        },
        result.history,
    ))
}

impl MonitorFeed {
    /// Subscribes to `target` on `host` every `interval_ms`; returns the feed and the history.
    pub async fn start(
        hub: Arc<Connections>,
        host: String,
        target: MonitorTarget,
        interval_ms: u64,
        sink: Arc<dyn MonitorSink>,
    ) -> Result<(MonitorFeed, Vec<Sample>), EngineError> {
        let params = SubscribeParams {
            target,
            interval_ms,
        };
        let (sub, history) = subscribe(&hub.rpc(&host).await?, &params).await?;
        let mut feed = Feed {
            host: host.clone(),
            params,
            last_at: history.last().map(|s| s.at).unwrap_or(0),
            first: Some(sub),
            sink,
        };
        let task = tokio::spawn(async move {
            let mut link = SharedLink::new(hub, host);
            // Only a permanent error ends the loop: the target is gone.
            if follow(&mut link, &mut feed).await.is_err() {
                feed.sink.event(MonitorEvent::Closed);
            }
        });
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

/// One panel's feed of one target.
struct Feed {
    host: String,
    params: SubscribeParams,
    /// The time of the last sample delivered.
    last_at: u64,
    /// The subscription made by [`MonitorFeed::start`], used by the first run.
    first: Option<Subscription>,
    sink: Arc<dyn MonitorSink>,
}

impl Feed {
    fn deliver(&mut self, sample: Sample) {
        self.last_at = self.last_at.max(sample.at);
        self.sink.event(MonitorEvent::Sample {
            sample: Box::new(sample),
        });
    }
}

impl Follower for Feed {
    type End = ();

    async fn run(&mut self, rpc: &RpcClient) -> Result<Step<()>, EngineError> {
        let mut sub = match self.first.take() {
            Some(sub) => sub,
            None => {
                let (sub, history) = subscribe(rpc, &self.params).await?;
                let since = self.last_at;
                for sample in history.into_iter().filter(|s| s.at > since) {
                    self.deliver(sample);
                }
                sub
            }
        };
        let mut guard = Unsubscribe(Some((sub.rpc.clone(), sub.id.clone())));
        while let Some(s) = sub.samples.recv().await {
            self.deliver(s.sample);
        }
        // The route closed: the connection is gone, and the subscription with it.
        guard.0 = None;
        Ok(Step::Lost(format!("lost the connection to {}", self.host)))
    }

    fn reconnecting(&mut self, _attempt: u32, _retry_in: Duration, _reason: &str) {
        self.sink.event(MonitorEvent::Error {
            message: format!("lost the connection to {}; reconnecting", self.host),
        });
    }

    async fn wait(&mut self, d: Duration) -> Option<()> {
        tokio::time::sleep(d).await;
        None
    }
}
