//! End-to-end tests of the window's automation, in the real app under Xvfb driven through
//! WebKitWebDriver (the testkit's `gui` harness; see `gui_e2e.rs`):
//!
//! - broadcast typing: two local shell tabs put in the broadcast set (one through the tab menu,
//!   one with its shortcut, Ctrl+Shift+A) show the mark (the tab typed in as the source); a
//!   command typed once in one tab runs in both sessions, read back through the CLI (`outpost
//!   read`), not only from the screen; a third tab added to the set and closed again leaves
//!   the other two broadcasting; stopping ends it (typing then reaches one session only);
//! - "Run in selected sessions" (Ctrl+Shift+J): a command run in both shells through
//!   `session.exec` shows exit code 3 and the output for each, and a shell that is not at its
//!   prompt (`cat` reading the terminal) is a row with the code `session_busy`, not prose.
//!
//! Screenshots go to `target/e2e-screenshots/` (and `$OUTPOST_SCREENSHOTS_DIR`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_testkit::cli::Cli;
use outpost_testkit::gui::fantoccini::key::Key;
use outpost_testkit::gui::{cli_output, marker, new_shell, tid, wait_blocking, App, Desktop, UI};
use serde_json::Value;

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// `text` typed with Ctrl+Shift held, then every modifier released.
fn ctrl_shift(text: &str) -> String {
    let mut s = String::new();
    s.push(char::from(Key::Control));
    s.push(char::from(Key::Shift));
    s.push_str(text);
    s.push(char::from(Key::Null));
    s
}

/// The terminal input of session `sid`.
fn input_of(sid: &str) -> String {
    format!("{} .xterm-helper-textarea", App::pane(sid))
}

/// The tab of session `sid`.
fn tab_of(sid: &str) -> String {
    format!(r#"[data-testid="tab"][data-session-id="{sid}"]"#)
}

/// Activates the tab of `sid` and waits until it is the active one.
async fn activate(app: &App, sid: &str) {
    app.click(&tab_of(sid), UI).await;
    app.wait_tab("the clicked tab to be active", UI, |t| {
        t.session_id == sid && t.active
    })
    .await;
}

/// Opens the tab menu of `sid`'s tab and picks `action`.
async fn tab_menu(app: &App, sid: &str, action: &str) {
    app.js(
        r#"const el = document.querySelector(arguments[0]);
        const r = el.getBoundingClientRect();
        el.dispatchEvent(new MouseEvent("contextmenu", {bubbles: true, cancelable: true,
            clientX: r.left + 10, clientY: r.top + 10, button: 2}));"#,
        vec![Value::from(tab_of(sid))],
    )
    .await;
    app.click(&tid(&format!("tab-menu-{action}")), UI).await;
}

/// Each tab's broadcast mark by session: `source`, `receiver` or "" (none).
async fn marks(app: &App) -> Vec<(String, String)> {
    let v = app
        .js(
            r#"return Array.from(document.querySelectorAll('[data-testid="tab"]')).map(t => {
                const m = t.querySelector('[data-testid="tab-broadcast"]');
                return [t.getAttribute("data-session-id") || "", m ? m.getAttribute("data-role") : ""];
            });"#,
            vec![],
        )
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Waits until the tabs' broadcast marks are `want` (session, role), in strip order.
async fn wait_marks(app: &App, want: &[(&str, &str)]) {
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    app.poll("the broadcast marks", UI, || async {
        let got = marks(app).await;
        if got == want {
            Ok(())
        } else {
            Err(format!("{got:?}, want {want:?}"))
        }
    })
    .await;
}

