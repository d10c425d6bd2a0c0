//! The GUI's engine pieces without a window: the [`Connections`]'s shared connections, tab
//! [`Attachment`]s (batching, flow control, reconnect after the agent dies), monitoring feeds and
//! the [`PromptBroker`] answering a real `sshd`'s unknown host key.
//!
//! Everything runs against the real agent binary (locally over pipes, or deployed over SSH).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use outpost_desktop::engine::live::attachment::{Attachment, TabEvent, TabSink, HIGH_WATER};
use outpost_desktop::engine::live::connections::Connections;
use outpost_desktop::engine::live::monitor_feed::{MonitorEvent, MonitorFeed, MonitorSink};
use outpost_desktop::engine::live::prompt_broker::{PromptAnswer, PromptBroker, PromptRequest};
use outpost_desktop::engine::ssh::AutoPrompter;
use outpost_desktop::engine::{store::targets, EngineContext};
use outpost_protocol::method;
use outpost_protocol::monitor::MonitorTarget;
use outpost_protocol::session::{ListParams, SessionRef};
use outpost_testkit::cli::{agent_beside, Remote};
use outpost_testkit::Sshd;

/// The CLI binary, beside which the agent binary is built.
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// One private agent home and configuration for this test binary (env is process-wide).
fn local_env() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("ohub")
            .tempdir_in("/tmp")
            .unwrap()
            .keep();
        std::env::set_var("OUTPOST_HOME", dir.join("h"));
        std::env::set_var(
            "OUTPOST_AGENT_BIN",
            agent_beside(std::path::Path::new(OUTPOST)),
        );
        dir
    })
}

fn local_hub() -> Arc<Connections> {
    let dir = local_env().join(format!("c{}", rand_suffix()));
    Connections::new(EngineContext::new(dir, Arc::new(AutoPrompter::new())))
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Collects what a tab would show; acknowledges output as it comes unless told not to.
#[derive(Default)]
struct Tab {
    out: Mutex<Vec<u8>>,
    events: Mutex<Vec<TabEvent>>,
    chunks: Mutex<Vec<usize>>,
}

impl TabSink for Tab {
    fn output(&self, data: Vec<u8>) {
        self.chunks.lock().unwrap().push(data.len());
        self.out.lock().unwrap().extend_from_slice(&data);
    }
    fn event(&self, event: TabEvent) {
        self.events.lock().unwrap().push(event);
    }
}

impl Tab {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }
    fn len(&self) -> u64 {
        self.out.lock().unwrap().len() as u64
    }
    /// The link events (connected, reconnecting, detached, …); `Changed` (title and directory,
    /// which the shell integration's OSC 7 reports at every prompt) is left out.
    fn events(&self) -> Vec<TabEvent> {
        let all = self.events.lock().unwrap().clone();
        all.into_iter()
            .filter(|e| !matches!(e, TabEvent::Changed { .. }))
            .collect()
    }
}

async fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Attaches a tab to `sid` (from `from`, or everything held) and waits for its first event.
async fn open_tab(hub: &Arc<Connections>, sid: &str, from: Option<u64>) -> (Attachment, Arc<Tab>) {
    let tab = Arc::new(Tab::default());
    let a = Attachment::spawn(
        hub.clone(),
        "local".into(),
        sid.into(),
        from,
        (100, 30),
        tab.clone(),
    );
    wait_for("connected", Duration::from_secs(20), || {
        !tab.events().is_empty()
    })
    .await;
    (a, tab)
}

