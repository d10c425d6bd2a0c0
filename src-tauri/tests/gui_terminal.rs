//! End-to-end tests of the terminal pane in the real window (Xvfb, WebKitWebDriver, the
//! testkit's `gui` harness), each with its own X server, configuration and local agent:
//!
//! - reattaching types nothing: vim (which asks the terminal for its cursor position, device
//!   attributes and background colour) runs and quits, the tab is closed, the session is
//!   reattached from the sidebar and then again by a restarted app; the shell's own history
//!   (bash's `history -a` file) shows that the lines it received are exactly the ones typed;
//! - one session in two tabs (the second opened from the terminal's right-click menu): both
//!   live, typing in either shows in both, closing either leaves the other live;
//! - links: a plain click opens nothing, Ctrl+click opens a URL through `link_open` (a stand-in
//!   `xdg-open` first on the app's PATH records its arguments), an OSC 8 link is shown first;
//! - the mouse: a double-clicked word is pasted by a middle click; the menu's Find opens the
//!   search bar;
//! - X PRIMARY: text another app (`xclip`) selected is pasted by a middle click, through the
//!   paste guard (its bracketed-paste end marker and control characters removed), and a word
//!   selected in the terminal becomes PRIMARY for other apps (read back with `xclip -o`);
//! - a bell in a background tab marks the tab until it is shown; a bell in replayed history
//!   (a restarted app, the tab in the background) marks nothing.
//!
//! Needs `Xvfb`, `WebKitWebDriver`, `vim`, `bash` and `xclip` (`.ci/install-deps`) and a built
//! `ui/dist`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use outpost_testkit::cli::Cli;
use outpost_testkit::gui::fantoccini::actions::{
    Actions, InputSource, KeyAction, KeyActions, MouseActions, PointerAction, MOUSE_BUTTON_LEFT,
    MOUSE_BUTTON_MIDDLE, MOUSE_BUTTON_RIGHT,
};
use outpost_testkit::gui::fantoccini::elements::Element;
use outpost_testkit::gui::fantoccini::key::Key;
use outpost_testkit::gui::fantoccini::Locator;
use outpost_testkit::gui::{cli_output, marker, new_shell, tid, wait_blocking, App, Desktop, UI};
use outpost_testkit::note;
use serde_json::Value;

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// Questions vim asks the terminal (any of them makes xterm.js answer).
const QUESTIONS: &[(&str, &str)] = &[
    ("\x1b[6n", "cursor position"),
    ("\x1b[>c", "secondary device attributes"),
    ("\x1b[c", "primary device attributes"),
    ("\x1b]10;?", "foreground colour"),
    ("\x1b]11;?", "background colour"),
    ("$p", "mode request"),
];

/// A window of its own (X server, configuration, local agent) with one "This computer" shell
/// tab: the CLI, the desktop, the app and the shell's session id.
async fn shell_window() -> (Cli, Desktop, App, String) {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    let sid = new_shell(&app, "local").await;
    (cli, desk, app, sid)
}

