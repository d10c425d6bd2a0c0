//! A private desktop for one test ([`Desktop`]): its own Xvfb display, its own WebKitWebDriver,
//! and the app's environment isolated like the CLI tests' (the [`Cli`]'s `HOME`,
//! `OUTPOST_CONFIG_DIR` and agent binary, plus an `OUTPOST_HOME` of its own so that the local
//! agent's sockets and session records live in the test's temporary directory).
//!
//! [`Desktop::open`] starts the app through a new WebDriver session and waits for its first
//! paint; dropping an [`App`](super::App) or calling `quit` ends it, and `open` again is the
//! restart a user does. Dropping the `Desktop` ends the local sessions (`outpost close`), then
//! kills and reaps every process it started and finally the X server.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fantoccini::ClientBuilder;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use super::app::App;
use super::driver::Driver;
use super::procs::{self, MARK_VAR};
use super::xvfb::Xvfb;
use crate::cli::Cli;

/// How long the app may take from a new WebDriver session to its first rendered host list
/// (cold WebKit start on two busy cores).
pub const FIRST_PAINT: Duration = Duration::from_secs(60);

/// WebDriver's page-load timeout for the app's sessions, in milliseconds (W3C default: 300 000).
const PAGE_LOAD_MS: u64 = 20_000;

/// The environment variables the app must not inherit from the test's (another X server,
/// another user's ssh-agent, other configuration and agent homes).
const SCRUBBED: &[&str] = &[
    "WAYLAND_DISPLAY",
    "SSH_AUTH_SOCK",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
    "XDG_RUNTIME_DIR",
    "XAUTHORITY",
];

/// Where screenshots go: `e2e-screenshots/` in the target directory of the binary `outpost`
/// (`target/e2e-screenshots/`), and `$OUTPOST_SCREENSHOTS_DIR` when set.
pub fn screenshot_dirs(outpost: &Path) -> Vec<PathBuf> {
    let target = outpost
        .parent()
        .and_then(Path::parent)
        .expect("target directory")
        .to_path_buf();
    let mut dirs = vec![target.join("e2e-screenshots")];
    if let Some(extra) = std::env::var_os("OUTPOST_SCREENSHOTS_DIR").filter(|d| !d.is_empty()) {
        dirs.push(PathBuf::from(extra));
    }
    dirs
}

/// One test's X server, WebDriver and app configuration.
pub struct Desktop {
    dir: tempfile::TempDir,
    outpost: PathBuf,
    mark: String,
    config_dir: PathBuf,
    home: PathBuf,
    agent: PathBuf,
    driver: Option<Driver>,
    xvfb: Option<Xvfb>,
}

impl Desktop {
    /// Starts an X server and a WebDriver whose app is `cli`'s binary with `cli`'s
    /// configuration (saved hosts, trusted keys, `HOME`, agent binary).
    pub fn start(cli: &Cli) -> Desktop {
        procs::become_subreaper();
        let dir = tempfile::Builder::new()
            .prefix("oe2e")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let mark = dir
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .expect("temp dir name")
            .to_string();
        let xvfb = Xvfb::start(&dir.path().join("xvfb.log"));
        let mut desktop = Desktop {
            mark,
            outpost: cli.outpost().to_path_buf(),
            config_dir: cli.config_dir(),
            home: cli.home().to_path_buf(),
            agent: cli.agent().to_path_buf(),
            driver: None,
            xvfb: None,
            dir,
        };
        let display = xvfb.display();
        desktop.xvfb = Some(xvfb);
        let log = desktop.dir.path().join("webdriver.log");
        desktop.driver = Some(Driver::start(
            || {
                let mut cmd = Command::new(super::driver::WEBDRIVER);
                desktop.isolate(&mut cmd);
                cmd.env("DISPLAY", &display)
                    .env("TAURI_WEBVIEW_AUTOMATION", "true")
                    .env("GDK_BACKEND", "x11")
                    // Software rendering: Xvfb has no GPU, and WebKit's DMA-BUF renderer
                    // otherwise probes for one.
                    .env("LIBGL_ALWAYS_SOFTWARE", "1")
                    .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
                    .env("OUTPOST_LOG", "info");
                cmd
            },
            &log,
        ));
        desktop
    }

    /// Sets the app's (and the CLI's) private environment on `cmd`.
    fn isolate(&self, cmd: &mut Command) {
        for var in SCRUBBED {
            cmd.env_remove(var);
        }
        cmd.env("HOME", &self.home)
            .env("OUTPOST_CONFIG_DIR", &self.config_dir)
            .env("OUTPOST_AGENT_BIN", &self.agent)
            .env("OUTPOST_HOME", self.outpost_home())
            .env(MARK_VAR, &self.mark);
    }

    /// This desktop's X display (`:N`), for tools a test runs on it (e.g. `xclip`).
    pub fn display(&self) -> String {
        self.xvfb
            .as_ref()
            .map(Xvfb::display)
            .expect("the X server runs while the desktop lives")
    }

    /// The local agent's home (`OUTPOST_HOME`): sockets and session records.
    pub fn outpost_home(&self) -> PathBuf {
        self.dir.path().join("h")
    }

