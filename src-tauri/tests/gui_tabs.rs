//! End-to-end tests of the window's tabs, panes, keyboard and palette, in the real app under Xvfb
//! driven through WebKitWebDriver (the testkit's `gui` harness; see `gui_e2e.rs`):
//!
//! - a tab's label follows the title the shell sets (`printf '\e]0;NAME\a'`), a name given by
//!   double-click and one given through the tab menu win over it, and the name survives a
//!   restart of the app;
//! - plain shells that set no title read their program and directory ("bash — ~/src-…", the
//!   home as `~`), from the OSC 7 a shell integration sends, so two tabs in different directories
//!   read differently; two tabs that would read the same are numbered;
//! - ten tabs in a narrow window: the active tab stays in view of the strip, the tab list
//!   names all ten and switches to the one picked; Ctrl+1 and Ctrl+Tab switch tabs;
//! - a session already shown is focused from the sidebar rather than opened twice, "Open in
//!   another tab" opens a second view, and a tab dragged past the last one moves to the end;
//! - three panes in one tab (split right, then split that pane down), each its own live shell;
//!   Alt+Arrow moves focus between them and zoom shows one;
//! - close on exit: `exit` (code 0) closes the tab and ends the session on the agent; `exit 3`
//!   keeps the tab showing the exit and, once that tab is closed, no client is attached;
//! - the command palette (Ctrl+Shift+P) lists every action with its shortcut and runs the one
//!   chosen with Enter;
//! - a shortcut rebound in Settings: a chord another action has is refused and named, a free one
//!   is taken, saved, and works after a restart; the folded sidebar stays folded.
//!
//! Screenshots go to `target/e2e-screenshots/` (and `$OUTPOST_SCREENSHOTS_DIR`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use outpost_testkit::cli::Cli;
use outpost_testkit::gui::fantoccini::actions::{
    InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT,
};
use outpost_testkit::gui::fantoccini::key::Key;
use outpost_testkit::gui::fantoccini::Locator;
use outpost_testkit::gui::{marker, new_shell, tid, wait_blocking, App, Desktop, UI};
use serde_json::Value;

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// `text` typed with Ctrl (and Shift when `shift`) held, then every modifier released.
fn chord(ctrl: bool, alt: bool, shift: bool, text: &str) -> String {
    let mut s = String::new();
    if ctrl {
        s.push(char::from(Key::Control));
    }
    if alt {
        s.push(char::from(Key::Alt));
    }
    if shift {
        s.push(char::from(Key::Shift));
    }
    s.push_str(text);
    s.push(char::from(Key::Null));
    s
}

/// A WebDriver key as text.
fn key(k: Key) -> String {
    char::from(k).to_string()
}

/// The terminal input of session `sid`.
fn input_of(sid: &str) -> String {
    format!("{} .xterm-helper-textarea", App::pane(sid))
}

/// The labels of the tab strip, in order, and the active tab's index.
async fn labels(app: &App) -> (Vec<String>, Option<usize>) {
    let v = app
        .js(
            r#"const tabs = Array.from(document.querySelectorAll('[data-testid="tab"]'));
            return [tabs.map(t => t.getAttribute("data-label") || ""),
                    tabs.findIndex(t => t.getAttribute("data-active") === "true")];"#,
            vec![],
        )
        .await;
    let names = v[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap_or("").to_string())
        .collect();
    let active = v[1].as_i64().and_then(|i| usize::try_from(i).ok());
    (names, active)
}

/// Waits until the active tab's label is `want`.
async fn wait_active_label(app: &App, want: &str) {
    app.poll(&format!("the active tab labelled {want:?}"), UI, || async {
        let (names, active) = labels(app).await;
        match active.and_then(|i| names.get(i)) {
            Some(l) if l == want => Ok(()),
            _ => Err(format!("tabs {names:?}, active {active:?}")),
        }
    })
    .await;
}

/// Clicks the tab of session `sid` until it is the active tab: a tab moves when a label before it
/// grows (a shell reporting its directory), and a click aimed at where it was lands on its
/// neighbour.
async fn activate(app: &App, sid: &str) {
    let css = format!("[data-testid=\"tab\"][data-session-id=\"{sid}\"]");
    app.poll(&format!("the tab of {sid} active"), UI, || async {
        let tabs = app.tabs().await;
        if tabs.iter().any(|t| t.active && t.session_id == sid) {
            return Ok(());
        }
        if let Some(tab) = app.find(&css).await {
            tab.click().await.map_err(|e| e.to_string())?;
        }
        Err(format!("tabs {tabs:?}"))
    })
    .await;
}

