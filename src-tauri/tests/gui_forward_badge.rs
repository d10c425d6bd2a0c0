//! End-to-end test of the sidebar's key badge on hosts that forward the ssh-agent, in the real
//! window (Xvfb, WebKitWebDriver; the testkit's `gui` harness, see `gui_e2e.rs`):
//!
//! - `~/.ssh/config` aliases (the app reads `$OUTPOST_SSH_CONFIG`): the alias with
//!   `ForwardAgent yes` has the badge, the one without has none; editing the file to turn
//!   forwarding on for the second gives it the badge while the app runs;
//! - saved hosts: one saved through the form with "Forward my ssh-agent" ticked has the badge
//!   (and the saved host says so through the CLI), one saved without it has none.
//!
//! Screenshots go to `target/e2e-screenshots/` (and `$OUTPOST_SCREENSHOTS_DIR`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_testkit::cli::Cli;
use outpost_testkit::gui::{marker, tid, App, Desktop, UI};

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// Whether the badge of `name` is in the sidebar now.
async fn has_badge(app: &App, name: &str) -> bool {
    app.find(&tid(&format!("host-forward-agent-{name}")))
        .await
        .is_some()
}

/// Waits until the badge of `name` is in the sidebar and in view: drawn, and not cut off by
/// its row's name column (long names are cut, the badge is not).
async fn wait_badge(app: &App, name: &str) {
    let css = tid(&format!("host-forward-agent-{name}"));
    app.poll(&format!("the badge of {name} in view"), UI, || async {
        let v = app
            .js(
                r#"const b = document.querySelector(arguments[0]);
                if (!b) return "absent";
                const r = b.getBoundingClientRect();
                const col = b.closest(".host-text").getBoundingClientRect();
                return r.width > 0 && r.left >= col.left && r.right <= col.right + 0.5
                    ? "ok" : `badge ${r.left}-${r.right}, column ${col.left}-${col.right}`;"#,
                vec![serde_json::Value::from(css.clone())],
            )
            .await;
        if v == "ok" {
            Ok(())
        } else {
            Err(v.to_string())
        }
    })
    .await;
}

/// Saves a host named `name` through the form, with forwarding ticked when `forward`.
async fn save_host(app: &App, name: &str, forward: bool) {
    app.click(&tid("add-host"), UI).await;
    app.wait_for(&tid("dialog-host-form"), UI).await;
    app.type_into(&tid("host-form-hostname"), "127.0.0.1", UI)
        .await;
    app.type_into(&tid("host-form-name"), name, UI).await;
    if forward {
        app.click(
            r#"[data-testid="host-form-forward-agent"] input[type="checkbox"]"#,
            UI,
        )
        .await;
    }
    app.click(&tid("host-form-save"), UI).await;
    app.wait_gone(&tid("dialog-host-form"), UI).await;
    app.wait_for(&tid(&format!("host-{name}")), UI).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_and_aliases_that_forward_the_agent_show_the_key_badge() {
    let m = marker();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let (fwd, plain) = (format!("fwd-{m}"), format!("plain-{m}"));
    let text = format!(
        "Host {fwd}\n  HostName 127.0.0.1\n  ForwardAgent yes\nHost {plain}\n  HostName 127.0.0.1\n"
    );
    std::fs::write(&config, &text).unwrap();
    // The app (started by the WebDriver this process starts) reads these files only; this is
    // the only test of the binary, so no other test sees the variables.
    std::env::set_var("OUTPOST_SSH_CONFIG", &config);
    std::env::set_var("OUTPOST_SSH_SYSTEM_CONFIG", "/dev/null");

    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;

    app.wait_for(&tid(&format!("alias-{plain}")), UI).await;
    wait_badge(&app, &fwd).await;
    assert!(
        !has_badge(&app, &plain).await,
        "no badge on the alias without ForwardAgent"
    );
    app.screenshot("forward-badge-aliases").await;

    // The sidebar follows the file: forwarding turned on for the second alias.
    std::fs::write(&config, format!("{text}  ForwardAgent yes\n")).unwrap();
    wait_badge(&app, &plain).await;

    // Saved hosts: the form's switch decides.
    let (saved_fwd, saved_plain) = (format!("sfwd-{m}"), format!("splain-{m}"));
    save_host(&app, &saved_fwd, true).await;
    save_host(&app, &saved_plain, false).await;
    wait_badge(&app, &saved_fwd).await;
    assert!(
        !has_badge(&app, &saved_plain).await,
        "no badge on the saved host without forwarding"
    );
    let hosts = desk.cli_ok(&["hosts", "list"]);
    let forwards = |name: &str| {
        hosts
            .as_array()
            .and_then(|a| a.iter().find(|h| h["name"] == name))
            .map(|h| h["forward_agent"] == true)
    };
    assert_eq!(forwards(&saved_fwd), Some(true), "{hosts}");
    assert_eq!(forwards(&saved_plain), Some(false), "{hosts}");
    app.screenshot("forward-badge-saved").await;
    desk.close(app).await;
}
