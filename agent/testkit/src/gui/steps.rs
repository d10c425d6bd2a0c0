//! What every window test needs beyond the harness, so each new test file (`gui_e2e.rs`, and
//! the ones beside it) starts from the same steps: the timeouts ([`UI`], [`FIRST_CONNECT`]),
//! the `data-testid` selector ([`tid`]), unique markers, this machine's host name, opening a
//! shell tab ([`new_shell`]), reading a session back through the CLI ([`cli_output`]) and
//! waiting on a blocking check ([`wait_blocking`]).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use base64::Engine as _;

use super::{App, Desktop};
pub use crate::fixture::hostname;

/// How long anything the UI shows may take (WebKit on two busy cores, debug builds).
pub const UI: Duration = Duration::from_secs(60);

/// How long a first connection to an SSH host may take (it uploads the ~70 MB debug agent).
pub const FIRST_CONNECT: Duration = Duration::from_secs(180);

/// A marker no earlier output contains: the test process and the time.
pub fn marker() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("m{}x{nanos}", std::process::id())
}

/// The CSS selector of `data-testid="ID"`.
pub fn tid(id: &str) -> String {
    format!(r#"[data-testid="{id}"]"#)
}

/// Clicks `new-shell-HOST` and waits for the new tab to connect and show its terminal; returns
/// its session id.
pub async fn new_shell(app: &App, host: &str) -> String {
    let before: HashSet<String> = app.tabs().await.into_iter().map(|t| t.session_id).collect();
    app.click(&tid(&format!("new-shell-{host}")), UI).await;
    let tab = app
        .wait_tab(&format!("a new connected {host} tab"), UI, |t| {
            t.host == host && t.state == "connected" && !before.contains(&t.session_id)
        })
        .await;
    assert!(tab.active, "the new tab is the active one: {tab:?}");
    app.wait_for(&format!("{} .xterm-rows", App::pane(&tab.session_id)), UI)
        .await;
    tab.session_id
}

/// A session's held output on `host`, through the CLI (`outpost read`).
pub fn cli_output(desk: &Desktop, host: &str, sid: &str) -> String {
    let r = desk.cli_ok(&["read", host, sid]);
    let data = base64::engine::general_purpose::STANDARD
        .decode(r["data"].as_str().unwrap())
        .unwrap();
    String::from_utf8_lossy(&data).into_owned()
}

/// Polls `f` (a blocking check, such as running the CLI) every 100 ms until it is true; fails
/// naming `what` after `timeout`.
pub async fn wait_blocking(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
