//! Recordings in the real window (under Xvfb through WebKitWebDriver, the testkit's `gui`
//! harness; see `gui_e2e.rs`): a session row's menu opens its recordings, recording is started
//! there, what the shell then prints is in the recording the CLI lists, and the replay shows it
//! in its own terminal with a working speed control.
//!
//! Screenshots go to `target/e2e-screenshots/` (and `$OUTPOST_SCREENSHOTS_DIR`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_testkit::cli::Cli;
use outpost_testkit::gui::{marker, new_shell, tid, wait_blocking, App, Desktop, UI};
use serde_json::Value;

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The replay terminal's rows as text.
const REPLAY_TEXT: &str = r#"const rows = document.querySelector('[data-testid="replay-terminal"] .xterm-rows');
    return rows ? Array.from(rows.children).map(r => r.textContent || "").join("\n") : null;"#;

/// Opens the recordings dialog of `sid` from its row's menu.
async fn open_dialog(app: &App, sid: &str) {
    app.click(&tid(&format!("session-menu-{sid}")), UI).await;
    app.click(&tid("session-recordings"), UI).await;
    app.wait_for(&tid("recordings-dialog"), UI).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_s_recording_is_listed_and_replayed_with_a_speed_control() {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    let sid = new_shell(&app, "local").await;
    app.click(&tid("host-local"), UI).await;
    app.wait_for(&tid(&format!("session-{sid}")), UI).await;

    open_dialog(&app, &sid).await;
    app.wait_for(&tid("recordings-empty"), UI).await;
    app.click(&tid("recording-start"), UI).await;
    app.wait_for(&tid("recording-row"), UI).await;
    app.screenshot("recordings-dialog").await;
    app.js(
        r#"document.querySelector('[data-testid="recordings-dialog"] button.primary').click();"#,
        vec![],
    )
    .await;
    app.wait_gone(&tid("recordings-dialog"), UI).await;

    // What the shell prints now is recorded.
    let mark = marker();
    app.type_in_terminal(&sid, &format!("echo {mark}-$((6*7))\n"))
        .await;
    let want = format!("{mark}-42");
    app.wait_xterm(&sid, &[&want], UI).await;
    let listed = |desk: &Desktop| -> Vec<Value> {
        desk.cli_ok(&["recordings", "list", "local", "--session", &sid])["recordings"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    wait_blocking("the CLI lists one recording", UI, || {
        listed(&desk).len() == 1
    })
    .await;

    // Replayed in its own terminal.
    open_dialog(&app, &sid).await;
    app.click(&tid("recording-replay"), UI).await;
    app.wait_for(&tid("replay"), UI).await;
    app.poll("the replay shows the output", UI, || async {
        let v = app.js(REPLAY_TEXT, vec![]).await;
        match v.as_str() {
            Some(t) if t.contains(&want) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    app.screenshot("recordings-replay").await;

    // The speed control: 8× is taken, and a restart plays to the end again.
    app.js(
        r#"const s = document.querySelector('[data-testid="replay-speed"]');
        s.value = "8"; s.dispatchEvent(new Event("change", {bubbles: true}));"#,
        vec![],
    )
    .await;
    let speed = app
        .js(
            r#"return document.querySelector('[data-testid="replay-speed"]').value;"#,
            vec![],
        )
        .await;
    assert_eq!(speed, "8");
    app.click(&tid("replay-restart"), UI).await;
    app.poll("the restarted replay reaches the output", UI, || async {
        let v = app.js(REPLAY_TEXT, vec![]).await;
        match v.as_str() {
            Some(t) if t.contains(&want) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let pos = app.text(&tid("replay-position")).await.unwrap_or_default();
    assert!(pos.contains(" / "), "{pos}");
    app.click(&tid("replay-close"), UI).await;
    app.wait_gone(&tid("replay"), UI).await;
    desk.close(app).await;
}
