//! Samplers and subscriptions.
//!
//! One sampler runs per (target, interval), however many subscriptions share it. It keeps the
//! samples of the last 10 minutes, so a new subscription gets a full chart at once, and writes
//! them to its [`Journal`], so a sampler started by a later agent (after the app restarts)
//! begins with them. A sampler
//! stops when its session is closed, or after it has had no subscription for as long as its
//! history spans. Subscriptions end with `monitor.unsubscribe` or when the client goes (the agent
//! exits).
//!
//! Turning readings into samples runs on blocking threads, never on the async workers, and the
//! history a subscription starts with is cut to [`HISTORY_BUDGET_BYTES`] (newest kept), so its
//! result line stays under the protocol's limit.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use outpost_protocol::monitor::{
    MonitorTarget, Sample, SampleParams, SubscribeResult, HISTORY_MS, INTERVAL_RANGE,
};
use outpost_protocol::session::{LinkState, SessionKind, SessionState};
use outpost_protocol::{ErrorCode, ErrorObject, Notification};
use tokio::sync::broadcast;

use super::journal::Journal;
use super::local::LocalSampler;
use super::probe::Reading;
use super::remote::{self, ProbeCommand};
use crate::outbound::Sink;
use crate::registry::Registry;

/// How long one probe of a target may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The most subscriptions one client may hold.
const MAX_SUBSCRIPTIONS: usize = 256;

/// The most JSON bytes of history one `monitor.subscribe` result carries: half the protocol's
/// line limit, the rest left for the envelope.
pub const HISTORY_BUDGET_BYTES: usize = outpost_protocol::MAX_LINE_BYTES / 2;

type Key = (MonitorTarget, u64);

/// Subscription id → (its sampler, the task forwarding its samples).
type Subscriptions = HashMap<String, (Arc<Sampler>, tokio::task::JoinHandle<()>)>;

struct Sampler {
    /// Each sample with the size of its JSON.
    history: Mutex<VecDeque<(Sample, usize)>>,
    capacity: usize,
    tx: broadcast::Sender<Sample>,
    subscribers: AtomicUsize,
}

impl Sampler {
    fn lock(&self) -> MutexGuard<'_, VecDeque<(Sample, usize)>> {
        self.history.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn publish(&self, s: Sample) {
        let size = serde_json::to_vec(&s).map_or(usize::MAX, |v| v.len());
        let mut h = self.lock();
        if h.len() == self.capacity {
            h.pop_front();
        }
        h.push_back((s.clone(), size));
        // Sent under the lock, so a subscription taken under it sees each sample exactly once.
        let _ = self.tx.send(s);
    }
}

/// Starts a subscription's samples once its result has been sent.
pub struct Starter(tokio::sync::oneshot::Sender<()>);

impl Starter {
    /// Lets the samples flow.
    pub fn start(self) {
        let _ = self.0.send(());
    }
}

/// The monitoring hub of one agent.
pub struct Monitor<S> {
    registry: Arc<Registry<S>>,
    out: S,
    samplers: Mutex<HashMap<Key, Arc<Sampler>>>,
    subs: Mutex<Subscriptions>,
    next_id: AtomicU64,
}

fn unavailable(msg: impl Into<String>) -> ErrorObject {
    ErrorObject::new(ErrorCode::TargetUnavailable, msg)
}

fn error_sample(error: String) -> Sample {
    Sample {
        at: super::now_ms(),
        error: Some(error),
        ..Default::default()
    }
}

impl<S: Sink> Monitor<S> {
    /// A hub reading sessions from `registry` and sending samples through `out`.
    pub fn new(registry: Arc<Registry<S>>, out: S) -> Arc<Monitor<S>> {
        Arc::new(Monitor {
            registry,
            out,
            samplers: Mutex::default(),
            subs: Mutex::default(),
            next_id: AtomicU64::new(1),
        })
    }

    /// The probe command of a session target, rebuilt from its checked metadata: -32001
    /// unknown, -32602 not `ssh`, -32006 when what it names does not pass validation.
    async fn ssh_of(&self, session_id: &str) -> Result<ProbeCommand, ErrorObject> {
        let meta = self.registry.meta(session_id)?;
        match (meta.kind, meta.ssh) {
            (SessionKind::Ssh, Some(ssh)) => {
                ProbeCommand::for_session(self.registry.paths(), session_id, &ssh)
                    .map_err(unavailable)
            }
            _ => Err(ErrorObject::new(
                ErrorCode::InvalidParams,
                format!("session {session_id} is not an ssh session; only the agent's host and ssh targets can be monitored"),
            )),
        }
    }

    /// Whether a session's link is up (-32001 when it is gone).
    async fn link_up(&self, session_id: &str) -> Result<bool, ErrorObject> {
        let info = self.registry.info(session_id).await?;
        Ok(info.state == SessionState::Running && info.link == Some(LinkState::Up))
    }

