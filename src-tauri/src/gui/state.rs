//! What the window's commands share: the engine's [`Connections`], the prompt broker, and the live
//! attachments and monitoring feeds, each under an id the front end holds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::engine::live::attachment::Attachment;
use crate::engine::live::connections::Connections;
use crate::engine::live::monitor_feed::MonitorFeed;
use crate::engine::live::prompt_broker::PromptBroker;

/// The state behind every command.
pub struct AppState {
    /// Shared connections, one per host.
    pub hub: Arc<Connections>,
    /// Open questions to the user.
    pub prompts: Arc<PromptBroker>,
    attachments: Mutex<HashMap<String, Attachment>>,
    feeds: Mutex<HashMap<String, MonitorFeed>>,
    next_id: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    /// State over `hub`, asking the user through `prompts`.
    pub fn new(hub: Arc<Connections>, prompts: Arc<PromptBroker>) -> Self {
        AppState {
            hub,
            prompts,
            attachments: Mutex::default(),
            feeds: Mutex::default(),
            next_id: AtomicU64::new(1),
        }
    }

    fn id(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Keeps `a` and returns its id.
    pub fn add_attachment(&self, a: Attachment) -> String {
        let id = self.id("a");
        lock(&self.attachments).insert(id.clone(), a);
        id
    }

    /// Runs `f` on attachment `id`; false when there is none.
    pub fn with_attachment(&self, id: &str, f: impl FnOnce(&Attachment)) -> bool {
        lock(&self.attachments).get(id).map(f).is_some()
    }

    /// Removes attachment `id` (dropping it detaches).
    pub fn remove_attachment(&self, id: &str) -> Option<Attachment> {
        lock(&self.attachments).remove(id)
    }

    /// Keeps `feed` and returns its id.
    pub fn add_feed(&self, feed: MonitorFeed) -> String {
        let id = self.id("m");
        lock(&self.feeds).insert(id.clone(), feed);
        id
    }

    /// Removes feed `id` (dropping it unsubscribes).
    pub fn remove_feed(&self, id: &str) -> Option<MonitorFeed> {
        lock(&self.feeds).remove(id)
    }

    /// Detaches everything (the window is closing).
    pub fn clear(&self) {
        lock(&self.attachments).clear();
        lock(&self.feeds).clear();
    }
}