/// Fires a DOM event of `kind` (`dblclick`, `contextmenu`) on the first element matching `css`.
async fn fire(app: &App, css: &str, kind: &str) {
    app.wait_for(css, UI).await;
    app.js(
        r#"const el = document.querySelector(arguments[0]);
        const r = el.getBoundingClientRect();
        el.dispatchEvent(new MouseEvent(arguments[1], {bubbles: true, cancelable: true,
            clientX: r.left + 10, clientY: r.top + 10, button: arguments[1] === "contextmenu" ? 2 : 0}));"#,
        vec![Value::from(css), Value::from(kind)],
    )
    .await;
}

/// How many pane boxes the shown tab has.
const SHOWN_PANES: &str =
    r#"return document.querySelectorAll('.tab-panes.shown [data-testid="pane-slot"]').length;"#;

/// The shown tab's panes, each `[session id, focused, left, top, visible]`.
const SHOWN_PANE_ROWS: &str = r#"return Array.from(document.querySelectorAll('.tab-panes.shown [data-testid="pane-slot"]'))
    .map(p => [p.getAttribute("data-session-id"), p.getAttribute("data-focused") === "true",
               Math.round(p.getBoundingClientRect().left), Math.round(p.getBoundingClientRect().top),
               p.getBoundingClientRect().width > 0 && getComputedStyle(p).visibility !== "hidden"]);"#;

/// Waits until the shown tab's panes ([`SHOWN_PANE_ROWS`]) satisfy `ok`, and returns them.
async fn wait_panes(app: &App, what: &str, ok: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    app.poll(what, UI, || async {
        let v = app.js(SHOWN_PANE_ROWS, vec![]).await;
        let list = v.as_array().cloned().unwrap_or_default();
        if ok(&list) {
            Ok(list)
        } else {
            Err(format!("{v}"))
        }
    })
    .await
}

/// The tab of the active session, by the `data-tab-id` of the active tab.
fn active_tab() -> String {
    r#"[data-testid="tab"][data-active="true"]"#.to_string()
}

/// The app over a fresh configuration (the CLI's: its folders and agent) and its window.
async fn window() -> (Cli, Desktop, App) {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    (cli, desk, app)
}

