//! Benchmark 2, keystroke echo latency: one byte at a time, back to back, into an application that
//! echoes it itself (`stty raw -echo; … exec cat`), on a direct PTY and through an Outpost session.

use std::io::Read as _;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use outpost_testkit::bench::cleanup::{arm, disarm};
use outpost_testkit::bench::drive;
use outpost_testkit::bench::stats::percentile;
use outpost_testkit::client::{Client, ClientError, Mode, Stream};

use crate::pty::PtyProc;
use crate::{Opts, COLS, ROWS};

const ECHO_SCRIPT: &str = "stty raw -echo; printf R; exec cat";

fn echo_pty(o: &Opts) -> Result<Vec<f64>> {
    let mut p = PtyProc::spawn(&["/bin/sh", "-c", ECHO_SCRIPT], &[])?;
    let result = (|| -> Result<Vec<f64>> {
        p.read_until_marker(b'R')?;
        let mut samples = Vec::with_capacity(o.echo_samples);
        let mut buf = [0u8; 256];
        for i in 0..(o.echo_warmup + o.echo_samples) {
            let b = b'a' + (i % 26) as u8;
            let t0 = Instant::now();
            p.write(&[b])?;
            loop {
                let n = p.reader.read(&mut buf)?;
                if n == 0 {
                    bail!("PTY closed");
                }
                if buf[..n].contains(&b) {
                    break;
                }
            }
            if i >= o.echo_warmup {
                samples.push(t0.elapsed().as_secs_f64() * 1e3);
            }
        }
        Ok(samples)
    })();
    p.kill_and_wait();
    result
}

/// How the echo client keeps the session's output: contiguous, the latest 64 KiB kept.
const ECHO_MODE: Mode = Mode {
    contiguous: true,
    keep: 64 << 10,
};

/// Samples (ms) and how many keystrokes stalled (no echo within 2 s until a request woke the
/// daemon connection; those are left out of the samples). A sample runs from just before the
/// bench writes the byte to when the client's reader read the line that echoed it.
fn echo_outpost(o: &Opts, agent: &Client) -> Result<(Vec<f64>, usize)> {
    let s = drive::create_shell(agent, "/bin/sh", &["-c", ECHO_SCRIPT], (COLS, ROWS))?;
    let sid = drive::session_id(&s)?;
    let result = (|| -> Result<(Vec<f64>, usize)> {
        drive::attach(agent, &sid, ECHO_MODE)?;
        drive::wait_for_bytes(agent, &sid, b"R", Duration::from_secs(60))?;
        let mut samples = Vec::with_capacity(o.echo_samples);
        let mut stalls = 0;
        for i in 0..(o.echo_warmup + o.echo_samples) {
            let b = b'a' + (i % 26) as u8;
            let before = agent.received(&sid);
            let echoed = |s: &Stream| {
                let new = (s.received - before) as usize;
                new > 0 && s.data[s.data.len().saturating_sub(new)..].contains(&b)
            };
            let t0 = Instant::now();
            drive::input(agent, &sid, &[b])?;
            let mut stalled = false;
            let at = loop {
                match agent.wait_stream(&sid, "the echo", Duration::from_secs(2), echoed) {
                    Ok(s) => break s.last_at,
                    Err(ClientError::Timeout { .. }) if !stalled => {
                        stalled = true;
                        stalls += 1;
                        drive::session_info(agent, &sid)?;
                    }
                    Err(ClientError::Timeout { .. }) => bail!("no echo, even after a request"),
                    Err(e) => return Err(e.into()),
                }
            };
            if i >= o.echo_warmup && !stalled {
                let at = at.ok_or_else(|| anyhow!("an echo without its time"))?;
                samples.push(at.saturating_duration_since(t0).as_secs_f64() * 1e3);
            }
        }
        Ok((samples, stalls))
    })();
    drive::close(agent, &sid)?;
    result
}

/// One run's p50 and p99 (ms) and its stalls.
#[derive(Clone, Copy, Default)]
pub struct EchoRep {
    pub p50: f64,
    pub p99: f64,
    pub stalls: usize,
}

fn echo_stats(v: &[f64], stalls: usize) -> EchoRep {
    EchoRep {
        p50: percentile(v, 50.0),
        p99: percentile(v, 99.0),
        stalls,
    }
}

/// Every run of both paths.
pub struct EchoResults {
    pub pty: Vec<Result<EchoRep>>,
    pub outpost: Vec<Result<EchoRep>>,
}

/// Both paths, `o.reps` times in turn.
pub fn bench_echo(o: &Opts, agent: &Client) -> EchoResults {
    let mut r = EchoResults {
        pty: Vec::new(),
        outpost: Vec::new(),
    };
    for rep in 0..o.reps {
        arm("echo", Duration::from_secs(120));
        let a = echo_pty(o).map(|v| echo_stats(&v, 0));
        let b = echo_outpost(o, agent).map(|(v, stalls)| echo_stats(&v, stalls));
        disarm();
        let fmt = |x: &Result<EchoRep>| match x {
            Ok(e) => format!(
                "p50 {:.3} ms, p99 {:.3} ms{}",
                e.p50,
                e.p99,
                if e.stalls > 0 {
                    format!(", {} STALLED", e.stalls)
                } else {
                    String::new()
                }
            ),
            Err(e) => format!("error: {e:#}"),
        };
        println!(
            "[echo] repetition {}/{}: PTY {}; Outpost {}",
            rep + 1,
            o.reps,
            fmt(&a),
            fmt(&b)
        );
        r.pty.push(a);
        r.outpost.push(b);
    }
    r
}
