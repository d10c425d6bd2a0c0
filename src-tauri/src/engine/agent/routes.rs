//! Which view gets which notification on one agent connection.
//!
//! The agent keeps one attachment per session per connection. A window may show one session in
//! several tabs over its one shared connection, so the client multiplexes: every view of a session
//! has its own stream ([`SessionStream`]) and gets every `session.output` and `session.exit` of
//! that session. When a view attaches, the agent is asked to replay from the earliest offset any
//! view of the session still needs (views drop what they already have, by offset, with
//! [`Cursor`](crate::engine::live::follow::Cursor)); when the last view leaves, the agent is told
//! to detach. Attaches and detaches of the views are written to the agent in the order their
//! table changes, so a detach can never overtake a later attach.
//!
//! The first view of a session attaches with the `restore` its caller asks for (`"auto"`: when
//! the agent no longer holds the bytes it wants, it gets a screen snapshot in the attach result
//! and the bytes after it). A view joining a session other views already follow asks for bytes
//! only: a snapshot would move the shared attachment past bytes the others still need.
//! `session.changed` goes to every view of its session, never waiting on one.
//!
//! An output line is decoded only when some view of its session is attached, and only once.

use std::collections::HashMap;
use std::sync::Mutex;

use outpost_protocol::method;
use outpost_protocol::monitor::SampleParams;
use outpost_protocol::output::OutputRef;
use outpost_protocol::session::{ChangedParams, ExitParams, Restore, SessionRef};
use tokio::sync::mpsc;

use super::rpc_client::{lock, RpcClient, RpcError, Sent, DEFAULT_TIMEOUT};

/// Events queued for one view before the reader waits for it.
const VIEW_QUEUE: usize = 1024;

/// What a session's view receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// Output bytes at an offset (possibly bytes this view already has, after another view asked
    /// for an earlier replay).
    Output {
        /// Offset of the first byte.
        offset: u64,
        /// The bytes.
        data: Vec<u8>,
    },
    /// The session's process ended.
    Exit(ExitParams),
    /// The session's title or working directory changed (`session.changed`).
    Changed(ChangedParams),
}

struct View {
    id: u64,
    tx: mpsc::Sender<SessionEvent>,
    /// The offset after the last byte routed to this view (or the offset it asked for).
    next: Option<u64>,
    /// Whether the agent has answered this view's attach: output before the answer belongs to
    /// the attachment as it was before, and is not this view's.
    live: bool,
}

#[derive(Default)]
struct Table {
    next_view: u64,
    sessions: HashMap<String, Vec<View>>,
    /// Attach requests not answered yet: request id → (session, view).
    attaching: HashMap<i64, (String, u64)>,
    samples: HashMap<String, mpsc::Sender<SampleParams>>,
}

/// The routes of one connection.
#[derive(Default)]
pub(super) struct Routes {
    table: Mutex<Table>,
    /// Held while a view is added or removed and the matching attach or detach is written.
    order: tokio::sync::Mutex<()>,
}

impl Routes {
    /// Adds a view of `session_id` wanting output from `from` and writes the agent's attach
    /// (with `restore` for the first view, `"bytes"` when others share the attachment).
    pub(super) async fn attach(
        &self,
        client: &RpcClient,
        session_id: &str,
        from: Option<u64>,
        restore: Restore,
    ) -> Result<(SessionStream, Sent), RpcError> {
        let _order = self.order.lock().await;
        let (tx, rx) = mpsc::channel(VIEW_QUEUE);
        let (id, replay_from, restore) = {
            let mut t = lock(&self.table);
            t.next_view += 1;
            let id = t.next_view;
            let views = t.sessions.entry(session_id.to_string()).or_default();
            let restore = if views.is_empty() {
                restore
            } else {
                Restore::Bytes
            };
            // The earliest offset any view still needs; `None` (everything held) wins.
            let replay_from = views.iter().try_fold(from, |acc, v| match (acc, v.next) {
                (Some(a), Some(b)) => Some(Some(a.min(b))),
                _ => None,
            });
            views.push(View {
                id,
                tx,
                next: from,
                live: false,
            });
            (id, replay_from.flatten(), restore)
        };
        let numbered = |request: i64| {
            lock(&self.table)
                .attaching
                .insert(request, (session_id.to_string(), id));
        };
        match client
            .send_attach(session_id, replay_from, restore, numbered)
            .await
        {
            Ok(sent) => Ok((
                SessionStream {
                    rx,
                    client: client.clone(),
                    session_id: session_id.to_string(),
                    view: id,
                    open: true,
                },
                sent,
            )),
            Err(e) => {
                self.remove(session_id, id);
                Err(e)
            }
        }
    }

    /// The agent answered request `request`: if it was a view's attach, the view is live from
    /// the next line on (the reader calls this in line order).
    pub(super) fn answered(&self, request: i64) {
        let mut t = lock(&self.table);
        if let Some((session, view)) = t.attaching.remove(&request) {
            if let Some(v) = t
                .sessions
                .get_mut(&session)
                .and_then(|views| views.iter_mut().find(|v| v.id == view))
            {
                v.live = true;
            }
        }
    }

    /// Removes a view.
    fn remove(&self, session_id: &str, view: u64) {
        let mut t = lock(&self.table);
        t.attaching.retain(|_, (_, v)| *v != view);
        if let Some(views) = t.sessions.get_mut(session_id) {
            views.retain(|v| v.id != view);
            if views.is_empty() {
                t.sessions.remove(session_id);
            }
        }
    }

