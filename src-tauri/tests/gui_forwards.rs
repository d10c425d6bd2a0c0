//! The forwards panel in the real window (Xvfb, WebKitWebDriver; the testkit's `gui` harness,
//! see `gui_e2e.rs`) over the jump/target topology (real `sshd`s in network namespaces) with a
//! real HTTP server (`python3 -m http.server`) in the target's namespace, which the desktop
//! cannot reach: the add form refuses a bad destination port with its own message; an `-L`
//! forward added in the panel carries `curl`'s request (the oracle) to the target through the
//! jump host, and the panel shows its bytes and connections; saving it lists it in
//! `outpost forward list`; closing it frees the port (a new listener binds it) and `curl`
//! fails; the saved forward stays listed as stopped until it is forgotten. An `-R` forward
//! added in the panel has the jump host listen on a port it picks: `curl` on the jump host
//! fetches a file from a `python3 -m http.server` on the desktop through it, and after Close
//! the jump host's port refuses.
//!
//! Needs root (throwaway users, `sshd`, network namespaces) and fails without it. Screenshots
//! go to `target/e2e-screenshots/` (and `$OUTPOST_SCREENSHOTS_DIR`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_testkit::cli::{Jumped, DEADLINE};
use outpost_testkit::gui::{tid, wait_blocking, App, Desktop, UI};
use outpost_testkit::http::{curl, serve_on_target};
use serde_json::Value;

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The HTTP server's port on the target.
const HTTP_PORT: u16 = 8000;

