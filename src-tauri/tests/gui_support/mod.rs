//! The harness of the desktop end-to-end tests (`gui_e2e.rs`): the real app in a real window
//! under a private Xvfb, driven through WebKitWebDriver with the `fantoccini` WebDriver client.
//!
//! - [`Desktop`] — one test's X server, WebDriver and isolated app configuration; `open` starts
//!   the app, dropping it leaves no process behind.
//! - [`App`] — the window: polling waits on the UI's `data-testid` selectors, xterm text,
//!   typing into terminals, tabs, screenshots (`target/e2e-screenshots/`, and
//!   `$OUTPOST_SCREENSHOTS_DIR`).
//! - [`xvfb`], [`driver`], [`procs`] — the X server, the WebDriver process, and finding,
//!   killing and reaping the processes a desktop started.

#![allow(dead_code)]

pub mod app;
pub mod desktop;
pub mod driver;
pub mod procs;
pub mod xvfb;

pub use app::App;
pub use desktop::Desktop;
