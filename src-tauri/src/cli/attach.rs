//! `outpost attach`: this terminal becomes the session's terminal (raw mode, resize, Ctrl-] to
//! detach), and stays attached across lost connections.

use std::io::{IsTerminal, Read};
use std::os::fd::AsFd;

use nix::sys::termios::{self, SetArg, Termios};
use tokio::sync::mpsc;

use super::commands::is_not_found;
use super::output::{Output, SessionSink};
use crate::engine::live::stay_attached::{run_attached, AttachEnd, InputEvent};
use crate::engine::store::hosts::HostStore;
use crate::engine::{EngineContext, EngineError};

/// The detach key: Ctrl-].
const DETACH_KEY: u8 = 0x1d;

/// This terminal's size, if standard output is a terminal.
pub fn terminal_size() -> Option<(u16, u16)> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes a winsize into the struct we pass.
    let r = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) };
    (r == 0 && ws.ws_col > 0 && ws.ws_row > 0).then_some((ws.ws_col, ws.ws_row))
}

/// Puts the terminal in raw mode until dropped.
struct RawMode(Option<Termios>);

impl RawMode {
    fn enter() -> RawMode {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return RawMode(None);
        }
        let Ok(saved) = termios::tcgetattr(stdin.as_fd()) else {
            return RawMode(None);
        };
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        let _ = termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw);
        RawMode(Some(saved))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            let _ = termios::tcsetattr(std::io::stdin().as_fd(), SetArg::TCSANOW, saved);
        }
    }
}

/// Runs `outpost attach`.
pub async fn attach(
    host: &str,
    session: &str,
    from: Option<u64>,
    out: Output,
    ctx: &EngineContext,
) -> Result<i32, EngineError> {
    let host = HostStore::load(&ctx.config_dir)?.get(host)?;
    let (tx, mut rx) = mpsc::channel::<InputEvent>(64);
    let tty = std::io::stdin().is_terminal();
    let _raw = RawMode::enter();
    if tty {
        let keys = tx.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut stdin = std::io::stdin().lock();
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let data = &buf[..n];
                        if let Some(i) = data.iter().position(|&b| b == DETACH_KEY) {
                            if i > 0 {
                                let _ = keys.blocking_send(InputEvent::Data(data[..i].to_vec()));
                            }
                            let _ = keys.blocking_send(InputEvent::Detach);
                            break;
                        }
                        if keys.blocking_send(InputEvent::Data(data.to_vec())).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let tx = tx.clone();
        tokio::spawn(async move {
            let Ok(mut winch) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
            else {
                return;
            };
            while winch.recv().await.is_some() {
                if let Some((cols, rows)) = terminal_size() {
                    if tx.send(InputEvent::Resize { cols, rows }).await.is_err() {
                        return;
                    }
                }
            }
        });
    }
    // Ctrl-C outside raw mode (no terminal) and SIGTERM detach cleanly.
    detach_on_interrupt(tx.clone());
    drop(tx);
    let mut sink = SessionSink::Terminal;
    let end = run_attached(
        &host,
        ctx,
        session,
        from,
        terminal_size(),
        &mut rx,
        &mut sink,
    )
    .await;
    drop(_raw);
    match end {
        Ok(AttachEnd::Detached(next)) => {
            if out.json {
                out.ok(
                    &serde_json::json!({"detached": true, "next_offset": next}),
                    String::new,
                );
            } else {
                eprintln!("\r\n[outpost] detached from {session}; it keeps running (resume with --from {next})");
            }
            Ok(0)
        }
        Ok(AttachEnd::Exited(exit)) => {
            if out.json {
                out.ok(&exit, String::new);
            }
            Ok(exit
                .exit_code
                .unwrap_or(if exit.signal.is_some() { 128 } else { 0 }))
        }
        Err(EngineError::Rpc(e)) if is_not_found(&e) => Err(EngineError::Usage(format!(
            "no session {session} on {}",
            host.name
        ))),
        Err(e) => Err(e),
    }
}

/// Sends [`InputEvent::Detach`] on `tx` at Ctrl-C or SIGTERM, so an attached command ends
/// cleanly (the session goes on).
pub(crate) fn detach_on_interrupt(tx: mpsc::Sender<InputEvent>) {
    tokio::spawn(async move {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        let _ = tx.send(InputEvent::Detach).await;
    });
}