/// Acknowledges output as a renderer would until the tab shows `needle`.
async fn ack_until(a: &Attachment, tab: &Tab, needle: &str) {
    let mut acked = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !tab.text().contains(needle) {
        let now = tab.len();
        a.ack(now - acked);
        acked = now;
        assert!(
            Instant::now() < deadline,
            "never saw {needle:?}; events {:?}",
            tab.events()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn new_shell(hub: &Connections) -> String {
    let params = targets::create_params(None, Some("hub test".into()), 100, 30).unwrap();
    hub.call::<method::SessionCreate>("local", params)
        .await
        .unwrap()
        .session
        .session_id
}

async fn close(hub: &Connections, sid: &str) {
    hub.call::<method::SessionClose>(
        "local",
        SessionRef {
            session_id: sid.into(),
        },
    )
    .await
    .unwrap();
}

/// The pid of the hub's local agent.
async fn agent_pid(hub: &Connections) -> u32 {
    hub.connection("local")
        .await
        .unwrap()
        .local_agent_pid()
        .expect("a local agent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_types_and_reads_back_through_the_shared_connection() {
    let hub = local_hub();
    let sid = new_shell(&hub).await;
    let tab = Arc::new(Tab::default());
    let a = Attachment::spawn(
        hub.clone(),
        "local".into(),
        sid.clone(),
        None,
        (100, 30),
        tab.clone(),
    );
    wait_for("connected", Duration::from_secs(20), || {
        matches!(tab.events().first(), Some(TabEvent::Connected { .. }))
    })
    .await;
    a.input(b"echo hub-marker-$((6*7))\n".to_vec());
    wait_for("the echo", Duration::from_secs(20), || {
        tab.text().contains("hub-marker-42")
    })
    .await;
    a.ack(tab.len());
    // A second tab on the same host shares the connection: one agent process.
    let tab2 = Arc::new(Tab::default());
    let _b = Attachment::spawn(
        hub.clone(),
        "local".into(),
        sid.clone(),
        Some(0),
        (100, 30),
        tab2.clone(),
    );
    wait_for("the replay", Duration::from_secs(20), || {
        tab2.text().contains("hub-marker-42")
    })
    .await;
    let first = agent_pid(&hub).await;
    let tab3 = Arc::new(Tab::default());
    let _c = Attachment::spawn(
        hub.clone(),
        "local".into(),
        sid.clone(),
        Some(0),
        (100, 30),
        tab3.clone(),
    );
    wait_for("the third replay", Duration::from_secs(20), || {
        tab3.text().contains("hub-marker-42")
    })
    .await;
    assert_eq!(
        agent_pid(&hub).await,
        first,
        "every tab shares one agent connection"
    );
    a.detach();
    wait_for("detached", Duration::from_secs(10), || {
        tab.events().contains(&TabEvent::Detached)
    })
    .await;
    close(&hub, &sid).await;
    hub.shutdown().await;
}

/// The same session in two tabs over one shared connection: both stream, neither reconnects,
/// and when one leaves the other keeps streaming. (Routing by session id alone once made the
/// second tab's route replace the first's, and both tabs reconnected forever.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_of_one_session_stream_side_by_side_and_outlive_each_other() {
    let hub = local_hub();
    let sid = new_shell(&hub).await;
    let (a, tab_a) = open_tab(&hub, &sid, Some(0)).await;
    a.input(b"echo first-$((6*7))\n".to_vec());
    wait_for("the first echo", Duration::from_secs(20), || {
        tab_a.text().contains("first-42")
    })
    .await;
    let (b, tab_b) = open_tab(&hub, &sid, Some(0)).await;
    wait_for("the second tab's replay", Duration::from_secs(20), || {
        tab_b.text().contains("first-42")
    })
    .await;
    b.input(b"echo both-$((7*7))\n".to_vec());
    wait_for("the echo in both tabs", Duration::from_secs(20), || {
        tab_a.text().contains("both-49") && tab_b.text().contains("both-49")
    })
    .await;
    // Same offsets from 0, each byte once: the two streams are the same bytes.
    wait_for(
        "both tabs at the same length",
        Duration::from_secs(10),
        || tab_a.len() == tab_b.len(),
    )
    .await;
    assert_eq!(tab_a.text(), tab_b.text());
    for (name, tab) in [("first", &tab_a), ("second", &tab_b)] {
        let events = tab.events();
        assert!(
            events == [TabEvent::Connected { replay_from: 0 }],
            "the {name} tab saw {events:?}"
        );
    }
    // The first tab leaves; the second keeps streaming on the shared connection.
    a.detach();
    wait_for("detached", Duration::from_secs(10), || {
        tab_a.events().contains(&TabEvent::Detached)
    })
    .await;
    let left_at = tab_a.len();
    b.input(b"echo after-$((8*8))\n".to_vec());
    wait_for(
        "the second tab still streams",
        Duration::from_secs(20),
        || tab_b.text().contains("after-64"),
    )
    .await;
    assert_eq!(tab_a.len(), left_at, "a detached tab got more output");
    assert!(tab_b.text().starts_with(&tab_a.text()));
    assert_eq!(tab_b.events(), [TabEvent::Connected { replay_from: 0 }]);
    // Opening the first tab again (from where it left) sees only what it missed, once.
    let (_a2, tab_a2) = open_tab(&hub, &sid, Some(left_at)).await;
    wait_for(
        "the reopened tab catches up",
        Duration::from_secs(20),
        || tab_a2.text().contains("after-64"),
    )
    .await;
    wait_for(
        "the reopened tab level with the other",
        Duration::from_secs(10),
        || left_at + tab_a2.len() == tab_b.len(),
    )
    .await;
    assert_eq!(format!("{}{}", tab_a.text(), tab_a2.text()), tab_b.text());
    close(&hub, &sid).await;
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_that_stops_acknowledging_pauses_then_resumes_with_a_visible_gap() {
    let hub = local_hub();
    let sid = new_shell(&hub).await;
    let (a, tab) = open_tab(&hub, &sid, None).await;
    // 24 MiB of output: far more than the 2 MiB high-water mark and the 2 MiB ring.
    a.input(b"yes flood-line | head -c 25165824; echo; echo FLOOD-$((40+2))-DONE\n".to_vec());
    let end = {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let list = hub
                .call::<method::SessionList>("local", ListParams::default())
                .await
                .unwrap();
            let s = list
                .sessions
                .into_iter()
                .find(|s| s.session_id == sid)
                .unwrap();
            if s.output_end > 24 * 1024 * 1024 {
                break s.output_end;
            }
            assert!(Instant::now() < deadline, "the flood never finished");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    // Nothing acknowledged: the tab got at most the high-water mark plus what was in flight.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = tab.len();
    assert!(
        held < HIGH_WATER + 8 * 1024 * 1024 && held < end / 2,
        "an unacknowledging tab received {held} of {end} bytes"
    );
    // Acknowledge as a renderer would: the tab resumes, is told of the gap, and gets the end.
    ack_until(&a, &tab, "FLOOD-42-DONE").await;
    let events = tab.events();
    let gaps: u64 = events
        .iter()
        .map(|e| match e {
            TabEvent::Gap { from, to } => to - from,
            _ => 0,
        })
        .sum();
    assert!(gaps > 0, "the skipped bytes were reported: {events:?}");
    let Some(TabEvent::Connected { replay_from }) = events.first().cloned() else {
        panic!("first event {events:?}")
    };
    // Every offset is accounted for exactly once: delivered bytes plus gaps.
    let delivered = tab.len();
    let list = hub
        .call::<method::SessionList>("local", ListParams::default())
        .await
        .unwrap();
    let now_end = list
        .sessions
        .iter()
        .find(|s| s.session_id == sid)
        .unwrap()
        .output_end;
    wait_for("the tail", Duration::from_secs(10), || {
        replay_from + tab.len() + gaps >= now_end
    })
    .await;
    assert_eq!(
        replay_from + tab.len() + gaps,
        now_end,
        "delivered {delivered} + gaps {gaps}"
    );
    let chunks = tab.chunks.lock().unwrap().clone();
    assert!(
        chunks.len() < (delivered / 1024) as usize,
        "output was batched: {} chunks for {delivered} bytes",
        chunks.len()
    );
    close(&hub, &sid).await;
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_reconnects_after_its_agent_is_killed_and_loses_nothing() {
    let hub = local_hub();
    let sid = new_shell(&hub).await;
    let (a, tab) = open_tab(&hub, &sid, None).await;
    a.input(
        b"for i in $(seq 1 1500); do echo line-$i; sleep 0.002; done; echo ALL-DONE-$((1+1))\n"
            .to_vec(),
    );
    wait_for("output", Duration::from_secs(20), || {
        tab.text().contains("line-100\r\n")
    })
    .await;
    let pid = agent_pid(&hub).await as i32;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    ack_until(&a, &tab, "ALL-DONE-2").await;
    let events = tab.events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TabEvent::Reconnecting { .. })),
        "the tab showed the reconnect: {events:?}"
    );
    assert!(
        !events.iter().any(|e| matches!(e, TabEvent::Gap { .. })),
        "{events:?}"
    );
    let text = tab.text();
    for i in 1..=1500 {
        let line = format!("line-{i}\r\n");
        let n = text.matches(&line).count();
        assert_eq!(
            n,
            1,
            "line-{i} appears {n} times in {:?}",
            &text[..text.len().min(2000)]
        );
    }
    close(&hub, &sid).await;
    hub.shutdown().await;
}

#[derive(Default)]
struct Panel(Mutex<Vec<MonitorEvent>>);

impl MonitorSink for Panel {
    fn event(&self, event: MonitorEvent) {
        self.0.lock().unwrap().push(event);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitoring_feed_fills_from_history_then_streams() {
    let hub = local_hub();
    let panel = Arc::new(Panel::default());
    let (feed, _history) = MonitorFeed::start(
        hub.clone(),
        "local".into(),
        MonitorTarget::Agent,
        250,
        panel.clone(),
    )
    .await
    .unwrap();
    wait_for("two samples", Duration::from_secs(20), || {
        panel.0.lock().unwrap().len() >= 2
    })
    .await;
    drop(feed);
    // A second feed on the same agent starts with the samples already taken.
    let (_feed2, history) = MonitorFeed::start(
        hub.clone(),
        "local".into(),
        MonitorTarget::Agent,
        250,
        panel.clone(),
    )
    .await
    .unwrap();
    assert!(
        history.len() >= 2,
        "history holds the earlier samples: {}",
        history.len()
    );
    let host = nix::unistd::gethostname().unwrap().into_string().unwrap();
    assert_eq!(history.last().unwrap().hostname, host);
    assert!(history.last().unwrap().memory.total_bytes > 0);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_host_key_is_asked_through_the_broker() {
    local_env();
    let remote = Remote::untrusted(OUTPOST, Sshd::builder());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let broker = Arc::new(PromptBroker::new(move |r| {
        let _ = tx.send(r);
    }));
    let ctx = EngineContext::new(remote.cli.config_dir(), broker.clone());
    let hub = Connections::new(ctx);
    let want = remote.sshd.host_key_fingerprint();

    // Refused: the connection fails and nothing is trusted.
    let h = hub.clone();
    let test = tokio::spawn(async move { h.test("h").await });
    let Some(PromptRequest::HostKey {
        id, fingerprint, ..
    }) = rx.recv().await
    else {
        panic!("no host-key prompt")
    };
    assert_eq!(fingerprint, want);
    assert!(broker.answer(id, PromptAnswer::Text("reject".into())));
    let err = test.await.unwrap().unwrap_err();
    assert_eq!(err.code(), "host_key_rejected", "{err}");

    // Trusted once: connected, and asked again next time.
    let h = hub.clone();
    let test = tokio::spawn(async move { h.test("h").await });
    let Some(PromptRequest::HostKey { id, .. }) = rx.recv().await else {
        panic!("no host-key prompt")
    };
    broker.answer(id, PromptAnswer::Text("once".into()));
    let info = test.await.unwrap().unwrap();
    assert_eq!(info.user, remote.user.name);
    assert!(
        !remote.cli.own_known_hosts().exists(),
        "trusting once saves nothing"
    );
    hub.shutdown().await;
}
