//! End-to-end test of jumping between shell prompts in the real window (Xvfb, WebKitWebDriver;
//! the testkit's `gui` harness, see `gui_e2e.rs`): a local shell whose prompt starts with an
//! OSC 133;A mark runs commands whose output scrolls the earlier prompts out of view;
//! Ctrl+Shift+Up ("Previous prompt") brings the last command's prompt line to the top of the
//! viewport, again the one before it, Ctrl+Shift+Down ("Next prompt") goes back down; and after
//! the app is closed and reopened, the reattached pane (its history replayed) jumps the same way.
//!
//! Screenshots go to `target/e2e-screenshots/` (and `$OUTPOST_SCREENSHOTS_DIR`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_testkit::cli::Cli;
use outpost_testkit::gui::fantoccini::key::Key;
use outpost_testkit::gui::{marker, new_shell, App, Desktop, UI};

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// Ctrl+Shift+`arrow`, then every modifier released.
fn ctrl_shift(arrow: Key) -> String {
    [Key::Control, Key::Shift, arrow, Key::Null]
        .into_iter()
        .map(char::from)
        .collect()
}

/// The first line of the viewport of session `sid`.
async fn top_line(app: &App, sid: &str) -> String {
    let text = app.xterm_text(sid).await.unwrap_or_default();
    text.lines()
        .next()
        .unwrap_or_default()
        .trim_end()
        .to_string()
}

/// Presses Ctrl+Shift+`arrow` in the terminal and waits until the viewport's first line starts
/// with `want`.
async fn jump_to(app: &App, sid: &str, arrow: Key, want: &str) {
    app.type_in_terminal(sid, &ctrl_shift(arrow)).await;
    app.poll(
        &format!("the viewport to start at {want:?}"),
        UI,
        || async {
            let top = top_line(app, sid).await;
            if top.starts_with(want) {
                Ok(())
            } else {
                Err(format!("first line {top:?}"))
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previous_and_next_prompt_scroll_to_the_marked_prompt_lines() {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    let sid = new_shell(&app, "local").await;
    let m = marker();

    // A shell whose every prompt starts with OSC 133;A, as a shell integration sends it.
    app.type_in_terminal(
        &sid,
        &format!(
            "exec env PROMPT_COMMAND='printf \"\\033]133;A\\007\"' PS1='pr-{m}$ ' bash --norc --noprofile -i\n"
        ),
    )
    .await;
    app.wait_xterm(&sid, &[&format!("pr-{m}$")], UI).await;
    // Each command prints more lines than the window has rows; its end is printed with
    // printf so that the typed command line does not contain it.
    for step in ["a", "b", "c"] {
        app.type_in_terminal(
            &sid,
            &format!("echo cmd-{step}; seq 80; printf 'end-%s\\n' {step}-{m}\n"),
        )
        .await;
        app.wait_xterm(&sid, &[&format!("end-{step}-{m}")], UI)
            .await;
    }
    let prompt = |step: &str| format!("pr-{m}$ echo cmd-{step}; seq 80");
    let bottom = top_line(&app, &sid).await;
    assert!(
        !bottom.starts_with(&format!("pr-{m}$")),
        "the last command's output fills the viewport: {bottom:?}"
    );

    jump_to(&app, &sid, Key::Up, &prompt("c")).await;
    app.screenshot("prompt-previous").await;
    jump_to(&app, &sid, Key::Up, &prompt("b")).await;
    jump_to(&app, &sid, Key::Up, &prompt("a")).await;
    jump_to(&app, &sid, Key::Down, &prompt("b")).await;
    jump_to(&app, &sid, Key::Down, &prompt("c")).await;
    // The next prompt is the current one, at the bottom: the viewport goes back to the end.
    app.type_in_terminal(&sid, &ctrl_shift(Key::Down)).await;
    app.wait_xterm(&sid, &[&format!("end-c-{m}")], UI).await;
    let top = top_line(&app, &sid).await;
    assert!(
        !top.starts_with(&format!("pr-{m}$")),
        "back at the end: {top:?}"
    );

    // The reopened app replays the session's history into the reattached pane: the prompts are
    // marked again.
    desk.close(app).await;
    let app = desk.open().await;
    app.wait_tab("the reattached tab", UI, |t| {
        t.session_id == sid && t.state == "connected"
    })
    .await;
    app.wait_xterm(&sid, &[&format!("end-c-{m}")], UI).await;
    jump_to(&app, &sid, Key::Up, &prompt("c")).await;
    jump_to(&app, &sid, Key::Up, &prompt("b")).await;
    app.screenshot("prompt-after-reattach").await;
    desk.close(app).await;
}
