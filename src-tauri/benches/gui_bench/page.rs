//! What the bench runs in the window's page: keystroke echo latency in a tab's terminal and the
//! intervals between animation frames.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;

use outpost_testkit::gui::App;

/// How long any step of the window may take.
pub const UI: Duration = Duration::from_secs(90);

/// Echo latencies in ms of `n` keystrokes typed one after another into the pane of `sid`, each
/// after the previous one's echo; the line is a shell comment, so nothing runs.
const ECHO_JS: &str = r#"
const [sid, n, done] = arguments;
const pane = document.querySelector(`.terminal-pane[data-session-id="${sid}"]`);
const rows = pane.querySelector('.xterm-rows');
const area = pane.querySelector('.xterm-helper-textarea');
area.focus();
const key = (ch) => area.dispatchEvent(new InputEvent('input', {data: ch, inputType: 'insertText', bubbles: true}));
const out = [];
const one = (ch) => new Promise((resolve) => {
  const before = rows.textContent;
  const t0 = performance.now();
  const obs = new MutationObserver(() => {
    if (rows.textContent !== before) { obs.disconnect(); resolve(performance.now() - t0); }
  });
  obs.observe(rows, {childList: true, subtree: true, characterData: true});
  key(ch);
  setTimeout(() => { obs.disconnect(); resolve(-1); }, 5000);
});
(async () => {
  await one('#');
  for (let i = 0; i < n; i++) {
    out.push(await one(String.fromCharCode(97 + (i % 26))));
  }
  key('\r');
  done(out);
})();
"#;

/// Records animation-frame intervals (ms) for `ms` milliseconds.
pub const FRAMES_JS: &str = r#"
const [ms, done] = arguments;
const gaps = [];
let last = performance.now();
const end = last + ms;
const tick = (t) => {
  gaps.push(t - last); last = t;
  if (t < end) requestAnimationFrame(tick); else done(gaps);
};
requestAnimationFrame(tick);
"#;

fn tid(id: &str) -> String {
    format!(r#"[data-testid="{id}"]"#)
}

/// Opens a new "This computer" shell in a tab and waits for its prompt; returns its session.
pub async fn new_shell(app: &App) -> String {
    let before: HashSet<String> = app.tabs().await.into_iter().map(|t| t.session_id).collect();
    app.click(&tid("new-shell-local"), UI).await;
    let tab = app
        .wait_tab("a new connected tab", UI, |t| {
            t.state == "connected" && !before.contains(&t.session_id)
        })
        .await;
    app.wait_for(&format!("{} .xterm-rows", App::pane(&tab.session_id)), UI)
        .await;
    // The prompt (user@host).
    app.wait_xterm(&tab.session_id, &["@"], UI).await;
    tab.session_id
}

/// `n` echo latencies (ms; -1 for a key whose echo never came) in the tab of `sid`.
pub async fn echo(app: &App, sid: &str, n: usize) -> Vec<f64> {
    let v = app
        .client()
        .execute_async(ECHO_JS, vec![json!(sid), json!(n)])
        .await
        .expect("echo script");
    v.as_array()
        .expect("latencies")
        .iter()
        .filter_map(|x| x.as_f64())
        .collect()
}