    /// Tells the agent to stop streaming `session_id` when no view of it is left. The detach is
    /// written before this returns; its answer is awaited elsewhere (it comes back through the
    /// connection's reader, which may be waiting to hand the caller an event).
    async fn detach_if_unwatched(&self, client: &RpcClient, session_id: &str) {
        let sent = {
            let _order = self.order.lock().await;
            if lock(&self.table).sessions.contains_key(session_id) {
                return;
            }
            client
                .send::<method::SessionDetach>(&SessionRef {
                    session_id: session_id.into(),
                })
                .await
        };
        if let Ok(sent) = sent {
            let client = client.clone();
            tokio::spawn(async move {
                let _ = client
                    .answer::<method::SessionDetach>(sent, DEFAULT_TIMEOUT)
                    .await;
            });
        }
    }

    /// Hands an output line to every view of its session, decoded once; `end` is its checked
    /// [`end_offset`](OutputRef::end_offset).
    pub(super) async fn output(&self, out: &OutputRef<'_>, end: u64) {
        let senders: Vec<mpsc::Sender<SessionEvent>> = {
            let mut t = lock(&self.table);
            let Some(views) = t.sessions.get_mut(out.session_id) else {
                return;
            };
            views
                .iter_mut()
                .filter(|v| v.live)
                .map(|v| {
                    v.next = Some(v.next.map_or(end, |n| n.max(end)));
                    v.tx.clone()
                })
                .collect()
        };
        if senders.is_empty() {
            return;
        }
        let data = match out.decode() {
            Ok(data) => data,
            Err(e) => {
                tracing::warn!(session = out.session_id, "dropping bad output: {e}");
                return;
            }
        };
        send_all(
            senders,
            |data| SessionEvent::Output {
                offset: out.offset,
                data,
            },
            data,
        )
        .await;
    }

    /// Hands a session's exit to every view of it.
    pub(super) async fn exit(&self, exit: ExitParams) {
        let senders: Vec<_> = lock(&self.table)
            .sessions
            .get(&exit.session_id)
            .map(|views| {
                views
                    .iter()
                    .filter(|v| v.live)
                    .map(|v| v.tx.clone())
                    .collect()
            })
            .unwrap_or_default();
        send_all(senders, SessionEvent::Exit, exit).await;
    }

    /// Hands a session's new title or directory to every view of it. Never waits: the reader
    /// must not stall behind a slow view, and a title that cannot be queued is superseded by
    /// the next one anyway.
    pub(super) fn changed(&self, changed: ChangedParams) {
        let t = lock(&self.table);
        for v in t.sessions.get(&changed.session_id).into_iter().flatten() {
            if v.live
                && v.tx
                    .try_send(SessionEvent::Changed(changed.clone()))
                    .is_err()
            {
                tracing::debug!("session.changed dropped: a view is behind");
            }
        }
    }

    /// A new stream for a monitoring subscription's samples (replacing any earlier one).
    pub(super) fn samples(&self, subscription_id: &str) -> mpsc::Receiver<SampleParams> {
        let (tx, rx) = mpsc::channel(256);
        lock(&self.table)
            .samples
            .insert(subscription_id.to_string(), tx);
        rx
    }

    /// Hands a sample to its subscription's stream.
    pub(super) async fn sample(&self, s: SampleParams) {
        let tx = lock(&self.table).samples.get(&s.subscription_id).cloned();
        if let Some(tx) = tx {
            let _ = tx.send(s).await;
        }
    }

    /// The connection is gone: every stream ends.
    pub(super) fn close_all(&self) {
        let mut t = lock(&self.table);
        t.sessions.clear();
        t.attaching.clear();
        t.samples.clear();
    }
}

/// Sends `value` to every sender, cloning it for all but the last.
async fn send_all<T: Clone, E>(senders: Vec<mpsc::Sender<E>>, wrap: impl Fn(T) -> E, value: T) {
    let n = senders.len();
    let mut value = Some(value);
    for (i, tx) in senders.into_iter().enumerate() {
        let v = if i + 1 == n {
            value.take()
        } else {
            value.clone()
        };
        if let Some(v) = v {
            // A view that went away just now is removed by its own drop.
            let _ = tx.send(wrap(v)).await;
        }
    }
}

/// One view's stream of a session's events. Dropping it (or [`detach`](Self::detach)) removes
/// the view; the agent stops streaming when no view of the session is left.
pub struct SessionStream {
    rx: mpsc::Receiver<SessionEvent>,
    client: RpcClient,
    session_id: String,
    view: u64,
    open: bool,
}

impl SessionStream {
    /// The next event; `None` when the connection is gone.
    pub async fn recv(&mut self) -> Option<SessionEvent> {
        self.rx.recv().await
    }

    /// The next event if one is queued.
    pub fn try_recv(&mut self) -> Option<SessionEvent> {
        self.rx.try_recv().ok()
    }

    /// Removes this view, and detaches the agent from the session if it was the last one (the
    /// detach is written before this returns).
    pub async fn detach(mut self) {
        self.open = false;
        let routes = &self.client.inner.routes;
        routes.remove(&self.session_id, self.view);
        routes
            .detach_if_unwatched(&self.client, &self.session_id)
            .await;
    }
}

impl Drop for SessionStream {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        self.client.inner.routes.remove(&self.session_id, self.view);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let client = self.client.clone();
            let session_id = std::mem::take(&mut self.session_id);
            rt.spawn(async move {
                client
                    .inner
                    .routes
                    .detach_if_unwatched(&client, &session_id)
                    .await
            });
        }
    }
}
