//! Benchmark 3, attach and replay of a full 2 MiB scrollback: from a new agent process (as after a
//! reconnect) and from the same agent after a detach.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use outpost_testkit::bench::cleanup::{arm, disarm};
use outpost_testkit::bench::data::{make_data_file, shell_quote};
use outpost_testkit::bench::drive;
use outpost_testkit::client::{Client, ClientError};
use serde_json::{json, Value};

use crate::{Ctx, Opts, COLS, ROWS, STALL};

/// One replay.
#[derive(Clone, Copy, Default)]
pub struct ReplayRep {
    /// From sending `session.attach` to its result, ms.
    pub result_ms: f64,
    /// From sending `session.attach` to the last replayed byte, ms.
    pub total_ms: f64,
    pub bytes: u64,
}

/// Attaches to `sid` (all that is held) and times the replay up to the result's `output_end`:
/// from writing the request to when the client's reader read the result, and the last replayed
/// byte (each chunk decoded as it is read).
fn replay_once(agent: &Client, sid: &str) -> Result<ReplayRep> {
    let t0 = Instant::now();
    let id = agent.request_value("session.attach", json!({"session_id": sid}))?;
    let reply = agent.reply(&id, drive::ANSWER)?;
    let result_ms = reply.at.saturating_duration_since(t0).as_secs_f64() * 1e3;
    let raw = reply.outcome.map_err(ClientError::Rpc)?;
    let r: Value = serde_json::from_str(raw.get())?;
    let from = r["replay_from"]
        .as_u64()
        .ok_or_else(|| anyhow!("no replay_from"))?;
    let end = r["session"]["output_end"]
        .as_u64()
        .ok_or_else(|| anyhow!("no output_end"))?;
    let s = match agent.wait_stream(sid, "the replay", STALL, |s| s.next >= end) {
        Ok(s) => s,
        Err(ClientError::Timeout { .. }) => bail!(
            "replay stalled at offset {} of {end}",
            agent.stream(sid).map_or(from, |s| s.next)
        ),
        Err(ClientError::Violations(v)) => bail!("replay gap: {v:?}"),
        Err(e) => return Err(e.into()),
    };
    let last = s.last_at.unwrap_or(reply.at);
    Ok(ReplayRep {
        result_ms,
        total_ms: last.saturating_duration_since(t0).as_secs_f64() * 1e3,
        bytes: s.received,
    })
}

/// What the session holds and every replay of both cases.
pub struct ReplayResults {
    pub held: u64,
    pub cold: Vec<Result<ReplayRep>>,
    pub warm: Vec<Result<ReplayRep>>,
}

/// Both cases, `o.reps` times in turn, of one session that printed more than its ring holds.
pub fn bench_replay(o: &Opts, ctx: &Ctx, agent: &Client) -> Result<ReplayResults> {
    arm("replay: setup", Duration::from_secs(60));
    let file = ctx.tmp.join("replay.txt");
    let lines = make_data_file(&file, o.replay_print_bytes)?;
    let expected_end = o.replay_print_bytes + lines;
    let script = format!("cat {}; exec cat", shell_quote(&file.to_string_lossy()));
    let s = drive::create_shell(agent, "/bin/sh", &["-c", &script], (COLS, ROWS))?;
    let sid = drive::session_id(&s)?;
    let result = (|| -> Result<ReplayResults> {
        // Wait until everything has been printed into the ring.
        let held = loop {
            let info = drive::session_info(agent, &sid).map_err(|_| anyhow!("session vanished"))?;
            let end = info["output_end"].as_u64().unwrap_or(0);
            let start = info["output_start"].as_u64().unwrap_or(0);
            if end >= expected_end {
                break end - start;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        println!(
            "[replay] session printed {} bytes and holds {} bytes",
            expected_end, held
        );
        let mut cold = Vec::new();
        let mut warm = Vec::new();
        for rep in 0..o.reps {
            arm("replay", Duration::from_secs(60));
            // Cold: a new agent process (as after a reconnect), initialised before the clock.
            let c = ctx
                .start_agent("replay", &ctx.tmp.join("agent-replay.log"))
                .and_then(|a| {
                    let r = replay_once(&a, &sid);
                    drive::shutdown(a);
                    r
                });
            // Warm: the long-lived agent re-attaches (its daemon connection already stands).
            let w = replay_once(agent, &sid).and_then(|r| {
                agent.call_value("session.detach", json!({"session_id": sid}))?;
                Ok(r)
            });
            disarm();
            let fmt = |x: &Result<ReplayRep>| match x {
                Ok(r) => format!(
                    "{:.2} ms ({} bytes; result after {:.2} ms)",
                    r.total_ms, r.bytes, r.result_ms
                ),
                Err(e) => format!("error: {e:#}"),
            };
            println!(
                "[replay] repetition {}/{}: new agent {}; re-attach {}",
                rep + 1,
                o.reps,
                fmt(&c),
                fmt(&w)
            );
            cold.push(c);
            warm.push(w);
        }
        Ok(ReplayResults { held, cold, warm })
    })();
    arm("replay: close", Duration::from_secs(30));
    drive::close(agent, &sid)?;
    disarm();
    let _ = std::fs::remove_file(&file);
    result
}
