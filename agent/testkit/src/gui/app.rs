//! One running app window driven through WebDriver ([`App`]): polling waits on CSS selectors
//! (the `data-testid` contract of the UI), the xterm text of a terminal pane, typing into a
//! terminal, the tabs' state, and screenshots.
//!
//! Nothing here sleeps a fixed time: every wait polls until its condition holds or its timeout
//! passes, and a timeout saves a `failed-…` screenshot before failing the test.
//!
//! Screenshots are taken from the X server (`import -window root` on the desktop's Xvfb display),
//! not through WebDriver: WebKitWebDriver's Take Screenshot waits for WebKit to present a new
//! frame, and under load it sometimes never answered (the ten-tabs test, with the tab list open);
//! the driver runs one command at a time, so every later command (a click) queued behind it and
//! the test stalled. An X client shows what the window shows and never touches the driver.

use std::future::Future;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::Actions;
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::Value;

/// How often waits poll.
const POLL: Duration = Duration::from_millis(100);

/// How long a screenshot (`import` on the X display) may take before it is given up (it is only
/// a record).
const SCREENSHOT_WAIT: Duration = Duration::from_secs(30);

/// How long one sequence of real input (pointer moves, clicks, keys) may take.
const INPUT_WAIT: Duration = Duration::from_secs(60);

/// How long ending the WebDriver session may take.
const QUIT_WAIT: Duration = Duration::from_secs(60);

/// A tab as the tab bar shows it (`[data-testid="tab"]` and its data attributes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tab {
    /// `data-session-id`.
    pub session_id: String,
    /// `data-host`.
    pub host: String,
    /// `data-state`: connecting, connected, reconnecting, exited or error.
    pub state: String,
    /// `data-active="true"`.
    pub active: bool,
    /// The tab's visible text (its title).
    pub title: String,
}

/// The app's window, through a WebDriver session.
pub struct App {
    client: Client,
    display: String,
    shots: Vec<PathBuf>,
    log: PathBuf,
}

impl App {
    /// Wraps a connected WebDriver session whose window is on X `display` (`:N`); screenshots
    /// of that display go to every directory of `shots`, and a failed wait quotes the end of
    /// `log` (the driver's and the app's output).
    pub fn new(client: Client, display: String, shots: Vec<PathBuf>, log: PathBuf) -> App {
        App {
            client,
            display,
            shots,
            log,
        }
    }

    /// The WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Calls `f` every 100 ms until it returns `Ok`; `Err` says what it sees instead. After
    /// `timeout` it saves a screenshot and fails the test naming `what` and the last `Err`.
    /// One call of `f` is bounded by what is left of `timeout` too: a WebDriver command that
    /// never answers (a stalled web process) fails the test in time instead of hanging it.
    pub async fn poll<T, Fut>(&self, what: &str, timeout: Duration, mut f: impl FnMut() -> Fut) -> T
    where
        Fut: Future<Output = Result<T, String>>,
    {
        let start = Instant::now();
        loop {
            let left = timeout
                .saturating_sub(start.elapsed())
                .max(Duration::from_secs(1));
            let last = match tokio::time::timeout(left, f()).await {
                Ok(Ok(v)) => return v,
                Ok(Err(e)) => e,
                Err(_) => format!("no answer within {left:?} (the WebDriver call stalled)"),
            };
            if start.elapsed() > timeout {
                let name: String = format!("failed-{what}")
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .take(80)
                    .collect();
                self.screenshot(&name).await;
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: String = {
                    let chars: Vec<char> = log.chars().collect();
                    chars[chars.len().saturating_sub(4000)..].iter().collect()
                };
                panic!(
                    "timed out after {timeout:?} waiting for {what}; last seen: {last}\n\
                     --- the end of the WebDriver and app log ---\n{tail}"
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The element matching `css`, if there is one now.
    pub async fn find(&self, css: &str) -> Option<Element> {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => Some(e),
            Err(e) if e.is_no_such_element() => None,
            Err(e) => panic!("WebDriver find {css:?}: {e}"),
        }
    }

    /// Waits until an element matches `css` and is displayed.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        self.poll(&format!("{css} to show"), timeout, || async {
            let e = self.find(css).await.ok_or("no such element")?;
            match e.is_displayed().await {
                Ok(true) => Ok(e),
                Ok(false) => Err("present but not displayed".to_string()),
                Err(err) => Err(err.to_string()),
            }
        })
        .await
    }

    /// Waits until nothing matches `css`.
    pub async fn wait_gone(&self, css: &str, timeout: Duration) {
        self.poll(&format!("{css} to go"), timeout, || async {
            match self.find(css).await {
                None => Ok(()),
                Some(_) => Err("still there".to_string()),
            }
        })
        .await
    }

