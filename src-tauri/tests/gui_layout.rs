//! End-to-end tests of the window's layout and appearance in the real app under Xvfb, driven
//! through WebKitWebDriver (the testkit's `gui` harness; see `gui_e2e.rs`):
//!
//! - dragging the dividers (real pointer input): the sidebar and the monitoring panel get the
//!   width dragged to and the terminal between them gets the columns they leave (the session's
//!   own size, as the CLI lists it, follows); the divider between two panes moves their split;
//!   all three survive a restart of the app (settings and workspace);
//! - appearance: a colour scheme and a font size chosen in Settings reach the terminal (the
//!   computed style of xterm.js's rows: its foreground colour and font size) and the app's chrome.
//!
//! Screenshots go to `target/e2e-screenshots/` (and `$OUTPOST_SCREENSHOTS_DIR`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use outpost_testkit::cli::Cli;
use outpost_testkit::gui::fantoccini::actions::{
    InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT,
};
use outpost_testkit::gui::fantoccini::Locator;
use outpost_testkit::gui::{new_shell, tid, wait_blocking, App, Desktop, UI};
use serde_json::Value;

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The width in CSS pixels of the first element matching `css` (None when there is none).
async fn width_of(app: &App, css: &str) -> Option<f64> {
    app.js(
        "const e = document.querySelector(arguments[0]); return e ? e.getBoundingClientRect().width : null;",
        vec![Value::from(css)],
    )
    .await
    .as_f64()
}

/// Waits until the element matching `css` is `want` pixels wide (within 2 px); its width.
async fn wait_width(app: &App, css: &str, want: f64) -> f64 {
    app.poll(&format!("{css} {want} px wide"), UI, || async {
        match width_of(app, css).await {
            Some(w) if (w - want).abs() <= 2.0 => Ok(w),
            other => Err(format!("width {other:?}")),
        }
    })
    .await
}

/// Drags the first element matching `css` by `dx` pixels (real pointer input: press on its
/// centre, move in steps, release).
async fn drag(app: &App, css: &str, dx: f64) {
    let element = app
        .client()
        .find(Locator::Css(css))
        .await
        .expect("the element to drag");
    let mut mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        });
    for _ in 0..4 {
        mouse = mouse.then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(60)),
            x: dx / 4.0,
            y: 0.0,
        });
    }
    mouse = mouse.then(PointerAction::Up {
        button: MOUSE_BUTTON_LEFT,
    });
    app.perform(mouse).await;
}

/// The size (cols, rows) session `sid` has on the local agent, as the CLI lists it.
fn session_size(desk: &Desktop, sid: &str) -> (u64, u64) {
    let v = desk.cli_ok(&["sessions", "local"]);
    let s = v
        .as_array()
        .expect("a list of sessions")
        .iter()
        .find(|s| s["session_id"] == sid)
        .unwrap_or_else(|| panic!("session {sid} listed: {v}"));
    (s["cols"].as_u64().unwrap(), s["rows"].as_u64().unwrap())
}

/// The widths of the two panes of the shown tab, left to right.
async fn pane_widths(app: &App) -> Vec<f64> {
    let v = app
        .js(
            r#"return Array.from(document.querySelectorAll('.tab-panes.shown [data-testid="pane-slot"]'))
                .map(e => e.getBoundingClientRect())
                .sort((a, b) => a.left - b.left)
                .map(r => r.width);"#,
            vec![],
        )
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_f64().unwrap())
        .collect()
}