    /// One sample now; for a target, -32006 when it cannot be read.
    pub async fn snapshot(&self, target: MonitorTarget) -> Result<Sample, ErrorObject> {
        match target {
            MonitorTarget::Agent => tokio::task::spawn_blocking(|| {
                // Its first sample's CPU figures are deltas already (`LocalSampler::new`).
                Ok(LocalSampler::new().map_err(unavailable)?.sample())
            })
            .await
            .map_err(|e| ErrorObject::new(ErrorCode::InternalError, e.to_string()))?,
            MonitorTarget::Session { session_id } => {
                let ssh = self.ssh_of(&session_id).await?;
                if !self.link_up(&session_id).await? {
                    return Err(unavailable(format!(
                        "the connection of session {session_id} is not up"
                    )));
                }
                let mut shell = remote::ProbeShell::start(&ssh).map_err(unavailable)?;
                remote::next_sample(&mut shell, &mut None, PROBE_TIMEOUT)
                    .await
                    .map_err(unavailable)
            }
        }
    }

    /// Subscribes to a target's samples.
    pub async fn subscribe(
        self: &Arc<Self>,
        target: MonitorTarget,
        interval_ms: u64,
    ) -> Result<(SubscribeResult, Starter), ErrorObject> {
        if !INTERVAL_RANGE.contains(&interval_ms) {
            return Err(ErrorObject::new(
                ErrorCode::InvalidParams,
                format!("interval_ms must be 250..=60000 (got {interval_ms})"),
            ));
        }
        let ssh = match &target {
            MonitorTarget::Agent => None,
            MonitorTarget::Session { session_id } => Some(self.ssh_of(session_id).await?),
        };
        if self.subs().len() >= MAX_SUBSCRIPTIONS {
            return Err(ErrorObject::new(
                ErrorCode::LimitReached,
                format!("at most {MAX_SUBSCRIPTIONS} subscriptions per client"),
            ));
        }
        // Counted as a subscriber from here on (so the sampler cannot stop for idleness).
        let sampler = self.sampler(target, interval_ms, ssh)?;
        let (history, mut rx) = {
            let h = sampler.lock();
            (within_budget(&h), sampler.tx.subscribe())
        };
        let subscription_id = format!("m{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let out = self.out.clone();
        let sid = subscription_id.clone();
        let (go, started) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            // Samples follow the subscribe result, never precede it.
            let _ = started.await;
            loop {
                match rx.recv().await {
                    Ok(sample) => {
                        let n = Notification::MonitorSample(Box::new(SampleParams {
                            subscription_id: sid.clone(),
                            sample,
                        }));
                        out.notify(n).await;
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::debug!(skipped = n, "subscription fell behind");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        self.subs().insert(subscription_id.clone(), (sampler, task));
        Ok((
            SubscribeResult {
                subscription_id,
                history,
            },
            Starter(go),
        ))
    }

    /// Ends a subscription (-32602 when unknown).
    pub fn unsubscribe(&self, subscription_id: &str) -> Result<(), ErrorObject> {
        let (sampler, task) = self.subs().remove(subscription_id).ok_or_else(|| {
            ErrorObject::new(
                ErrorCode::InvalidParams,
                format!("no subscription {subscription_id:?}"),
            )
        })?;
        task.abort();
        sampler.subscribers.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }

    fn subs(&self) -> MutexGuard<'_, Subscriptions> {
        self.subs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn samplers(&self) -> MutexGuard<'_, HashMap<Key, Arc<Sampler>>> {
        self.samplers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The running sampler for a target and interval, started if needed, with one more
    /// subscriber counted.
    ///
    /// Finding, creating and counting happen under the samplers' lock, and a sampler leaves the
    /// map under the same lock when it stops: so concurrent subscriptions to one target and
    /// interval always share one sampler, and none joins a sampler that is stopping.
    fn sampler(
        self: &Arc<Self>,
        target: MonitorTarget,
        interval_ms: u64,
        ssh: Option<ProbeCommand>,
    ) -> Result<Arc<Sampler>, ErrorObject> {
        let key = (target.clone(), interval_ms);
        if let Some(s) = self.join_existing(&key) {
            return Ok(s);
        }
        // Built outside the lock: reading the agent's host takes a while.
        let source = match (target, ssh) {
            (MonitorTarget::Agent, _) => Source::Local(Arc::new(Mutex::new(
                LocalSampler::new().map_err(unavailable)?,
            ))),
            (MonitorTarget::Session { session_id }, Some(ssh)) => Source::Remote {
                session_id,
                ssh,
                prev: None,
                shell: None,
            },
            (MonitorTarget::Session { .. }, None) => {
                return Err(ErrorObject::new(
                    ErrorCode::InternalError,
                    "ssh target without details",
                ))
            }
        };
        let capacity = (HISTORY_MS / interval_ms) as usize;
        let mut journal = Journal::open(self.registry.paths(), &key.0, interval_ms);
        let earlier: VecDeque<(Sample, usize)> = journal
            .as_mut()
            .map(|j| j.load(super::now_ms()))
            .unwrap_or_default()
            .into_iter()
            .map(|s| {
                let size = serde_json::to_vec(&s).map_or(usize::MAX, |v| v.len());
                (s, size)
            })
            .collect();
        let sampler = {
            let mut samplers = self.samplers();
            if let Some(s) = samplers.get(&key) {
                // Another subscription started it meanwhile; ours is dropped unused.
                s.subscribers.fetch_add(1, Ordering::SeqCst);
                return Ok(s.clone());
            }
            let mut history = VecDeque::with_capacity(capacity);
            history.extend(earlier);
            let sampler = Arc::new(Sampler {
                history: Mutex::new(history),
                capacity,
                tx: broadcast::channel(16).0,
                subscribers: AtomicUsize::new(1),
            });
            samplers.insert(key.clone(), sampler.clone());
            sampler
        };
        let me = self.clone();
        let s = sampler.clone();
        tokio::spawn(async move {
            me.run_sampler(
                &key,
                &s,
                source,
                journal,
                Duration::from_millis(interval_ms),
            )
            .await;
            // Whatever ended it, it must not stay findable.
            me.forget(&key, &s);
        });
        Ok(sampler)
    }

    /// The running sampler for `key`, with one more subscriber counted.
    fn join_existing(&self, key: &Key) -> Option<Arc<Sampler>> {
        let samplers = self.samplers();
        let s = samplers.get(key)?;
        s.subscribers.fetch_add(1, Ordering::SeqCst);
        Some(s.clone())
    }

    /// Removes `sampler` from the map (if it is still the one registered under `key`).
    fn forget(&self, key: &Key, sampler: &Arc<Sampler>) {
        let mut samplers = self.samplers();
        if samplers.get(key).is_some_and(|s| Arc::ptr_eq(s, sampler)) {
            samplers.remove(key);
        }
    }

    /// Removes an idle sampler from the map unless a subscription joined it meanwhile; true
    /// when it is gone and may stop.
    fn forget_if_idle(&self, key: &Key, sampler: &Arc<Sampler>) -> bool {
        let mut samplers = self.samplers();
        if sampler.subscribers.load(Ordering::SeqCst) != 0 {
            return false;
        }
        if samplers.get(key).is_some_and(|s| Arc::ptr_eq(s, sampler)) {
            samplers.remove(key);
        }
        true
    }

    async fn run_sampler(
        &self,
        key: &Key,
        sampler: &Arc<Sampler>,
        mut source: Source,
        mut journal: Option<Journal>,
        every: Duration,
    ) {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let idle_limit = Duration::from_millis(HISTORY_MS);
        let mut idle_since: Option<Instant> = None;
        loop {
            ticker.tick().await;
            if sampler.subscribers.load(Ordering::SeqCst) == 0 {
                let since = *idle_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= idle_limit && self.forget_if_idle(key, sampler) {
                    return;
                }
            } else {
                idle_since = None;
            }
            let sample = match &mut source {
                Source::Local(local) => {
                    let local = local.clone();
                    let taken = tokio::task::spawn_blocking(move || {
                        local.lock().unwrap_or_else(|p| p.into_inner()).sample()
                    })
                    .await;
                    taken.unwrap_or_else(|e| error_sample(format!("sampling failed: {e}")))
                }
                Source::Remote {
                    session_id,
                    ssh,
                    prev,
                    shell,
                } => match self.link_up(session_id).await {
                    Err(e) if e.code == ErrorCode::SessionNotFound.code() => {
                        // Out of the map first: a subscription that still found it gets this
                        // last sample (live or in its history).
                        self.forget(key, sampler);
                        sampler.publish(error_sample(format!("session {session_id} was closed")));
                        if let Some(mut j) = journal.take() {
                            let _ = tokio::task::spawn_blocking(move || j.remove()).await;
                        }
                        return;
                    }
                    Err(e) => error_sample(e.message),
                    Ok(false) => {
                        *prev = None;
                        *shell = None;
                        error_sample(format!("the connection of session {session_id} is down"))
                    }
                    Ok(true) => {
                        let timeout = PROBE_TIMEOUT.min(every * 4);
                        let taken = match shell {
                            Some(sh) => remote::next_sample(sh, prev, timeout).await,
                            None => match remote::ProbeShell::start(ssh) {
                                Ok(sh) => {
                                    remote::next_sample(shell.insert(sh), prev, timeout).await
                                }
                                Err(e) => Err(e),
                            },
                        };
                        taken.unwrap_or_else(|e| {
                            // A failed shell is not reused: the next tick starts a new one.
                            *prev = None;
                            *shell = None;
                            error_sample(e)
                        })
                    }
                },
            };
            if let Some(mut j) = journal.take() {
                let s = sample.clone();
                journal = tokio::task::spawn_blocking(move || {
                    j.append(&s);
                    j
                })
                .await
                .ok();
            }
            sampler.publish(sample);
        }
    }
}

/// The newest samples of `history` whose JSON fits [`HISTORY_BUDGET_BYTES`], oldest first.
fn within_budget(history: &VecDeque<(Sample, usize)>) -> Vec<Sample> {
    let mut left = HISTORY_BUDGET_BYTES;
    let mut kept: Vec<Sample> = history
        .iter()
        .rev()
        .take_while(|(_, size)| {
            // Each sample also costs a comma in the array.
            let cost = size.saturating_add(1);
            let fits = cost <= left;
            left = left.saturating_sub(cost);
            fits
        })
        .map(|(s, _)| s.clone())
        .collect();
    kept.reverse();
    kept
}

// One per sampler, never moved in a hot loop: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
enum Source {
    Local(Arc<Mutex<LocalSampler>>),
    Remote {
        session_id: String,
        ssh: ProbeCommand,
        prev: Option<Box<Reading>>,
        shell: Option<remote::ProbeShell>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::Discard;

    fn monitor(dir: &std::path::Path) -> Arc<Monitor<Discard>> {
        let paths = crate::paths::Paths::new(
            &dir.join("run"),
            &dir.join("state"),
            nix::unistd::getuid().as_raw(),
        );
        Monitor::new(Registry::new(paths, Discard), Discard)
    }

    #[test]
    fn history_is_cut_to_the_budget_newest_first() {
        let size = HISTORY_BUDGET_BYTES / 3;
        let history: VecDeque<(Sample, usize)> = (0..5)
            .map(|at| {
                let s = Sample {
                    at,
                    ..Default::default()
                };
                (s, size)
            })
            .collect();
        let kept: Vec<u64> = within_budget(&history).iter().map(|s| s.at).collect();
        assert_eq!(kept, [3, 4]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_subscriptions_share_one_sampler() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let m = monitor(dir.path());
        // Ten rounds, each a fresh interval: eight threads released at once subscribe to it.
        for interval in 300..310 {
            let barrier = Arc::new(std::sync::Barrier::new(8));
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let (m, barrier) = (m.clone(), barrier.clone());
                    tokio::task::spawn_blocking(move || {
                        barrier.wait();
                        let rt = tokio::runtime::Handle::current();
                        rt.block_on(m.subscribe(MonitorTarget::Agent, interval))
                    })
                })
                .collect();
            for t in tasks {
                assert!(matches!(t.await, Ok(Ok(_))));
            }
            let key = (MonitorTarget::Agent, interval);
            let sampler = m.samplers().get(&key).cloned();
            let sampler = sampler.unwrap_or_else(|| panic!("no sampler for {interval}"));
            assert_eq!(sampler.subscribers.load(Ordering::SeqCst), 8);
            let sharing = m
                .subs()
                .values()
                .filter(|(s, _)| Arc::ptr_eq(s, &sampler))
                .count();
            assert_eq!(
                sharing, 8,
                "every subscription to {interval} ms shares one sampler"
            );
        }
        assert_eq!(m.samplers().len(), 10, "one sampler per (target, interval)");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_idle_sampler_is_kept_for_a_new_subscriber() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let m = monitor(dir.path());
        let r = m.subscribe(MonitorTarget::Agent, 1000).await;
        let id = r
            .map(|(r, _)| r.subscription_id)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let key = (MonitorTarget::Agent, 1000);
        let sampler = m.samplers().get(&key).cloned();
        let sampler = sampler.unwrap_or_else(|| panic!("no sampler"));
        assert!(!m.forget_if_idle(&key, &sampler), "it has a subscriber");
        assert!(m.unsubscribe(&id).is_ok());
        // A subscription joining while the sampler decides to stop keeps it.
        let joined = m.join_existing(&key);
        assert!(joined.is_some_and(|j| Arc::ptr_eq(&j, &sampler)));
        assert!(!m.forget_if_idle(&key, &sampler), "someone joined");
        sampler.subscribers.fetch_sub(1, Ordering::SeqCst);
        assert!(m.forget_if_idle(&key, &sampler), "idle: it may stop");
        assert!(
            m.samplers().is_empty(),
            "a stopping sampler is not findable"
        );
        // And a stale sampler never removes its successor.
        let next = m.subscribe(MonitorTarget::Agent, 1000).await;
        assert!(next.is_ok());
        m.forget(&key, &sampler);
        assert_eq!(m.samplers().len(), 1);
    }
}
