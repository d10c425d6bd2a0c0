//! Opening a link from a terminal in the system browser: the one path for every link, whether
//! the user Ctrl+clicked a URL in the text or an OSC 8 hyperlink a program printed.
//!
//! The page decides when to ask the user first (an OSC 8 link, or one whose visible text is not
//! the address) and shows the address; this command checks the address itself, because it comes
//! from whatever a remote program printed:
//!
//! - only `http://`, `https://` (with a host) and `mailto:` addresses;
//! - at most [`MAX_URL`] bytes, with no white space or control characters;
//! - opened with the desktop's opener (`xdg-open URL`, `open URL` on macOS) given the address as
//!   its one argument — never through a shell — and reaped in the background.

use std::process::{Command, Stdio};

use crate::gui::error::{CommandError, CommandResult};

/// The longest address opened, in bytes.
pub const MAX_URL: usize = 2048;

/// The program that opens an address with the user's preferred application.
#[cfg(target_os = "macos")]
const OPENER: &str = "open";
#[cfg(not(target_os = "macos"))]
const OPENER: &str = "xdg-open";

fn refused(message: String) -> CommandError {
    CommandError::new("link_refused", message)
}

/// Checks that `url` may be opened: an `http`, `https` or `mailto` address of bounded length
/// with no white space or control characters.
pub fn check_url(url: &str) -> CommandResult<&str> {
    if url.is_empty() || url.len() > MAX_URL {
        return Err(refused(format!(
            "a link must be 1 to {MAX_URL} bytes long (this one is {})",
            url.len()
        )));
    }
    if let Some(c) = url.chars().find(|c| c.is_control() || c.is_whitespace()) {
        return Err(refused(format!(
            "the link contains the character U+{:04X}, which an address cannot hold",
            u32::from(c)
        )));
    }
    let lower = url.to_ascii_lowercase();
    if let Some(rest) = ["http://", "https://"]
        .iter()
        .find_map(|s| lower.strip_prefix(s))
    {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || host.starts_with('@') || host.ends_with('@') {
            return Err(refused(format!("{url:?} has no host")));
        }
        return Ok(url);
    }
    if let Some(rest) = lower.strip_prefix("mailto:") {
        if rest.is_empty() {
            return Err(refused("the mailto link has no address".into()));
        }
        return Ok(url);
    }
    let scheme = url.split(':').next().unwrap_or("");
    let shown: String = scheme.chars().take(32).collect();
    Err(refused(format!(
        "only http, https and mailto links open from a terminal (not {shown:?})"
    )))
}

/// Opens `url` (checked by [`check_url`]) in the system browser or mail program.
#[tauri::command(rename_all = "snake_case")]
pub async fn link_open(url: String) -> CommandResult<()> {
    let url = check_url(&url)?;
    let mut child = Command::new(OPENER)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| CommandError::new("link_open", format!("starting {OPENER}: {e}")))?;
    tracing::info!(opener = OPENER, "opened a link from a terminal");
    // The opener usually hands the address over and exits; reap it whenever it does.
    std::thread::spawn(move || {
        if let Err(e) = child.wait() {
            tracing::debug!("waiting for {OPENER}: {e}");
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_and_mail_addresses_are_accepted() {
        for url in [
            "http://example.com",
            "https://example.com/a/b?c=d#e",
            "HTTPS://Example.com:8443/",
            "https://user@example.com/",
            "mailto:someone@example.com",
            "https://example.com/%20encoded",
        ] {
            assert_eq!(check_url(url).unwrap(), url);
        }
    }

    #[test]
    fn other_schemes_are_refused() {
        for url in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "ssh://host",
            "data:text/html,hi",
            "smb://server/share",
            "/etc/passwd",
            "-e",
            "--help",
            "example.com",
        ] {
            let e = check_url(url).unwrap_err();
            assert_eq!(e.code, "link_refused", "{url}");
        }
    }

    #[test]
    fn hostless_web_addresses_are_refused() {
        for url in [
            "http://",
            "https:///path",
            "https://?q",
            "http://@",
            "mailto:",
        ] {
            assert!(check_url(url).is_err(), "{url}");
        }
    }

    #[test]
    fn white_space_and_control_characters_are_refused() {
        for url in [
            "https://example.com/a b",
            "https://example.com/\nx",
            "https://example.com/\u{1b}[31m",
            "https://example.com/\u{85}",
            "https://example.com/\t",
        ] {
            assert!(check_url(url).is_err(), "{url:?}");
        }
    }

    #[test]
    fn the_length_is_bounded() {
        let ok = format!("https://example.com/{}", "a".repeat(MAX_URL - 20));
        assert_eq!(ok.len(), MAX_URL);
        assert!(check_url(&ok).is_ok());
        let long = format!("{ok}a");
        assert!(check_url(&long).is_err());
        assert!(check_url("").is_err());
    }
}
