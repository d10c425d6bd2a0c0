//! Benchmark 4, private memory per idle session: Outpost's session daemons against one tmux server
//! with as many sessions, each running `/bin/sh`. Idle means no output for longer than the
//! screen model's `SLEEP_AFTER` (it then keeps its screen as a snapshot).

use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use outpost_agent::daemon::model::SLEEP_AFTER;
use outpost_protocol::RequestId;
use outpost_testkit::bench::cleanup::{arm, disarm};
use outpost_testkit::bench::drive;
use outpost_testkit::bench::stats::median;
use outpost_testkit::client::Client;
use outpost_testkit::client::ClientError;
use serde_json::{json, Value};

use crate::procs::{avg_pss, parent_pid, private_kib, private_parts};
use crate::tmux::{tmux, tmux_start, tmux_stop};
use crate::{Ctx, Opts, COLS, ROWS};

/// The number of idle sessions at which issue 16 sets the daemon's memory budget (< 1 MiB).
pub const MEMORY_GOAL_SESSIONS: usize = 50;

/// The figures at one number of sessions.
pub struct MemPoint {
    pub sessions: usize,
    /// Per-daemon average private KiB, one value per sample.
    pub outpost: Result<Vec<f64>>,
    /// tmux server private KiB (total), one value per sample.
    pub tmux_total: Result<Vec<f64>>,
    /// Average Pss per daemon and the tmux server's Pss, KiB.
    pub outpost_pss: Option<f64>,
    pub tmux_pss: Option<f64>,
}

/// The result of request `id`, as JSON.
fn reply_value(agent: &Client, id: &RequestId) -> Result<Value> {
    let raw = agent
        .reply(id, drive::ANSWER)?
        .outcome
        .map_err(ClientError::Rpc)?;
    Ok(serde_json::from_str(raw.get())?)
}

/// The average private KiB of `pids`, `samples` times 200 ms apart.
fn sample_memory(pids: &[u32], samples: usize) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    for i in 0..samples {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(200));
        }
        let mut sum = 0u64;
        for &p in pids {
            sum += private_kib(p)?;
        }
        out.push(sum as f64 / pids.len().max(1) as f64);
    }
    Ok(out)
}

/// Creates Outpost sessions up to each count of `o.mem_counts` (in batches of 10 requests in
/// flight) and samples their daemons; closes them; then the same with tmux.
pub fn bench_memory(o: &Opts, ctx: &Ctx, agent: &Client) -> Result<Vec<MemPoint>> {
    let mut points: Vec<MemPoint> = Vec::new();
    let mut sids: Vec<String> = Vec::new();
    let mut daemons: Vec<u32> = Vec::new();
    let mut outpost_pss = Vec::new();
    let mut tmux_pss = Vec::new();
    let outpost = (|| -> Result<Vec<Vec<f64>>> {
        let mut per_count = Vec::new();
        for &n in &o.mem_counts {
            arm("memory: creating sessions", Duration::from_secs(120));
            while sids.len() < n {
                let batch = (n - sids.len()).min(10);
                let mut ids = Vec::new();
                for _ in 0..batch {
                    ids.push(agent.request_value(
                        "session.create",
                        json!({"kind": "shell", "cols": COLS, "rows": ROWS,
                               "shell": {"program": "/bin/sh"}}),
                    )?);
                }
                for id in ids {
                    let r = reply_value(agent, &id)?;
                    let s = &r["session"];
                    sids.push(
                        s["session_id"]
                            .as_str()
                            .ok_or_else(|| anyhow!("no session_id"))?
                            .to_string(),
                    );
                    let child = s["pid"].as_u64().ok_or_else(|| anyhow!("no pid"))? as u32;
                    daemons.push(parent_pid(child)?);
                }
            }
            // Let every shell print its prompt and every daemon settle: idle, its screen
            // model sleeps as a snapshot after SLEEP_AFTER without output.
            std::thread::sleep(SLEEP_AFTER + Duration::from_millis(1500));
            arm("memory: sampling", Duration::from_secs(60));
            let v = sample_memory(&daemons, o.reps)?;
            outpost_pss.push(avg_pss(&daemons));
            println!(
                "[memory] Outpost: {n} sessions, {:.0} KiB private per daemon",
                median(&v)
            );
            // Where one daemon's private memory lies (docs/daemon-memory.md reads these).
            if let Some(&first) = daemons.first() {
                match private_parts(first) {
                    Ok(parts) => println!("[memory] one daemon of {n}: {parts}"),
                    Err(e) => println!("[memory] one daemon of {n}: {e:#}"),
                }
            }
            per_count.push(v);
        }
        Ok(per_count)
    })();
    // Close every session, in batches.
    arm("memory: closing sessions", Duration::from_secs(180));
    for chunk in sids.chunks(10) {
        let mut ids = Vec::new();
        for sid in chunk {
            ids.push(agent.request_value("session.close", json!({"session_id": sid}))?);
        }
        for id in ids {
            reply_value(agent, &id)?;
        }
    }
    disarm();

    // tmux: one server, sessions running /bin/sh.
    let sock = ctx.tmp.join("tmux-mem.sock").to_string_lossy().into_owned();
    let tmux_res = (|| -> Result<Vec<Vec<f64>>> {
        arm("memory: tmux", Duration::from_secs(180));
        tmux_start(&sock, "s0", "/bin/sh")?;
        let pid: u32 = tmux(&sock, &["display-message", "-p", "-t", "s0", "#{pid}"])?
            .trim()
            .parse()
            .context("tmux server pid")?;
        let mut have = 1;
        let mut per_count = Vec::new();
        let (c, r) = (COLS.to_string(), ROWS.to_string());
        for &n in &o.mem_counts {
            while have < n {
                let name = format!("s{have}");
                tmux(
                    &sock,
                    &[
                        "new-session",
                        "-d",
                        "-s",
                        &name,
                        "-x",
                        &c,
                        "-y",
                        &r,
                        "/bin/sh",
                    ],
                )?;
                have += 1;
            }
            std::thread::sleep(Duration::from_millis(1000));
            let v = sample_memory(&[pid], o.reps)?;
            tmux_pss.push(avg_pss(&[pid]));
            println!(
                "[memory] tmux: {n} sessions, {:.0} KiB private in the server ({:.0} KiB per session)",
                median(&v),
                median(&v) / n as f64
            );
            per_count.push(v);
        }
        Ok(per_count)
    })();
    tmux_stop(&sock);
    disarm();

    for (i, &n) in o.mem_counts.iter().enumerate() {
        let pick = |r: &Result<Vec<Vec<f64>>>| match r {
            Ok(v) => v.get(i).cloned().ok_or_else(|| anyhow!("not measured")),
            Err(e) => Err(anyhow!("{e:#}")),
        };
        points.push(MemPoint {
            sessions: n,
            outpost: pick(&outpost),
            tmux_total: pick(&tmux_res),
            outpost_pss: outpost_pss.get(i).copied().flatten(),
            tmux_pss: tmux_pss.get(i).copied().flatten(),
        });
    }
    Ok(points)
}

/// The tmux server's samples (total KiB) as KiB per session.
pub fn tmux_per_session(total: &[f64], sessions: usize) -> Vec<f64> {
    total.iter().map(|t| t / sessions.max(1) as f64).collect()
}
