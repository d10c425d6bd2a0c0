//! Recordings in the real window (under Xvfb through WebKitWebDriver, the testkit's `gui`
//! harness; see `gui_e2e.rs`): a session row's menu opens its recordings, recording is started
//! and stopped there, and a recording opens as a replay tab in the tab strip: played at 4×
//! after a seek to the start, its terminal ends with the lines the shell printed, and its text
//! equals what `asciinema cat` plays from the exported file, rendered by pyte (two programs
//! nobody here wrote) at the recording's size. The replay tab closes with its close button and
//! with the "Close tab" shortcut, leaving the session's tab.
//!
//! Screenshots go to `target/e2e-screenshots/` (and `$OUTPOST_SCREENSHOTS_DIR`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_testkit::cli::Cli;
use outpost_testkit::gui::fantoccini::key::Key;
use outpost_testkit::gui::{marker, new_shell, tid, wait_blocking, App, Desktop, UI};
use outpost_testkit::venv;
use serde_json::Value;

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The shown replay's terminal rows as text, one line per row.
const REPLAY_TEXT: &str = r#"const rows = document.querySelector('.replay.shown [data-testid="replay-terminal"] .xterm-rows');
    return rows ? Array.from(rows.children).map(r => r.textContent || "").join("\n") : null;"#;

/// The shown replay's player state (`data-state`: loading, playing, paused, ended, error).
const REPLAY_STATE: &str = r#"const r = document.querySelector('.replay.shown');
    return r ? r.getAttribute("data-state") : null;"#;

