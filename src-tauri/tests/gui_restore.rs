//! End-to-end test of screen restore in the real window (Xvfb, WebKitWebDriver, the testkit's
//! `gui` harness): a "This computer" session, started through the CLI at the size of the
//! window's terminal, runs a full-screen program that draws a frame once and then rewrites one
//! line until the session's ring has wrapped several times
//! (agent/tests/programs/frame_then_line.py). The window then attaches the session from the
//! sidebar, and its `.xterm-rows` text must equal what tmux's `capture-pane` shows for the
//! same program at the same size. The ring no longer holds the frame (checked through
//! `outpost read`), so a byte replay alone (restore `"bytes"`) cannot pass: only the daemon's
//! screen snapshot brings the header and the body back.
//!
//! Needs `Xvfb`, `WebKitWebDriver`, `tmux` and `python3` (`.ci/install-deps`) and a built
//! `ui/dist`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use outpost_testkit::cli::Cli;
use outpost_testkit::gui::{cli_output, new_shell, tid, wait_blocking, App, Desktop, UI};
use outpost_testkit::tmux::{normalise, Tmux};
use serde_json::Value;

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The system Python (the program needs only its standard library).
const PYTHON: &str = "/usr/bin/python3";

/// The header the program draws once, at the start.
const HEADER: &str = "HEADER frame demo";

/// What the program writes after its last update.
const FINISHED: &str = "footer: finished";

/// How many times the program's updates fill the session's ring.
const WRAPS: u64 = 4;

/// The bytes one update of the program writes (`ESC[4;3H ESC[33m count NNNNNNNN ESC[0m`).
const UPDATE_BYTES: u64 = 29;

/// The full-screen program shared with the agent's screen-restore tests.
fn program() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../agent/tests/programs/frame_then_line.py")
        .display()
        .to_string()
}

/// The `SessionInfo` of `sid` on this computer, through `outpost sessions local`.
fn session_info(desk: &Desktop, sid: &str) -> Value {
    let list = desk.cli_ok(&["sessions", "local"]);
    list.as_array()
        .and_then(|a| a.iter().find(|s| s["session_id"] == sid))
        .cloned()
        .unwrap_or_else(|| panic!("no session {sid} in {list}"))
}

/// The window's terminal size (cols, rows): a shell tab's session once the window has resized
/// it to the pane (its rows equal the pane's `.xterm-rows` rows).
async fn window_terminal_size(desk: &Desktop, app: &App) -> (u16, u16) {
    let probe = new_shell(app, "local").await;
    app.poll("the probe session sized to its pane", UI, || async {
        let shown = app
            .xterm_text(&probe)
            .await
            .ok_or("no pane")?
            .split('\n')
            .count();
        let info = session_info(desk, &probe);
        let (cols, rows) = (
            info["cols"].as_u64().unwrap(),
            info["rows"].as_u64().unwrap(),
        );
        if rows as usize == shown && rows > 0 {
            Ok((cols as u16, rows as u16))
        } else {
            Err(format!("session {cols}x{rows}, pane shows {shown} rows"))
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_attaching_late_shows_the_screen_tmux_shows() {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    let (cols, rows) = window_terminal_size(&desk, &app).await;
    eprintln!("the window's terminal: {cols}x{rows}");

    // The session, started and fed by the CLI while no window shows it.
    let info = desk.cli_ok(&[
        "new",
        "local",
        "--cols",
        &cols.to_string(),
        "--rows",
        &rows.to_string(),
    ]);
    let sid = info["session_id"].as_str().unwrap().to_string();
    let ring = session_info(&desk, &sid)["scrollback_bytes"]
        .as_u64()
        .unwrap();
    assert!(ring > 0, "the session reports its ring size");
    let updates = (WRAPS * ring / UPDATE_BYTES).to_string();
    let (c, r) = (cols.to_string(), rows.to_string());
    let argv = [PYTHON, &program(), &c, &r, &updates];
    desk.cli_ok(&["send", "local", &sid, &format!("exec {}\r", argv.join(" "))]);
    let tmux = Tmux::start(cols, rows, &argv).unwrap();

    wait_blocking("the session's program to finish", UI * 3, || {
        let end = session_info(&desk, &sid)["output_end"].as_u64().unwrap();
        end > WRAPS * ring && {
            let from = end.saturating_sub(4096).to_string();
            let tail = desk.cli_ok(&["read", "local", &sid, "--from", &from]);
            tail["data"].as_str().is_some_and(|d| {
                use base64::Engine as _;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(d)
                    .unwrap_or_default();
                String::from_utf8_lossy(&bytes).contains(FINISHED)
            })
        }
    })
    .await;
    let mut expected = Vec::new();
    wait_blocking("tmux's program to finish", UI * 3, || {
        expected = tmux.capture().unwrap();
        expected.iter().any(|l| l.contains(FINISHED))
    })
    .await;
    assert!(
        expected[0].starts_with(HEADER),
        "tmux shows the frame: {expected:#?}"
    );
    // The ring has wrapped: the bytes it holds no longer draw the frame, so a replay of them
    // (restore "bytes") would show neither the header nor the body.
    let held = cli_output(&desk, "local", &sid);
    assert!(
        !held.contains(HEADER) && !held.contains("body row"),
        "the ring still holds the frame ({} bytes held); the test would prove nothing",
        held.len()
    );

    // The window attaches the session from the sidebar.
    app.click(&tid("host-local"), UI).await;
    app.click(&tid(&format!("session-{sid}")), UI).await;
    app.wait_tab("the attached session's tab to connect", UI, |t| {
        t.session_id == sid && t.state == "connected"
    })
    .await;
    app.wait_xterm(&sid, &[FINISHED], UI).await;
    let shown = app
        .poll("the window to show tmux's screen", UI, || async {
            let shown = normalise(&app.xterm_text(&sid).await.ok_or("no pane")?);
            if shown == expected {
                Ok(shown)
            } else {
                Err(format!(
                    "the window shows {shown:#?}\ntmux shows {expected:#?}"
                ))
            }
        })
        .await;
    app.screenshot("restore-frame-after-wrap").await;
    eprintln!(
        "the window shows tmux's {} rows after {} bytes of output into a {ring}-byte ring",
        shown.len(),
        session_info(&desk, &sid)["output_end"]
    );
    desk.close(app).await;
}
