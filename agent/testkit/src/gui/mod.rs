//! The real-window harness of the desktop (feature `gui`), shared by its end-to-end tests
//! (`src-tauri/tests/gui_e2e.rs`) and its window bench (`src-tauri/benches/gui_bench/`): the
//! real app in a real window under a private Xvfb, driven through WebKitWebDriver with the
//! `fantoccini` WebDriver client. The app is the binary of the [`Cli`](crate::cli::Cli) a
//! desktop is started with.
//!
//! - [`Desktop`] — one test's X server, WebDriver and isolated app configuration; `open` starts
//!   the app, dropping it leaves no process behind.
//! - [`App`] — the window: polling waits on the UI's `data-testid` selectors, xterm text,
//!   typing into terminals, tabs, screenshots of the X display (`import`, not WebDriver; into
//!   `target/e2e-screenshots/`, and `$OUTPOST_SCREENSHOTS_DIR`).
//! - [`steps`] — what every window test file shares: the timeouts ([`UI`], [`FIRST_CONNECT`]),
//!   `data-testid` selectors, markers, opening a shell tab, reading a session through the CLI.
//! - [`xvfb`], [`driver`], [`procs`] — the X server, the WebDriver process, and finding,
//!   killing and reaping the processes a desktop started.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod app;
pub mod desktop;
pub mod driver;
pub mod procs;
pub mod steps;
pub mod xvfb;

pub use app::App;
pub use desktop::Desktop;
/// The WebDriver client, whose types [`App::client`] exposes (keys, locators, elements).
pub use fantoccini;
pub use steps::{cli_output, hostname, marker, new_shell, tid, wait_blocking, FIRST_CONNECT, UI};
