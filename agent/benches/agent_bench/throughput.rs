//! Benchmark 1, output throughput: `cat` of a large file of printable lines through each path (raw
//! PTY, an Outpost session read by a JSON-RPC client, `ssh -tt localhost`, tmux with a client
//! attached), behind the same gate, with the CPU each process on the path spent.
//!
//! The session daemon parses output on a thread of its own (`outpost_agent::daemon::model`);
//! with `OUTPOST_SCREEN_MODEL_THREAD=0` in the bench's environment (agents and daemons inherit
//! it) it parses on the PTY reader's thread instead, for a before/after comparison:
//! `OUTPOST_SCREEN_MODEL_THREAD=0 cargo bench -p outpost-agent --bench agent_bench -- --quick
//! --only throughput --paths raw,outpost,ssh`, then the same without it.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use outpost_testkit::bench::cleanup::{self, arm, disarm};
use outpost_testkit::bench::data::{
    drain, make_data_file, release_and_drain, shell_quote, warm_page_cache, MIB,
};
use outpost_testkit::bench::drive;
use outpost_testkit::client::{Client, Mode};

use crate::procs::{cpu_delta, cpu_seconds, parent_pid};
use crate::pty::{wait_pty_child, PtyProc};
use crate::ssh_peer::LoopbackSsh;
use crate::tmux::{tmux, tmux_start, tmux_stop, TMUX};
use crate::{Ctx, Opts, COLS, ROWS, STALL};

