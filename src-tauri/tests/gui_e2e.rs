//! End-to-end tests of the real desktop app: `target/debug/outpost` (with the UI of `ui/dist`
//! embedded) in a real window on a private Xvfb display, driven through WebKitWebDriver (the
//! testkit's `gui` harness). Every test has its own X server, WebDriver, configuration
//! directory and local agent home, so they run in parallel; none sleeps a fixed time.
//!
//! - a "This computer" shell: a command typed into the terminal and its output read back from
//!   xterm's rows;
//! - restart: the app quits, the session prints while it is closed (through the CLI), and the
//!   restarted app reattaches the same tab showing both the earlier and the new output;
//! - an ssh tab through the jump host of the testkit's topology ("New SSH to…"), reaching the
//!   target, with the monitoring panel showing both hosts;
//! - the monitoring panel of "This computer", hidden and shown again;
//! - the unknown-host-key dialog with the server's real fingerprint, trusted once;
//! - the changed-host-key dialog with both fingerprints, from the error's typed details;
//! - the "keys of another type are on record" warning, Cancel focused, nothing saved;
//! - a paste trying to break out of bracketed paste (`ESC[201~`) confirmed and not run;
//! - a keyboard-interactive question (PAM) in its own dialog titled `user@host asks:`.
//!
//! Screenshots go to `target/e2e-screenshots/` (and `$OUTPOST_SCREENSHOTS_DIR`). The ssh tests
//! need root (throwaway users, `sshd`, network namespaces) and fail without it; all of them need
//! `Xvfb` and `WebKitWebDriver` (`.ci/install-deps`) and a built `ui/dist` (`make ui`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use outpost_testkit::cli::{Cli, Jumped, Remote};
use outpost_testkit::gui::{
    cli_output, fantoccini, hostname, marker, new_shell, tid, wait_blocking, App, Desktop,
    FIRST_CONNECT, UI,
};
use outpost_testkit::{note, Sshd, TopologyKind};

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_shell_echoes_what_is_typed() {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    app.wait_text(&tid("host-local"), UI, |t| t.contains("This computer"))
        .await;

    let sid = new_shell(&app, "local").await;
    let m = marker();
    app.type_in_terminal(&sid, &format!("echo hello-$((6*7))-{m}\n"))
        .await;
    // The output differs from the typed line, so this is the shell's answer, not the echo.
    let text = app.wait_xterm(&sid, &[&format!("hello-42-{m}")], UI).await;
    assert!(
        text.contains(&format!("echo hello-$((6*7))-{m}")),
        "the typed line shows too: {text}"
    );
    app.screenshot("local-shell").await;

    // It is a real session of the local agent, with the same output.
    let sessions = desk.cli_ok(&["sessions", "local"]);
    assert!(
        sessions
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["session_id"] == sid.as_str()),
        "{sid} not in {sessions}"
    );
    assert!(cli_output(&desk, "local", &sid).contains(&format!("hello-42-{m}")));
    desk.close(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_app_reattaches_its_tab_with_the_output_of_while_it_was_closed() {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    let sid = new_shell(&app, "local").await;
    let m = marker();
    app.type_in_terminal(&sid, &format!("echo before-$((1+1))-{m}\n"))
        .await;
    app.wait_xterm(&sid, &[&format!("before-2-{m}")], UI).await;
    desk.close(app).await;

    // While the app is closed, the session goes on printing.
    desk.cli_ok(&[
        "send",
        "local",
        &sid,
        &format!("echo while-$((2+3))-closed-{m}\\n"),
    ]);
    wait_blocking("the output while the app is closed", UI, || {
        cli_output(&desk, "local", &sid).contains(&format!("while-5-closed-{m}"))
    })
    .await;

    let app = desk.open().await;
    let tab = app
        .wait_tab("the restored tab to connect", UI, |t| {
            t.session_id == sid && t.state == "connected"
        })
        .await;
    let text = app
        .wait_xterm(
            &sid,
            &[&format!("before-2-{m}"), &format!("while-5-closed-{m}")],
            UI,
        )
        .await;
    app.screenshot("restored-tab").await;
    for needle in [format!("before-2-{m}"), format!("while-5-closed-{m}")] {
        assert_eq!(
            text.matches(&needle).count(),
            1,
            "{needle} exactly once after the reattach: {text}"
        );
    }
    let tabs = app.tabs().await;
    assert_eq!(
        tabs.iter().filter(|t| t.session_id == sid).count(),
        1,
        "one tab for the session: {tabs:?}"
    );
    assert_eq!(tab.host, "local");

    // The reattached tab is live.
    app.type_in_terminal(&sid, &format!("echo after-$((3+4))-{m}\n"))
        .await;
    app.wait_xterm(&sid, &[&format!("after-7-{m}")], UI).await;
    desk.close(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_tab_through_the_jump_host_reaches_the_target() {
    let j = Jumped::new(OUTPOST);
    let kind = j.topo.kind();
    note(&format!(
        "gui e2e ssh tab: {kind} topology{}",
        match kind {
            TopologyKind::Netns => " (target reachable only from the jump host)".to_string(),
            TopologyKind::Loopback => format!(
                " (fallback: {})",
                j.topo.fallback_reason().unwrap_or("unknown")
            ),
        }
    ));
    let desk = Desktop::start(&j.cli);
    let app = desk.open().await;
    app.wait_for(&tid("host-jump"), UI).await;
    app.wait_text(&tid("host-target"), UI, |t| t.contains("jump"))
        .await;
    app.screenshot("hosts-sidebar").await;

    let dest = format!(
        "{}@{}:{}",
        j.user.name,
        j.topo.target_addr().ip(),
        j.topo.target_addr().port()
    );
    app.click(&tid("new-ssh-jump"), UI).await;
    app.type_into(&tid("ssh-target-input"), &dest, UI).await;
    app.click(&tid("ssh-target-submit"), UI).await;
    let tab = app
        .wait_tab("a connected tab on the jump host", FIRST_CONNECT, |t| {
            t.host == "jump" && t.state == "connected"
        })
        .await;
    let sid = tab.session_id;

    // Type once OpenSSH on the jump host has logged in to the target (the session's link).
    wait_blocking("the ssh session's link to come up", FIRST_CONNECT, || {
        let list = desk.cli_ok(&["sessions", "jump"]);
        list.as_array()
            .unwrap()
            .iter()
            .any(|s| s["session_id"] == sid.as_str() && s["link"] == "up")
    })
    .await;
    app.type_in_terminal(&sid, "echo at-$(hostname)-$((40+2))\n")
        .await;
    app.wait_xterm(&sid, &[&format!("at-{}-42", j.topo.target_hostname())], UI)
        .await;

    // The monitoring panel shows the jump host (the tab's agent) and the ssh target.
    let agent =
        r#"[data-testid="monitor-host"][data-target="agent"] [data-testid="monitor-hostname"]"#;
    app.wait_text(agent, UI, |t| t == j.topo.jump_hostname())
        .await;
    let target = format!(
        r#"[data-testid="monitor-host"][data-target="{sid}"] [data-testid="monitor-hostname"]"#
    );
    app.wait_text(&target, UI, |t| t == j.topo.target_hostname())
        .await;
    app.screenshot("jump-host-tab").await;
    desk.close(app).await;
}

/// True for "CPU 12.5%"-like text: a percentage between 0 and 100.
fn is_cpu_figure(text: &str) -> bool {
    text.trim()
        .strip_prefix("CPU ")
        .and_then(|t| t.strip_suffix('%'))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .is_some_and(|p| (0.0..=100.0).contains(&p))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitoring_panel_shows_this_computers_figures() {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    new_shell(&app, "local").await;

    // Whatever its saved state, hide the panel and show it again.
    let panel = tid("monitor-panel");
    if app.find(&panel).await.is_some() {
        app.click(&tid("monitor-toggle"), UI).await;
        app.wait_gone(&panel, UI).await;
    }
    app.click(&tid("monitor-toggle"), UI).await;
    app.wait_for(&panel, UI).await;

    let host = r#"[data-testid="monitor-host"][data-target="agent"]"#;
    let me = hostname();
    app.wait_text(
        &format!(r#"{host} [data-testid="monitor-hostname"]"#),
        UI,
        |t| t == me,
    )
    .await;
    let cpu = app
        .wait_text(
            &format!(r#"{host} [data-testid="monitor-cpu"]"#),
            UI,
            is_cpu_figure,
        )
        .await;
    let mem = app
        .wait_text(&format!(r#"{host} [data-testid="monitor-mem"]"#), UI, |t| {
            t.starts_with("Memory") && t.ends_with("%)")
        })
        .await;
    let load = app
        .wait_text(
            &format!(r#"{host} [data-testid="monitor-load"]"#),
            UI,
            |t| t.starts_with("Load ") && t.chars().any(|c| c.is_ascii_digit()),
        )
        .await;
    let uptime = app
        .wait_text(
            &format!(r#"{host} [data-testid="monitor-uptime"]"#),
            UI,
            |t| t.starts_with("Up ") && t.chars().any(|c| c.is_ascii_digit()),
        )
        .await;
    note(&format!(
        "monitoring panel: {cpu} | {mem} | {load} | {uptime}"
    ));

    // Live: the figures change as samples arrive (three different readings), and the charts
    // have lines to draw for the screenshot.
    let figures =
        format!(r#"{host} [data-testid="monitor-cpu"], {host} [data-testid="monitor-mem"]"#);
    let readings = std::sync::Mutex::new(HashSet::new());
    app.poll("three different monitor readings", UI, || async {
        let v = app
            .js(
                "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText).join(' | ');",
                vec![figures.as_str().into()],
            )
            .await;
        let mut seen = readings.lock().unwrap();
        seen.insert(v.as_str().unwrap_or_default().to_string());
        if seen.len() >= 3 {
            Ok(())
        } else {
            Err(format!("{seen:?}"))
        }
    })
    .await;
    app.screenshot("monitoring-panel").await;
    desk.close(app).await;
}

/// The SHA-256 fingerprint `ssh-keygen -lf` gives for a public key line.
fn ssh_keygen_fingerprint(public_key: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.pub");
    std::fs::write(&path, format!("{public_key}\n")).unwrap();
    let out = std::process::Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "ssh-keygen -lf: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_host_key_dialog_shows_the_servers_fingerprint() {
    let r = Remote::untrusted(OUTPOST, Sshd::builder());
    let fingerprint = ssh_keygen_fingerprint(r.sshd.host_public_key());
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    let desk = Desktop::start(&r.cli);
    let app = desk.open().await;

    app.click(&tid("test-host-h"), UI).await;
    let dialog = tid("dialog-hostkey");
    app.wait_for(&dialog, UI).await;
    let shown = app
        .text(&tid("hostkey-fingerprint"))
        .await
        .expect("the fingerprint in the dialog");
    assert_eq!(shown.trim(), fingerprint, "the dialog's fingerprint");
    let text = app.text(&dialog).await.unwrap();
    let port = r.sshd.addr().port().to_string();
    assert!(
        text.contains(&port) && text.to_lowercase().contains("ed25519"),
        "the dialog names the port and the key type: {text}"
    );
    app.screenshot("host-key-dialog").await;

    app.click(&tid("hostkey-once"), UI).await;
    app.wait_gone(&dialog, UI).await;
    let me = hostname();
    let result = app
        .poll("the connection test's result", FIRST_CONNECT, || async {
            // The host's whole sidebar entry: its result box, an error box, or "Connecting…".
            let item = app
                .js(
                    r#"const row = document.querySelector('[data-testid="host-h"]');
                    const item = row && row.closest("li");
                    if (!item) return null;
                    const q = (id) => item.querySelector(`[data-testid="${id}"]`);
                    return {
                        result: q("host-test-result") ? q("host-test-result").innerText : null,
                        error: q("error-box") ? q("error-box").innerText : null,
                        text: item.innerText,
                    };"#,
                    vec![],
                )
                .await;
            if let Some(e) = item["error"].as_str() {
                panic!("the connection test failed: {e}");
            }
            match item["result"].as_str() {
                Some(r) if r.contains(&me) && r.contains("ms") => Ok(r.to_string()),
                _ => Err(format!("{item}")),
            }
        })
        .await;
    assert!(result.contains("linux"), "the platform: {result}");
    app.screenshot("host-test-result").await;
    let own = std::fs::read_to_string(r.cli.own_known_hosts()).unwrap_or_default();
    assert!(
        !own.contains(r.sshd.host_public_key()),
        "\"Trust once\" saved the key: {own}"
    );
    desk.close(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_host_key_dialog_shows_both_fingerprints_from_the_error_details() {
    let mut r = Remote::start(OUTPOST, Sshd::builder());
    let old = r.sshd.host_key_fingerprint().to_owned();
    r.sshd.regenerate_host_key().unwrap();
    let new = r.sshd.host_key_fingerprint().to_owned();
    let desk = Desktop::start(&r.cli);
    let app = desk.open().await;

    app.click(&tid("test-host-h"), UI).await;
    let dialog = tid("dialog-hostkey-changed");
    app.wait_for(&dialog, UI).await;
    let presented = app.text(&tid("hostkey-changed-presented")).await.unwrap();
    assert_eq!(presented.trim(), new, "the presented fingerprint");
    let expected = app.text(&tid("hostkey-changed-expected")).await.unwrap();
    assert_eq!(expected.trim(), old, "the fingerprint on record");
    let host = app.text(&tid("hostkey-changed-host")).await.unwrap();
    assert_eq!(
        host.trim(),
        r.sshd.host_pattern(),
        "the host as known_hosts names it"
    );
    let text = app.text(&dialog).await.unwrap();
    assert!(
        text.contains(&format!("ssh-keygen -R '{}'", r.sshd.host_pattern())),
        "the dialog says how to remove the old key: {text}"
    );
    app.screenshot("host-key-changed-dialog").await;
    desk.close(app).await;
}

/// A key of a new type from a host whose keys of another type are on record (a man in the middle
/// offering only another key type looks like this): a warning dialog of its own, listing the
/// keys on record, with Cancel focused and no button styled as the default; cancelling saves
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_key_types_dialog_warns_with_cancel_as_the_default() {
    let r = Remote::untrusted(OUTPOST, Sshd::builder());
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("ecdsa");
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ecdsa", "-N", "", "-f"])
        .arg(&other)
        .output()
        .unwrap();
    assert!(out.status.success(), "ssh-keygen: {out:?}");
    let other_pub = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let other_fp = ssh_keygen_fingerprint(other_pub.trim());
    r.cli
        .trust(&format!("{} {}\n", r.sshd.host_pattern(), other_pub.trim()));
    let presented = ssh_keygen_fingerprint(r.sshd.host_public_key());
    let desk = Desktop::start(&r.cli);
    let app = desk.open().await;

    app.click(&tid("test-host-h"), UI).await;
    let dialog = tid("dialog-hostkey-other-types");
    app.wait_for(&dialog, UI).await;
    assert!(
        app.find(&tid("dialog-hostkey")).await.is_none(),
        "not the ordinary unknown-host dialog"
    );
    let shown = app
        .text(&tid("hostkey-other-types-presented"))
        .await
        .unwrap();
    assert!(
        shown.contains(&presented) && shown.contains("ssh-ed25519"),
        "{shown}"
    );
    let known = app.text(&tid("hostkey-other-types-known")).await.unwrap();
    assert!(
        known.contains(&other_fp) && known.contains("ecdsa-sha2-nistp256"),
        "{known}"
    );
    let warning = app.text(&tid("hostkey-other-types-warning")).await.unwrap();
    assert!(warning.contains("man-in-the-middle"), "{warning}");
    let focus = app
        .js(
            r#"const d = document.querySelector('[data-testid="dialog-hostkey-other-types"]');
            return {
                focused: document.activeElement && document.activeElement.getAttribute("data-testid"),
                primary: d.querySelectorAll("button.primary").length,
            };"#,
            vec![],
        )
        .await;
    assert_eq!(
        focus["focused"], "hostkey-reject",
        "Cancel is focused: {focus}"
    );
    assert_eq!(focus["primary"], 0, "no button stands out: {focus}");
    app.screenshot("host-key-other-types-dialog").await;

    app.click(&tid("hostkey-reject"), UI).await;
    app.wait_gone(&dialog, UI).await;
    app.wait_for(&tid("error-box"), UI).await;
    assert!(
        !r.cli.own_known_hosts().exists(),
        "cancelling saved the key"
    );
    desk.close(app).await;
}

/// A paste that tries to end the bracketed paste early (`ESC[201~`) and run a command with its
/// line break: the markers are stripped, the multi-line confirmation comes first, and the text
/// lands on the command line without running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paste_cannot_break_out_of_bracketed_paste() {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    let sid = new_shell(&app, "local").await;
    let m = marker();
    // The shell is ready (and bracketed paste is on) once it has answered once.
    app.type_in_terminal(&sid, &format!("echo ready-$((1+1))-{m}\n"))
        .await;
    app.wait_xterm(&sid, &[&format!("ready-2-{m}")], UI).await;

    // The browser's own paste event, as a middle click or the context menu delivers it.
    let payload = format!("true X{m}\u{1b}[201~; echo PW''NED-{m}\r");
    let dispatched = app
        .js(
            r#"const ta = document.querySelector(arguments[0] + " .xterm-helper-textarea");
            ta.focus();
            const dt = new DataTransfer();
            dt.setData("text/plain", arguments[1]);
            const ev = new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true });
            ta.dispatchEvent(ev);
            return ev.clipboardData !== null && ev.clipboardData.getData("text/plain") === arguments[1];"#,
            vec![
                serde_json::Value::from(App::pane(&sid)),
                serde_json::Value::from(payload),
            ],
        )
        .await;
    assert_eq!(dispatched, true, "the paste event carried the text");
    let confirm = tid("dialog-confirm");
    app.wait_for(&confirm, UI).await;
    app.screenshot("paste-confirm-dialog").await;
    app.click(&tid("confirm-ok"), UI).await;
    app.wait_gone(&confirm, UI).await;
    let line = format!("true X{m}; echo PW''NED-{m}");
    app.wait_xterm(&sid, &[&line], UI).await;

    // Comment the pasted line out and run a marker command: anything the paste ran would have
    // printed before the marker.
    let home = char::from(fantoccini::key::Key::Home);
    app.type_in_terminal(&sid, &format!("{home}#\n")).await;
    app.type_in_terminal(&sid, &format!("echo after-$((2+2))-{m}\n"))
        .await;
    let text = app.wait_xterm(&sid, &[&format!("after-4-{m}")], UI).await;
    assert!(
        !text.contains(&format!("PWNED-{m}")),
        "the pasted command ran: {text}"
    );
    assert!(!text.contains('\u{1b}'), "{text}");
    app.screenshot("paste-not-run").await;
    desk.close(app).await;
}

/// A keyboard-interactive question (PAM's "Password: ") gets a dialog of its own: the title names
/// the asker (`user@host asks:`), the server's words are quoted as the server's, and it is not
/// the password or passphrase dialog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_interactive_dialog_names_the_asker_and_quotes_the_server() {
    if !std::path::Path::new("/etc/pam.d/sshd").exists() {
        note("SKIPPED keyboard_interactive_dialog: /etc/pam.d/sshd is missing (no PAM)");
        return;
    }
    let r = Remote::start(
        OUTPOST,
        Sshd::builder()
            .config_line("UsePAM yes")
            .config_line("KbdInteractiveAuthentication yes")
            .config_line("AuthenticationMethods keyboard-interactive"),
    );
    r.user.set_password("kbd-e2e-pw-1").unwrap();
    let desk = Desktop::start(&r.cli);
    let app = desk.open().await;

    app.click(&tid("test-host-h"), UI).await;
    let dialog = tid("dialog-kbd-interactive");
    app.wait_for(&dialog, UI).await;
    assert!(app.find(&tid("dialog-secret")).await.is_none());
    let title = app
        .js(
            r#"const d = document.querySelector('[data-testid="dialog-kbd-interactive"]');
            const h = d.querySelector("h2, h3, .modal-title");
            return h ? h.innerText : d.innerText.split("\n")[0];"#,
            vec![],
        )
        .await;
    let asker = format!("{}@{}", r.user.name, r.sshd.addr().ip());
    assert_eq!(
        title.as_str().map(str::trim),
        Some(format!("{asker} asks:").as_str()),
        "{title}"
    );
    let quoted = app.text(&tid("kbd-server-text")).await.unwrap();
    assert!(
        quoted.contains("assword"),
        "the server's prompt, quoted: {quoted}"
    );
    app.screenshot("keyboard-interactive-dialog").await;
    app.click(&tid("secret-cancel"), UI).await;
    app.wait_gone(&dialog, UI).await;
    desk.close(app).await;
}
