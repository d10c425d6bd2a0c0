//! `agent_bench`'s measures for its results file (`agent_bench.json`) and the summary of
//! `make bench`.

use anyhow::Result;
use outpost_testkit::bench::stats::median;
use outpost_testkit::summary::{Measure, Stats};

use crate::echo::{EchoRep, EchoResults};
use crate::memory::{tmux_per_session, MemPoint, MEMORY_GOAL_SESSIONS};
use crate::replay::ReplayResults;
use crate::report::{
    added_p50, first_err, oks, paired_note, tp_clean, tp_paired, tp_rates, Report,
};
use crate::restore::{RestoreResults, RESTORE_GOAL_MS};
use crate::throughput::{Tp, TpResults};
use crate::{Opts, COLS, ROWS};

/// The first error of `v`, as a note.
fn err_note<T>(v: &[Result<T>]) -> String {
    first_err(v)
        .map(|e| {
            format!(
                "{} of {} runs failed: {e}",
                v.iter().filter(|x| x.is_err()).count(),
                v.len()
            )
        })
        .unwrap_or_default()
}

fn throughput_measures(o: &Opts, tp: &TpResults) -> Vec<Measure> {
    let rates = |v: &[Result<Tp>], stream: bool| Stats::of(&tp_rates(tp, v, stream));
    let (raw, outpost) = (rates(&tp.raw, true), rates(&tp.outpost, true));
    let ssh = rates(&tp.ssh, true);
    let tmux = rates(&tp.tmux, false);
    let what = format!(
        "Output throughput, `cat` of a {} MiB file",
        o.file_bytes >> 20
    );
    let clean = tp_clean(tp, &tp.outpost);
    let note = if !clean {
        let ok = oks(&tp.outpost);
        let stalled = ok.iter().filter(|t| t.stall.is_some()).count();
        let lossy = ok
            .iter()
            .filter(|t| t.lost > 0 || t.bytes != tp.expected)
            .count();
        let mut note = format!("{stalled} run(s) stalled, {lossy} incomplete");
        let errors = err_note(&tp.outpost);
        if !errors.is_empty() {
            note += &format!("; {errors}");
        }
        note
    } else if ssh.is_none() {
        "no ssh -tt figure to compare with".into()
    } else {
        String::new()
    };
    let tmux_note = Some("screen updates, not the byte stream".to_string());
    let vs_ssh = Measure::new(&what, "MiB/s", outpost)
        .peer("ssh -tt", ssh, tp.ssh_skip.clone())
        .peer("raw PTY", raw, None)
        .peer("tmux", tmux, tmux_note)
        .ratio_to("ssh -tt");
    let met = clean && vs_ssh.ratio.is_some_and(|r| r >= 1.0);
    let paired_ssh = paired_note(&tp_paired(tp, &tp.outpost, &tp.ssh), 1.0);
    let note = [note, paired_ssh]
        .into_iter()
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let vs_ssh = vs_ssh
        .goal("≥ 1.0× ssh -tt, every byte, no stall", met)
        .note(note);
    let vs_raw = Measure::new(&format!("{what}, against a raw PTY"), "MiB/s", outpost)
        .peer("raw PTY", raw, None)
        .ratio_to("raw PTY");
    let met = vs_raw.ratio.is_some_and(|r| r >= 0.8);
    let paired_raw = paired_note(&tp_paired(tp, &tp.outpost, &tp.raw), 0.8);
    vec![vs_ssh, vs_raw.goal("≥ 0.8× raw PTY", met).note(paired_raw)]
}

fn echo_measures(o: &Opts, e: &EchoResults) -> Vec<Measure> {
    let (pty, op) = (oks(&e.pty), oks(&e.outpost));
    let p50 = |v: &[EchoRep]| Stats::of(&v.iter().map(|x| x.p50).collect::<Vec<_>>());
    let p99 = |v: &[EchoRep]| Stats::of(&v.iter().map(|x| x.p99).collect::<Vec<_>>());
    let added = added_p50(e);
    let stalls: usize = op.iter().map(|x| x.stalls).sum();
    let what = format!("Keystroke echo latency, {} samples per run", o.echo_samples);
    let mut note = match Stats::of(&added) {
        Some(a) => format!(
            "adds {:.3} ms ({:.3}–{:.3}), paired by run",
            a.median, a.min, a.max
        ),
        None => "no paired runs".into(),
    };
    if stalls > 0 {
        note += &format!("; {stalls} keystrokes not echoed until a request");
    }
    let e_note = err_note(&e.outpost);
    if !e_note.is_empty() {
        note += &format!("; {e_note}");
    }
    let pty_note = (pty.is_empty()).then(|| err_note(&e.pty));
    let met = !added.is_empty() && median(&added) <= 0.2 && stalls == 0;
    vec![
        Measure::new(&format!("{what}, p50"), "ms", p50(&op))
            .peer("direct PTY", p50(&pty), pty_note.clone())
            .ratio_to("direct PTY")
            .goal("adds ≤ 0.2 ms p50", met)
            .note(note),
        Measure::new(&format!("{what}, p99"), "ms", p99(&op))
            .peer("direct PTY", p99(&pty), pty_note)
            .ratio_to("direct PTY"),
    ]
}

