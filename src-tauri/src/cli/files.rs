//! `outpost cp|ls|stat|mkdir|rm|mv`: files on a host (`HOST:path`) or on the target of one of
//! its `ssh` sessions (`HOST:SESSION:path`), over the engine's
//! [`transfer`](crate::engine::transfer) module. See docs/files.md.
//!
//! `cp` shows a progress bar with rate and ETA on a terminal (stderr); with `--json` it prints
//! one `{"progress":…}` line per event on stderr instead, and the result envelope on stdout.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use clap::Subcommand;

use super::output::Output;
use crate::engine::ssh::visible;
use crate::engine::transfer::copy::CopyOptions;
use crate::engine::transfer::open::{open, Opened};
use crate::engine::transfer::path::{parse, Location, RemotePath};
use crate::engine::transfer::progress::{Progress, ProgressEvent};
use crate::engine::transfer::remote::{Entry, EntryKind};
use crate::engine::transfer::{tree, ErrorKind, TransferError};
use crate::engine::{EngineContext, EngineError};

/// The file commands (top-level: `outpost cp …`, `outpost ls …`).
#[derive(Subcommand, Debug)]
pub enum FilesCommand {
    /// Copy files: SRC and DST are local paths, `HOST:path` or `HOST:SESSION:path` (one local,
    /// one remote). Into DST when it is a directory.
    Cp {
        /// What to copy.
        src: String,
        /// Where to.
        dst: String,
        /// Copy directories and their contents.
        #[arg(short = 'r', long)]
        recursive: bool,
        /// Compare SHA-256 on both sides before putting each file in place.
        #[arg(long)]
        verify: bool,
        /// Continue interrupted copies from the bytes already written (checked by hash).
        #[arg(long)]
        resume: bool,
        /// Fail with `exists` instead of replacing files.
        #[arg(short = 'n', long)]
        no_clobber: bool,
    },
    /// List a remote directory.
    Ls {
        /// `HOST:path` or `HOST:SESSION:path`.
        path: String,
    },
    /// Describe a remote path.
    Stat {
        /// `HOST:path` or `HOST:SESSION:path`.
        path: String,
    },
    /// Create a remote directory.
    Mkdir {
        /// `HOST:path` or `HOST:SESSION:path`.
        path: String,
        /// Create missing parents too, and accept an existing directory.
        #[arg(short = 'p', long)]
        parents: bool,
        /// Permission bits, in octal.
        #[arg(long, default_value = "755", value_parser = parse_mode)]
        mode: u32,
    },
    /// Remove a remote file (or, with -r, a directory and its contents).
    Rm {
        /// `HOST:path` or `HOST:SESSION:path`.
        path: String,
        /// Remove directories and their contents.
        #[arg(short = 'r', long)]
        recursive: bool,
    },
    /// Rename a remote path (both on the same host or target).
    Mv {
        /// The path now.
        from: String,
        /// The new path (same host or target; a directory to move into).
        to: String,
        /// Fail with `exists` instead of replacing a file.
        #[arg(short = 'n', long)]
        no_clobber: bool,
    },
}

fn parse_mode(s: &str) -> Result<u32, String> {
    u32::from_str_radix(s, 8)
        .ok()
        .filter(|m| *m <= 0o7777)
        .ok_or_else(|| format!("{s:?} is not an octal mode (0 to 7777)"))
}

fn location(arg: &str) -> Result<Location, EngineError> {
    parse(arg).map_err(EngineError::Usage)
}

fn remote(arg: &str) -> Result<RemotePath, EngineError> {
    match location(arg)? {
        Location::Remote(r) => Ok(r),
        Location::Local(_) => Err(EngineError::Usage(format!(
            "{arg:?} is a local path; write HOST:path (or HOST:SESSION:path)"
        ))),
    }
}

