//! A private X server for one test: `Xvfb` picks a free display number itself and writes it to
//! a pipe (`-displayfd`), so parallel tests never race for `:N`. Dropping it kills the server.

use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The screen size of the app's window (tauri.conf.json: 1280×800).
const SCREEN: &str = "1280x800x24";

/// A running `Xvfb`.
pub struct Xvfb {
    child: Child,
    display: u32,
}

impl Xvfb {
    /// Starts `Xvfb` with its standard error in `log`, and waits (up to 30 s) until it serves a
    /// display.
    pub fn start(log: &Path) -> Xvfb {
        let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("pipe");
        let write_fd = write.as_raw_fd();
        let mut cmd = Command::new("Xvfb");
        cmd.args(["-displayfd", "3", "-screen", "0", SCREEN])
            .args(["-nolisten", "tcp", "-noreset"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).expect("Xvfb log"));
        let hook = move || -> std::io::Result<()> {
            // SAFETY: dup2/fcntl on descriptors that exist in the child; both are
            // async-signal-safe.
            unsafe {
                if write_fd == 3 {
                    if libc::fcntl(3, libc::F_SETFD, 0) == -1 {
                        return Err(std::io::Error::last_os_error());
                    }
                } else if libc::dup2(write_fd, 3) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        };
        // SAFETY: the hook only calls async-signal-safe functions (see above).
        unsafe { cmd.pre_exec(hook) };
        let child = cmd
            .spawn()
            .expect("cannot start Xvfb (Debian package xvfb; .ci/install-deps installs it)");
        drop(write);
        let mut xvfb = Xvfb { child, display: 0 };
        xvfb.display = read_display(read).unwrap_or_else(|| {
            let _ = xvfb.child.kill();
            panic!(
                "Xvfb did not report a display within 30 s: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        });
        xvfb
    }

    /// `:N`, for `DISPLAY`.
    pub fn display(&self) -> String {
        format!(":{}", self.display)
    }
}

/// Reads the display number `Xvfb` writes (a line) from the pipe, giving up after 30 s or when
/// the pipe closes without one (the server died).
fn read_display(read: OwnedFd) -> Option<u32> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut file = std::fs::File::from(read);
        let mut text = String::new();
        let mut buf = [0u8; 64];
        while !text.contains('\n') {
            match file.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => text.push_str(&String::from_utf8_lossy(&buf[..n])),
            }
        }
        let _ = tx.send(text.trim().parse::<u32>().ok());
    });
    rx.recv_timeout(Duration::from_secs(30)).ok().flatten()
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