    /// Clicks the element matching `css` once it is there and clickable.
    pub async fn click(&self, css: &str, timeout: Duration) {
        self.poll(&format!("a click on {css}"), timeout, || async {
            let e = self.find(css).await.ok_or("no such element")?;
            e.click().await.map_err(|err| err.to_string())
        })
        .await
    }

    /// Types `text` into the element matching `css` (a `\n` presses Enter).
    pub async fn type_into(&self, css: &str, text: &str, timeout: Duration) {
        let keys = with_enter_keys(text);
        self.poll(&format!("typing into {css}"), timeout, || async {
            let e = self.find(css).await.ok_or("no such element")?;
            e.send_keys(&keys).await.map_err(|err| err.to_string())
        })
        .await
    }

    /// The rendered text (`innerText`) of the element matching `css`, if there is one.
    /// (WebKitWebDriver's own element text comes back empty for some styled elements.)
    pub async fn text(&self, css: &str) -> Option<String> {
        let v = self
            .js(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;",
                vec![Value::from(css)],
            )
            .await;
        v.as_str().map(|s| s.replace('\u{a0}', " "))
    }

    /// Waits until the text of the element matching `css` satisfies `ok`; returns that text.
    pub async fn wait_text(
        &self,
        css: &str,
        timeout: Duration,
        ok: impl Fn(&str) -> bool,
    ) -> String {
        self.poll(&format!("the text of {css}"), timeout, || async {
            let t = self.text(css).await.ok_or("no such element")?;
            if ok(&t) {
                Ok(t)
            } else {
                Err(format!("{t:?}"))
            }
        })
        .await
    }

    /// Polls `script` (no arguments) until it returns `want`; `what` names it in a failure.
    pub async fn wait_js(&self, what: &str, script: &str, want: Value, timeout: Duration) {
        self.poll(what, timeout, || async {
            let v = self.js(script, vec![]).await;
            if v == want {
                Ok(())
            } else {
                Err(format!("{v}"))
            }
        })
        .await
    }

    /// Runs `script` in the page (its `arguments` are `args`) and returns its result.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.try_js(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Sets the value of the input `css` (waited for, up to [`super::UI`]) as typing would:
    /// focus, value, then the `input` event Preact listens to.
    pub async fn fill(&self, css: &str, text: &str) {
        self.wait_for(css, super::UI).await;
        self.js(
            r#"const e = document.querySelector(arguments[0]);
            e.focus(); e.value = arguments[1];
            e.dispatchEvent(new Event("input", {bubbles: true}));"#,
            vec![Value::from(css), Value::from(text)],
        )
        .await;
    }

    /// Like [`App::js`], with the error as text (for waits that start while the page loads).
    pub async fn try_js(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.client
            .execute(script, args)
            .await
            .map_err(|e| e.to_string())
    }