/// Waits until the CLI reads `needle` in the output of session `sid`.
async fn wait_session_output(desk: &Desktop, sid: &str, needle: &str) {
    wait_blocking(&format!("{needle:?} in the output of {sid}"), UI, || {
        cli_output(desk, "local", sid).contains(needle)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_broadcast_to_two_tabs_runs_in_both_sessions() {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    let a = new_shell(&app, "local").await;
    let b = new_shell(&app, "local").await;
    let m = marker();

    // Tab b (active) joins through its tab menu, tab a with the shortcut.
    tab_menu(&app, &b, "broadcast_tab").await;
    wait_marks(&app, &[(&a, ""), (&b, "source")]).await;
    app.wait_for(&tid("broadcast-pill"), UI).await;
    activate(&app, &a).await;
    app.type_into(&input_of(&a), &ctrl_shift("A"), UI).await;
    wait_marks(&app, &[(&a, "source"), (&b, "receiver")]).await;
    let pill = app.wait_for(&tid("broadcast-pill"), UI).await;
    assert_eq!(
        pill.attr("data-tabs").await.unwrap().as_deref(),
        Some("2"),
        "the pill counts both tabs"
    );

    // Typed once in a: the shell arithmetic shows that both sessions ran it, not only echoed it.
    app.type_in_terminal(&a, &format!("echo bc-$((6*7))-{m}\n"))
        .await;
    let ran = format!("bc-42-{m}");
    wait_session_output(&desk, &a, &ran).await;
    wait_session_output(&desk, &b, &ran).await;
    app.screenshot("broadcast-two-tabs").await;

    // A third tab joins and closes again: the other two go on broadcasting.
    let c = new_shell(&app, "local").await;
    app.type_into(&input_of(&c), &ctrl_shift("A"), UI).await;
    wait_marks(&app, &[(&a, "receiver"), (&b, "receiver"), (&c, "source")]).await;
    app.click(&format!("{} {}", tab_of(&c), tid("tab-close")), UI)
        .await;
    app.wait_gone(&tab_of(&c), UI).await;
    activate(&app, &b).await;
    wait_marks(&app, &[(&a, "receiver"), (&b, "source")]).await;
    // b's screen shows what a typed into it (a hidden tab's screen is drawn once shown).
    app.wait_xterm(&b, &[&ran], UI).await;
    app.type_in_terminal(&b, &format!("echo again-$((2+3))-{m}\n"))
        .await;
    let again = format!("again-5-{m}");
    wait_session_output(&desk, &a, &again).await;
    wait_session_output(&desk, &b, &again).await;

    // Stopped: typing in b stays in b.
    app.click(&tid("broadcast-stop"), UI).await;
    wait_marks(&app, &[(&a, ""), (&b, "")]).await;
    app.type_in_terminal(&b, &format!("echo alone-$((1+1))-{m}\n"))
        .await;
    let alone = format!("alone-2-{m}");
    wait_session_output(&desk, &b, &alone).await;
    // A probe typed into a afterwards goes through the same ordered input as anything mirrored
    // into it would have: once a ran the probe, a mirrored line would be there too.
    activate(&app, &a).await;
    app.type_in_terminal(&a, &format!("echo probe-$((3+4))-{m}\n"))
        .await;
    wait_session_output(&desk, &a, &format!("probe-7-{m}")).await;
    assert!(
        !cli_output(&desk, "local", &a).contains(&alone),
        "typing after the broadcast stopped reached the other session"
    );
    desk.close(app).await;
}

/// The results view's rows: (session, state, exit, error code, output).
async fn run_rows(app: &App) -> Vec<[String; 5]> {
    let v = app
        .js(
            r#"return Array.from(document.querySelectorAll('[data-testid="run-row"]')).map(r => [
                r.getAttribute("data-session-id") || "", r.getAttribute("data-state") || "",
                r.getAttribute("data-exit") || "", r.getAttribute("data-code") || "",
                (r.querySelector('[data-testid="run-output"]') || {}).textContent || ""]);"#,
            vec![],
        )
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| std::array::from_fn(|i| r[i].as_str().unwrap_or("").to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_in_selected_sessions_shows_each_exit_code_and_a_busy_shell_as_data() {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    let a = new_shell(&app, "local").await;
    let b = new_shell(&app, "local").await;
    let busy = new_shell(&app, "local").await;
    let m = marker();

    // The third shell is not at its prompt: `cat` reads the terminal.
    app.type_in_terminal(&busy, &format!("echo cat-{m}; cat\n"))
        .await;
    wait_session_output(&desk, &busy, &format!("cat-{m}")).await;

    // Ctrl+Shift+J opens the dialog with the current tab's session ticked; tick the others.
    app.type_into(&input_of(&busy), &ctrl_shift("J"), UI).await;
    app.wait_for(&tid("run-dialog"), UI).await;
    for sid in [&a, &b] {
        app.click(
            &format!(r#"[data-testid="run-choice"][data-session-id="{sid}"]"#),
            UI,
        )
        .await;
    }
    let command = format!("echo hi-{m}; sh -c 'exit 3'");
    app.type_into(&tid("run-command"), &command, UI).await;
    app.click(&tid("run-submit"), UI).await;

    let rows = app
        .poll("three result rows", UI, || async {
            let rows = run_rows(&app).await;
            if rows.len() == 3 {
                Ok(rows)
            } else {
                Err(format!("{rows:?}"))
            }
        })
        .await;
    app.screenshot("run-in-sessions").await;
    let hi = format!("hi-{m}");
    for sid in [&a, &b] {
        let row = rows
            .iter()
            .find(|r| &r[0] == sid)
            .expect("a row per session");
        assert_eq!(
            (row[1].as_str(), row[2].as_str(), row[3].as_str()),
            ("failed", "3", ""),
            "{row:?}"
        );
        assert!(row[4].contains(&hi), "the output is shown: {row:?}");
        // The command ran in the session's own shell: its output is in the session too.
        wait_session_output(&desk, sid, &hi).await;
    }
    let row = rows.iter().find(|r| r[0] == busy).unwrap();
    assert_eq!(
        (row[1].as_str(), row[3].as_str()),
        ("error", "session_busy"),
        "{row:?}"
    );
    // Nothing was typed into the busy shell: cat did not echo the command back.
    assert!(
        !cli_output(&desk, "local", &busy).contains(&hi),
        "the command was typed into the busy session"
    );
    desk.close(app).await;
}
