//! End-to-end test of the MCP policy in the window's settings (issue 18), in the real app under
//! Xvfb driven through WebKitWebDriver (see `gui_e2e.rs`): an invalid pattern is refused naming
//! its rule and nothing is written; the `local` host made read-only with a denied pattern is
//! saved to `policy.json` (read back as JSON and loaded by the MCP server's own policy loader,
//! which then refuses what the rules say), and reopening the settings shows the saved rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_desktop::mcp::policy::Policy;
use outpost_testkit::cli::Cli;
use outpost_testkit::gui::{tid, App, Desktop, UI};
use serde_json::Value;

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// Opens the settings dialog and waits for its policy section to have read the file.
async fn open_settings(app: &App) {
    app.click(&tid("open-settings"), UI).await;
    app.wait_for(&tid("dialog-settings"), UI).await;
    app.wait_for(&tid("policy-new-host"), UI).await;
}

/// Adds rules for host `name` in the open settings dialog.
async fn add_host(app: &App, name: &str) {
    app.type_into(&tid("policy-new-host"), name, UI).await;
    app.click(&tid("policy-add-host"), UI).await;
    app.wait_for(&tid(&format!("policy-host-{name}")), UI).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mcp_policy_is_edited_and_saved_in_settings() {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let file = cli.config_dir().join("policy.json");
    let app = desk.open().await;
    open_settings(&app).await;

    // A pattern that is not a regular expression: refused, naming the rule; nothing written.
    add_host(&app, "*").await;
    app.type_into(&tid("policy-deny-*"), "(", UI).await;
    app.click(&tid("policy-save"), UI).await;
    let status = app
        .wait_text(&tid("policy-status"), UI, |t| t.starts_with("Not saved"))
        .await;
    assert!(status.contains("hosts.*.deny_commands[0]"), "{status}");
    assert!(!file.exists(), "an invalid policy was written");
    app.click(&tid("policy-remove-*"), UI).await;
    app.wait_gone(&tid("policy-host-*"), UI).await;

    // `local` read-only, `reboot` denied: saved.
    add_host(&app, "local").await;
    app.click(&tid("policy-read-only-local"), UI).await;
    app.type_into(&tid("policy-deny-local"), "\\breboot\\b", UI)
        .await;
    app.click(&tid("policy-save"), UI).await;
    app.wait_text(&tid("policy-status"), UI, |t| t.starts_with("Saved"))
        .await;
    app.screenshot("policy-saved").await;

    let json: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        json["hosts"]["local"]["read_only"],
        Value::Bool(true),
        "{json}"
    );
    assert_eq!(
        json["hosts"]["local"]["deny_commands"],
        serde_json::json!(["\\breboot\\b"]),
        "{json}"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "policy.json mode {mode:o}");
    }
    // The MCP server's loader takes it and refuses what it says.
    let policy = Policy::load(&file).expect("the MCP server loads the saved policy");
    let refused = policy.check_writable("local", "session_send").unwrap_err();
    assert_eq!(refused.rule, "hosts.local.read_only");
    // Its deny pattern, with read-only lifted (which otherwise refuses every command first).
    let mut rules = policy.current().clone();
    rules.hosts.get_mut("local").unwrap().read_only = false;
    let writable = Policy::new(rules).unwrap();
    let refused = writable.check_command("local", "sudo reboot").unwrap_err();
    assert_eq!(refused.rule, "hosts.local.deny_commands[0]");
    writable
        .check_command("local", "uptime")
        .expect("uptime allowed");

    // Reopened, the settings show the saved rules.
    app.click(
        r#"[data-testid="dialog-settings"] .modal-actions button.primary"#,
        UI,
    )
    .await;
    app.wait_gone(&tid("dialog-settings"), UI).await;
    open_settings(&app).await;
    app.wait_for(&tid("policy-host-local"), UI).await;
    let shown = app
        .js(
            "return [document.querySelector(arguments[0]).checked, document.querySelector(arguments[1]).value];",
            vec![
                Value::from(tid("policy-read-only-local")),
                Value::from(tid("policy-deny-local")),
            ],
        )
        .await;
    assert_eq!(shown, serde_json::json!([true, "\\breboot\\b"]));
    desk.close(app).await;
}