    /// The log of WebKitWebDriver and the app it started (standard error of both).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("webdriver.log")).unwrap_or_default()
    }

    /// Starts the app (a new WebDriver session) and waits for its first paint: the body's
    /// `data-ready="true"`, set once the host list has rendered.
    pub async fn open(&self) -> App {
        let driver = self.driver.as_ref().expect("driver");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "webkitgtk:browserOptions".into(),
            json!({ "binary": self.outpost, "args": [] }),
        );
        // WebDriver's Element Click (and WebKitWebDriver's other commands that may navigate)
        // waits for a navigation it may have started, up to the page-load timeout: five minutes
        // by default, with later commands queued behind it. The app never navigates after its
        // first load, so a short bound costs nothing and turns such a wait into an error.
        caps.insert("timeouts".into(), json!({ "pageLoad": PAGE_LOAD_MS }));
        let client = tokio::time::timeout(
            FIRST_PAINT,
            ClientBuilder::new(HttpConnector::new())
                .capabilities(caps)
                .connect(&driver.url()),
        )
        .await
        .unwrap_or_else(|_| panic!("no WebDriver session within {FIRST_PAINT:?}"))
        .unwrap_or_else(|e| {
            panic!(
                "WebDriver session at {}: {} ({}); log:\n{}",
                driver.url(),
                error_chain(&e),
                driver.describe(),
                self.log()
            )
        });
        let app = App::new(
            client,
            self.display(),
            screenshot_dirs(&self.outpost),
            self.dir.path().join("webdriver.log"),
        );
        app.poll("the first paint (body[data-ready=true])", FIRST_PAINT, || async {
            let v = app
                .try_js(
                    "return [document.body && document.body.getAttribute('data-ready'), document.body ? document.body.innerText.slice(0, 300) : ''];",
                    vec![],
                )
                .await?;
            if v[0] == "true" {
                Ok(())
            } else {
                Err(format!("data-ready={}, page text {}", v[0], v[1]))
            }
        })
        .await;
        app
    }

    /// Ends the app (`app.quit()`) and waits until its process is gone.
    pub async fn close(&self, app: App) {
        app.quit().await.expect("end the WebDriver session");
        let mark = self.mark.clone();
        let gone = tokio::task::spawn_blocking(move || {
            procs::wait_none_named(&mark, "outpost", Duration::from_secs(30))
        })
        .await
        .expect("join");
        assert!(gone, "the app did not exit when its window closed");
        procs::reap_orphans();
    }

    /// The `outpost` CLI with the app's configuration and local agent home, stdin from
    /// /dev/null.
    pub fn cli_cmd(&self) -> Command {
        let mut c = Command::new(&self.outpost);
        self.isolate(&mut c);
        c.stdin(std::process::Stdio::null());
        c
    }

    /// `outpost --json ARGS`, which must succeed: its `data`.
    pub fn cli_ok(&self, args: &[&str]) -> Value {
        let out = self
            .cli_cmd()
            .arg("--json")
            .args(args)
            .output()
            .expect("run outpost");
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Value = text
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or(Value::Null);
        assert!(
            out.status.success() && v["ok"] == true,
            "outpost {args:?} failed ({}): {text}; stderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        v["data"].clone()
    }

    /// Ends every session of the local agent (their records are in `OUTPOST_HOME`).
    fn close_local_sessions(&self) {
        let Ok(dir) = std::fs::read_dir(self.outpost_home().join("state/sessions")) else {
            return;
        };
        for e in dir.flatten() {
            if let Some(id) = e.path().file_stem().and_then(|s| s.to_str()) {
                let _ = self
                    .cli_cmd()
                    .args(["--json", "close", "local", id])
                    .output();
            }
        }
    }
}

/// `e` and every error under it ("client error (SendRequest)" alone does not say whether
/// the connection was refused, reset or closed with no reply). fantoccini 0.22's errors name
/// their cause only through the deprecated `Error::cause` (whose default is `source`), so the
/// chain is walked through it; a cause already at the end of the text is not repeated.
#[allow(deprecated)]
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.cause();
    while let Some(c) = cause {
        let line = c.to_string();
        if !text.ends_with(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        cause = c.cause();
    }
    text
}

impl Drop for Desktop {
    fn drop(&mut self) {
        let spare: Vec<u32> = self.driver.as_ref().map(Driver::pid).into_iter().collect();
        // Everything alive now, remembered: what ends below is reaped by pid.
        let known = procs::marked(&self.mark);
        // The app first (its window, WebKit's processes, its agent), then the sessions, so the
        // app cannot start anything new while they end.
        for id in &known {
            if procs::stat(id.pid).is_some_and(|(_, _, comm)| comm == "outpost") {
                procs::signal(id.pid, libc::SIGKILL);
            }
        }
        self.close_local_sessions();
        let left = procs::kill_marked(&self.mark, &known, &spare, Duration::from_secs(10));
        if let Some(mut driver) = self.driver.take() {
            driver.kill();
        }
        let left_after = procs::kill_marked(&self.mark, &known, &[], Duration::from_secs(10));
        self.xvfb.take();
        procs::reap_orphans();
        if !left.is_empty() || !left_after.is_empty() {
            eprintln!(
                "gui e2e: processes left behind: {left:?} {left_after:?}; log:\n{}",
                self.log()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_webdriver_session_names_the_cause_under_the_client_error() {
        // A server that takes the request and closes without a reply (what an app's inspector
        // port does with HTTP), and a port where nothing listens.
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let closed = server.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for conn in server.incoming().flatten() {
                let mut conn = conn;
                let _ = std::io::Read::read(&mut conn, &mut [0u8; 4096]);
            }
        });
        let refused = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let session = |port: u16| {
            rt.block_on(
                ClientBuilder::new(HttpConnector::new())
                    .connect(&format!("http://127.0.0.1:{port}")),
            )
            .err()
            .map(|e| error_chain(&e))
            .unwrap_or_default()
        };
        let empty = session(closed);
        assert!(
            empty.ends_with(
                "client error (SendRequest): connection closed before message completed"
            ),
            "{empty}"
        );
        let none = session(refused);
        assert!(
            none.contains("client error (Connect)") && none.contains("refused"),
            "{none}"
        );
    }
}
