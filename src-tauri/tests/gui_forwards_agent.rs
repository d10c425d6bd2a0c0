//! The forwards panel's agent-owned forwards in the real window (Xvfb, WebKitWebDriver; the
//! testkit's `gui` harness, see `gui_e2e.rs`) over the jump/target topology (real `sshd`s in
//! network namespaces) with a real HTTP server (`python3 -m http.server`) in the target's
//! namespace, which the desktop cannot reach: the form refuses a bad destination port with its
//! own message and an unreachable destination with the agent's `unreachable`; an agent-owned
//! forward added in the panel (reached from the jump host, opened locally, its port saved)
//! carries `curl`'s request (the oracle) and is listed by `outpost forward list --agent` (the
//! CLI, another oracle); the app is closed — the port is free, the forward stays on the host —
//! and started again: the saved port answers again without touching the panel, which lists
//! the forward with that port; closing it in the panel (confirmed) removes it from the host
//! and frees the port.
//!
//! Needs root (throwaway users, `sshd`, network namespaces) and fails without it. Screenshots
//! go to `target/e2e-screenshots/` (and `$OUTPOST_SCREENSHOTS_DIR`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_testkit::cli::{Jumped, DEADLINE};
use outpost_testkit::gui::{tid, wait_blocking, App, Desktop, UI};
use outpost_testkit::http::{curl, serve_on_target};
use serde_json::Value;

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The HTTP server's port on the target.
const HTTP_PORT: u16 = 8000;

/// One agent-owned forward's row as the panel shows it.
#[derive(Debug, serde::Deserialize)]
struct Row {
    id: String,
    state: String,
    local_port: u16,
    saved_port: u16,
    bytes_in: u64,
}

/// The panel's agent-owned rows.
async fn rows(app: &App) -> Vec<Row> {
    let v = app
        .js(
            r#"return Array.from(document.querySelectorAll('[data-testid="agent-forward-row"]')).map(r => ({
                id: r.dataset.id, state: r.dataset.state,
                local_port: Number(r.dataset.localPort), saved_port: Number(r.dataset.savedPort),
                bytes_in: Number(r.querySelector('[data-testid="agent-forward-bytes-in"]').dataset.bytes)}));"#,
            vec![],
        )
        .await;
    serde_json::from_value(v).unwrap_or_default()
}

/// The agent-owned forwards `outpost forward list jump --agent` shows.
fn listed(desk: &Desktop) -> Vec<Value> {
    let l = desk.cli_ok(&["forward", "list", "jump", "--agent"]);
    l["agent"].as_array().cloned().unwrap_or_default()
}

