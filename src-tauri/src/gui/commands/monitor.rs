//! The monitoring panel's feeds.

use std::sync::Arc;

use outpost_protocol::monitor::{MonitorTarget, Sample};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use crate::engine::live::monitor_feed::{MonitorEvent, MonitorFeed, MonitorSink};
use crate::gui::error::CommandResult;
use crate::gui::state::AppState;

struct ChannelSink(Channel<MonitorEvent>);

impl MonitorSink for ChannelSink {
    fn event(&self, event: MonitorEvent) {
        if let Err(e) = self.0.send(event) {
            tracing::debug!("monitor channel closed: {e}");
        }
    }
}

/// A new feed: its id and the samples of the last 10 minutes.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Subscribed {
    /// Pass to `monitor_unsubscribe`.
    pub subscription_id: String,
    /// Oldest first.
    pub history: Vec<Sample>,
}

/// Samples `target` on `host` every `interval_ms`; later samples arrive on `samples`.
#[tauri::command(rename_all = "snake_case")]
pub async fn monitor_subscribe(
    state: State<'_, AppState>,
    host: String,
    target: MonitorTarget,
    interval_ms: u64,
    samples: Channel<MonitorEvent>,
) -> CommandResult<Subscribed> {
    let sink = Arc::new(ChannelSink(samples));
    let (feed, history) =
        MonitorFeed::start(state.hub.clone(), host, target, interval_ms, sink).await?;
    Ok(Subscribed {
        subscription_id: state.add_feed(feed),
        history,
    })
}

/// Ends a feed.
#[tauri::command(rename_all = "snake_case")]
pub async fn monitor_unsubscribe(
    state: State<'_, AppState>,
    subscription_id: String,
) -> CommandResult<()> {
    state.remove_feed(&subscription_id);
    Ok(())
}
