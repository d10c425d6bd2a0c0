//! The file panel in the real window (Xvfb, WebKitWebDriver; the testkit's `gui` harness, see
//! `gui_e2e.rs`) against a real `sshd` with a throwaway user: the panel opens in the user's
//! home, shows sizes and modes as `stat` does, navigates into a folder and back; a file
//! uploaded through the panel's path field lands on the host with the source's SHA-256
//! (`sha256sum`, the oracle); rename, new folder and a confirmed delete change the host's file
//! system; creating a folder that exists shows the engine's `exists` code; a download lands in
//! the chosen local folder with the same SHA-256. Dropping files on the panel is covered by the
//! drop handler's vitest (`ui/src/files/drop.test.ts`): WebDriver cannot drag files in.
//! Through an `ssh` session's menu the panel opens on the session's target (the netns topology):
//! the target's `sshd` log shows the SFTP server started there and the jump host's shows none,
//! and a file uploaded there has the source's SHA-256.
//! The native pickers (the dialog plugin's GTK file chooser, a real window on the Xvfb display,
//! driven with `xdotool`): "Upload files…" with the chooser's location field (`ctrl+L`, the
//! absolute path, Return) uploads that file with the same SHA-256; Escape cancels and nothing
//! happens; "Download to…" saves under the name typed in the save dialog, same SHA-256.
//!
//! Needs root (throwaway users, `sshd`) and fails without it. Screenshots go to
//! `target/e2e-screenshots/` (and `$OUTPOST_SCREENSHOTS_DIR`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};

use outpost_testkit::cli::{Jumped, Remote};
use outpost_testkit::gui::{marker, tid, wait_blocking, App, Desktop, UI};
use outpost_testkit::random_file;
use outpost_testkit::Sshd;
use serde_json::Value;

/// The app under test (`outpost` without arguments opens the window).
const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");

/// `sha256sum FILE` (the oracle).
fn sha(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success(), "sha256sum {}", path.display());
    String::from_utf8_lossy(&out.stdout)[..64].to_string()
}

/// `stat -c FORMAT FILE` (the oracle).
fn stat(format: &str, path: &Path) -> String {
    let out = Command::new("stat")
        .args(["-c", format])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "stat {}", path.display());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Waits until the panel lists directory `path`.