/// The sessions the local agent lists, through the CLI.
fn local_sessions(desk: &Desktop) -> Vec<Value> {
    desk.cli_ok(&["sessions", "local"])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tab_label_follows_the_terminal_title_and_a_rename_survives_a_restart() {
    let (cli, desk, app) = window().await;
    let sid = new_shell(&app, "local").await;

    let m = marker();
    // The shell sets the title: octal escapes, so what is typed is not itself the title.
    app.type_in_terminal(&sid, &format!("printf '\\033]0;T-%s\\007' {m}\n"))
        .await;
    wait_active_label(&app, &format!("T-{m}")).await;
    app.screenshot("tab-title").await;

    // Double-click renames in place; Enter keeps the name, which wins over the title.
    fire(&app, &active_tab(), "dblclick").await;
    let input = tid("tab-rename-input");
    app.wait_for(&input, UI).await;
    let select_all = chord(true, false, false, "a");
    // (Separate calls: WebKitWebDriver keeps Ctrl held to the end of one call.)
    app.type_into(&input, &select_all, UI).await;
    app.type_into(&input, &format!("builds {m}\n"), UI).await;
    wait_active_label(&app, &format!("builds {m}")).await;
    app.type_in_terminal(&sid, "printf '\\033]0;other\\007'\n")
        .await;
    app.wait_xterm(&sid, &["other"], UI).await;
    wait_active_label(&app, &format!("builds {m}")).await;

    // The tab menu renames too.
    fire(&app, &active_tab(), "contextmenu").await;
    app.click(&tid("tab-menu-rename_tab"), UI).await;
    app.wait_for(&input, UI).await;
    app.type_into(&input, &select_all, UI).await;
    app.type_into(&input, &format!("prod {m}\n"), UI).await;
    wait_active_label(&app, &format!("prod {m}")).await;

    // The name is part of the saved layout: the reopened app shows it on the reattached tab.
    let saved = cli.config_dir().join("ui").join("workspace.json");
    wait_blocking("the name in the saved workspace", UI, || {
        std::fs::read_to_string(&saved).is_ok_and(|t| t.contains(&format!("prod {m}")))
    })
    .await;
    desk.close(app).await;
    let app = desk.open().await;
    app.wait_tab("the reattached tab", UI, |t| {
        t.session_id == sid && t.state == "connected"
    })
    .await;
    wait_active_label(&app, &format!("prod {m}")).await;
    desk.close(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_shell_tabs_read_their_program_and_directory() {
    let (cli, desk, app) = window().await;
    let m = marker();
    let under_home = cli.home().join(format!("src-{m}"));
    std::fs::create_dir_all(&under_home).unwrap();
    let elsewhere = tempfile::Builder::new()
        .prefix(&format!("w-{m}-"))
        .tempdir_in("/tmp")
        .unwrap();
    let first = new_shell(&app, "local").await;
    let second = new_shell(&app, "local").await;

    // Nothing set a title yet: both read the session's program, the second numbered.
    let program = app
        .poll("two labelled tabs", UI, || async {
            match labels(&app).await.0.as_slice() {
                [a, b] if !a.is_empty() && *b == format!("{a} (2)") => Ok(a.clone()),
                other => Err(format!("tabs {other:?}")),
            }
        })
        .await;

    // Each shell moves to its directory and reports it at every prompt as vte.sh does (OSC 7),
    // setting no title (--norc).
    for (sid, dir) in [(&first, under_home.as_path()), (&second, elsewhere.path())] {
        activate(&app, sid).await;
        app.type_in_terminal(
            sid,
            &format!(
                "cd '{}' && exec env PROMPT_COMMAND='printf \"\\033]7;file://%s%s\\007\" \"$HOSTNAME\" \"$PWD\"' PS1='ready-{m}$ ' bash --norc --noprofile -i\n",
                dir.display()
            ),
        )
        .await;
        app.wait_xterm(sid, &[&format!("ready-{m}$")], UI).await;
    }
    let want = vec![
        format!("{program} — ~/src-{m}"),
        format!("{program} — {}", elsewhere.path().display()),
    ];
    app.poll("the tabs to read their directories", UI, || async {
        let (names, _) = labels(&app).await;
        (names == want)
            .then_some(())
            .ok_or_else(|| format!("tabs {names:?}, want {want:?}"))
    })
    .await;
    app.screenshot("tab-directories").await;

    // A title the program sets wins over the directory.
    app.type_in_terminal(&second, &format!("printf '\\033]2;T2-%s\\007' {m}\n"))
        .await;
    wait_active_label(&app, &format!("T2-{m}")).await;
    desk.close(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_tabs_in_a_narrow_window_keep_the_active_one_in_view_and_listed() {
    let (_cli, desk, app) = window().await;
    // A narrow window with the monitoring panel folded away (the sidebar stays).
    app.set_window_size(900, 700).await;
    app.click(&tid("monitor-toggle"), UI).await;
    app.wait_gone(&tid("monitor-panel"), UI).await;
    let mut sids = Vec::new();
    for _ in 0..10 {
        sids.push(new_shell(&app, "local").await);
    }

    // The strip scrolled so the newest (active) tab is fully visible.
    let visible = r#"const strip = document.querySelector('[data-testid="tab-strip"]').getBoundingClientRect();
        const tab = document.querySelector('[data-testid="tab"][data-active="true"]').getBoundingClientRect();
        return [tab.left >= strip.left - 1 && tab.right <= strip.right + 1, strip.width,
                document.querySelector('[data-testid="tab-strip"]').scrollWidth];"#;
    // (Polled: the labels settle after the tab opens, as each shell reports its directory.)
    let in_view = |what: &'static str| {
        let app = &app;
        async move {
            app.poll(what, UI, || async {
                let v = app.js(visible, vec![]).await;
                if v[0] == true {
                    Ok(v)
                } else {
                    Err(format!("[in view, strip width, scroll width] {v}"))
                }
            })
            .await
        }
    };
    let v = in_view("the active tab in view").await;
    assert!(
        v[2].as_f64().unwrap() > v[1].as_f64().unwrap(),
        "ten tabs overflow a 900 px window: {v}"
    );
    app.screenshot("tab-overflow").await;

    // The tab list names all ten; picking the first activates it and scrolls it into view.
    app.click(&tid("tab-overflow"), UI).await;
    app.wait_for(&tid("tab-overflow-menu"), UI).await;
    let items = app
        .js(
            r#"return document.querySelectorAll('[data-testid="tab-overflow-item"]').length;"#,
            vec![],
        )
        .await;
    assert_eq!(items, 10, "the tab list names every tab");
    app.screenshot("tab-list").await;
    app.click(&format!("{} :first-child", tid("tab-overflow-menu")), UI)
        .await;
    app.wait_tab("the first tab active", UI, |t| {
        t.active && t.session_id == sids[0]
    })
    .await;
    in_view("the first tab scrolled into view").await;

    // Keyboard: Ctrl+Tab goes to the next tab, Ctrl+9 to the last, Ctrl+1 back to the first.
    app.type_into(
        &input_of(&sids[0]),
        &chord(true, false, false, &key(Key::Tab)),
        UI,
    )
    .await;
    app.wait_tab("the second tab active after Ctrl+Tab", UI, |t| {
        t.active && t.session_id == sids[1]
    })
    .await;
    app.type_into(&input_of(&sids[1]), &chord(true, false, false, "9"), UI)
        .await;
    app.wait_tab("the last tab active after Ctrl+9", UI, |t| {
        t.active && t.session_id == sids[9]
    })
    .await;
    app.type_into(&input_of(&sids[9]), &chord(true, false, false, "1"), UI)
        .await;
    app.wait_tab("the first tab active after Ctrl+1", UI, |t| {
        t.active && t.session_id == sids[0]
    })
    .await;
    desk.close(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shown_session_is_focused_from_the_sidebar_unless_another_view_is_asked_for() {
    let (_cli, desk, app) = window().await;
    let first = new_shell(&app, "local").await;
    let second = new_shell(&app, "local").await;
    app.click(&tid("host-local"), UI).await;
    let row = tid(&format!("session-{first}"));
    app.wait_for(&row, UI).await;

    app.click(&row, UI).await;
    app.wait_tab("the first session's tab active", UI, |t| {
        t.active && t.session_id == first
    })
    .await;
    assert_eq!(
        app.tabs().await.len(),
        2,
        "no second tab for a shown session"
    );

    app.click(&tid(&format!("session-menu-{first}")), UI).await;
    app.click(&tid("session-open-another"), UI).await;
    app.poll("a second tab of the first session", UI, || async {
        let tabs = app.tabs().await;
        let n = tabs.iter().filter(|t| t.session_id == first).count();
        (n == 2 && tabs.len() == 3)
            .then_some(())
            .ok_or_else(|| format!("{tabs:?}"))
    })
    .await;
    // The row shows what runs, its age and its state.
    let meta = app
        .text(&format!("{row} {}", tid("session-meta")))
        .await
        .unwrap_or_default();
    assert!(
        meta.contains("running") && (meta.contains("just now") || meta.contains("min")),
        "{meta}"
    );
    assert!(app.find(&tid(&format!("session-{second}"))).await.is_some());
    app.screenshot("session-rows").await;

    // Dragging the first tab past the last one moves it to the end of the strip.
    let order = || async {
        app.tabs()
            .await
            .into_iter()
            .map(|t| t.session_id)
            .collect::<Vec<_>>()
    };
    let before = order().await;
    let tabs = app
        .client()
        .find_all(Locator::Css(&tid("tab")))
        .await
        .unwrap();
    let drag = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: tabs[0].clone(),
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(100)),
            x: 20.0,
            y: 0.0,
        })
        .then(PointerAction::MoveToElement {
            element: tabs[2].clone(),
            duration: Some(Duration::from_millis(300)),
            x: 40.0,
            y: 0.0,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    app.perform(drag).await;
    let want = vec![before[1].clone(), before[2].clone(), before[0].clone()];
    app.poll("the dragged tab at the end", UI, || async {
        let now = order().await;
        (now == want)
            .then_some(())
            .ok_or_else(|| format!("{now:?}, wanted {want:?}"))
    })
    .await;
    desk.close(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_panes_in_one_tab_with_focus_moves_and_zoom() {
    let (_cli, desk, app) = window().await;
    let a = new_shell(&app, "local").await;

    app.click(&tid("split-row"), UI).await;
    let two = wait_panes(&app, "2 panes", |l| l.len() == 2).await;
    let b = two.iter().find(|p| p[1] == true).unwrap()[0]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(a, b);
    // Split the new (right) pane down: a | b over c.
    app.click(&tid("split-column"), UI).await;
    let three = wait_panes(&app, "3 panes", |l| l.len() == 3).await;
    let c = three.iter().find(|p| p[1] == true).unwrap()[0]
        .as_str()
        .unwrap()
        .to_string();
    let at = |sid: &str, list: &[Value]| {
        let p = list.iter().find(|p| p[0] == sid).unwrap();
        (p[2].as_i64().unwrap(), p[3].as_i64().unwrap())
    };
    let (ax, ay) = at(&a, &three);
    let (bx, by) = at(&b, &three);
    let (cx, cy) = at(&c, &three);
    assert!(bx > ax && cx == bx && cy > by && ay == by, "{three:?}");
    assert_eq!(
        app.js(
            r#"return document.querySelectorAll('[data-testid="pane-divider"]').length;"#,
            vec![]
        )
        .await,
        2
    );

    // Each pane is its own live shell.
    let m = marker();
    for sid in [&a, &b, &c] {
        app.wait_for(&format!("{} .xterm-rows", App::pane(sid)), UI)
            .await;
        app.type_in_terminal(sid, &format!("echo pane-$((1+1))-{m}\n"))
            .await;
        app.wait_xterm(sid, &[&format!("pane-2-{m}")], UI).await;
    }
    app.screenshot("three-panes").await;

    // Alt+Left from c reaches a; Alt+Right from a reaches the top right pane b.
    let focused = |want: String| {
        let app = &app;
        async move {
            wait_panes(app, &format!("{want} focused"), |l| {
                l.iter()
                    .find(|p| p[1] == true)
                    .is_some_and(|p| p[0] == want.as_str())
            })
            .await
        }
    };
    app.type_into(
        &input_of(&c),
        &chord(false, true, false, &key(Key::Left)),
        UI,
    )
    .await;
    focused(a.clone()).await;
    app.type_into(
        &input_of(&a),
        &chord(false, true, false, &key(Key::Right)),
        UI,
    )
    .await;
    focused(b.clone()).await;

    // Zoom: only the focused pane shows, over the whole tab; again restores all three.
    app.type_into(&input_of(&b), &chord(true, false, true, "Z"), UI)
        .await;
    wait_panes(&app, "only b shown", |l| {
        let shown: Vec<&Value> = l.iter().filter(|p| p[4] == true).collect();
        shown.len() == 1 && shown[0][0] == b.as_str()
    })
    .await;
    app.screenshot("pane-zoomed").await;
    app.type_into(&input_of(&b), &chord(true, false, true, "Z"), UI)
        .await;
    wait_panes(&app, "all three shown", |l| {
        l.iter().filter(|p| p[4] == true).count() == 3
    })
    .await;
    desk.close(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_exit_closes_its_tab_and_ends_the_session_a_failed_one_stays() {
    let (_cli, desk, app) = window().await;

    let ok = new_shell(&app, "local").await;
    app.type_in_terminal(&ok, "exit\n").await;
    app.poll("the exited tab closed", UI, || async {
        let tabs = app.tabs().await;
        let gone = !tabs.iter().any(|t| t.session_id == ok);
        gone.then_some(()).ok_or_else(|| format!("{tabs:?}"))
    })
    .await;
    wait_blocking("the exited session ended on the agent", UI, || {
        !local_sessions(&desk)
            .iter()
            .any(|s| s["session_id"] == ok.as_str())
    })
    .await;

    let failed = new_shell(&app, "local").await;
    app.type_in_terminal(&failed, "exit 3\n").await;
    app.wait_tab("the failed session's tab showing its exit", UI, |t| {
        t.session_id == failed && t.state == "exited"
    })
    .await;
    app.wait_text(&tid("tab-exit"), UI, |t| t.contains("exit 3"))
        .await;
    app.screenshot("exit-kept").await;
    app.click(&format!("{} {}", active_tab(), tid("tab-close")), UI)
        .await;
    wait_blocking("no client attached to the exited session", UI, || {
        local_sessions(&desk).iter().any(|s| {
            s["session_id"] == failed.as_str()
                && s["state"] == "exited"
                && s["exit_code"] == 3
                && s["attached_clients"] == 0
        })
    })
    .await;
    desk.close(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_palette_lists_every_action_and_runs_the_chosen_one() {
    let (_cli, desk, app) = window().await;
    let sid = new_shell(&app, "local").await;

    app.type_into(&input_of(&sid), &chord(true, false, true, "P"), UI)
        .await;
    app.wait_for(&tid("palette"), UI).await;
    let all = app
        .js(
            r#"return Array.from(document.querySelectorAll('[data-testid="palette-item"]'))
                .map(i => [i.getAttribute("data-action"), (i.querySelector("kbd") || {}).textContent || ""]);"#,
            vec![],
        )
        .await;
    let all = all.as_array().unwrap();
    let shortcut = |id: &str| {
        all.iter()
            .find(|i| i[0] == id)
            .map(|i| i[1].as_str().unwrap_or("").to_string())
    };
    assert!(all.len() >= 30, "every action is listed: {all:?}");
    assert_eq!(shortcut("split_row").as_deref(), Some("Ctrl+Shift+E"));
    assert_eq!(shortcut("next_tab").as_deref(), Some("Ctrl+Tab"));
    assert_eq!(shortcut("settings").as_deref(), Some("Ctrl+,"));

    // A fuzzy query narrows the list; Enter runs the first match.
    app.type_into(&tid("palette-input"), "splt rght", UI).await;
    app.wait_js(
        "split_row first",
        r#"const i = document.querySelector('[data-testid="palette-item"].selected');
        return i ? i.getAttribute("data-action") : null;"#,
        Value::from("split_row"),
        UI,
    )
    .await;
    app.screenshot("command-palette").await;
    app.type_into(&tid("palette-input"), "\n", UI).await;
    app.wait_gone(&tid("palette"), UI).await;
    app.wait_js("the tab split in two", SHOWN_PANES, Value::from(2), UI)
        .await;
    desk.close(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shortcut_rebound_in_settings_refuses_a_conflict_and_is_kept() {
    let (cli, desk, app) = window().await;
    let sid = new_shell(&app, "local").await;

    app.type_into(&input_of(&sid), &chord(true, false, false, ","), UI)
        .await;
    app.wait_for(&tid("dialog-settings"), UI).await;
    // Ctrl+Shift+T is "New shell": refused and named; Alt+K is free and taken.
    app.wait_for(&tid("rebind-palette"), UI).await;
    // The table scrolls inside the dialog: bring the row into view first.
    app.js(
        r#"document.querySelector('[data-testid="rebind-palette"]').scrollIntoView({block: "center"});"#,
        vec![],
    )
    .await;
    app.click(&tid("rebind-palette"), UI).await;
    app.type_into(&tid("rebind-palette"), &chord(true, false, true, "T"), UI)
        .await;
    app.wait_text(&tid("shortcut-problem"), UI, |t| {
        t.contains("Ctrl+Shift+T") && t.contains("New shell")
    })
    .await;
    app.type_into(&tid("rebind-palette"), &chord(false, true, false, "k"), UI)
        .await;
    app.wait_text(r#"tr[data-action="palette"]"#, UI, |t| t.contains("Alt+K"))
        .await;
    assert_eq!(
        app.tabs().await.len(),
        1,
        "the refused chord opened nothing"
    );
    app.screenshot("settings-shortcuts").await;
    app.type_into(&tid("rebind-palette"), &key(Key::Escape), UI)
        .await;
    app.wait_gone(&tid("dialog-settings"), UI).await;

    // The sidebar folds away, and stays folded.
    app.click(&tid("sidebar-hide"), UI).await;
    app.wait_for(&tid("sidebar-show"), UI).await;
    assert!(app.find(&tid("host-local")).await.is_none());
    let saved = cli.config_dir().join("ui").join("settings.json");
    wait_blocking("the binding and the folded sidebar saved", UI, || {
        std::fs::read_to_string(&saved)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .is_some_and(|v| {
                v["sidebar_open"] == false && v["keybindings"]["palette"][0] == "Alt+K"
            })
    })
    .await;

    // The reopened app uses them: the sidebar stays folded, Alt+K opens the palette.
    desk.close(app).await;
    let app = desk.open().await;
    app.wait_tab("the reattached tab", UI, |t| {
        t.session_id == sid && t.state == "connected"
    })
    .await;
    app.wait_for(&format!("{} .xterm-rows", App::pane(&sid)), UI)
        .await;
    app.wait_for(&tid("sidebar-show"), UI).await;
    app.type_into(&input_of(&sid), &chord(false, true, false, "k"), UI)
        .await;
    app.wait_for(&tid("palette"), UI).await;
    desk.close(app).await;
}
