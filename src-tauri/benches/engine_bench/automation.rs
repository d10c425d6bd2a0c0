//! The automation measures (issue 17): `session.exec` of `true` in a shell session on an open
//! connection (p50/p99; target p50 < 20 ms, p99 < 50 ms), and `exec.run` of `true` on the
//! agent's host against `ssh HOST true` over an already open OpenSSH ControlMaster (`ssh -S`;
//! target ≤ 1.0×). Both timed at the engine level, from sending the request to its answer, the
//! `ssh` runs as process wall time; the two interleaved.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{ensure, Result};
use outpost_desktop::engine::agent::connect::Connection;
use outpost_desktop::engine::automation::exec;
use outpost_desktop::engine::store::hosts::HostStore;
use outpost_protocol::exec::RunParams;
use outpost_protocol::method;
use outpost_protocol::session::SessionRef;
use outpost_testkit::bench::doc::verdict;
use outpost_testkit::bench::stats::{median, percentile, spread};
use outpost_testkit::summary::{Measure, Stats};

use crate::check::timed;
use crate::create::shell_params;
use crate::{ms, Setup};

/// Every timed call, ms.
pub struct Automation {
    /// `session.exec` of `true`.
    pub exec: Vec<f64>,
    /// `exec.run` of `true`.
    pub run: Vec<f64>,
    /// `ssh -S CONTROL HOST true` over an open master.
    pub ssh_master: Vec<f64>,
}

/// `ssh -S CONTROL` with `extra` arguments before the destination, to the bench's server.
fn ssh(s: &Setup, control: &Path, extra: &[&str]) -> Command {
    let mut c = s.ssh(&[format!("ControlPath={}", control.display())]);
    c.args(extra);
    c
}

/// `n` of each after warm-ups, interleaved.
pub fn runs(s: &Setup, n: usize) -> Result<Automation> {
    let control = s.dir.path().join("cm");
    let master = ssh(s, &control, &["-M", "-N", "-f"]).status()?;
    ensure!(master.success(), "the ControlMaster did not start");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let r = rt.block_on(async {
        let ctx = s.context();
        let host = HostStore::load(&ctx.config_dir)?.get("bench")?;
        let conn = Connection::open(&host, &ctx).await?;
        let session = conn
            .rpc
            .call::<method::SessionCreate>(shell_params("bench-exec".into()))
            .await?
            .session
            .session_id;
        let true_run = || RunParams::argv(["true"]);
        let exec_true = exec::SessionCommand::new("true");
        let mut r = Automation {
            exec: Vec::new(),
            run: Vec::new(),
            ssh_master: Vec::new(),
        };
        // The new shell answers `session_busy` until its first prompt.
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        while let Err(e) = exec::session_exec(&conn.rpc, exec_true.params(&session)).await {
            ensure!(
                e.code() == "session_busy" && Instant::now() < deadline,
                "the new shell never took a command: {e}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // Warm-ups: the first fork of each path.
        for _ in 0..3 {
            let e = exec::session_exec(&conn.rpc, exec_true.params(&session)).await?;
            ensure!(e.exit_code == Some(0), "session.exec true: {e:?}");
            exec::run(&conn.rpc, true_run()).await?;
            timed(ssh(s, &control, &[]).arg("true"))?;
        }
        for _ in 0..n {
            let t = Instant::now();
            let e = exec::session_exec(&conn.rpc, exec_true.params(&session)).await?;
            r.exec.push(ms(t.elapsed()));
            ensure!(e.exit_code == Some(0), "session.exec true: {e:?}");
            let t = Instant::now();
            let run = exec::run(&conn.rpc, true_run()).await?;
            r.run.push(ms(t.elapsed()));
            ensure!(run.exit_code == Some(0), "exec.run true: {run:?}");
            let (took, _) = timed(ssh(s, &control, &[]).arg("true"))?;
            r.ssh_master.push(ms(took));
        }
        conn.rpc
            .call::<method::SessionClose>(SessionRef {
                session_id: session,
            })
            .await?;
        conn.close().await;
        Ok::<_, anyhow::Error>(r)
    });
    let _ = ssh(s, &control, &["-O", "exit"]).output();
    r
}

/// The generated lines.
pub fn render(r: &Automation) -> String {
    let mut s = String::new();
    let (p50, p99) = (percentile(&r.exec, 50.0), percentile(&r.exec, 99.0));
    let (run, master) = (median(&r.run), median(&r.ssh_master));
    let _ = writeln!(
        s,
        "\n| automation (issue 17) | ms | spread | ratio | target | result |\n|---|---:|---:|---:|---|---|"
    );
    let _ = writeln!(
        s,
        "| `session.exec` of `true` in a shell on an open connection, p50 | {p50:.1} | {} | — | < 20 ms | {} |",
        spread(&r.exec, 1),
        verdict(p50 < 20.0)
    );
    let _ = writeln!(
        s,
        "| the same, p99 (N = {}) | {p99:.1} | — | — | < 50 ms | {} |",
        r.exec.len(),
        verdict(p99 < 50.0)
    );
    let _ = writeln!(
        s,
        "| `exec.run` of `true` on the agent's host (median) | {run:.1} | {} | {:.2}× | ≤ 1.0× `ssh -S` | {} |",
        spread(&r.run, 1),
        run / master,
        verdict(run <= master)
    );
    let _ = writeln!(
        s,
        "| `ssh -S CONTROL user@127.0.0.1 true` over an open ControlMaster (process wall time, median) | {master:.1} | {} | 1.00× | — | — |",
        spread(&r.ssh_master, 1)
    );
    let _ = writeln!(
        s,
        "| a sentinel prompt polled every 250 ms (the approach `session.exec` replaces; its floor, not measured) | ≥ 200 | — | — | — | — |"
    );
    s
}

/// The results file's measures.
pub fn measures(r: &Automation) -> Vec<Measure> {
    let p50 = percentile(&r.exec, 50.0);
    let p99 = percentile(&r.exec, 99.0);
    let exec = Measure::new(
        "`session.exec` of `true` on an open connection",
        "ms",
        Stats::of(&r.exec),
    )
    .goal("p50 < 20 ms, p99 < 50 ms", p50 < 20.0 && p99 < 50.0);
    let run = Measure::new("`exec.run` of `true`", "ms", Stats::of(&r.run))
        .peer("ssh -S CONTROL host true", Stats::of(&r.ssh_master), None)
        .ratio_to("ssh -S CONTROL host true");
    let met = run.ratio.is_some_and(|x| x <= 1.0);
    vec![exec, run.goal("≤ 1.0× ssh over an open ControlMaster", met)]
}