/// One run of one path.
#[derive(Clone, Debug, Default)]
pub struct Tp {
    pub secs: f64,
    /// Bytes read after the gate.
    pub bytes: u64,
    /// Bytes the client never got (gaps in the offsets), Outpost only.
    pub lost: u64,
    /// Outpost only: the stream stopped although the session had more (see the report).
    pub stall: Option<String>,
    /// CPU seconds spent by each part of the path during the run.
    pub cpu: Vec<(&'static str, f64)>,
    /// How many pieces the bytes came in: reads for the PTY and ssh, `session.output`
    /// notifications for Outpost.
    pub chunks: u64,
}

/// Every run of every path.
pub struct TpResults {
    pub file_bytes: u64,
    pub expected: u64,
    pub raw: Vec<Result<Tp>>,
    pub outpost: Vec<Result<Tp>>,
    pub ssh: Vec<Result<Tp>>,
    pub ssh_skip: Option<String>,
    pub ssh_cipher: String,
    pub tmux: Vec<Result<Tp>>,
}

/// The gate every throughput run uses: no echo, a marker byte, wait for one line, then `cat`.
fn gate_script(file: &Path) -> String {
    format!(
        "stty -echo; printf R; read _; exec cat {}",
        shell_quote(&file.to_string_lossy())
    )
}

fn tp_raw_pty(file: &Path) -> Result<Tp> {
    let me = std::process::id();
    let script = gate_script(file);
    let mut p = PtyProc::spawn(&["/bin/sh", "-c", &script], &[])?;
    let mut bytes = p.read_until_marker(b'R')?;
    let c0 = cpu_seconds(me)?;
    let t0 = Instant::now();
    p.write(b"\n")?;
    let (read, chunks) = drain(&mut p.reader).context("reading the PTY")?;
    bytes += read;
    let secs = t0.elapsed().as_secs_f64();
    let _ = p.child.wait();
    cleanup::untrack(p.pid);
    let (reader, cat) = cpu_delta(c0, cpu_seconds(me)?);
    Ok(Tp {
        secs,
        bytes,
        lost: 0,
        stall: None,
        cpu: vec![("reader (bench)", reader), ("cat", cat)],
        chunks,
    })
}

/// How the throughput client keeps a session's output: gaps allowed (and counted as lost),
/// every chunk decoded, the latest 64 KiB kept (for the gate's marker).
const TP_MODE: Mode = Mode {
    contiguous: false,
    keep: 64 << 10,
};

fn tp_outpost(agent: &Client, file: &Path) -> Result<Tp> {
    let script = gate_script(file);
    let s = drive::create_shell(agent, "/bin/sh", &["-c", &script], (COLS, ROWS))?;
    let sid = drive::session_id(&s)?;
    let result = (|| -> Result<Tp> {
        let me = std::process::id();
        let agent_pid = agent.pid().ok_or_else(|| anyhow!("no agent pid"))?;
        let child = s["pid"].as_u64().ok_or_else(|| anyhow!("no pid"))? as u32;
        let daemon = parent_pid(child)?;
        drive::attach(agent, &sid, TP_MODE)?;
        let gate = drive::wait_for_bytes(agent, &sid, b"R", Duration::from_secs(60))?;
        let (c0, a0, d0) = (
            cpu_seconds(me)?,
            cpu_seconds(agent_pid)?,
            cpu_seconds(daemon)?,
        );
        let t0 = Instant::now();
        drive::input(agent, &sid, b"\n")?;
        let mut stall = None;
        let mut seen = gate.received;
        let exit = loop {
            if let Some(e) = drive::wait_exit(agent, &sid, STALL)? {
                break e;
            }
            let now = agent.received(&sid);
            if now > seen {
                seen = now;
                continue;
            }
            if stall.is_some() {
                bail!("stalled, and a request did not wake it up");
            }
            // Nothing for a long time: ask the agent where the session stands (the request
            // also wakes the daemon connection), then see what still comes.
            let info = drive::session_info(agent, &sid)?;
            stall = Some(format!(
                "no output for {} s after {} bytes (offset {}) while the session was {} with output_end {}",
                STALL.as_secs(),
                now - gate.received,
                gate.next + (now - gate.received),
                info["state"].as_str().unwrap_or("?"),
                info["output_end"]
            ));
        };
        let secs = exit.at.saturating_duration_since(t0).as_secs_f64();
        let end = agent
            .stream(&sid)
            .ok_or_else(|| anyhow!("no stream of {sid}"))?;
        let bytes = end.received - gate.received;
        let chunks = end.chunks - gate.chunks;
        let lost: u64 = end.gaps[gate.gaps.len()..]
            .iter()
            .map(|(expected, got)| got - expected)
            .sum();
        let (client, _) = cpu_delta(c0, cpu_seconds(me)?);
        let (agent_cpu, _) = cpu_delta(a0, cpu_seconds(agent_pid)?);
        let (daemon_cpu, cat) = cpu_delta(d0, cpu_seconds(daemon)?);
        if let Some(st) = &mut stall {
            let _ = write!(
                st,
                "; after a `session.list` the rest arrived ({bytes} bytes in all) and the exit"
            );
        }
        Ok(Tp {
            secs,
            bytes,
            lost,
            stall,
            cpu: vec![
                ("client (bench)", client),
                ("agent", agent_cpu),
                ("daemon", daemon_cpu),
                ("cat", cat),
            ],
            chunks,
        })
    })();
    drive::close(agent, &sid)?;
    result
}

/// Seconds, bytes, reads, and the CPU readings of the bench and of sshd before the run.
type SshRun = (f64, u64, u64, (f64, f64), (f64, f64));

fn tp_ssh(ssh: &LoopbackSsh, file: &Path) -> Result<Tp> {
    let me = std::process::id();
    let sshd_pid = ssh.pid();
    let mut child = ssh
        .ssh_command(&["-tt"], &gate_script(file))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting ssh")?;
    cleanup::track(child.id());
    let result = (|| -> Result<SshRun> {
        let mut out = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut stdin = child.stdin.take().ok_or_else(|| anyhow!("no stdin"))?;
        let mut buf = vec![0u8; 64 << 10];
        let mut bytes = loop {
            let n = out.read(&mut buf)?;
            if n == 0 {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                bail!("ssh ended before the marker: {}", err.trim());
            }
            if let Some(i) = buf[..n].iter().position(|&b| b == b'R') {
                break (n - i - 1) as u64;
            }
        };
        let (c0, s0) = (cpu_seconds(me)?, cpu_seconds(sshd_pid)?);
        let (secs, read, chunks) =
            release_and_drain(&mut stdin, &mut out).context("reading ssh")?;
        bytes += read;
        drop(stdin);
        Ok((secs, bytes, chunks, c0, s0))
    })();
    let _ = child.wait();
    cleanup::untrack(child.id());
    let (secs, bytes, chunks, c0, s0) = result?;
    // Let sshd reap the connection's processes (and with them cat's CPU time).
    std::thread::sleep(Duration::from_millis(300));
    let (reader, ssh_cpu) = cpu_delta(c0, cpu_seconds(me)?);
    let (sshd_own, sshd_children) = cpu_delta(s0, cpu_seconds(sshd_pid)?);
    Ok(Tp {
        secs,
        bytes,
        lost: 0,
        stall: None,
        cpu: vec![
            ("reader (bench)", reader),
            ("ssh", ssh_cpu),
            ("sshd + cat", sshd_own + sshd_children),
        ],
        chunks,
    })
}

fn tp_tmux(file: &Path, sock: &str) -> Result<Tp> {
    // The pane's shell runs cat as its child, so cat's CPU time lands in the shell's, which
    // then waits (exec sleep) to be read.
    let pane = format!(
        "{TMUX} -S {s} wait-for gate; cat {}; {TMUX} -S {s} wait-for -S done; exec sleep 600",
        shell_quote(&file.to_string_lossy()),
        s = shell_quote(sock)
    );
    tmux_start(sock, "bench", &pane)?;
    let result = (|| -> Result<Tp> {
        let me = std::process::id();
        let server: u32 = tmux(sock, &["display-message", "-p", "-t", "bench", "#{pid}"])?
            .trim()
            .parse()
            .context("tmux server pid")?;
        let pane_pid: u32 = tmux(
            sock,
            &["display-message", "-p", "-t", "bench", "#{pane_pid}"],
        )?
        .trim()
        .parse()
        .context("tmux pane pid")?;
        // A client on a PTY of the same size, its output drained and discarded, so that tmux
        // renders the pane as it would for a person.
        let client = PtyProc::spawn(&[TMUX, "-S", sock, "attach", "-t", "bench"], &[])?;
        let rendered = Arc::new(AtomicU64::new(0));
        let (mut reader, pid) = (client.reader, client.pid);
        let mut client_child = client.child;
        let counter = rendered.clone();
        let drain = std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 << 10];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                counter.fetch_add(n as u64, Ordering::Relaxed);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while tmux(sock, &["list-clients"])?.trim().is_empty() {
            if Instant::now() > deadline {
                bail!("the tmux client did not attach");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(100));
        let (c0, s0, p0) = (
            cpu_seconds(me)?,
            cpu_seconds(server)?,
            cpu_seconds(pane_pid)?,
        );
        let rendered0 = rendered.load(Ordering::Relaxed);
        let t0 = Instant::now();
        tmux(sock, &["wait-for", "-S", "gate"])?;
        tmux(sock, &["wait-for", "done"])?;
        let secs = t0.elapsed().as_secs_f64();
        std::thread::sleep(Duration::from_millis(100));
        let (server_cpu, _) = cpu_delta(s0, cpu_seconds(server)?);
        let (_, cat) = cpu_delta(p0, cpu_seconds(pane_pid)?);
        tmux_stop(sock);
        wait_pty_child(&mut client_child, pid, Duration::from_secs(3));
        let _ = drain.join();
        drop(client.master);
        let (_, client_cpu) = cpu_delta(c0, cpu_seconds(me)?);
        Ok(Tp {
            secs,
            bytes: rendered.load(Ordering::Relaxed) - rendered0,
            lost: 0,
            stall: None,
            cpu: vec![
                ("tmux server", server_cpu),
                ("tmux client", client_cpu),
                ("cat", cat),
            ],
            chunks: 0,
        })
    })();
    tmux_stop(sock);
    result
}

/// Every path, `o.tp_reps` times in turn.
pub fn bench_throughput(o: &Opts, ctx: &Ctx, agent: &Client) -> Result<TpResults> {
    let file = ctx.tmp.join("data.txt");
    println!(
        "[throughput] writing a {} MiB file of printable lines",
        o.file_bytes >> 20
    );
    let lines = make_data_file(&file, o.file_bytes)?;
    // Into the page cache once more, so no run reads the disk.
    warm_page_cache(&file)?;
    let expected = o.file_bytes + lines;
    let ssh = if o.wants_path("ssh") {
        LoopbackSsh::start(&ctx.tmp.join("ssh"))
    } else {
        Err(anyhow!("not selected (--paths)"))
    };
    let (ssh_skip, ssh_cipher) = match &ssh {
        Ok(s) => (None, s.cipher.clone()),
        Err(e) => {
            println!("[throughput] ssh -tt skipped: {e:#}");
            (Some(format!("{e:#}")), String::new())
        }
    };
    let mut r = TpResults {
        file_bytes: o.file_bytes,
        expected,
        raw: Vec::new(),
        outpost: Vec::new(),
        ssh: Vec::new(),
        ssh_skip,
        ssh_cipher,
        tmux: Vec::new(),
    };
    let limit = Duration::from_secs(90 + (o.file_bytes >> 20));
    let sock = ctx.tmp.join("tmux-tp.sock").to_string_lossy().into_owned();
    let show = |name: &str, x: &Result<Tp>| match x {
        Ok(t) => println!(
            "[throughput]   {name:<8} {:8.1} MiB/s  ({:.3} s, {} bytes{})",
            o.file_bytes as f64 / MIB / t.secs,
            t.secs,
            t.bytes,
            if t.lost > 0 {
                format!(", {} lost", t.lost)
            } else {
                String::new()
            } + &t
                .stall
                .as_ref()
                .map(|s| format!(", STALLED: {s}"))
                .unwrap_or_default()
        ),
        Err(e) => println!("[throughput]   {name:<8} error: {e:#}"),
    };
    for rep in 0..o.tp_reps {
        println!("[throughput] repetition {}/{}", rep + 1, o.tp_reps);
        if o.wants_path("raw") {
            arm("throughput: raw PTY", limit);
            let x = tp_raw_pty(&file);
            show("raw PTY", &x);
            r.raw.push(x);
        }
        if o.wants_path("outpost") {
            arm("throughput: Outpost", limit);
            let x = tp_outpost(agent, &file);
            show("Outpost", &x);
            r.outpost.push(x);
        }
        if let (true, Ok(s)) = (o.wants_path("ssh"), &ssh) {
            arm("throughput: ssh -tt", limit);
            let x = tp_ssh(s, &file);
            show("ssh -tt", &x);
            r.ssh.push(x);
        }
        if o.wants_path("tmux") {
            arm("throughput: tmux", limit);
            let x = tp_tmux(&file, &sock);
            show("tmux", &x);
            r.tmux.push(x);
        }
        disarm();
    }
    if let Ok(s) = ssh {
        s.stop();
    }
    let _ = std::fs::remove_file(&file);
    Ok(r)
}