    /// Every tab of the tab bar, in order.
    pub async fn tabs(&self) -> Vec<Tab> {
        let v = self
            .js(
                r#"return Array.from(document.querySelectorAll('[data-testid="tab"]')).map(t => ({
                    session_id: t.getAttribute("data-session-id") || "",
                    host: t.getAttribute("data-host") || "",
                    state: t.getAttribute("data-state") || "",
                    active: t.getAttribute("data-active") === "true",
                    title: (t.textContent || "").trim(),
                }));"#,
                vec![],
            )
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|t| Tab {
                        session_id: t["session_id"].as_str().unwrap_or("").into(),
                        host: t["host"].as_str().unwrap_or("").into(),
                        state: t["state"].as_str().unwrap_or("").into(),
                        active: t["active"].as_bool().unwrap_or(false),
                        title: t["title"].as_str().unwrap_or("").into(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits for a tab that satisfies `ok`.
    pub async fn wait_tab(&self, what: &str, timeout: Duration, ok: impl Fn(&Tab) -> bool) -> Tab {
        self.poll(what, timeout, || async {
            let tabs = self.tabs().await;
            tabs.iter()
                .find(|t| ok(t))
                .cloned()
                .ok_or_else(|| format!("tabs: {tabs:?}"))
        })
        .await
    }

    /// The text of the terminal pane of session `sid`, read from xterm's DOM rows (one line
    /// per row, non-breaking spaces as spaces); `None` while there is no such pane.
    pub async fn xterm_text(&self, sid: &str) -> Option<String> {
        let v = self
            .js(
                r#"const pane = Array.from(document.querySelectorAll(".terminal-pane"))
                    .find(p => p.getAttribute("data-session-id") === arguments[0]);
                if (!pane) return null;
                const rows = pane.querySelector(".xterm-rows");
                if (!rows) return null;
                return Array.from(rows.children).map(r => r.textContent || "").join("\n");"#,
                vec![Value::from(sid)],
            )
            .await;
        v.as_str().map(|s| s.replace('\u{a0}', " "))
    }

    /// Waits until the terminal of `sid` shows every one of `needles`; returns its text.
    pub async fn wait_xterm(&self, sid: &str, needles: &[&str], timeout: Duration) -> String {
        self.poll(
            &format!("{needles:?} in the terminal of {sid}"),
            timeout,
            || async {
                let text = self
                    .xterm_text(sid)
                    .await
                    .ok_or("no terminal pane for the session")?;
                if needles.iter().all(|n| text.contains(n)) {
                    Ok(text)
                } else {
                    Err(format!("{:?}", text.trim_end()))
                }
            },
        )
        .await
    }

    /// The CSS selector of the terminal pane of session `sid`.
    pub fn pane(sid: &str) -> String {
        format!(".terminal-pane[data-session-id=\"{sid}\"]")
    }

    /// Types `text` into the terminal of session `sid` (xterm's hidden textarea; `\n` is Enter).
    pub async fn type_in_terminal(&self, sid: &str, text: &str) {
        let css = format!("{} .xterm-helper-textarea", App::pane(sid));
        self.type_into(&css, text, Duration::from_secs(30)).await;
    }

    /// Saves a PNG of the window as `NAME.png` in every screenshot directory: the X display's
    /// root window (the app's window fills the screen), by ImageMagick's `import`.
    pub async fn screenshot(&self, name: &str) {
        let Some(first) = self.shots.first() else {
            return;
        };
        let path = first.join(format!("{name}.png"));
        if let Err(e) = std::fs::create_dir_all(first) {
            eprintln!("screenshot {}: {e}", path.display());
            return;
        }
        let mut import = tokio::process::Command::from({
            let mut c = Command::new("import");
            c.args(["-display", &self.display, "-window", "root"])
                .arg(&path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            c
        });
        import.kill_on_drop(true);
        let done = match import.spawn() {
            Ok(child) => tokio::time::timeout(SCREENSHOT_WAIT, child.wait_with_output()).await,
            Err(e) => {
                eprintln!("screenshot {name}: cannot run import (Debian's imagemagick): {e}");
                return;
            }
        };
        match done {
            Ok(Ok(out)) if out.status.success() => {}
            Ok(Ok(out)) => {
                eprintln!(
                    "screenshot {name}: import failed ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                return;
            }
            Ok(Err(e)) => {
                eprintln!("screenshot {name}: import: {e}");
                return;
            }
            Err(_) => {
                eprintln!("screenshot {name}: import gave no picture within {SCREENSHOT_WAIT:?}");
                return;
            }
        }
        eprintln!("screenshot: {}", path.display());
        for dir in &self.shots[1..] {
            let copy = dir.join(format!("{name}.png"));
            match std::fs::create_dir_all(dir).and_then(|()| std::fs::copy(&path, &copy)) {
                Ok(_) => eprintln!("screenshot: {}", copy.display()),
                Err(e) => eprintln!("screenshot {}: {e}", copy.display()),
            }
        }
    }

    /// Ends the WebDriver session, which closes the window and ends the app (bounded like every
    /// other call: a stalled driver fails the test instead of hanging it).
    pub async fn quit(self) -> Result<(), CmdError> {
        match tokio::time::timeout(QUIT_WAIT, self.client.close()).await {
            Ok(r) => r,
            Err(_) => panic!("the WebDriver session did not end within {QUIT_WAIT:?}"),
        }
    }

    /// Performs real input `actions` (pointer, keys), then releases every button and key still
    /// down; bounded like every other call (a stalled driver fails the test instead of hanging it).
    pub async fn perform(&self, actions: impl Into<Actions>) {
        let input = async {
            self.client.perform_actions(actions).await?;
            self.client.release_actions().await
        };
        match tokio::time::timeout(INPUT_WAIT, input).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("WebDriver input: {e}"),
            Err(_) => panic!("WebDriver input did not finish within {INPUT_WAIT:?}"),
        }
    }

    /// Sets the window's outer size (bounded: a stalled driver fails the test).
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.poll(
            &format!("the window resized to {width}x{height}"),
            Duration::from_secs(60),
            || async {
                self.client
                    .set_window_size(width, height)
                    .await
                    .map_err(|e| e.to_string())
            },
        )
        .await
    }
}

/// `text` with every `\n` as WebDriver's Enter key.
fn with_enter_keys(text: &str) -> String {
    text.replace('\n', &char::from(Key::Enter).to_string())
}