async fn wait_listing(app: &App, path: &str) {
    let css = format!(r#"[data-testid="files-list"][data-path="{path}"]"#);
    app.wait_for(&css, UI).await;
}

/// A table row's cells as text.
async fn row_cells(app: &App, name: &str) -> Vec<String> {
    let v = app
        .js(
            r#"const r = document.querySelector(`[data-testid="file-row-${arguments[0]}"]`);
            return r ? Array.from(r.cells).map(c => c.innerText) : null;"#,
            vec![Value::from(name)],
        )
        .await;
    serde_json::from_value(v).unwrap_or_default()
}

/// Waits until the list holds `count` transfers and the newest has ended; returns its state.
async fn wait_transfer_end(app: &App, count: usize) -> String {
    app.poll("the transfer to end", UI, || async {
        let v = app
            .js(
                r#"const all = document.querySelectorAll('[data-testid="transfers"] li');
                return all.length === arguments[0] ? all[0].dataset.state : null;"#,
                vec![Value::from(count)],
            )
            .await;
        match v.as_str() {
            Some("running") | None => Err(format!("{v}")),
            Some(s) => Ok(s.to_string()),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_panel_lists_uploads_renames_makes_deletes_and_downloads() {
    let r = Remote::start(OUTPOST, Sshd::builder());
    let home = r.user.home.clone();
    let home_s = home.display().to_string();
    r.user
        .write_file("sub/inside.txt", "inside\n", 0o640)
        .unwrap();
    let desk = Desktop::start(&r.cli);
    let app = desk.open().await;

    // Opens in the login directory, with sizes and modes as `stat` shows them.
    app.click(&tid("files-host-h"), UI).await;
    app.wait_for(&tid("files-panel"), UI).await;
    wait_listing(&app, &home_s).await;
    app.wait_for(&tid("file-row-sub"), UI).await;
    let sub = row_cells(&app, "sub").await;
    assert_eq!(sub[3], stat("%A", &home.join("sub")), "{sub:?}");

    // Into a folder and back.
    app.click(&tid("file-open-sub"), UI).await;
    let sub_path = format!("{home_s}/sub");
    wait_listing(&app, &sub_path).await;
    app.wait_for(&tid("file-row-inside.txt"), UI).await;
    let inside = row_cells(&app, "inside.txt").await;
    assert_eq!(inside[1], "7 B", "{inside:?}");
    assert_eq!(
        inside[3],
        stat("%A", &home.join("sub/inside.txt")),
        "{inside:?}"
    );
    app.screenshot("files-panel-sub").await;
    app.click(&tid("files-parent"), UI).await;
    wait_listing(&app, &home_s).await;

    // Upload through the path field: the host's copy has the source's SHA-256.
    let work = tempfile::tempdir().unwrap();
    let name = format!("up-{}.bin", marker());
    let src = work.path().join(&name);
    random_file::write(&src, 3 * 1024 * 1024 + 17, 1).unwrap();
    app.fill(&tid("files-upload-path"), &src.display().to_string())
        .await;
    app.click(&tid("files-upload"), UI).await;
    assert_eq!(wait_transfer_end(&app, 1).await, "done");
    app.wait_for(&tid(&format!("file-row-{name}")), UI).await;
    assert_eq!(sha(&home.join(&name)), sha(&src));
    let figures = app
        .text(r#"[data-testid="transfers"] [data-testid="transfer-figures"]"#)
        .await
        .unwrap_or_default();
    assert!(figures.contains("3.0 MiB"), "{figures}");
    app.screenshot("files-panel-uploaded").await;

    // Rename.
    let renamed = format!("renamed-{name}");
    app.click(&tid(&format!("file-rename-{name}")), UI).await;
    app.fill(&tid("files-rename-name"), &renamed).await;
    app.type_into(&tid("files-rename-name"), "\n", UI).await;
    app.wait_for(&tid(&format!("file-row-{renamed}")), UI).await;
    assert!(home.join(&renamed).is_file() && !home.join(&name).exists());

    // New folder; the same again is refused with the engine's code.
    app.click(&tid("files-mkdir"), UI).await;
    app.fill(&tid("files-mkdir-name"), "made").await;
    app.type_into(&tid("files-mkdir-name"), "\n", UI).await;
    app.wait_for(&tid("file-row-made"), UI).await;
    assert_eq!(
        stat("%F %U", &home.join("made")),
        format!("directory {}", r.user.name)
    );
    app.click(&tid("files-mkdir"), UI).await;
    app.fill(&tid("files-mkdir-name"), "made").await;
    app.type_into(&tid("files-mkdir-name"), "\n", UI).await;
    app.wait_for(
        r#"[data-testid="files-panel"] [data-testid="error-box"][data-code="exists"]"#,
        UI,
    )
    .await;
    app.screenshot("files-panel-exists").await;
    // A name with a slash never reaches the host.
    app.click(&tid("files-mkdir"), UI).await;
    app.fill(&tid("files-mkdir-name"), "a/b").await;
    app.type_into(&tid("files-mkdir-name"), "\n", UI).await;
    app.wait_for(&tid("files-problem"), UI).await;
    app.type_into(&tid("files-mkdir-name"), "\u{e00c}", UI)
        .await;

    // Download into a chosen folder (created when missing).
    let down = work.path().join("down");
    app.fill(&tid("files-download-dir"), &down.display().to_string())
        .await;
    app.click(&tid(&format!("file-download-{renamed}")), UI)
        .await;
    assert_eq!(wait_transfer_end(&app, 2).await, "done");
    assert_eq!(sha(&down.join(&renamed)), sha(&src));

    // A source that is not there fails its transfer, with the engine's code as data.
    app.fill(
        &tid("files-upload-path"),
        "/nonexistent-outpost-source/file",
    )
    .await;
    app.click(&tid("files-upload"), UI).await;
    assert_eq!(wait_transfer_end(&app, 3).await, "failed");
    app.wait_for(
        r#"[data-testid="transfers"] li [data-testid="error-box"][data-code="not_found"]"#,
        UI,
    )
    .await;

    // A large upload cancelled while it runs: nothing under the final name.
    let big_name = format!("big-{name}");
    let big = work.path().join(&big_name);
    std::fs::File::create(&big)
        .unwrap()
        .set_len(1024 * 1024 * 1024)
        .unwrap();
    app.fill(&tid("files-upload-path"), &big.display().to_string())
        .await;
    app.click(&tid("files-upload"), UI).await;
    app.poll("the large upload to be under way", UI, || async {
        let v = app
            .js(
                r#"const all = document.querySelectorAll('[data-testid="transfers"] li');
                if (all.length !== 4) return null;
                return [all[0].dataset.state, all[0].querySelector('progress').value];"#,
                vec![],
            )
            .await;
        match (v[0].as_str(), v[1].as_f64()) {
            (Some("running"), Some(p)) if p >= 1.0 => Ok(()),
            _ => Err(format!("{v}")),
        }
    })
    .await;
    app.screenshot("files-transfer-running").await;
    app.click(
        r#"[data-testid="transfers"] li:first-child [data-testid^="transfer-cancel-"]"#,
        UI,
    )
    .await;
    assert_eq!(wait_transfer_end(&app, 4).await, "cancelled");
    assert!(
        !home.join(&big_name).exists(),
        "a cancelled upload is under its final name"
    );

    // Delete, confirmed.
    app.click(&tid(&format!("file-delete-{renamed}")), UI).await;
    app.wait_for(&tid("dialog-confirm"), UI).await;
    app.screenshot("files-delete-confirm").await;
    app.click(&tid("confirm-ok"), UI).await;
    app.wait_gone(&tid(&format!("file-row-{renamed}")), UI)
        .await;
    wait_blocking("the file to be gone from the host", UI, || {
        !home.join(&renamed).exists()
    })
    .await;
    assert!(home.join("made").is_dir());

    app.click(&tid("files-close"), UI).await;
    app.wait_gone(&tid("files-panel"), UI).await;
    desk.close(app).await;
}

/// How many SFTP subsystems `sshd` started so far (its VERBOSE log).
fn sftp_starts(sshd: &Sshd) -> usize {
    sshd.log().matches("subsystem 'sftp'").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_s_menu_opens_the_file_panel_on_its_target() {
    let j = Jumped::new(OUTPOST);
    let sid = j.ssh_session();
    // Jump and target share this machine's file system: the sshd logs tell where SFTP ran.
    let (jump_before, target_before) = (
        sftp_starts(j.topo.jump().unwrap()),
        sftp_starts(j.topo.target()),
    );
    let home_s = j.user.home.display().to_string();

    let desk = Desktop::start(&j.cli);
    let app = desk.open().await;
    app.click(&tid("host-jump"), UI).await;
    app.click(&tid(&format!("session-menu-{sid}")), UI).await;
    app.click(&tid("session-files"), UI).await;
    app.wait_for(&tid("files-panel"), UI).await;
    wait_listing(&app, &home_s).await;
    let title = app.text(&tid("files-panel")).await.unwrap_or_default();
    assert!(title.contains("via jump"), "{title}");
    assert!(
        sftp_starts(j.topo.target()) > target_before,
        "{}",
        j.topo.target().log()
    );

    let work = tempfile::tempdir().unwrap();
    let name = format!("to-target-{}.bin", marker());
    let src = work.path().join(&name);
    random_file::write(&src, 256 * 1024 + 3, 2).unwrap();
    app.fill(&tid("files-upload-path"), &src.display().to_string())
        .await;
    app.click(&tid("files-upload"), UI).await;
    assert_eq!(wait_transfer_end(&app, 1).await, "done");
    app.wait_for(&tid(&format!("file-row-{name}")), UI).await;
    assert_eq!(sha(&j.user.home.join(&name)), sha(&src));
    assert_eq!(
        sftp_starts(j.topo.jump().unwrap()),
        jump_before,
        "an SFTP server ran on the jump host"
    );
    app.screenshot("files-panel-target").await;
    app.click(&tid("files-close"), UI).await;
    app.wait_gone(&tid("files-panel"), UI).await;
    desk.close(app).await;
}

/// `xdotool ARGS` on X display `display`: its output, or why it failed.
fn xdotool(display: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .env_remove("XAUTHORITY")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run xdotool (Debian's xdotool): {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "xdotool {args:?}: {} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Waits for a visible native window whose title matches `title` (a regex) on `display`;
/// its window id.
async fn wait_dialog(app: &App, display: &str, title: &str) -> String {
    app.poll(&format!("a native dialog titled /{title}/"), UI, || async {
        let ids = xdotool(display, &["search", "--onlyvisible", "--name", title])?;
        ids.lines()
            .next()
            .map(str::to_string)
            .ok_or_else(|| "no such window yet".to_string())
    })
    .await
}

/// Waits until no visible window's title matches `title`.
async fn wait_dialog_gone(app: &App, display: &str, title: &str) {
    app.poll(&format!("the dialog /{title}/ to close"), UI, || async {
        // `search` exits 1 when nothing matches.
        match xdotool(display, &["search", "--onlyvisible", "--name", title]) {
            Ok(ids) if !ids.is_empty() => Err(format!("still open: {ids}")),
            _ => Ok(()),
        }
    })
    .await
}

/// Presses Return in the dialog `wid` until it closes: GTK's chooser resolves a typed path
/// in the background and ignores Return (its Open button insensitive) until it has.
async fn accept(app: &App, display: &str, wid: &str, title: &str) {
    app.poll(&format!("the dialog /{title}/ to accept"), UI, || async {
        match xdotool(display, &["search", "--onlyvisible", "--name", title]) {
            Ok(ids) if !ids.is_empty() => {
                // The window may close between the search and the key: the next round sees it.
                let _ = xdotool(display, &["windowfocus", "--sync", wid])
                    .and_then(|_| xdotool(display, &["key", "--clearmodifiers", "Return"]));
                Err(format!("still open: {ids}"))
            }
            _ => Ok(()),
        }
    })
    .await
}

/// Gives GTK's file chooser `wid` the keyboard and sends it `keys` (xdotool key names).
fn keys(display: &str, wid: &str, keys: &[&str]) {
    xdotool(display, &["windowfocus", "--sync", wid]).unwrap();
    let mut args = vec!["key", "--clearmodifiers"];
    args.extend_from_slice(keys);
    xdotool(display, &args).unwrap();
}

/// Types `path` into the file chooser `wid`'s location field (`ctrl+L` opens it; the text
/// there is replaced); [`accept`] accepts it.
fn choose_path(display: &str, wid: &str, path: &Path) {
    keys(display, wid, &["ctrl+l", "ctrl+a"]);
    xdotool(
        display,
        &["type", "--delay", "15", &path.display().to_string()],
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_native_pickers_upload_and_save_through_gtk_s_file_chooser() {
    let r = Remote::start(OUTPOST, Sshd::builder());
    let home = r.user.home.clone();
    let home_s = home.display().to_string();
    let desk = Desktop::start(&r.cli);
    let display = desk.display();
    let app = desk.open().await;
    app.click(&tid("files-host-h"), UI).await;
    app.wait_for(&tid("files-panel"), UI).await;
    wait_listing(&app, &home_s).await;

    // A cancelled picker does nothing: no transfer, no error, the button usable again.
    let upload_title = "^Upload to ";
    app.click(&tid("files-upload-pick"), UI).await;
    let wid = wait_dialog(&app, &display, upload_title).await;
    keys(&display, &wid, &["Escape"]);
    wait_dialog_gone(&app, &display, upload_title).await;
    app.wait_for(&format!("{}:not([disabled])", tid("files-upload-pick")), UI)
        .await;
    assert_eq!(
        app.js(
            r#"return document.querySelectorAll('[data-testid="transfers"] li, [data-testid="files-panel"] [data-testid="error-box"]').length;"#,
            vec![],
        )
        .await,
        Value::from(0)
    );

    // Upload files…: the chooser's location field names the file; the host's copy is equal.
    let work = tempfile::tempdir().unwrap();
    let name = format!("picked-{}.bin", marker());
    let src = work.path().join(&name);
    random_file::write(&src, 1024 * 1024 + 5, 3).unwrap();
    app.click(&tid("files-upload-pick"), UI).await;
    let wid = wait_dialog(&app, &display, upload_title).await;
    app.screenshot("files-picker-upload").await;
    choose_path(&display, &wid, &src);
    app.screenshot("files-picker-upload-typed").await;
    accept(&app, &display, &wid, upload_title).await;
    assert_eq!(wait_transfer_end(&app, 1).await, "done");
    app.wait_for(&tid(&format!("file-row-{name}")), UI).await;
    assert_eq!(sha(&home.join(&name)), sha(&src));

    // Download to…: saved under the name typed in the save dialog, same bytes.
    let saved = work.path().join(format!("saved-as-{name}"));
    let save_title = "^Save .* as$";
    app.click(&tid(&format!("file-download-to-{name}")), UI)
        .await;
    let wid = wait_dialog(&app, &display, save_title).await;
    app.screenshot("files-picker-save").await;
    // The save dialog's name field has the keyboard already; it takes an absolute path.
    keys(&display, &wid, &["ctrl+a"]);
    xdotool(
        &display,
        &["type", "--delay", "15", &saved.display().to_string()],
    )
    .unwrap();
    accept(&app, &display, &wid, save_title).await;
    assert_eq!(wait_transfer_end(&app, 2).await, "done");
    assert_eq!(sha(&saved), sha(&src));

    app.click(&tid("files-close"), UI).await;
    app.wait_gone(&tid("files-panel"), UI).await;
    desk.close(app).await;
}
