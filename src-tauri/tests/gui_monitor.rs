//! End-to-end tests of monitoring, errors and the host form in the real window (the testkit's
//! `gui` harness: the real app under a private Xvfb, driven through WebKitWebDriver):
//!
//! - the monitoring panel after the app is quit and reopened starts with the samples taken
//!   before (the agent's history on disk), and hovering a chart shows that time's values;
//! - "Test connection" in the host form, before anything is saved, against a closed port shows
//!   the refused advice with the whole message; nothing is saved until Save, a saved host's
//!   colour shows on its row, and a notice sits bottom-left covering no control.
//!
//! Screenshots go to `target/e2e-screenshots/` (and `$OUTPOST_SCREENSHOTS_DIR`). Needs `Xvfb`,
//! `WebKitWebDriver` (`.ci/install-deps`) and a built `ui/dist` (`make ui`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;

use outpost_testkit::gui::fantoccini::actions::{InputSource, MouseActions, PointerAction};
use outpost_testkit::gui::{new_shell, tid, App, Desktop, UI};
use outpost_testkit::{cli::Cli, note};

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// The agent-host section of the monitoring panel.
const AGENT_HOST: &str = r#"[data-testid="monitor-host"][data-target="agent"]"#;

/// What a chart holds: how many points, the first and last time (seconds).
#[derive(Debug, PartialEq)]
struct Points {
    count: u64,
    first: f64,
    last: f64,
}

async fn points(app: &App, chart: &str) -> Option<Points> {
    let v = app
        .js(
            "const e = document.querySelector(arguments[0]); \
             return e ? [e.dataset.points, e.dataset.first, e.dataset.last] : null;",
            vec![chart.into()],
        )
        .await;
    let a = v.as_array()?;
    let num = |i: usize| a.get(i)?.as_str()?.parse::<f64>().ok();
    Some(Points {
        count: num(0)? as u64,
        first: num(1)?,
        last: num(2)?,
    })
}

/// Waits for the chart to hold at least `n` points.
async fn wait_points(app: &App, chart: &str, n: u64) -> Points {
    app.poll(&format!("{n} points in {chart}"), UI, || async {
        match points(app, chart).await {
            Some(p) if p.count >= n => Ok(p),
            other => Err(format!("{other:?}")),
        }
    })
    .await
}

/// Shows the monitoring panel if it is hidden.
async fn show_panel(app: &App) {
    let panel = tid("monitor-panel");
    if app.find(&panel).await.is_none() {
        app.click(&tid("monitor-toggle"), UI).await;
    }
    app.wait_for(&panel, UI).await;
}

/// True for "hh:mm:ss".
fn is_clock(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 8
        && b[2] == b':'
        && b[5] == b':'
        && [0, 1, 3, 4, 6, 7].iter().all(|&i| b[i].is_ascii_digit())
}