/// The panel's rows: id, running, bytes received.
async fn rows(app: &App) -> Vec<(String, bool, u64)> {
    let v = app
        .js(
            r#"return Array.from(document.querySelectorAll('[data-testid="forward-row"]')).map(r => [
                r.dataset.id, r.dataset.running === "true",
                Number(r.querySelector('[data-testid="forward-bytes-in"]').dataset.bytes)]);"#,
            vec![],
        )
        .await;
    serde_json::from_value(v).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_l_forward_added_in_the_panel_carries_http_shows_bytes_and_frees_its_port() {
    let j = Jumped::new(OUTPOST);
    let body = format!("served-by-target-{}\n", std::process::id());
    j.user.write_file("www/hello.txt", &body, 0o644).unwrap();
    let tip = j.topo.target_addr().ip().to_string();
    let (_http, base) = serve_on_target(&j.topo, &j.user, HTTP_PORT, "hello.txt");
    let url = format!("{base}hello.txt");
    assert!(
        curl(&[], &url).is_none(),
        "the desktop reaches the target directly"
    );

    let desk = Desktop::start(&j.cli);
    let app = desk.open().await;
    app.click(&tid("forwards-host-jump"), UI).await;
    app.wait_for(&tid("forwards-panel"), UI).await;
    app.wait_for(&tid("forwards-empty"), UI).await;

    // A destination port of 0 is refused by the form, with its own message.
    app.fill(&tid("forward-port"), "0").await;
    app.fill(&tid("forward-destHost"), &tip).await;
    app.fill(&tid("forward-destPort"), "0").await;
    app.click(&tid("forward-add"), UI).await;
    let problem = app
        .wait_text(&tid("forward-problem-destPort"), UI, |t| !t.is_empty())
        .await;
    assert!(problem.contains("65535"), "{problem}");
    app.screenshot("forwards-invalid").await;

    // Port 0: the forward gets a free port, shown in its id.
    app.fill(&tid("forward-destPort"), &HTTP_PORT.to_string())
        .await;
    app.click(&tid("forward-save-new"), UI).await;
    app.click(&tid("forward-add"), UI).await;
    let id = app
        .poll("the forward to run", DEADLINE, || async {
            match rows(&app).await.as_slice() {
                [(id, true, _)] => Ok(id.clone()),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    let want_prefix = "L127.0.0.1:";
    let want_suffix = format!(":{tip}:{HTTP_PORT}");
    assert!(
        id.starts_with(want_prefix) && id.ends_with(&want_suffix),
        "{id}"
    );
    let port: u16 = id[want_prefix.len()..id.len() - want_suffix.len()]
        .parse()
        .unwrap();
    assert_ne!(port, 0);

    // It carries HTTP to the target, and the panel shows the bytes.
    let local = format!("http://127.0.0.1:{port}/hello.txt");
    assert_eq!(curl(&[], &local).as_deref(), Some(body.as_str()));
    let got = app
        .poll("the panel to show the bytes", UI, || async {
            match rows(&app).await.as_slice() {
                [(_, true, bytes)] if *bytes > body.len() as u64 => Ok(*bytes),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    assert!(got > 0);
    let conns = app
        .text(&tid("forward-connections"))
        .await
        .unwrap_or_default();
    assert!(conns.contains("1 total"), "{conns}");
    app.screenshot("forwards-running").await;

    // Saved: `outpost forward list` (the CLI) lists it.
    let listed = desk.cli_ok(&["forward", "list", "jump"]);
    let saved = listed["saved"].as_array().cloned().unwrap_or_default();
    assert!(
        saved
            .iter()
            .any(|s| s["spec"]["dest_port"] == HTTP_PORT && s["spec"]["dest_host"] == tip),
        "{listed}"
    );

    // Closing frees the port at once; the saved one stays, stopped.
    app.click(&tid("forward-close"), UI).await;
    app.poll("the forward to stop", UI, || async {
        match rows(&app).await.as_slice() {
            [(_, false, _)] => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    wait_blocking("the port to be free", UI, || {
        std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
    })
    .await;
    assert!(
        curl(&[], &local).is_none(),
        "the closed forward still answers"
    );
    app.screenshot("forwards-closed").await;

    // Forgotten: the row goes.
    app.click(&tid("forward-saved"), UI).await;
    app.wait_for(&tid("forwards-empty"), UI).await;
    let listed = desk.cli_ok(&["forward", "list", "jump"]);
    assert_eq!(listed["saved"], Value::Array(vec![]), "{listed}");

    app.click(&tid("forwards-close"), UI).await;
    app.wait_gone(&tid("forwards-panel"), UI).await;
    desk.close(app).await;
}

/// `curl -sf URL` run on the jump host as the test user: the body, or `None`.
fn curl_on_jump(j: &Jumped, url: &str) -> Option<String> {
    let out = j
        .topo
        .jump_exec(&j.user, "curl")
        .args(["-sf", "--max-time", "5", url])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_r_forward_added_in_the_panel_serves_a_desktop_port_on_the_jump_host() {
    let j = Jumped::new(OUTPOST);
    // A real HTTP server on the desktop, on a free loopback port.
    let www = tempfile::tempdir().unwrap();
    let body = format!("served-by-desktop-{}\n", std::process::id());
    std::fs::write(www.path().join("hello.txt"), &body).unwrap();
    let dport = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _http = outpost_testkit::process::Running(
        std::process::Command::new("python3")
            .args([
                "-m",
                "http.server",
                &dport.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--directory")
            .arg(www.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let here = format!("http://127.0.0.1:{dport}/hello.txt");
    wait_blocking("the desktop's HTTP server", DEADLINE, || {
        curl(&[], &here).as_deref() == Some(body.as_str())
    })
    .await;

    let desk = Desktop::start(&j.cli);
    let app = desk.open().await;
    app.click(&tid("forwards-host-jump"), UI).await;
    app.wait_for(&tid("forwards-panel"), UI).await;
    app.click(&tid("forward-kind-remote"), UI).await;
    app.fill(&tid("forward-port"), "0").await;
    app.fill(&tid("forward-destHost"), "127.0.0.1").await;
    app.fill(&tid("forward-destPort"), &dport.to_string()).await;
    app.click(&tid("forward-add"), UI).await;
    let id = app
        .poll("the -R forward to run", DEADLINE, || async {
            match rows(&app).await.as_slice() {
                [(id, true, _)] => Ok(id.clone()),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    let want_prefix = "Rlocalhost:";
    let want_suffix = format!(":127.0.0.1:{dport}");
    assert!(
        id.starts_with(want_prefix) && id.ends_with(&want_suffix),
        "{id}"
    );
    let rport: u16 = id[want_prefix.len()..id.len() - want_suffix.len()]
        .parse()
        .unwrap();
    assert_ne!(rport, 0);

    // On the jump host, its port leads to the desktop's server.
    let there = format!("http://127.0.0.1:{rport}/hello.txt");
    assert_eq!(curl_on_jump(&j, &there).as_deref(), Some(body.as_str()));
    app.wait_text(&tid("forward-connections"), UI, |t| t.contains("1 total"))
        .await;
    app.screenshot("forwards-remote-running").await;

    // Closed: the jump host's port is cancelled.
    app.click(&tid("forward-close"), UI).await;
    app.wait_for(&tid("forwards-empty"), UI).await;
    assert_eq!(curl_on_jump(&j, &there), None);

    app.click(&tid("forwards-close"), UI).await;
    app.wait_gone(&tid("forwards-panel"), UI).await;
    desk.close(app).await;
}