const SIDEBAR: &str = ".sidebar";
const MONITOR: &str = r#"[data-testid="monitor-panel"]"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dragged_panel_and_pane_dividers_resize_and_survive_a_restart() {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    let sid = new_shell(&app, "local").await;
    if app.find(MONITOR).await.is_none() {
        app.click(&tid("monitor-toggle"), UI).await;
    }
    app.wait_for(MONITOR, UI).await;
    let sidebar0 = width_of(&app, SIDEBAR).await.unwrap();
    let monitor0 = width_of(&app, MONITOR).await.unwrap();
    let (cols0, _) = session_size(&desk, &sid);

    // Narrower sidebar, narrower monitoring panel: the terminal gets the room.
    drag(&app, &tid("sidebar-divider"), -80.0).await;
    let sidebar1 = wait_width(&app, SIDEBAR, sidebar0 - 80.0).await;
    drag(&app, &tid("monitor-divider"), 60.0).await;
    let monitor1 = wait_width(&app, MONITOR, monitor0 - 60.0).await;
    wait_blocking("the session to get the columns the panels left", UI, || {
        session_size(&desk, &sid).0 > cols0 + 10
    })
    .await;

    // Two panes; the divider between them moves their split.
    app.click(&tid("split-row"), UI).await;
    let halves = app
        .poll("two panes", UI, || async {
            match pane_widths(&app).await.as_slice() {
                [a, b] => Ok((*a, *b)),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    assert!(
        (halves.0 - halves.1).abs() <= 4.0,
        "a split starts even: {halves:?}"
    );
    drag(&app, &tid("pane-divider"), 120.0).await;
    let moved = app
        .poll("the split to follow the divider", UI, || async {
            match pane_widths(&app).await.as_slice() {
                [a, b] if (a - b - 240.0).abs() <= 12.0 => Ok((*a, *b)),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    app.screenshot("dragged-dividers").await;

    // Saved (settings and workspace), then restored by the reopened app.
    let settings = cli.config_dir().join("ui").join("settings.json");
    wait_blocking("the panel widths saved", UI, || {
        std::fs::read_to_string(&settings)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .is_some_and(|v| v["sidebar_width"].is_number() && v["monitor_width"].is_number())
    })
    .await;
    let workspace = cli.config_dir().join("ui").join("workspace.json");
    // (The last change of a drag is saved by a timer, which WebKit may run late.)
    let share = moved.0 / (moved.0 + moved.1);
    wait_blocking("the dragged split saved", UI, || {
        std::fs::read_to_string(&workspace)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v["tabs"][0]["root"]["sizes"][0].as_f64())
            .is_some_and(|saved| (saved - share).abs() < 0.01)
    })
    .await;
    desk.close(app).await;
    let app = desk.open().await;
    // (The tab now shows the split's new pane, focused last.)
    app.wait_tab("the reattached tab", UI, |t| t.state == "connected")
        .await;
    wait_width(&app, SIDEBAR, sidebar1).await;
    wait_width(&app, MONITOR, monitor1).await;
    app.poll("the split as it was dragged", UI, || async {
        match pane_widths(&app).await.as_slice() {
            [a, b] if (a - moved.0).abs() <= 4.0 && (b - moved.1).abs() <= 4.0 => Ok(()),
            other => Err(format!("{other:?}, want {moved:?}")),
        }
    })
    .await;

    // A double click puts the sidebar back to its default width.
    app.js(
        r#"document.querySelector('[data-testid="sidebar-divider"]').dispatchEvent(new MouseEvent("dblclick", {bubbles: true}));"#,
        vec![],
    )
    .await;
    wait_width(&app, SIDEBAR, sidebar0).await;
    desk.close(app).await;
}

/// The computed colour and font size of the rows of session `sid`'s terminal.
async fn rows_style(app: &App, sid: &str) -> (String, String) {
    let v = app
        .js(
            r#"const rows = document.querySelector(arguments[0]);
            if (!rows) return null;
            const s = getComputedStyle(rows);
            return [s.color, s.fontSize];"#,
            vec![Value::from(format!("{} .xterm-rows", App::pane(sid)))],
        )
        .await;
    (
        v[0].as_str().unwrap_or_default().to_string(),
        v[1].as_str().unwrap_or_default().to_string(),
    )
}

/// Waits until session `sid`'s terminal rows have `colour` and `size`.
async fn wait_rows_style(app: &App, sid: &str, colour: &str, size: &str) {
    app.poll(
        &format!("the terminal in {colour} at {size}"),
        UI,
        || async {
            let got = rows_style(app, sid).await;
            if got.0 == colour && got.1 == size {
                Ok(())
            } else {
                Err(format!("{got:?}"))
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheme_and_font_size_chosen_in_settings_reach_the_terminal() {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    let sid = new_shell(&app, "local").await;
    // The dark scheme's foreground (#d8dee9) at the default 14 px.
    wait_rows_style(&app, &sid, "rgb(216, 222, 233)", "14px").await;

    app.click(&tid("open-settings"), UI).await;
    app.wait_for(&tid("dialog-settings"), UI).await;
    app.client()
        .find(Locator::Css(&tid("scheme")))
        .await
        .unwrap()
        .select_by_value("light")
        .await
        .expect("choose the light scheme");
    for _ in 0..3 {
        app.click(
            r#"[data-testid="dialog-settings"] button[aria-label="Bigger"]"#,
            UI,
        )
        .await;
    }
    // The light scheme's foreground (#2e3440), three steps bigger; the chrome follows.
    wait_rows_style(&app, &sid, "rgb(46, 52, 64)", "17px").await;
    let chrome = app
        .js("return document.documentElement.dataset.theme;", vec![])
        .await;
    assert_eq!(chrome, Value::from("light"));
    app.click(
        r#"[data-testid="dialog-settings"] .modal-actions button.primary"#,
        UI,
    )
    .await;
    app.wait_gone(&tid("dialog-settings"), UI).await;
    app.type_in_terminal(
        &sid,
        "printf '\\033[1;97mbright white\\033[0m on light\\n'\n",
    )
    .await;
    app.wait_xterm(&sid, &["bright white on light"], UI).await;
    app.screenshot("light-scheme").await;
    desk.close(app).await;
}