/// Moves the real pointer over a chart's plot, `dx` pixels right of its centre, and returns the
/// readout's text once it shows.
async fn hover(app: &App, chart: &str, dx: f64) -> String {
    let over = app.wait_for(&format!("{chart} .u-over"), UI).await;
    let actions = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: over,
        duration: None,
        x: dx,
        y: 0.0,
    });
    app.perform(actions).await;
    let readout = format!(r#"{chart} .chart-readout"#);
    app.poll("the hover readout", UI, || async {
        let v = app
            .js(
                "const e = document.querySelector(arguments[0]); \
                 return e && !e.hidden ? e.innerText : null;",
                vec![readout.as_str().into()],
            )
            .await;
        match v.as_str() {
            Some(t) if !t.trim().is_empty() => Ok(t.to_owned()),
            _ => Err("no readout".to_owned()),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitoring_after_a_restart_shows_history_and_hover_shows_values() {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    new_shell(&app, "local").await;
    show_panel(&app).await;
    let cpu_chart = format!(r#"{AGENT_HOST} [data-testid="monitor-cpu-chart"]"#);
    let before = wait_points(&app, &cpu_chart, 4).await;
    note(&format!("before the restart: {before:?}"));
    desk.close(app).await;

    // The local agent ended with the window; the reopened app starts a new one.
    let app = desk.open().await;
    show_panel(&app).await;
    let after = wait_points(&app, &cpu_chart, 1).await;
    assert_eq!(
        after.first, before.first,
        "the chart after the restart starts where it did before ({after:?} vs {before:?})"
    );
    assert!(after.count >= before.count, "{after:?} vs {before:?}");
    assert!(after.last >= before.last, "{after:?} vs {before:?}");

    // Hovering the newest part of the CPU chart: the time and the value there.
    let text = hover(&app, &cpu_chart, 60.0).await;
    let mut words = text.split_whitespace();
    let time = words.next().unwrap_or_default();
    assert!(is_clock(time), "readout {text:?} starts with a time");
    assert!(text.contains("CPU "), "{text:?}");
    let value = text
        .split("CPU ")
        .nth(1)
        .and_then(|v| v.trim().strip_suffix('%'))
        .and_then(|v| v.trim().parse::<f64>().ok());
    assert!(
        value.is_some_and(|v| (0.0..=100.0).contains(&v)),
        "a percentage in {text:?}"
    );
    // The network chart reads out both directions in binary units.
    let net_chart = format!(r#"{AGENT_HOST} [data-testid="monitor-net-chart"]"#);
    let net = hover(&app, &net_chart, 60.0).await;
    assert!(net.contains("Received") && net.contains("Sent"), "{net:?}");
    assert!(net.contains("/s"), "{net:?}");
    assert!(!net.contains("kB/s") && !net.contains("KB/s"), "{net:?}");

    // Labelled load, per-core numbers and the process table's PID column.
    let load = app
        .wait_text(
            &format!(r#"{AGENT_HOST} [data-testid="monitor-load"]"#),
            UI,
            |t| t.contains("1 min") && t.contains("5 min") && t.contains("15 min"),
        )
        .await;
    let pids = app
        .js(
            "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText);",
            vec![format!(r#"{AGENT_HOST} [data-testid="monitor-process-pid"]"#).into()],
        )
        .await;
    let pids: Vec<String> = serde_json::from_value(pids).unwrap();
    assert!(!pids.is_empty(), "no process rows");
    let numbers: std::collections::HashSet<u32> = pids
        .iter()
        .map(|p| p.trim().parse().unwrap_or_else(|_| panic!("pid {p:?}")))
        .collect();
    assert_eq!(numbers.len(), pids.len(), "one row per process: {pids:?}");
    assert!(!numbers.contains(&0), "{pids:?}");
    note(&format!("{load} | pids {pids:?}"));
    // Keep the CPU readout up for the screenshot.
    hover(&app, &cpu_chart, 60.0).await;
    app.screenshot("monitoring-panel-hover").await;
    desk.close(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_before_saving_shows_the_refused_advice() {
    let cli = Cli::new(OUTPOST);
    let desk = Desktop::start(&cli);
    let app = desk.open().await;
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    app.click(&tid("add-host"), UI).await;
    app.wait_for(&tid("dialog-host-form"), UI).await;
    app.type_into(&tid("host-form-hostname"), "127.0.0.1", UI)
        .await;
    app.type_into(&tid("host-form-port"), &port.to_string(), UI)
        .await;
    // No name yet: testing does not need one.
    app.click(&tid("host-form-test"), UI).await;
    let refused = r#"[data-testid="host-form-test-result"] [data-testid="error-box"]"#;
    let code = app
        .poll("the test's error", UI, || async {
            let v = app
                .js(
                    "const e = document.querySelector(arguments[0]); return e ? e.dataset.code : null;",
                    vec![refused.into()],
                )
                .await;
            v.as_str().map(str::to_owned).ok_or_else(|| "no error yet".to_owned())
        })
        .await;
    assert_eq!(code, "connection_refused");
    let title = app
        .text(&format!("{refused} [data-testid=\"error-title\"]"))
        .await
        .unwrap_or_default();
    assert_eq!(title, "Nothing is listening on that port");
    let next = app
        .text(&format!("{refused} [data-testid=\"error-next\"]"))
        .await
        .unwrap_or_default();
    assert!(next.contains("port"), "{next:?}");
    // The whole message is there without a click: it names the port and is not clipped.
    let msg = format!("{refused} [data-testid=\"error-message\"]");
    let message = app.text(&msg).await.unwrap_or_default();
    assert!(message.contains(&port.to_string()), "{message:?}");
    let clipped = app
        .js(
            "const e = document.querySelector(arguments[0]); \
             return e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1;",
            vec![msg.as_str().into()],
        )
        .await;
    assert_eq!(
        clipped,
        serde_json::Value::Bool(false),
        "the message is cut"
    );
    app.screenshot("host-form-test-refused").await;

    // Nothing was saved by the test.
    let hosts = desk.cli_ok(&["hosts", "list"]);
    assert!(
        !hosts.to_string().contains(&format!("{port}")),
        "the test saved a host: {hosts}"
    );

    // Saved with a name and a colour: the row shows the colour, the file keeps it.
    app.type_into(&tid("host-form-name"), "prod-db", UI).await;
    app.click(&tid("host-form-color-red"), UI).await;
    app.click(&tid("host-form-save"), UI).await;
    app.wait_gone(&tid("dialog-host-form"), UI).await;
    app.wait_for(
        r#"[data-testid="host-color-prod-db"][data-color="red"]"#,
        UI,
    )
    .await;
    let hosts = desk.cli_ok(&["hosts", "list"]);
    let saved = hosts
        .as_array()
        .and_then(|a| a.iter().find(|h| h["name"] == "prod-db"))
        .cloned()
        .unwrap_or_else(|| panic!("prod-db not saved: {hosts}"));
    assert_eq!(saved["color"], "red", "{saved}");
    assert_eq!(saved["port"], port, "{saved}");

    // A notice (here: the import's) sits bottom-left and covers no control.
    app.click(&tid("import-ssh-config"), UI).await;
    app.wait_for(&tid("info-notice"), UI).await;
    let covered = app
        .js(
            "const n = document.querySelector('[data-testid=\"notices\"]').getBoundingClientRect(); \
             const hit = (r) => r.width > 0 && r.height > 0 && r.left < n.right && n.left < r.right \
               && r.top < n.bottom && n.top < r.bottom; \
             return Array.from(document.querySelectorAll('button, input, textarea, select, [role=button]')) \
               .filter(e => !e.closest('[data-testid=\"notices\"]') && hit(e.getBoundingClientRect())) \
               .map(e => e.getAttribute('data-testid') || e.getAttribute('aria-label') || e.tagName);",
            vec![],
        )
        .await;
    assert_eq!(covered, serde_json::json!([]), "the notice covers controls");
    let rect = app
        .js(
            "const n = document.querySelector('[data-testid=\"notices\"]').getBoundingClientRect(); \
             return [n.left, n.bottom, window.innerWidth, window.innerHeight];",
            vec![],
        )
        .await;
    let r: Vec<f64> = serde_json::from_value(rect).unwrap();
    assert!(r[0] < r[2] / 2.0 && r[1] > r[3] / 2.0, "bottom-left: {r:?}");
    app.screenshot("notice-bottom-left").await;
    desk.close(app).await;
}