/// Rows with trailing spaces (and non-breaking spaces) removed and trailing blank rows dropped.
fn trimmed(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .replace('\u{a0}', " ")
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// Opens the recordings dialog of `sid` from its row's menu.
async fn open_dialog(app: &App, sid: &str) {
    app.click(&tid(&format!("session-menu-{sid}")), UI).await;
    app.click(&tid("session-recordings"), UI).await;
    app.wait_for(&tid("recordings-dialog"), UI).await;
}

/// Closes the recordings dialog with its Close button.
async fn close_dialog(app: &App) {
    app.js(
        r#"document.querySelector('[data-testid="recordings-dialog"] button.primary').click();"#,
        vec![],
    )
    .await;
    app.wait_gone(&tid("recordings-dialog"), UI).await;
}

/// Opens the session's only recording in a replay tab and waits until it is the active tab.
async fn open_replay(app: &App, sid: &str) {
    open_dialog(app, sid).await;
    app.click(&tid("recording-replay"), UI).await;
    app.wait_gone(&tid("recordings-dialog"), UI).await;
    app.wait_js(
        "the replay tab active",
        r#"const t = document.querySelector('[data-testid="replay-tab"]');
        return t ? t.getAttribute("data-active") : null;"#,
        Value::from("true"),
        UI,
    )
    .await;
    app.wait_for(".replay.shown .xterm-rows", UI).await;
}

/// Sets the shown replay's `<select>` or `<input>` `testid` to `value` as a user would (the
/// element's own event: `change` for a select, `input` for a range).
async fn set_control(app: &App, testid: &str, value: &str, event: &str) {
    app.js(
        r#"const e = document.querySelector('.replay.shown [data-testid="' + arguments[0] + '"]');
        e.value = arguments[1];
        e.dispatchEvent(new Event(arguments[2], {bubbles: true}));"#,
        vec![Value::from(testid), Value::from(value), Value::from(event)],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_replays_in_a_tab_at_4x_as_asciinema_plays_it() {
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
    close_dialog(&app).await;

    // Known lines a second apart (computed, so the typed command does not contain them), then
    // a long sleep: the recording ends with the lines, not with a prompt.
    let m = marker();
    let want: Vec<String> = [11, 22, 33]
        .iter()
        .map(|n| format!("known-{n}-{m}"))
        .collect();
    app.type_in_terminal(
        &sid,
        &format!("for i in 1 2 3; do echo known-$((i*11))-{m}; sleep 1; done; sleep 600\n"),
    )
    .await;
    app.wait_xterm(&sid, &[&want[2]], UI).await;
    open_dialog(&app, &sid).await;
    app.click(&tid("recording-stop"), UI).await;
    close_dialog(&app).await;
    let recording = |desk: &Desktop| -> Option<Value> {
        let list = desk.cli_ok(&["recordings", "list", "local", "--session", &sid]);
        list["recordings"]
            .as_array()
            .and_then(|a| a.first())
            .cloned()
    };
    wait_blocking("the CLI lists the finished recording", UI, || {
        recording(&desk).is_some_and(|r| r["duration_ms"].as_u64().unwrap_or(0) >= 2000)
    })
    .await;
    let name = recording(&desk).unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();

    // The replay is a tab of the strip; the session's tab stays, not active.
    open_replay(&app, &sid).await;
    let tabs = app.tabs().await;
    assert!(
        tabs.len() == 1 && !tabs[0].active,
        "the session tab stays, in the background: {tabs:?}"
    );
    // Pause, go back to the start, play at 4× to the end.
    app.wait_js(
        "the recording loaded",
        r#"const r = document.querySelector('.replay.shown');
        return r !== null && ["playing", "ended"].includes(r.getAttribute("data-state"));"#,
        Value::from(true),
        UI,
    )
    .await;
    app.poll("the replay paused at the start", UI, || async {
        if app.js(REPLAY_STATE, vec![]).await == "playing" {
            app.js(
                r#"document.querySelector('.replay.shown [data-testid="replay-toggle"]').click();"#,
                vec![],
            )
            .await;
        }
        set_control(&app, "replay-seek", "0", "input").await;
        match app.js(REPLAY_STATE, vec![]).await {
            v if v == "paused" => Ok(()),
            v => Err(format!("{v}")),
        }
    })
    .await;
    set_control(&app, "replay-speed", "4", "change").await;
    app.poll("nothing shown at the start", UI, || async {
        match app.js(REPLAY_TEXT, vec![]).await.as_str() {
            Some(t) if !t.contains(&want[0]) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    app.click(&format!(".replay.shown {}", tid("replay-toggle")), UI)
        .await;
    app.wait_js(
        "the replay at its end",
        REPLAY_STATE,
        Value::from("ended"),
        UI,
    )
    .await;
    let shown = app
        .poll("the replay ending with the printed lines", UI, || async {
            let text = app.js(REPLAY_TEXT, vec![]).await;
            let lines = trimmed(text.as_str().unwrap_or(""));
            if lines.ends_with(&want) {
                Ok(lines)
            } else {
                Err(format!("{lines:#?}"))
            }
        })
        .await;
    let speed = app
        .js(
            r#"return document.querySelector('.replay.shown [data-testid="replay-speed"]').value;"#,
            vec![],
        )
        .await;
    assert_eq!(speed, "4");
    app.screenshot("recordings-replay").await;

    // asciinema plays the exported file; pyte renders it at the recording's size: the same text.
    let file = cli.home().join(format!("{name}.cast"));
    desk.cli_ok(&[
        "recordings",
        "export",
        "local",
        &name,
        file.to_str().unwrap(),
    ]);
    let header: Value = serde_json::from_str(
        std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let (cols, rows) = (
        header["width"].as_u64().unwrap(),
        header["height"].as_u64().unwrap(),
    );
    let (oracle, _) = venv::pyte_render(
        &venv::asciinema_cat(&file),
        u16::try_from(cols).unwrap(),
        u16::try_from(rows).unwrap(),
    );
    let oracle = trimmed(&oracle.join("\n"));
    assert_eq!(shown, oracle, "the replay against asciinema cat + pyte");
    let size = app
        .js(
            r#"const rows = document.querySelector('.replay.shown .xterm-rows');
            return rows.children.length;"#,
            vec![],
        )
        .await;
    assert_eq!(size, rows, "the replay terminal has the recording's rows");

    // Closed by its close button: the session's tab is active again.
    app.click(&tid("replay-tab-close"), UI).await;
    app.wait_gone(&tid("replay-tab"), UI).await;
    app.wait_gone(&tid("replay"), UI).await;
    app.wait_tab("the session tab active again", UI, |t| {
        t.session_id == sid && t.active
    })
    .await;

    // And by the "Close tab" shortcut (Ctrl+Shift+W), which leaves the session's tab open.
    open_replay(&app, &sid).await;
    let chord = format!(
        "{}{}W{}",
        char::from(Key::Control),
        char::from(Key::Shift),
        char::from(Key::Null)
    );
    app.type_into(
        &format!(".replay.shown {}", tid("replay-toggle")),
        &chord,
        UI,
    )
    .await;
    app.wait_gone(&tid("replay-tab"), UI).await;
    app.wait_tab("the session tab kept and active", UI, |t| {
        t.session_id == sid && t.active
    })
    .await;
    assert_eq!(app.tabs().await.len(), 1);
    desk.close(app).await;
}