/// Opens jump's forwards panel and waits for its agent-owned section's list (or empty note).
async fn open_panel(app: &App) {
    app.click(&tid("forwards-host-jump"), UI).await;
    app.wait_for(&tid("forwards-panel"), UI).await;
    app.wait_for(&tid("agent-forwards-note"), UI).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_owned_forward_added_in_the_panel_outlives_the_window_and_closes_there() {
    let j = Jumped::new(OUTPOST);
    let body = format!("served-by-target-{}\n", std::process::id());
    j.user.write_file("www/hello.txt", &body, 0o644).unwrap();
    let tip = j.topo.target_addr().ip().to_string();
    let (_http, base) = serve_on_target(&j.topo, &j.user, HTTP_PORT, "hello.txt");
    assert!(
        curl(&[], &format!("{base}hello.txt")).is_none(),
        "the desktop reaches the target directly"
    );

    let desk = Desktop::start(&j.cli);
    let app = desk.open().await;
    open_panel(&app).await;
    app.wait_for(&tid("agent-forwards-empty"), DEADLINE).await;

    // A destination port of 0 is refused by the form, with its own message.
    app.fill(&tid("agent-forward-destHost"), &tip).await;
    app.fill(&tid("agent-forward-destPort"), "0").await;
    app.click(&tid("agent-forward-add"), UI).await;
    let problem = app
        .wait_text(&tid("agent-forward-problem-destPort"), UI, |t| {
            !t.is_empty()
        })
        .await;
    assert!(problem.contains("65535"), "{problem}");

    // Nothing listens on port 1 of the target: the agent answers `unreachable`.
    app.fill(&tid("agent-forward-destPort"), "1").await;
    app.click(&tid("agent-forward-add"), UI).await;
    app.wait_for(
        "[data-testid=\"agent-forwards\"] [data-testid=\"error-box\"][data-code=\"unreachable\"]",
        DEADLINE,
    )
    .await;
    assert!(listed(&desk).is_empty());

    // From the jump host, opened locally on any free port, saved.
    app.fill(&tid("agent-forward-destPort"), &HTTP_PORT.to_string())
        .await;
    app.click(&tid("agent-forward-save-new"), UI).await;
    app.click(&tid("agent-forward-add"), UI).await;
    let (id, port) = app
        .poll("the agent-owned forward to run", DEADLINE, || async {
            match rows(&app).await.as_slice() {
                [r] if r.state == "active" && r.local_port != 0 && r.saved_port == r.local_port => {
                    Ok((r.id.clone(), r.local_port))
                }
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    assert!(
        id.len() == 17 && id.starts_with('f'),
        "not an agent forward id: {id}"
    );
    let local = format!("http://127.0.0.1:{port}/hello.txt");
    assert_eq!(curl(&[], &local).as_deref(), Some(body.as_str()));
    app.poll("the panel to show the bytes", UI, || async {
        match rows(&app).await.as_slice() {
            [r] if r.bytes_in > body.len() as u64 => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let marker = app
        .text(&tid("agent-forwards-note"))
        .await
        .unwrap_or_default();
    assert!(marker.contains("survive this window"), "{marker}");
    app.screenshot("forwards-agent-added").await;

    // The CLI sees the same forward on the host, from the jump host itself.
    let on_host = listed(&desk);
    assert_eq!(on_host.len(), 1, "{on_host:?}");
    assert_eq!(on_host[0]["id"], id.as_str());
    assert_eq!(on_host[0]["host"], tip.as_str());
    assert!(on_host[0]["session_id"].is_null(), "{on_host:?}");

    // The window goes: its port is free, the forward stays on the host.
    app.click(&tid("forwards-close"), UI).await;
    desk.close(app).await;
    wait_blocking("the port to be free", UI, || {
        std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
    })
    .await;
    let on_host = listed(&desk);
    assert_eq!(on_host.len(), 1, "{on_host:?}");
    assert_eq!(on_host[0]["id"], id.as_str());

    // Started again: the saved port answers again, before the panel is opened.
    let app = desk.open().await;
    wait_blocking("the saved port to answer again", DEADLINE, || {
        curl(&["--max-time", "5"], &local).as_deref() == Some(body.as_str())
    })
    .await;
    open_panel(&app).await;
    app.poll("the forward listed with its port", DEADLINE, || async {
        match rows(&app).await.as_slice() {
            [r] if r.id == id && r.local_port == port && r.saved_port == port => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    app.screenshot("forwards-agent-restored").await;

    // Closed in the panel, confirmed: gone from the host, its port free, nothing saved.
    app.click(&tid("agent-forward-close"), UI).await;
    app.wait_for(&tid("dialog-confirm"), UI).await;
    app.screenshot("forwards-agent-confirm").await;
    app.click(&tid("confirm-ok"), UI).await;
    app.wait_for(&tid("agent-forwards-empty"), DEADLINE).await;
    assert!(listed(&desk).is_empty());
    wait_blocking("the port to be free", UI, || {
        std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
    })
    .await;
    assert!(curl(&["--max-time", "2"], &local).is_none());

    app.click(&tid("forwards-close"), UI).await;
    app.wait_gone(&tid("forwards-panel"), UI).await;
    desk.close(app).await;
}