/// The lines bash recorded (its `history -a` file), in order.
fn history(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Types `line` and Enter, and waits for bash to record it; checks that the line bash received
/// is exactly `line` (nothing typed before it by the terminal).
async fn run_checked(app: &App, sid: &str, hist: &Path, line: &str) {
    let before = history(hist).len();
    app.type_in_terminal(sid, &format!("{line}\n")).await;
    wait_blocking(&format!("bash to record {line:?}"), UI, || {
        history(hist).len() > before
    })
    .await;
    let after = history(hist);
    assert_eq!(
        &after[before..],
        [line.to_string()],
        "the shell received exactly the typed line, nothing before it (history {after:?})"
    );
}

/// Presses Enter on what was pasted and checks that bash received exactly `want` (`why` says
/// what that shows).
async fn enter_checked(app: &App, sid: &str, hist: &Path, want: &str, why: &str) {
    let before = history(hist).len();
    app.type_in_terminal(sid, "\n").await;
    wait_blocking("bash to record the pasted line", UI, || {
        history(hist).len() > before
    })
    .await;
    assert_eq!(history(hist)[before..], [want.to_string()], "{why}");
}

/// Waits for the reattached tab of `sid` to connect and show `shown[0]` (its history), then
/// types `line` (checked by [`run_checked`]) and waits for its output `shown[1]`.
async fn typed_after_reattach(app: &App, sid: &str, hist: &Path, shown: [&str; 2], line: &str) {
    app.wait_tab("the reattached tab to connect", UI, |t| {
        t.session_id == sid && t.state == "connected"
    })
    .await;
    app.wait_xterm(sid, &[shown[0]], UI).await;
    run_checked(app, sid, hist, line).await;
    app.wait_xterm(sid, &[shown[1]], UI).await;
}

/// The session's output after the first `needle` (as the CLI reads it).
fn output_after(desk: &Desktop, sid: &str, needle: &str) -> String {
    let all = cli_output(desk, "local", sid);
    let at = all.find(needle).expect("the needle is in the output");
    all[at + needle.len()..].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reattaching_after_vim_types_nothing_into_the_shell() {
    let (cli, desk, app, sid) = shell_window().await;
    let m = marker();

    let hist = cli.home().join(format!("hist-{m}"));
    known_bash(&app, &sid, &hist, &m).await;

    app.type_in_terminal(&sid, "vim\n").await;
    app.wait_xterm(&sid, &["VIM - Vi IMproved"], UI).await;
    app.type_in_terminal(&sid, ":q\n").await;
    wait_blocking("bash to record the vim line", UI, || {
        history(&hist).last().map(String::as_str) == Some("vim")
    })
    .await;
    run_checked(&app, &sid, &hist, "echo vim-done-$((2+3))").await;
    app.wait_xterm(&sid, &["vim-done-5"], UI).await;

    // vim asked the terminal questions: they are in the history a reattach replays.
    let held = cli_output(&desk, "local", &sid);
    let asked: Vec<&str> = QUESTIONS
        .iter()
        .filter(|(q, _)| held.contains(q))
        .map(|(_, what)| *what)
        .collect();
    note(&format!("vim asked the terminal for: {}", asked.join(", ")));
    assert!(
        !asked.is_empty(),
        "vim asked the terminal nothing; the test would prove nothing: {held:?}"
    );

    // Close the tab: the session stays; reattach it from the sidebar.
    app.click(&tid("tab-close"), UI).await;
    app.poll("the tab to close", UI, || async {
        let tabs = app.tabs().await;
        if tabs.is_empty() {
            Ok(())
        } else {
            Err(format!("{tabs:?}"))
        }
    })
    .await;
    // The host's session list is collapsed at first: show it, then click the session.
    app.click(&tid("host-local"), UI).await;
    app.click(&tid(&format!("session-{sid}")), UI).await;
    typed_after_reattach(
        &app,
        &sid,
        &hist,
        ["vim-done-5", "sidebar-42"],
        "echo sidebar-$((6*7))",
    )
    .await;
    app.screenshot("reattach-no-junk").await;

    // Restart: the app reattaches the tab by itself.
    desk.close(app).await;
    let app = desk.open().await;
    typed_after_reattach(
        &app,
        &sid,
        &hist,
        ["sidebar-42", "restart-56"],
        "echo restart-$((7*8))",
    )
    .await;

    // No answer text reached the shell's line editor either (it would have echoed it).
    let since = output_after(&desk, &sid, "vim-done-5");
    for junk in ["rgb:", ";276;0c", "?1;2c"] {
        assert!(
            !since.contains(junk),
            "{junk:?} was typed into the shell: {since:?}"
        );
    }
    let lines = history(&hist);
    assert_eq!(
        lines[lines.len() - 3..],
        [
            "echo vim-done-$((2+3))".to_string(),
            "echo sidebar-$((6*7))".to_string(),
            "echo restart-$((7*8))".to_string()
        ],
        "every line bash received: {lines:?}"
    );
    desk.close(app).await;
}

/// The panes of session `sid`: (pane id, shown on screen), in document order.
async fn panes_of(app: &App, sid: &str) -> Vec<(String, bool)> {
    let v = app
        .js(
            r#"return Array.from(document.querySelectorAll(".terminal-pane"))
                .filter(p => p.getAttribute("data-session-id") === arguments[0])
                .map(p => [p.getAttribute("data-pane-id") || "", p.getClientRects().length > 0 && p.offsetWidth > 0]);"#,
            vec![Value::from(sid)],
        )
        .await;
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap_or("").to_string(),
                        p[1].as_bool().unwrap_or(false),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The CSS selector of pane `pane_id`.
fn pane_css(pane_id: &str) -> String {
    format!(".terminal-pane[data-pane-id=\"{pane_id}\"]")
}

/// Waits until pane `pane_id` shows `needle` (read from xterm's rows); returns its text.
async fn wait_pane_text(app: &App, pane_id: &str, needle: &str) -> String {
    app.poll(&format!("{needle:?} in pane {pane_id}"), UI, || async {
        let v = app
            .js(
                r#"const p = document.querySelector(arguments[0]);
                const rows = p && p.querySelector(".xterm-rows");
                return rows ? Array.from(rows.children).map(r => r.textContent || "").join("\n") : null;"#,
                vec![Value::from(pane_css(pane_id))],
            )
            .await;
        let text = v.as_str().unwrap_or("").replace('\u{a0}', " ");
        if text.contains(needle) {
            Ok(text)
        } else {
            Err(format!("{:?}", text.trim_end()))
        }
    })
    .await
}

/// Types `text` into pane `pane_id`'s terminal (`\n` is Enter).
async fn type_in_pane(app: &App, pane_id: &str, text: &str) {
    let css = format!("{} .xterm-helper-textarea", pane_css(pane_id));
    app.type_into(&css, text, UI).await;
}

/// Closes the active tab with its close button.
async fn close_active_tab(app: &App) {
    let css = format!(
        "{} {}",
        r#"[data-testid="tab"][data-active="true"]"#,
        tid("tab-close")
    );
    app.click(&css, UI).await;
}

/// Waits until the panes of `sid` satisfy `ok`; returns them.
async fn wait_panes(
    app: &App,
    what: &str,
    sid: &str,
    ok: impl Fn(&[(String, bool)]) -> bool,
) -> Vec<(String, bool)> {
    app.poll(what, UI, || async {
        let panes = panes_of(app, sid).await;
        if ok(&panes) {
            Ok(panes)
        } else {
            Err(format!("{panes:?}"))
        }
    })
    .await
}

/// Clicks tab number `index` of the tab strip (from 0).
async fn show_tab(app: &App, index: usize) {
    let tabs = app
        .client()
        .find_all(Locator::Css(&tid("tab")))
        .await
        .expect("the tabs");
    tabs.get(index)
        .expect("the tab")
        .click()
        .await
        .expect("click the tab");
}

/// Real pointer input on `element` at offset (`x`, `y`) from its centre: a move from 30 px to
/// the right (xterm looks for a link only when the pointer enters a new cell), a hover pause,
/// then a press and release of each of `buttons` in a row (two lefts make a double click),
/// holding Ctrl throughout when `ctrl`.
async fn pointer(app: &App, element: Element, x: f64, y: f64, buttons: &[u64], ctrl: bool) {
    let pause = |ms| PointerAction::Pause {
        duration: Duration::from_millis(ms),
    };
    let mut mouse = MouseActions::new("mouse".into())
        .then(pause(0))
        .then(PointerAction::MoveToElement {
            element: element.clone(),
            duration: None,
            x: x + 30.0,
            y,
        })
        .then(PointerAction::MoveToElement {
            element,
            duration: None,
            x,
            y,
        })
        .then(pause(300));
    for &button in buttons {
        mouse = mouse
            .then(PointerAction::Down { button })
            .then(PointerAction::Up { button });
    }
    mouse = mouse.then(pause(0));
    let actions = if ctrl {
        // Ctrl goes down in the first tick and up in the last; the mouse acts in between.
        let ctrl_key = char::from(Key::Control);
        let mut keys = KeyActions::new("keys".into()).then(KeyAction::Down { value: ctrl_key });
        for _ in 0..3 + 2 * buttons.len() {
            keys = keys.then(KeyAction::Pause {
                duration: Duration::ZERO,
            });
        }
        Actions::from(keys.then(KeyAction::Up { value: ctrl_key })).and(mouse)
    } else {
        Actions::from(mouse)
    };
    app.perform(actions).await;
}

/// Right-clicks the middle of pane `pane_id`'s terminal (real pointer input) and waits for the
/// terminal menu.
async fn context_menu(app: &App, pane_id: &str) {
    let screen = app
        .wait_for(&format!("{} .xterm-screen", pane_css(pane_id)), UI)
        .await;
    pointer(app, screen, 0.0, 0.0, &[MOUSE_BUTTON_RIGHT], false).await;
    app.wait_for(&tid("terminal-menu"), UI).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_session_in_two_tabs_both_live_and_each_outlives_the_other() {
    let (_cli, desk, app, sid) = shell_window().await;
    let m = marker();
    let first = panes_of(&app, &sid).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let a = first[0].0.clone();

    // A second view of the same session, from the terminal's own menu.
    context_menu(&app, &a).await;
    for id in [
        "copy",
        "paste",
        "split-row",
        "split-column",
        "find",
        "another-tab",
    ] {
        app.wait_for(&tid(&format!("terminal-menu-{id}")), UI).await;
    }
    app.click(&tid("terminal-menu-another-tab"), UI).await;
    let tabs = app
        .poll("two connected tabs of the session", UI, || async {
            let tabs = app.tabs().await;
            let of: Vec<_> = tabs.iter().filter(|t| t.session_id == sid).collect();
            if of.len() == 2 && of.iter().all(|t| t.state == "connected") {
                Ok(tabs.clone())
            } else {
                Err(format!("{tabs:?}"))
            }
        })
        .await;
    assert!(tabs[1].active, "the new tab is shown: {tabs:?}");
    let b = panes_of(&app, &sid)
        .await
        .into_iter()
        .find(|(p, shown)| *p != a && *shown)
        .expect("the second pane, shown")
        .0;
    app.screenshot("one-session-two-tabs").await;

    // Typed in B: shows in B, and in A once A is shown. (The lines have no shifted characters:
    // after pointer actions WebKitWebDriver types them unshifted. The backslash makes the
    // output differ from the echoed command line.)
    type_in_pane(&app, &b, &format!("echo from\\-b-{m}\n")).await;
    wait_pane_text(&app, &b, &format!("from-b-{m}")).await;
    show_tab(&app, 0).await;
    wait_pane_text(&app, &a, &format!("from-b-{m}")).await;

    // Typed in A: shows in A, and in B.
    type_in_pane(&app, &a, &format!("echo from\\-a-{m}\n")).await;
    wait_pane_text(&app, &a, &format!("from-a-{m}")).await;
    show_tab(&app, 1).await;
    wait_pane_text(&app, &b, &format!("from-a-{m}")).await;
    assert!(
        app.find(&tid("pane-reconnecting")).await.is_none(),
        "no tab is reconnecting"
    );

    // Closing B's tab leaves A live.
    close_active_tab(&app).await;
    app.poll("one tab left, connected", UI, || async {
        let tabs = app.tabs().await;
        if tabs.len() == 1 && tabs[0].session_id == sid && tabs[0].state == "connected" {
            Ok(())
        } else {
            Err(format!("{tabs:?}"))
        }
    })
    .await;
    type_in_pane(&app, &a, &format!("echo after\\-close-{m}\n")).await;
    wait_pane_text(&app, &a, &format!("after-close-{m}")).await;
    assert!(cli_output(&desk, "local", &sid).contains(&format!("after-close-{m}")));

    // And the other way round: a second view again, then the first one closed.
    context_menu(&app, &a).await;
    app.click(&tid("terminal-menu-another-tab"), UI).await;
    let panes = wait_panes(&app, "a second pane again", &sid, |p| {
        p.iter().any(|(id, shown)| *id != a && *shown)
    })
    .await;
    let c = panes.into_iter().find(|(id, _)| *id != a).unwrap().0;
    show_tab(&app, 0).await;
    close_active_tab(&app).await;
    wait_panes(&app, "the second tab left alone", &sid, |p| {
        p.len() == 1 && p[0].0 == c && p[0].1
    })
    .await;
    type_in_pane(&app, &c, &format!("echo still\\-live-{m}\n")).await;
    wait_pane_text(&app, &c, &format!("still-live-{m}")).await;
    desk.close(app).await;
}

/// The `.xterm-screen` of pane `pane_id` and the offset from its centre of the middle of
/// character `at` of `needle` in the first row on screen that shows `needle` (found with a DOM
/// range over xterm's rows).
async fn cell_of(app: &App, pane_id: &str, needle: &str, at: usize) -> (Element, f64, f64) {
    let css = format!("{} .xterm-screen", pane_css(pane_id));
    let screen = app.wait_for(&css, UI).await;
    let v = app
        .poll(&format!("{needle:?} on screen"), UI, || async {
            let v = app
                .js(
                    r#"const screen = document.querySelector(arguments[0]);
                    const s = screen.getBoundingClientRect();
                    for (const row of screen.querySelectorAll(".xterm-rows > div")) {
                        const text = (row.textContent || "").replace(/\u00a0/g, " ");
                        const i = text.indexOf(arguments[1]);
                        if (i < 0) continue;
                        let want = i + arguments[2];
                        const walk = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
                        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
                            const len = n.textContent.length;
                            if (want < len) {
                                const r = document.createRange();
                                r.setStart(n, want);
                                r.setEnd(n, want + 1);
                                const c = r.getBoundingClientRect();
                                return [c.left + c.width / 2 - (s.left + s.width / 2), c.top + c.height / 2 - (s.top + s.height / 2)];
                            }
                            want -= len;
                        }
                    }
                    return null;"#,
                    vec![Value::from(css.clone()), Value::from(needle), Value::from(at)],
                )
                .await;
            if v.is_array() {
                Ok(v)
            } else {
                Err("not shown yet".to_string())
            }
        })
        .await;
    (screen, v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
}

/// Clicks `button` at character `at` of `needle` in pane `pane_id`, holding Ctrl when `ctrl`
/// (real pointer and key input, with a hover first so xterm finds the link).
async fn click_text(app: &App, pane_id: &str, needle: &str, at: usize, button: u64, ctrl: bool) {
    let (screen, x, y) = cell_of(app, pane_id, needle, at).await;
    pointer(app, screen, x, y, &[button], ctrl).await;
}

/// Replaces the tab's shell with a bash of known settings that appends every line it receives
/// to `hist` at each prompt; waits for its prompt.
async fn known_bash(app: &App, sid: &str, hist: &Path, m: &str) {
    app.type_in_terminal(
        sid,
        &format!(
            "exec env HISTFILE={} HISTCONTROL= HISTSIZE=1000 PROMPT_COMMAND='history -a' PS1='ready-{m}$ ' bash --norc --noprofile -i\n",
            hist.display()
        ),
    )
    .await;
    app.wait_xterm(sid, &[&format!("ready-{m}$")], UI).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_open_on_ctrl_click_only_and_osc8_links_are_shown_first() {
    // A stand-in for the desktop's opener, first on the app's PATH: it records its arguments.
    let bin = tempfile::tempdir().unwrap();
    let opened = bin.path().join("opened");
    let opener = bin.path().join("xdg-open");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nprintf '%s:%s\\n' \"$#\" \"$1\" >> '{}'\n",
            opened.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::env::set_var("PATH", path);
    let read_opened = || std::fs::read_to_string(&opened).unwrap_or_default();

    let (_cli, desk, app, sid) = shell_window().await;
    let pane = panes_of(&app, &sid).await[0].0.clone();
    let m = marker();
    app.type_in_terminal(
        &sid,
        &format!(
            "printf '%s\\e]8;;https://example.com/osc8-{m}\\e\\\\see-docs-{m}\\e]8;;\\e\\\\ or https://example.org/plain-{m} end\\n' x\n"
        ),
    )
    .await;
    let plain = format!("https://example.org/plain-{m}");
    app.wait_xterm(&sid, &[&format!("xsee-docs-{m} or {plain} end")], UI)
        .await;

    // A plain click on a URL opens nothing; Ctrl+click opens it at once (its text is its address).
    let row = format!("xsee-docs-{m} or https");
    click_text(&app, &pane, &row, row.len() + 5, MOUSE_BUTTON_LEFT, false).await;
    click_text(&app, &pane, &row, row.len() + 5, MOUSE_BUTTON_LEFT, true).await;
    wait_blocking("the opener to run", UI, || !read_opened().is_empty()).await;
    assert_eq!(
        read_opened(),
        format!("1:{plain}\n"),
        "one opening, of the Ctrl+clicked URL, as one argument"
    );
    assert!(app.find(&tid("dialog-confirm")).await.is_none());

    // An OSC 8 link is shown first, with its address; Cancel opens nothing, OK opens it.
    click_text(&app, &pane, &row, 3, MOUSE_BUTTON_LEFT, true).await;
    let body = app
        .wait_text(&tid("dialog-confirm"), UI, |t| t.contains("osc8"))
        .await;
    assert!(
        body.contains(&format!("https://example.com/osc8-{m}"))
            && body.contains(&format!("see-docs-{m}")),
        "the dialog shows the text and the address: {body}"
    );
    app.screenshot("osc8-link-confirm").await;
    app.click(&tid("confirm-cancel"), UI).await;
    app.wait_gone(&tid("dialog-confirm"), UI).await;
    click_text(&app, &pane, &row, 3, MOUSE_BUTTON_LEFT, true).await;
    app.click(&tid("confirm-ok"), UI).await;
    wait_blocking("the OSC 8 link to open", UI, || {
        read_opened().lines().count() == 2
    })
    .await;
    assert_eq!(
        read_opened(),
        format!("1:{plain}\n1:https://example.com/osc8-{m}\n")
    );
    desk.close(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn middle_click_pastes_the_selection_and_the_menu_finds() {
    let (cli, desk, app, sid) = shell_window().await;
    let pane = panes_of(&app, &sid).await[0].0.clone();
    let m = marker();
    let hist = cli.home().join(format!("hist-{m}"));
    known_bash(&app, &sid, &hist, &m).await;
    run_checked(&app, &sid, &hist, &format!("echo pick{m}word")).await;
    let word = format!("pick{m}word");
    app.wait_xterm(&sid, &[&format!("\n{word}")], UI).await;

    // Select the word (double click), then middle-click after typing "echo ": the selection is
    // pasted as if typed.
    app.type_in_terminal(&sid, "echo ").await;
    let (screen, x, y) = cell_of(&app, &pane, &format!("echo {word}"), 8).await;
    pointer(
        &app,
        screen.clone(),
        x,
        y,
        &[MOUSE_BUTTON_LEFT, MOUSE_BUTTON_LEFT],
        false,
    )
    .await;
    pointer(&app, screen, x, y, &[MOUSE_BUTTON_MIDDLE], false).await;
    enter_checked(
        &app,
        &sid,
        &hist,
        &format!("echo {word}"),
        "the middle click pasted the selected word",
    )
    .await;

    // The menu's Find opens the search bar of the pane.
    context_menu(&app, &pane).await;
    app.click(&tid("terminal-menu-find"), UI).await;
    app.wait_for(&format!("{} {}", pane_css(&pane), tid("search-bar")), UI)
        .await;
    desk.close(app).await;
}

/// `xclip` on `desk`'s display with `args`.
fn xclip(desk: &Desktop, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new("xclip");
    cmd.env("DISPLAY", desk.display()).args(args);
    cmd
}

/// The desktop's PRIMARY selection as another app reads it (`xclip -o`), or None.
fn primary_of(desk: &Desktop) -> Option<String> {
    let mut cmd = std::process::Command::new("timeout");
    cmd.env("DISPLAY", desk.display())
        .args(["5", "xclip", "-o", "-selection", "primary"]);
    let out = cmd.output().expect("xclip runs");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn middle_click_pastes_other_apps_primary_and_a_terminal_selection_becomes_primary() {
    let (cli, desk, app, sid) = shell_window().await;
    let pane = panes_of(&app, &sid).await[0].0.clone();
    let m = marker();
    let hist = cli.home().join(format!("hist-{m}"));
    known_bash(&app, &sid, &hist, &m).await;

    // Another app owns PRIMARY with hostile text: the bracketed-paste end marker (which would
    // let the rest run as typed keys), a colour sequence and a bell. `-quiet` keeps xclip in
    // the foreground, serving the selection until it is killed or loses it.
    let hostile = format!("echo other{m}\x1b[201~\x1b[31m\x07tail");
    let mut owner = xclip(&desk, &["-quiet", "-selection", "primary", "-i"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("xclip starts (apt-get install xclip)");
    {
        use std::io::Write;
        let mut stdin = owner.stdin.take().unwrap();
        stdin.write_all(hostile.as_bytes()).unwrap();
    }
    wait_blocking("xclip to own PRIMARY", UI, || {
        primary_of(&desk).as_deref() == Some(hostile.as_str())
    })
    .await;

    let screen = app
        .wait_for(&format!("{} .xterm-screen", pane_css(&pane)), UI)
        .await;
    pointer(&app, screen, 0.0, 0.0, &[MOUSE_BUTTON_MIDDLE], false).await;
    let pasted = format!("echo other{m}[31mtail");
    app.wait_xterm(&sid, &[&format!("ready-{m}$ {pasted}")], UI)
        .await;
    enter_checked(
        &app,
        &sid,
        &hist,
        &pasted,
        "the middle click pasted the other app's selection as one line of data",
    )
    .await;
    app.wait_xterm(&sid, &[&format!("\nother{m}[31mtail")], UI)
        .await;

    // A word selected in the terminal (double click) becomes the desktop's PRIMARY.
    let word = format!("other{m}");
    let (screen, x, y) = cell_of(&app, &pane, &word, 3).await;
    pointer(
        &app,
        screen,
        x,
        y,
        &[MOUSE_BUTTON_LEFT, MOUSE_BUTTON_LEFT],
        false,
    )
    .await;
    wait_blocking("the terminal's selection to become PRIMARY", UI, || {
        primary_of(&desk).as_deref() == Some(word.as_str())
    })
    .await;
    let _ = owner.kill();
    let _ = owner.wait();
    desk.close(app).await;
}

/// The tab of session `sid`: its `data-bell`, `data-activity` and `data-label`.
async fn tab_marks(app: &App, sid: &str) -> (bool, bool, String) {
    let v = app
        .js(
            r#"const t = Array.from(document.querySelectorAll('[data-testid="tab"]'))
                .find(t => t.getAttribute("data-session-id") === arguments[0]);
            return t ? [t.getAttribute("data-bell"), t.getAttribute("data-activity"), t.getAttribute("data-label") || ""] : null;"#,
            vec![Value::from(sid)],
        )
        .await;
    (
        v[0] == "true",
        v[1] == "true",
        v[2].as_str().unwrap_or("").to_string(),
    )
}

/// Waits until the tab of `sid` satisfies `ok`.
async fn wait_marks(app: &App, what: &str, sid: &str, ok: impl Fn(&(bool, bool, String)) -> bool) {
    app.poll(what, UI, || async {
        let marks = tab_marks(app, sid).await;
        if ok(&marks) {
            Ok(())
        } else {
            Err(format!("(bell, activity, label) = {marks:?}"))
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_background_tab_shows_its_bell_until_shown_and_a_replayed_bell_rings_nothing() {
    let (cli, desk, app, a) = shell_window().await;
    let m = marker();
    // A waits for a line, then rings; the line comes through the CLI once A is in the background.
    app.type_in_terminal(&a, &format!("read x; printf 'ring-%s\\a\\n' {m}\n"))
        .await;
    let b = new_shell(&app, "local").await;
    wait_marks(&app, "no marks on the shown tab", &b, |(bell, act, _)| {
        !bell && !act
    })
    .await;
    desk.cli_ok(&["send", "local", &a, "\\n"]);
    wait_marks(
        &app,
        "the bell on the background tab",
        &a,
        |(bell, _, _)| *bell,
    )
    .await;
    // Output marks activity (output just after an attach or a resize does not: keep printing).
    app.poll("activity on the background tab", UI, || async {
        desk.cli_ok(&["send", "local", &a, "\\n"]);
        let marks = tab_marks(&app, &a).await;
        if marks.1 {
            Ok(())
        } else {
            Err(format!("(bell, activity, label) = {marks:?}"))
        }
    })
    .await;
    app.screenshot("background-bell").await;

    // Shown, its marks clear.
    show_tab(&app, 0).await;
    app.wait_xterm(&a, &[&format!("ring-{m}")], UI).await;
    wait_marks(&app, "the marks cleared", &a, |(bell, act, _)| {
        !bell && !act
    })
    .await;

    // Restarted with A in the background: its replay holds the bell, which rings nothing. A
    // title printed after the replay shows the replay was parsed.
    show_tab(&app, 1).await;
    app.wait_tab("B shown", UI, |t| t.session_id == b && t.active)
        .await;
    // The layout is saved as it changes: wait for the save to name B's tab (index 1) active.
    let saved = cli.config_dir().join("ui").join("workspace.json");
    wait_blocking("the saved workspace to have B active", UI, || {
        std::fs::read_to_string(&saved)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .is_some_and(|v| v["active"] == 1)
    })
    .await;
    desk.close(app).await;
    let app = desk.open().await;
    app.wait_tab("A restored in the background", UI, |t| {
        t.session_id == a && t.state == "connected" && !t.active
    })
    .await;
    desk.cli_ok(&[
        "send",
        "local",
        &a,
        &format!("printf '\\\\033]0;T-after-%s\\\\007' {m}\\n"),
    ]);
    wait_marks(
        &app,
        "the title set after the replay",
        &a,
        |(_, _, label)| label == &format!("T-after-{m}"),
    )
    .await;
    let (bell, _, _) = tab_marks(&app, &a).await;
    assert!(!bell, "the replayed bell rang");
    desk.close(app).await;
}