fn replay_measures(rr: &Result<ReplayResults>) -> Vec<Measure> {
    let cases = [
        ("new agent process (reconnect)", 0),
        ("same agent, detach + re-attach", 1),
    ];
    cases
        .iter()
        .map(|(case, i)| {
            let what = format!("Attach + replay of a full 2 MiB scrollback, {case}");
            let rr = match rr {
                Ok(rr) => rr,
                Err(e) => {
                    return Measure::new(&what, "ms", None)
                        .goal("< 50 ms", false)
                        .note(format!("{e:#}"))
                }
            };
            let v = if *i == 0 { &rr.cold } else { &rr.warm };
            let ok = oks(v);
            let all = ok.iter().all(|x| x.bytes == rr.held);
            let tot: Vec<f64> = ok.iter().map(|x| x.total_ms).collect();
            let mut note = err_note(v);
            if !all {
                note += " (a replay was incomplete)";
            }
            Measure::new(&what, "ms", Stats::of(&tot))
                .goal("< 50 ms", median(&tot) < 50.0 && all)
                .note(note.trim().to_string())
        })
        .collect()
}

fn memory_measures(mem: &Result<Vec<MemPoint>>) -> Vec<Measure> {
    let points = match mem {
        Ok(p) => p,
        Err(e) => {
            return vec![
                Measure::new("Private memory per idle session daemon", "KiB", None)
                    .goal("< 1 MiB (1024 KiB)", false)
                    .note(format!("{e:#}")),
            ]
        }
    };
    points
        .iter()
        .map(|p| {
            let outpost = p.outpost.as_ref().ok().and_then(|v| Stats::of(v));
            let tmux = p
                .tmux_total
                .as_ref()
                .ok()
                .and_then(|v| Stats::of(&tmux_per_session(v, p.sessions)));
            let tmux_note = p.tmux_total.as_ref().err().map(|e| format!("{e:#}"));
            let m = Measure::new(
                &format!(
                    "Private memory per idle session, {} session{}",
                    p.sessions,
                    if p.sessions == 1 { "" } else { "s" }
                ),
                "KiB",
                outpost,
            )
            .peer("tmux (server ÷ sessions)", tmux, tmux_note)
            .ratio_to("tmux (server ÷ sessions)");
            let note = p.outpost.as_ref().err().map(|e| format!("{e:#}"));
            // Issue 16 sets the budget at 50 sessions; at one session the code pages only that
            // daemon touched count as its own, so the other counts are context.
            if p.sessions != MEMORY_GOAL_SESSIONS {
                return m.note(note.unwrap_or_else(|| {
                    format!("the goal is set at {MEMORY_GOAL_SESSIONS} sessions")
                }));
            }
            let met = outpost.is_some_and(|s| s.median < 1024.0);
            m.goal("< 1 MiB (1024 KiB) per daemon (aim: ≤ 512 KiB)", met)
                .note(note.unwrap_or_default())
        })
        .collect()
}

fn restore_measures(r: &Result<RestoreResults>) -> Vec<Measure> {
    let what = format!("Attach with screen restore of a {COLS}×{ROWS} screen");
    let goal = format!("< {RESTORE_GOAL_MS} ms");
    let r = match r {
        Ok(r) => r,
        Err(e) => {
            return vec![Measure::new(&what, "ms", None)
                .goal(&goal, false)
                .note(format!("{e:#}"))]
        }
    };
    let stats = |v: &[Result<f64>]| Stats::of(&oks(v));
    let peer_note = |v: &[Result<f64>]| Some(err_note(v)).filter(|n| !n.is_empty());
    let capture = "tmux capture-pane -p -e";
    [
        ("same agent", &r.reattach),
        ("new agent process", &r.new_agent),
    ]
    .iter()
    .map(|(case, v)| {
        let outpost = stats(v);
        let met = first_err(v).is_none() && outpost.is_some_and(|s| s.median < RESTORE_GOAL_MS);
        Measure::new(&format!("{what}, {case}"), "ms", outpost)
            .peer(capture, stats(&r.tmux_capture), peer_note(&r.tmux_capture))
            .peer(
                "tmux attach",
                stats(&r.tmux_attach),
                peer_note(&r.tmux_attach),
            )
            .ratio_to(capture)
            .goal(&goal, met)
            .note(err_note(v))
    })
    .collect()
}

/// Every measure of `r`, for the results file.
pub fn measures(o: &Opts, r: &Report) -> Vec<Measure> {
    let mut v = Vec::new();
    match &r.throughput {
        Some(Ok(tp)) => v.extend(throughput_measures(o, tp)),
        Some(Err(e)) => v.push(
            Measure::new("Output throughput", "MiB/s", None)
                .goal("≥ 1.0× ssh -tt", false)
                .note(format!("{e:#}")),
        ),
        None => {}
    }
    if let Some(e) = &r.echo {
        v.extend(echo_measures(o, e));
    }
    if let Some(rr) = &r.replay {
        v.extend(replay_measures(rr));
    }
    if let Some(mem) = &r.memory {
        v.extend(memory_measures(mem));
    }
    if let Some(fair) = &r.fair {
        v.extend(crate::fair::measures(fair));
    }
    if let Some(restore) = &r.restore {
        v.extend(restore_measures(restore));
    }
    v
}