/// Runs one file command; returns the exit code.
pub async fn run(cmd: FilesCommand, out: Output, ctx: &EngineContext) -> Result<i32, EngineError> {
    match cmd {
        FilesCommand::Cp {
            src,
            dst,
            recursive,
            verify,
            resume,
            no_clobber,
        } => {
            let opts = CopyOptions {
                verify,
                resume,
                no_clobber,
            };
            cp(&src, &dst, recursive, opts, out, ctx).await
        }
        FilesCommand::Ls { path } => {
            let at = remote(&path)?;
            let o = open(&at, ctx).await?;
            let r = match o.fs.stat(&at.path).await {
                Ok(Some(e)) if e.kind != EntryKind::Dir => Ok(vec![e]),
                Ok(_) => o.fs.read_dir(&at.path).await,
                Err(e) => Err(e),
            };
            o.close().await;
            let list = r?;
            out.ok(&list, || {
                list.iter().map(line).collect::<Vec<_>>().join("\n")
            });
            Ok(0)
        }
        FilesCommand::Stat { path } => {
            let at = remote(&path)?;
            let o = open(&at, ctx).await?;
            let r = o.fs.stat(&at.path).await;
            let shown = o.fs.show(&at.path);
            o.close().await;
            let e = r?.ok_or_else(|| {
                TransferError::new(ErrorKind::NotFound, shown, "no such file or directory")
            })?;
            out.ok(&e, || line(&e));
            Ok(0)
        }
        FilesCommand::Mkdir {
            path,
            parents,
            mode,
        } => {
            let at = remote(&path)?;
            let o = open(&at, ctx).await?;
            let r = mkdir(&o, &at.path, parents, mode).await;
            o.close().await;
            r?;
            out.ok(&serde_json::json!({"path": path}), String::new);
            Ok(0)
        }
        FilesCommand::Rm { path, recursive } => {
            let at = remote(&path)?;
            let o = open(&at, ctx).await?;
            let r = tree::remove(&o.fs, &at.path, recursive).await;
            o.close().await;
            let removed = r?;
            out.ok(
                &serde_json::json!({"path": path, "removed": removed}),
                String::new,
            );
            Ok(0)
        }
        FilesCommand::Mv {
            from,
            to,
            no_clobber,
        } => {
            let a = remote(&from)?;
            let b = remote(&to)?;
            if (&a.host, &a.session) != (&b.host, &b.session) {
                return Err(EngineError::Usage(
                    "mv works within one host or target; use cp, then rm".into(),
                ));
            }
            let o = open(&a, ctx).await?;
            let r = mv(&o, &a.path, &b.path, !no_clobber).await;
            o.close().await;
            let dest = r?;
            out.ok(&serde_json::json!({"from": from, "to": dest}), String::new);
            Ok(0)
        }
    }
}

async fn mkdir(o: &Opened, path: &str, parents: bool, mode: u32) -> Result<(), TransferError> {
    if parents {
        o.fs.mkdir_all(path, mode).await
    } else {
        o.fs.mkdir(path, mode).await
    }
}

async fn mv(o: &Opened, from: &str, to: &str, replace: bool) -> Result<String, TransferError> {
    use crate::engine::transfer::remote::{base_name, join};
    if o.fs.stat(from).await?.is_none() {
        return Err(TransferError::new(
            ErrorKind::NotFound,
            o.fs.show(from),
            "no such file or directory",
        ));
    }
    let dest = match o.fs.stat(to).await? {
        Some(e) if e.kind == EntryKind::Dir => join(to, base_name(from)),
        _ => to.to_string(),
    };
    o.fs.rename(from, &dest, replace).await?;
    Ok(dest)
}

async fn cp(
    src: &str,
    dst: &str,
    recursive: bool,
    opts: CopyOptions,
    out: Output,
    ctx: &EngineContext,
) -> Result<i32, EngineError> {
    let started = Instant::now();
    let progress = sink(out);
    let done =
        match (location(src)?, location(dst)?) {
            (Location::Local(s), Location::Remote(d)) => {
                let o = open(&d, ctx).await?;
                let r = tree::upload(&o.fs, &s, &d.path, recursive, opts, &progress)
                    .await
                    .map_err(|e| o.fs.settle(e));
                o.close().await;
                r
            }
            (Location::Remote(s), Location::Local(d)) => {
                let o = open(&s, ctx).await?;
                let r = tree::download(&o.fs, &s.path, &d, recursive, opts, &progress)
                    .await
                    .map_err(|e| o.fs.settle(e));
                o.close().await;
                r
            }
            (Location::Local(_), Location::Local(_)) => {
                return Err(EngineError::Usage(
                    "both paths are local; one of them must be HOST:path".into(),
                ))
            }
            (Location::Remote(_), Location::Remote(_)) => return Err(EngineError::Usage(
                "copies between two remote places are not supported; copy through this computer"
                    .into(),
            )),
        };
    let _ = std::io::stderr().flush();
    let done = done?;
    let secs = started.elapsed().as_secs_f64();
    let rate = done.bytes.saturating_sub(done.resumed) as f64 / secs.max(1e-6);
    out.ok(
        &serde_json::json!({"copied": done, "seconds": secs, "bytes_per_second": rate}),
        || {
            format!(
                "{} file(s), {} in {:.1} s ({}/s){}{}",
                done.files,
                human(done.bytes as f64),
                secs,
                human(rate),
                if done.resumed > 0 {
                    format!(", {} resumed", human(done.resumed as f64))
                } else {
                    String::new()
                },
                if done.verified > 0 {
                    format!(", {} verified", done.verified)
                } else {
                    String::new()
                },
            )
        },
    );
    Ok(0)
}

/// `ls`/`stat` text: kind, mode, size, mtime, name.
fn line(e: &Entry) -> String {
    let kind = match e.kind {
        EntryKind::Dir => 'd',
        EntryKind::File => '-',
        EntryKind::Symlink => 'l',
        EntryKind::Other => '?',
    };
    format!(
        "{kind}{:04o}\t{}\t{}\t{}",
        e.mode,
        e.size,
        e.mtime,
        visible(&e.name)
    )
}

/// `1.5 MiB`.
fn human(n: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} {}", units[i])
    } else {
        format!("{v:.1} {}", units[i])
    }
}

/// The progress state of the terminal bar.
struct Bar {
    file: String,
    size: u64,
    resumed: u64,
    started: Instant,
    last: Option<Instant>,
}

/// Where progress goes: JSON lines on stderr with `--json`, a bar when stderr is a terminal,
/// nowhere otherwise.
fn sink(out: Output) -> Progress {
    if out.json {
        let last = Mutex::new(None::<Instant>);
        return Arc::new(move |ev: ProgressEvent| {
            if let ProgressEvent::Bytes { .. } = ev {
                let Ok(mut l) = last.lock() else { return };
                if l.is_some_and(|t| t.elapsed().as_millis() < 200) {
                    return;
                }
                *l = Some(Instant::now());
            }
            let mut e = std::io::stderr().lock();
            let _ = writeln!(e, "{}", serde_json::json!({ "progress": ev }));
        });
    }
    if !std::io::stderr().is_terminal() {
        return crate::engine::transfer::progress::silent();
    }
    let bar = Mutex::new(None::<Bar>);
    Arc::new(move |ev: ProgressEvent| {
        let Ok(mut b) = bar.lock() else { return };
        match ev {
            ProgressEvent::Start {
                file,
                size,
                resumed,
            } => {
                *b = Some(Bar {
                    file,
                    size,
                    resumed,
                    started: Instant::now(),
                    last: None,
                });
                draw(b.as_mut(), resumed);
            }
            ProgressEvent::Bytes { done, .. } => draw(b.as_mut(), done),
            ProgressEvent::Done { size, .. } => {
                if let Some(bar) = b.as_mut() {
                    bar.last = None;
                }
                draw(b.as_mut(), size);
                eprintln!();
            }
        }
    })
}

fn draw(bar: Option<&mut Bar>, done: u64) {
    let Some(bar) = bar else { return };
    if bar.last.is_some_and(|t| t.elapsed().as_millis() < 100) {
        return;
    }
    bar.last = Some(Instant::now());
    let secs = bar.started.elapsed().as_secs_f64().max(1e-3);
    let rate = done.saturating_sub(bar.resumed) as f64 / secs;
    let frac = if bar.size == 0 {
        1.0
    } else {
        done as f64 / bar.size as f64
    };
    let width = 24;
    let filled = ((frac * width as f64) as usize).min(width);
    let eta = if rate > 0.0 {
        format!("{:.0}s", bar.size.saturating_sub(done) as f64 / rate)
    } else {
        "-".into()
    };
    let name: String = visible(&bar.file)
        .chars()
        .rev()
        .take(30)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    eprint!(
        "\r{name} [{}{}] {:>3.0}% {} {}/s ETA {eta}\x1b[K",
        "#".repeat(filled),
        " ".repeat(width - filled),
        frac * 100.0,
        human(done as f64),
        human(rate),
    );
}
