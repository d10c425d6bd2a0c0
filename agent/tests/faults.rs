//! The agent's fault suite: what a user loses, and how long the agent takes to recover, when
//! things go wrong on the host. Every scenario runs the real `outpost-agent` binary over pipes
//! with real session daemons, real PTYs and real shells:
//!
//! - `agent_kill`: the agent is killed with SIGKILL while a session prints as fast as it can;
//!   a new agent resumes from the last offset received.
//! - `daemon_kill`: one session daemon among several is killed with SIGKILL.
//! - `flood_100`: 100 sessions flood at once while someone types in a 101st.
//! - `client_stall`: the client stops reading the agent's output for 60 s during a flood
//!   (`slow_client.rs` covers a short pause of one session; this is the long one, with several
//!   sessions, other clients and memory followed over the whole stall).
//! - `state_dir`: the state directory is full, then read-only.
//! - `other_user`: another local user tries to reach a session's socket and state.
//!
//! Each scenario prints its figures (bytes lost, time to recover, memory, latencies) and, with
//! `$OUTPOST_RELIABILITY_OUT` set, writes them into its own section of that file
//! (`make faults` points it at `docs/reliability.md`). Scenarios run one at a time
//! ([`faults_support::one_at_a_time`]) so one's load never skews another's figures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults_support;

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use faults_support::memory::{self, mib, Peak};
use faults_support::mount::Tmpfs;
use faults_support::report::{bytes, code, ms, percentile, section};
use faults_support::{
    check_consecutive, daemon_pid, entries, numbered, numbers, one_at_a_time, read_held,
    sessions_with_processes,
};
use outpost_protocol::session::DEFAULT_SCROLLBACK_BYTES;
use outpost_testkit::client::Mode;
use outpost_testkit::fixture::{
    agent_bin, kill9, sid_of, wait_until, walk, Agent, Home, BASH, DEADLINE,
};
use outpost_testkit::text::{b64, file_tail, find};
use outpost_testkit::TestUser;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// The agent killed under heavy output
// ---------------------------------------------------------------------------------------------

/// `seq` prints this many lines (about 17 MB through the terminal, with CR LF).
const SEQ_LINES: u64 = 2_000_000;

/// The ring of the flooding session: larger than everything `seq` prints, so nothing produced
/// while no agent is attached can fall out of it ("within the ring").
const SEQ_RING: u64 = 32 << 20;

/// kill -9 the agent while a session prints numbered lines as fast as it can; a new agent
/// attaches from the last offset the client received: every line arrives exactly once.
#[test]
fn agent_kill() {
    let _one = one_at_a_time();
    let home = Home::new();
    let a1 = home.agent_initialized();
    let sid = sid_of(&a1.create_bash_with(json!({"scrollback_bytes": SEQ_RING})));
    a1.attach_ok(&sid, Some(0));
    a1.type_line(&sid, &format!("seq 1 {SEQ_LINES}; echo end-$((40+2))"));
    a1.wait_output_until(&sid, "2 MiB of seq", DEADLINE, |c| c.received >= 2 << 20);
    a1.kill9();
    let first = a1.output(&sid);
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert!(
        find(&first.data, b"end-42").is_none(),
        "seq must still be printing when the agent is killed"
    );
    let cut = first.next;

    // Recovery: a new agent starts, initializes and attaches from the last offset received.
    let t0 = Instant::now();
    let a2 = home.agent();
    a2.initialize();
    let att = a2.attach_ok(&sid, Some(cut));
    let c = a2.wait_output_until(&sid, "the first replayed byte", DEADLINE, |c| {
        c.received > 0
    });
    let recovery = t0.elapsed();
    let replay_from = att["replay_from"].as_u64().unwrap();
    let end_at_attach = att["session"]["output_end"].as_u64().unwrap();
    assert_eq!(replay_from, cut, "{att}");
    assert_eq!(att["truncated"], false, "{att}");
    assert_eq!(c.replay_from, cut);
    // Produced while no agent was attached (and before the replay began).
    let unattached = end_at_attach - cut;
    assert!(
        unattached > 0,
        "the session kept printing while no agent was attached"
    );

    let second = a2.wait_for_output(&sid, b"end-42\r\n", Duration::from_secs(120));
    let gaps: u64 = second.gaps.iter().map(|(want, got)| got - want).sum();
    let lost = (replay_from - cut) + gaps;
    assert_eq!(lost, 0, "bytes lost across the kill: {:?}", second.gaps);

    let mut all = first.data;
    all.extend_from_slice(&second.data);
    let nums = numbers(&all);
    if let Err(e) = check_consecutive(&nums, 1) {
        panic!("seq's lines are not 1..={SEQ_LINES} exactly once: {e}");
    }
    assert_eq!(nums.last().copied(), Some(SEQ_LINES));
    // Both agents' bytes together are exactly the session's output.
    let (start, held) = read_held(&a2, &sid);
    assert_eq!(start, 0);
    assert!(held.len() >= all.len());
    assert!(
        held[..all.len()] == all[..],
        "the bytes the two agents delivered differ from the session's output"
    );
    a2.assert_no_violations();

    let mut s = section("agent-kill", "Agent killed with SIGKILL under heavy output");
    s.what(&format!(
        "A shell session runs `seq 1 {SEQ_LINES}` (about {:.0} MB through the terminal) with a \
         {} MiB ring. After the client has received 2 MiB, the agent is killed with SIGKILL. A new \
         agent starts, `initialize`s and attaches with `from_offset` = the end of what the client \
         received. Every line must arrive exactly once, in order, and the two agents' bytes must \
         equal the session's output.",
        all.len() as f64 / 1e6,
        SEQ_RING >> 20
    ));
    s.row("bytes lost", lost)
        .row("client's last offset at the kill (the cut)", bytes(cut))
        .row(
            "produced while no agent was attached (cut → attach)",
            bytes(unattached),
        )
        .row(
            "time to recover (new agent started → first replayed byte)",
            ms(recovery),
        )
        .row("lines delivered exactly once", nums.len());
    s.note(&format!(
        "Bytes are lost only when more than the ring ({} MiB here, 2 MiB by default) is produced \
         while no agent is attached; the attach then says `truncated: true` and replays from the \
         oldest byte held.",
        SEQ_RING >> 20
    ));
    s.publish("agent_kill");
}

// ---------------------------------------------------------------------------------------------
// One session daemon killed among several
// ---------------------------------------------------------------------------------------------

/// Sessions in the daemon-kill scenario; the second one's daemon is killed.
const TICKERS: usize = 4;

/// kill -9 one session daemon among several: the attached client gets a `session.exit` without
/// exit code or signal, the session disappears (`-32001` afterwards), its shell ends, and the
/// other sessions keep streaming with continuous offsets.
#[test]
fn daemon_kill() {
    let _one = one_at_a_time();
    let home = Home::new();
    let a = home.agent_initialized();
    let sids: Vec<String> = (0..TICKERS)
        .map(|_| sid_of(&a.create_bash(80, 24)))
        .collect();
    for sid in &sids {
        a.attach_ok(sid, Some(0));
        a.type_line(
            sid,
            "i=0; while :; do echo tick-$((i++)); sleep 0.005; done",
        );
    }
    let ticks = |sid: &str| numbered(&a.output(sid).data, b"tick-");
    for sid in &sids {
        a.wait_output_until(sid, "20 ticks", DEADLINE, |c| {
            numbered(&c.data, b"tick-").len() >= 20
        });
    }
    let victim = sids[1].clone();
    let survivors: Vec<String> = sids.iter().filter(|s| **s != victim).cloned().collect();
    let record = home.record(&victim).expect("the victim's record");
    let dpid = record["daemon_pid"].as_u64().unwrap() as u32;
    let before: Vec<usize> = survivors.iter().map(|s| ticks(s).len()).collect();

    let t0 = Instant::now();
    kill9(dpid);
    let exit = a.wait_exit(&victim);
    let to_exit = t0.elapsed();
    let p = exit.params();
    assert!(
        p.get("exit_code").is_none_or(Value::is_null) && p.get("signal").is_none_or(Value::is_null),
        "a vanished daemon's session.exit carries neither exit_code nor signal: {p}"
    );

    // Its shell ends with it (SIGHUP when the terminal's master side closes).
    wait_until(DEADLINE, "the victim's shell to end", || {
        !sessions_with_processes(&home).contains(&victim)
    });
    let to_shell_gone = t0.elapsed();

    // The other sessions keep streaming: 50 more ticks each, offsets continuous, ticks consecutive.
    for (sid, n) in survivors.iter().zip(&before) {
        a.wait_output_until(sid, "50 more ticks after the kill", DEADLINE, |c| {
            numbered(&c.data, b"tick-").len() >= n + 50
        });
    }
    let to_survivors_checked = t0.elapsed();

    // The victim is gone everywhere, with -32001 for anything aimed at it.
    let listed: Vec<String> = a.list().iter().map(sid_of).collect();
    assert!(
        !listed.contains(&victim),
        "{victim} still listed: {listed:?}"
    );
    assert_eq!(listed.len(), survivors.len(), "{listed:?}");
    let attach_msg = a
        .attach(&victim, None)
        .expect_err("attach to a dead session");
    assert_eq!(attach_msg.0, -32001, "{attach_msg:?}");
    let read_msg = a.call_err(
        "session.read",
        json!({"session_id": victim, "from_offset": 0, "max_bytes": 10}),
        -32001,
    );
    let input_msg = a.call_err(
        "session.input",
        json!({"session_id": victim, "data": b64(b"x")}),
        -32001,
    );
    // Its files (record, socket, log) were cleaned up.
    assert!(home.record(&victim).is_none());
    assert!(!home.socket_path(&victim).exists());
    assert!(!home.log_path(&victim).exists());
    // A new agent sees only the survivors.
    let a2 = home.agent_initialized();
    let mut listed2: Vec<String> = a2.list().iter().map(sid_of).collect();
    listed2.sort();
    let mut want = survivors.clone();
    want.sort();
    assert_eq!(listed2, want);

    let mut lost_survivors = 0u64;
    for sid in &survivors {
        let c = a.output(sid);
        assert!(c.errors.is_empty(), "{sid}: {:?}", c.errors);
        lost_survivors += c.gaps.iter().map(|(w, g)| g - w).sum::<u64>();
        if let Err(e) = check_consecutive(&numbered(&c.data, b"tick-"), 0) {
            panic!("{sid}: ticks not consecutive across the kill: {e}");
        }
    }
    assert_eq!(lost_survivors, 0);
    a.assert_no_violations();

    let mut s = section("daemon-kill", "A session daemon killed with SIGKILL");
    s.what(&format!(
        "{TICKERS} shell sessions each print a numbered line every 5 ms; one client is attached \
         to all of them. The daemon of one session is killed with SIGKILL."
    ));
    s.row("bytes lost in the other sessions", lost_survivors)
        .row("kill → `session.exit` at the attached client", ms(to_exit))
        .row("kill → the killed session's shell gone", ms(to_shell_gone))
        .row(
            "kill → 50 more lines seen in every other session",
            ms(to_survivors_checked),
        );
    s.note(&format!(
        "What a client sees: an attached client gets `session.exit` with neither `exit_code` nor \
         `signal` (the documented sign that the daemon itself vanished). From then on \
         `session.list` no longer lists the session (its record, socket and log are removed), and \
         `session.attach`, `session.read` and `session.input` answer -32001 ({}). The session's shell gets SIGHUP when its terminal's master side closes with the \
         daemon, and ends. Output the killed session held in its ring and had not sent is lost \
         with it; the other sessions lose nothing and their offsets stay continuous.",
        generic_ids(&[attach_msg.1.as_str(), &read_msg, &input_msg], &victim)
    ));
    s.publish("daemon_kill");
}

/// The distinct `messages`, with the session id written `<id>`, as inline code.
fn generic_ids(messages: &[&str], sid: &str) -> String {
    let mut seen: Vec<String> = Vec::new();
    for m in messages {
        let m = code(&m.replace(sid, "<id>"));
        if !seen.contains(&m) {
            seen.push(m);
        }
    }
    seen.join(", ")
}

// ---------------------------------------------------------------------------------------------
// 100 sessions flooding at once
// ---------------------------------------------------------------------------------------------

/// Sessions flooding at once.
const FLOODS: usize = 100;

/// How long the flood is measured.
const FLOOD_TIME: Duration = Duration::from_secs(10);

/// The largest a daemon's `VmRSS` may grow: its ring (2 MiB by default, fully resident once it
/// has wrapped) plus what an idle daemon takes (about 8 MiB for this debug build, mostly the
/// binary's and libraries' pages shared with every other daemon; under 1 MiB of it private)
/// plus its per-connection buffers (a 64 KiB output chunk, its frame and a 64 KiB socket
/// writer), with room to spare; anything proportional to the output (hundreds of MB here) would
/// blow through it.
const DAEMON_RSS_LIMIT_KIB: u64 = DEFAULT_SCROLLBACK_BYTES / 1024 + 12 * 1024;

/// The largest the agent's `VmRSS` may grow while attached to every session: what an idle agent
/// takes (about 10 MiB), plus, per attached session, its socket reader and writer buffers
/// (64 KiB each), one output frame in flight (64 KiB) and its session's queue of the stdout
/// writer (4 encoded lines of at most about 88 KiB), so about 0.6 MiB per session — about
/// 75 MiB for 101 sessions (79 MiB measured); the limit allows allocator slack on top. Output
/// the client has not read waits in the daemons' rings.
const AGENT_RSS_LIMIT_KIB: u64 = 96 * 1024;

/// What each flooding session runs: bash writes 400 lines (29 KiB), waits 50 ms (`read -t`
/// waits without starting a process) and starts again — a few tenths of a MB/s per session and
/// tens of MB/s for all 100, more than the client takes, so the rings wrap and the backlog waits
/// in them. (Unthrottled `yes` in 100 sessions makes 200 busy processes, each its own scheduling
/// group, on 2 cores: that measures the scheduler, not the agent.)
const FLOOD_COMMAND: &str = concat!(
    "l=0123456789abcdefghijklmnopqrstuvwxyz; s=$(printf \"%.0s$l$l\\n\" {1..400}); ",
    "while :; do echo \"$s\"; read -t 0.05; done\n"
);

/// Typing must echo within this even during the flood; only a stall trips it (the figures
/// reported are the real ones).
const ECHO_LIMIT: Duration = Duration::from_secs(2);

/// The least output any of `floods` has produced, as a second client `b` lists it.
fn least_produced(b: &Agent, floods: &[String]) -> u64 {
    let listed = b.call("session.list", json!({})).expect("session.list");
    let sessions = listed["sessions"].as_array().cloned().unwrap_or_default();
    floods
        .iter()
        .map(|sid| {
            sessions
                .iter()
                .find(|i| i["session_id"] == sid.as_str())
                .and_then(|i| i["output_end"].as_u64())
                .unwrap_or(0)
        })
        .min()
        .unwrap_or(0)
}

/// How long the floods may take to fill every ring before the test fails.
const FILL_LIMIT: Duration = Duration::from_secs(90);

/// Types one key at a time into the idle session while `go_on()` holds, timing each echo into
/// `echoes`; `keys` counts the keys typed so far (the line is cleared every 40).
fn type_and_time(
    a: &Agent,
    idle: &str,
    mut go_on: impl FnMut() -> bool,
    keys: &mut usize,
    echoes: &mut Vec<Duration>,
) {
    while go_on() {
        // One keystroke in the idle session, timed until its echo arrives.
        let before = a.client().received(idle);
        let t = Instant::now();
        a.notify(
            "session.input",
            json!({"session_id": idle, "data": b64(b"x")}),
        );
        a.wait_output_until(idle, "the echo of a keystroke", DEADLINE, |s| {
            s.received > before
        });
        echoes.push(t.elapsed());
        *keys += 1;
        // Keep the line short (no wrapping): Ctrl-U every 40 keys, untimed.
        if *keys % 40 == 0 {
            let before = a.client().received(idle);
            a.notify(
                "session.input",
                json!({"session_id": idle, "data": b64(b"\x15")}),
            );
            a.wait_output_until(idle, "the line to be cleared", DEADLINE, |s| {
                s.received > before
            });
        }
    }
}

/// 100 sessions flood their output at once, with one client attached to all of them: the agent's
/// and every daemon's memory stay bounded, and keystrokes in an idle 101st session still echo
/// promptly.
#[test]
fn flood_100() {
    let _one = one_at_a_time();
    let home = Home::new();
    let a = home.agent_initialized();
    let params = json!({
        "kind": "shell", "cols": 80, "rows": 24, "cwd": home.root(),
        "env": {"PS1": "$ ", "HISTFILE": "", "LC_ALL": "C"},
        "shell": {"program": BASH, "args": ["--norc", "--noprofile"]},
    });
    let t_setup = Instant::now();
    // Create in batches of 10 concurrent requests.
    let mut floods = Vec::new();
    for _ in 0..FLOODS / 10 {
        let ids: Vec<Value> = (0..10)
            .map(|_| a.send_request("session.create", params.clone()))
            .collect();
        for id in ids {
            let r = a.response(&id, "session.create").expect("session.create");
            floods.push(sid_of(&r["session"]));
        }
    }
    let idle = sid_of(&a.call("session.create", params).expect("session.create")["session"]);
    let idle_daemon = daemon_pid(&home, &idle);
    // The idle session's bytes are kept (gaps recorded, checked below); the floods' only
    // counted.
    a.set_mode(&idle, Mode::keep_all_with_gaps());
    a.attach_ok(&idle, None);
    a.wait_output_until(&idle, "the prompt", DEADLINE, |s| {
        find(&s.data, b"$ ").is_some()
    });
    let idle_mem = memory::mem(idle_daemon).expect("the idle daemon");
    let agent_idle_mem = memory::mem(a.pid()).expect("the agent");
    for sid in &floods {
        a.set_mode(sid, Mode::count_only());
        a.attach_ok(sid, None);
    }
    let daemons: Vec<u32> = floods.iter().map(|s| daemon_pid(&home, s)).collect();
    let setup = t_setup.elapsed();
    let received = |a: &Agent| -> u64 { floods.iter().map(|s| a.client().received(s)).sum() };
    let at_start = received(&a);
    for sid in &floods {
        a.notify(
            "session.input",
            json!({"session_id": sid, "data": b64(FLOOD_COMMAND.as_bytes())}),
        );
    }

    // Echoes are timed in two phases. While the rings fill (each session's first 2 MiB: the
    // floods run unpaced and 100 screen models parse 200 MiB, every session in a scheduling group
    // of its own, as `setsid` makes them under autogroup, against the agent's one) the figures
    // are reported; once every ring is full the floods are paced by what the client reads, and
    // for FLOOD_TIME from then the echo is held to ECHO_LIMIT.
    let b = home.agent_initialized();
    let mut filling = Vec::new();
    let mut echoes = Vec::new();
    let mut keys = 0;
    let t0 = Instant::now();
    // Memory is sampled on a thread of its own: reading `smaps_rollup` of 101 processes takes
    // seconds on a loaded machine, and done between keystrokes it left the timing loop a handful
    // of keystrokes in the whole flood (2 in one CI run), so p99 was the slowest of those few.
    let sampling = AtomicBool::new(true);
    let agent_pid = a.pid();
    let (agent_peak, daemon_peaks, t_full, filled) = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut agent_peak = Peak::default();
            let mut daemon_peaks = vec![Peak::default(); FLOODS];
            while sampling.load(Ordering::SeqCst) {
                let next = Instant::now() + Duration::from_millis(500);
                agent_peak.sample(agent_pid, "the agent");
                for (p, &pid) in daemon_peaks.iter_mut().zip(&daemons) {
                    p.sample(pid, "a flooding session's daemon");
                }
                while sampling.load(Ordering::SeqCst) && Instant::now() < next {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            (agent_peak, daemon_peaks)
        });
        let mut polled = t0;
        let mut filled = false;
        type_and_time(
            &a,
            &idle,
            || {
                if polled.elapsed() >= Duration::from_millis(500) {
                    filled = least_produced(&b, &floods) > DEFAULT_SCROLLBACK_BYTES;
                    polled = Instant::now();
                }
                !filled && t0.elapsed() < FILL_LIMIT
            },
            &mut keys,
            &mut filling,
        );
        let t_full = t0.elapsed();
        if filled {
            let t1 = Instant::now();
            type_and_time(
                &a,
                &idle,
                || t1.elapsed() < FLOOD_TIME,
                &mut keys,
                &mut echoes,
            );
        }
        sampling.store(false, Ordering::SeqCst);
        let (agent_peak, daemon_peaks) = sampler.join().expect("the memory sampler");
        (agent_peak, daemon_peaks, t_full, filled)
    });
    assert!(
        filled,
        "the floods did not fill every ring within {FILL_LIMIT:?}: they did not flood"
    );
    let flood_time = t0.elapsed();
    let delivered = received(&a) - at_start;

    // Every session really flooded: each produced more than its ring holds. (Asked of a second
    // client: on the flooded one, each daemon's answer queues behind that session's output.)
    let t_list = Instant::now();
    let listed = b.call("session.list", json!({})).expect("session.list");
    let list_time = t_list.elapsed();
    let produced: Vec<u64> = floods
        .iter()
        .map(|s| {
            let info = listed["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["session_id"] == **s)
                .unwrap_or_else(|| panic!("{s} not listed"));
            info["output_end"].as_u64().unwrap()
        })
        .collect();
    let least = *produced.iter().min().unwrap();
    let total: u64 = produced.iter().sum();
    let skipping = floods
        .iter()
        .filter(|s| a.client().with_stream(s, |s| !s.gaps.is_empty()) == Some(true))
        .count();
    let skipped: u64 = floods
        .iter()
        .flat_map(|s| a.output(s).gaps)
        .map(|(want, got)| got - want)
        .sum();
    // The idle session echoed exactly what was typed, and nothing was skipped there.
    let typed = keys;
    let echoed = a.output(&idle);
    assert!(echoed.gaps.is_empty(), "{:?}", echoed.gaps);
    let xs = echoed.data.iter().filter(|&&b| b == b'x').count();
    assert_eq!(
        xs, typed,
        "the idle session echoed {xs} of {typed} keystrokes"
    );
    a.assert_no_violations();

    let mut daemons_peak = Peak::default();
    for p in &daemon_peaks {
        daemons_peak.merge_max(p);
    }
    let p50 = percentile(&echoes, 50.0);
    let p99 = percentile(&echoes, 99.0);
    let max = percentile(&echoes, 100.0);
    let mut s = section("flood-100", "100 sessions flooding at once");
    s.what(&format!(
        "{FLOODS} shell sessions (default 2 MiB rings) each print 400 lines (29 KiB), wait 50 ms \
         and start again, all at once: more than the client takes, so the backlog waits in the \
         rings and, once a session's ring holds a full ring of unsent output, its program waits \
         (lossless while attached). One client is attached to all of them and reads everything \
         the agent sends. Meanwhile the client types one key at a time into an idle 101st \
         session and times each echo: first while the rings fill (the floods unpaced; reported), \
         then for {} s once every ring is full (the floods paced by the client; asserted). \
         Memory is sampled every 0.5 s from \
         `/proc/PID/status` (`VmRSS`) and `/proc/PID/smaps_rollup` (private = `Private_Clean + \
         Private_Dirty`).",
        FLOOD_TIME.as_secs()
    ));
    s.row("sessions created and attached in", ms(setup))
        .row(
            "flood measured for",
            format!("{:.1} s", flood_time.as_secs_f64()),
        )
        .row(
            "output produced by the floods",
            format!(
                "{} ({:.1} MB/s; least per session: {})",
                bytes(total),
                total as f64 / 1e6 / flood_time.as_secs_f64(),
                bytes(least)
            ),
        )
        .row(
            "output delivered to the client",
            format!(
                "{} ({:.1} MB/s)",
                bytes(delivered),
                delivered as f64 / 1e6 / flood_time.as_secs_f64()
            ),
        )
        .row(
            "skipped by the agent (ring overwrote unsent bytes)",
            format!("{} in {skipping} of {FLOODS} sessions", bytes(skipped)),
        )
        .row(
            "`session.list` of all 101 sessions by a second client during the flood",
            ms(list_time),
        )
        .row(
            "keystroke echo while the rings fill: p50 / p99 / max",
            format!(
                "{} / {} / {} ({} keystrokes; every ring full after {:.1} s)",
                ms(percentile(&filling, 50.0)),
                ms(percentile(&filling, 99.0)),
                ms(percentile(&filling, 100.0)),
                filling.len(),
                t_full.as_secs_f64()
            ),
        )
        .row(
            "keystroke echo once every ring is full: p50 / p99 / max",
            format!(
                "{} / {} / {} ({} keystrokes)",
                ms(p50),
                ms(p99),
                ms(max),
                echoes.len()
            ),
        )
        .row(
            "agent VmRSS idle → max (private max)",
            agent_peak.grown_from(agent_idle_mem),
        )
        .row(
            "daemon VmRSS idle → max over all (private max)",
            daemons_peak.grown_from(idle_mem),
        )
        .row(
            "asserted bounds",
            format!(
                "agent VmRSS < {}, each daemon VmRSS < {}, echo p99 < {} s once the rings are full, every session \
                 produced more than its ring",
                mib(AGENT_RSS_LIMIT_KIB),
                mib(DAEMON_RSS_LIMIT_KIB),
                ECHO_LIMIT.as_secs()
            ),
        );
    s.note(
        "Why these bounds: a daemon holds its ring (fully resident once it wraps) plus fixed \
         buffers, so its bound is the ring plus a constant; the agent holds, per attached \
         session, a few 64 KiB buffers and its queue of at most 4 encoded output lines, never \
         the backlog (which waits in the rings), so its bound is a constant plus about 0.6 MiB \
         per session. The echo bound only catches a stall: a keystroke's echo \
         goes out ahead of the floods' queued lines (its lane was empty), so it waits for the \
         line being written, what the pipe and the writer's 32 KiB buffer already hold, and the \
         agent's and the client's share of two loaded cores. Memory is sampled on a thread of \
         its own, so the sampling does not thin out the keystrokes.",
    );
    s.publish("flood_100");

    assert!(
        least > DEFAULT_SCROLLBACK_BYTES,
        "a session produced only {least} bytes, less than its ring: it did not flood"
    );
    assert!(
        agent_peak.max.rss_kib < AGENT_RSS_LIMIT_KIB,
        "agent VmRSS reached {} (limit {})",
        mib(agent_peak.max.rss_kib),
        mib(AGENT_RSS_LIMIT_KIB)
    );
    assert!(
        daemons_peak.max.rss_kib < DAEMON_RSS_LIMIT_KIB,
        "a daemon's VmRSS reached {} (limit {})",
        mib(daemons_peak.max.rss_kib),
        mib(DAEMON_RSS_LIMIT_KIB)
    );
    assert!(
        p99 < ECHO_LIMIT,
        "keystroke echo p99 {p99:?} once every ring was full (limit {ECHO_LIMIT:?})"
    );
    // Ctrl-C, detach (so closing does not first push each ring's unsent backlog to the client,
    // as closing does for attached clients), then close, each for all sessions at once.
    for sid in &floods {
        a.notify(
            "session.input",
            json!({"session_id": sid, "data": b64(b"\x03")}),
        );
    }
    for method in ["session.detach", "session.close"] {
        let ids: Vec<Value> = floods
            .iter()
            .map(|s| a.send_request(method, json!({"session_id": s})))
            .collect();
        for id in ids {
            if let Err(e) = a.response(&id, method) {
                panic!("{method}: {e:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A client that stops reading for 60 s
// ---------------------------------------------------------------------------------------------

/// How long the client stops reading.
const STALL: Duration = Duration::from_secs(60);

/// Flooding sessions while the client stalls.
const STALL_FLOODS: usize = 8;

/// The agent's `VmRSS` while its client does not read: as in `slow_client.rs`, whose reasoning
/// holds here (idle agent about 16 MiB; per attached session a few 64 KiB buffers and one
/// waiting line; the 64-line stdout queue about 5.5 MiB; the backlog waits in the rings).
const STALL_AGENT_RSS_LIMIT_KIB: u64 = 64 * 1024;

/// How much the agent's `VmRSS` may differ between the stall's first and last 20 s: a stalled
/// agent only waits, so anything that grows with time (a leak, a queue without a bound) shows.
const STALL_GROWTH_LIMIT_KIB: u64 = 4 * 1024;

/// The client stops reading the agent's standard output for 60 s while 8 sessions flood: the
/// agent's and the daemons' memory stay flat and bounded, another client meanwhile uses the
/// sessions normally, and once the client reads again each flooding session's stream jumps
/// ahead (a visible gap in the offsets) while the quiet session loses nothing.
#[test]
fn client_stall() {
    let _one = one_at_a_time();
    let home = Home::new();
    let a = home.agent_initialized();
    let floods: Vec<String> = (0..STALL_FLOODS)
        .map(|_| sid_of(&a.create_bash(80, 24)))
        .collect();
    let quiet = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&quiet, None);
    for sid in &floods {
        a.set_mode(sid, Mode::lenient());
        a.attach_ok(sid, None);
        a.notify(
            "session.input",
            json!({"session_id": sid, "data": b64(FLOOD_COMMAND.as_bytes())}),
        );
    }
    let daemons: Vec<u32> = floods.iter().map(|s| daemon_pid(&home, s)).collect();
    for sid in &floods {
        a.wait_output_until(sid, "1 MiB of flood", DEADLINE, |c| c.received > 1 << 20);
    }
    for sid in &floods {
        let c = a.output(sid);
        assert!(
            c.gaps.is_empty(),
            "{sid} skipped while the client read: {:?}",
            c.gaps
        );
    }

    a.pause_reading();
    let paused_at: Vec<u64> = floods.iter().map(|s| a.output(s).next).collect();
    let quiet_at = a.output(&quiet).next;
    let watcher = home.agent_initialized();
    let mut agent_peak = Peak::default();
    let mut early = Peak::default();
    let mut late = Peak::default();
    let mut daemons_peak = Peak::default();
    let mut other_client = None;
    let t0 = Instant::now();
    while t0.elapsed() < STALL {
        let m = agent_peak.sample(a.pid(), "the stalled client's agent");
        if t0.elapsed() < Duration::from_secs(20) {
            early.add(m);
        } else if t0.elapsed() > STALL - Duration::from_secs(20) {
            late.add(m);
        }
        for &pid in &daemons {
            daemons_peak.sample(pid, "a flooding session's daemon");
        }
        // Half-way, another client types into the quiet session and sees its echo.
        if other_client.is_none() && t0.elapsed() >= STALL / 2 {
            let t = Instant::now();
            watcher.attach_ok(&quiet, None);
            watcher.type_line(&quiet, "echo during-stall-$((6*7))");
            watcher.wait_for_output(&quiet, b"during-stall-42\r\n", DEADLINE);
            other_client = Some(t.elapsed());
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    assert!(a.is_running(), "the agent died while its client stalled");
    let ends: Vec<u64> = floods
        .iter()
        .map(|s| {
            watcher.session(s).expect("listed")["output_end"]
                .as_u64()
                .unwrap()
        })
        .collect();

    // The client reads again: every flooding stream jumps over what it missed, to bytes still
    // held when reading resumed.
    let t_resume = Instant::now();
    a.resume_reading();
    let mut caught_up = Vec::new();
    for ((sid, &from), &end) in floods.iter().zip(&paused_at).zip(&ends) {
        let c = a.wait_output_until(sid, "the jump over what was missed", DEADLINE, |c| {
            c.gaps
                .iter()
                .any(|&(want, got)| want >= from && got + DEFAULT_SCROLLBACK_BYTES >= end)
        });
        caught_up.push(t_resume.elapsed());
        assert!(c.errors.is_empty(), "{sid}: {:?}", c.errors);
    }
    let recovered = t_resume.elapsed();
    let q = a.wait_for_output(&quiet, b"during-stall-42\r\n", DEADLINE);
    let quiet_lost: u64 = q.gaps.iter().map(|(w, g)| g - w).sum();
    assert_eq!(quiet_lost, 0, "the quiet session skipped: {:?}", q.gaps);
    assert!(q.next > quiet_at);
    let skipped: Vec<u64> = floods
        .iter()
        .map(|s| a.output(s).gaps.iter().map(|(w, g)| g - w).sum())
        .collect();
    let t = Instant::now();
    a.call_ok("session.list", json!({}));
    let list_after = t.elapsed();
    for sid in &floods {
        a.notify(
            "session.input",
            json!({"session_id": sid, "data": b64(b"\x03")}),
        );
    }
    a.type_line(&quiet, "echo calm-$((11*11))");
    a.wait_for_output(&quiet, b"calm-121\r\n", DEADLINE);
    a.assert_no_violations();

    let growth = late.max.rss_kib.saturating_sub(early.max.rss_kib);
    let mut s = section("client-stall", "A client that stops reading for 60 s");
    s.what(&format!(
        "{STALL_FLOODS} shell sessions flood as in the previous scenario (default 2 MiB \
         rings) and a 9th stays quiet; one client is attached to all of them. The \
         client stops reading the agent's standard output for {} s. Meanwhile a second client \
         attaches to the quiet session, types a command and waits for its output. Then the first \
         client reads again. (`slow_client.rs` covers a 3 s pause of one session; this is the \
         long one.)",
        STALL.as_secs()
    ));
    s.row(
        "agent VmRSS first → max → last (private max)",
        format!(
            "{} → {} → {} ({})",
            mib(agent_peak.first.rss_kib),
            mib(agent_peak.max.rss_kib),
            mib(agent_peak.last.rss_kib),
            mib(agent_peak.max.private_kib)
        ),
    )
    .row(
        "agent VmRSS max, first 20 s vs last 20 s of the stall",
        format!("{} vs {}", mib(early.max.rss_kib), mib(late.max.rss_kib)),
    )
    .row(
        "daemon VmRSS max over all (private max)",
        format!(
            "{} ({})",
            mib(daemons_peak.max.rss_kib),
            mib(daemons_peak.max.private_kib)
        ),
    )
    .row(
        "second client during the stall: attach, type, see the output",
        ms(other_client.unwrap_or_default()),
    )
    .row(
        "bytes skipped per flooding session (the visible gap)",
        format!(
            "{} to {}",
            bytes(*skipped.iter().min().unwrap()),
            bytes(*skipped.iter().max().unwrap())
        ),
    )
    .row("bytes lost in the quiet session", quiet_lost)
    .row(
        "time to recover (reading resumes → every flooding stream past its gap)",
        ms(recovered),
    )
    .row("`session.list` right after", ms(list_after))
    .row(
        "asserted bounds",
        format!(
            "agent VmRSS < {}, growth last vs first 20 s < {}, each daemon VmRSS < {}",
            mib(STALL_AGENT_RSS_LIMIT_KIB),
            mib(STALL_GROWTH_LIMIT_KIB),
            mib(DAEMON_RSS_LIMIT_KIB)
        ),
    );
    s.note(
        "While the client does not read, the agent's stdout queue (64 lines) and the pipe fill, \
         each daemon connection's reader waits with one line, and the daemons keep writing into \
         their rings; nothing in the agent grows. When the client reads again it first gets what \
         was queued before the stall, then each flooding stream continues from the oldest byte \
         its ring still holds: the skipped bytes show as a jump in `offset`. A session whose \
         output fits its ring loses nothing.",
    );
    s.publish("client_stall");

    assert!(
        agent_peak.max.rss_kib < STALL_AGENT_RSS_LIMIT_KIB,
        "agent VmRSS reached {} while its client stalled",
        mib(agent_peak.max.rss_kib)
    );
    assert!(
        growth < STALL_GROWTH_LIMIT_KIB,
        "agent VmRSS grew by {} between the stall's first and last 20 s",
        mib(growth)
    );
    assert!(
        daemons_peak.max.rss_kib < DAEMON_RSS_LIMIT_KIB,
        "a daemon's VmRSS reached {}",
        mib(daemons_peak.max.rss_kib)
    );
    // Floods stop before the harness closes the sessions (which replays their backlog).
    for sid in &floods {
        a.call_ok("session.detach", json!({"session_id": sid}));
    }
}

// ---------------------------------------------------------------------------------------------
// The state directory full, then read-only
// ---------------------------------------------------------------------------------------------

/// The size of the test's state directory (a `tmpfs`).
const STATE_FS_KIB: u64 = 1024;

/// What a failed `session.create` must answer, and what must stay untouched: returns the error
/// message and how long the answer took.
fn create_fails(a: &Agent, what: &str) -> (String, Duration) {
    let t = Instant::now();
    let r = a.create(a.bash_params(80, 24));
    let took = t.elapsed();
    match r {
        Ok(s) => panic!("session.create succeeded with the state directory {what}: {s}"),
        Err((code, message)) => {
            assert_eq!(
                code, -32003,
                "session.create with the state directory {what}: {message}"
            );
            (message, took)
        }
    }
}

/// Checks that the running sessions are exactly `running` and untouched: their shells run, each
/// ticker prints 20 more lines with continuous offsets, typing into `quiet` echoes, a new agent
/// lists exactly them, and no failed creation left a process, socket, record or log behind.
fn running_untouched(home: &Home, a: &Agent, tickers: &[String], quiet: &str, tag: &str) {
    let mut all: Vec<String> = tickers.to_vec();
    all.push(quiet.to_string());
    all.sort();
    for sid in tickers {
        let n = numbered(&a.output(sid).data, b"tick-").len();
        a.wait_output_until(sid, "20 more ticks", DEADLINE, |c| {
            numbered(&c.data, b"tick-").len() >= n + 20
        });
        let c = a.output(sid);
        assert!(c.errors.is_empty(), "{sid}: {:?}", c.errors);
        if let Err(e) = check_consecutive(&numbered(&c.data, b"tick-"), 0) {
            panic!("{sid}: {e}");
        }
    }
    a.type_line(quiet, &format!("echo {tag}-$((6*7))"));
    a.wait_for_output(quiet, format!("{tag}-42\r\n").as_bytes(), DEADLINE);
    let fresh = home.agent_initialized();
    let mut listed: Vec<String> = fresh.list().iter().map(sid_of).collect();
    listed.sort();
    assert_eq!(listed, all, "the sessions a new agent lists");
    // (Read, not attached: the harness closes what an agent attached to when it goes.)
    let (_, held) = read_held(&fresh, quiet);
    assert!(find(&held, format!("{tag}-42\r\n").as_bytes()).is_some());
    let want: std::collections::BTreeSet<String> = all.iter().cloned().collect();
    wait_until(DEADLINE, "no process of a failed session", || {
        sessions_with_processes(home) == want
    });
    let files = |dir: &str, ext: &str| -> std::collections::BTreeSet<String> {
        entries(&home.path().join(dir))
            .into_iter()
            .filter_map(|n| n.strip_suffix(ext).map(str::to_string))
            .collect()
    };
    assert_eq!(files("run/d1", ".sock"), want, "sockets in run/d1");
    assert_eq!(files("state/sessions", ".json"), want, "records");
    assert_eq!(files("state/logs", ".log"), want, "daemon logs");
}

/// The state directory runs full, then turns read-only: `session.create` answers -32003 naming
/// the directory and the reason, leaves nothing behind, and the running sessions are untouched;
/// once space is freed (or the directory writable again) creating works at once.
#[test]
fn state_dir() {
    let _one = one_at_a_time();
    let home = Home::new();
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(home.path())
        .expect("creating the home");
    let state = home.path().join("state");
    let fs = Tmpfs::mount(&state, STATE_FS_KIB);
    let a = home.agent_initialized();
    let tickers: Vec<String> = (0..2).map(|_| sid_of(&a.create_bash(80, 24))).collect();
    let quiet = sid_of(&a.create_bash(80, 24));
    for sid in &tickers {
        a.attach_ok(sid, Some(0));
        a.type_line(sid, "i=0; while :; do echo tick-$((i++)); sleep 0.01; done");
    }
    a.attach_ok(&quiet, Some(0));
    running_untouched(&home, &a, &tickers, &quiet, "before");

    // Full: a filler takes every free block.
    let filler = state.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).expect("creating the filler");
        let block = vec![b'f'; 64 * 1024];
        let err = loop {
            if let Err(e) = f.write_all(&block).and_then(|()| f.sync_all()) {
                break e;
            }
        };
        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC), "{err}");
    }
    let (full_msg, full_took) = create_fails(&a, "full");
    assert!(
        full_msg.matches("No space left on device").count() == 1
            && full_msg.contains(&*state.to_string_lossy()),
        "the error names the directory and the reason (once): {full_msg}"
    );
    running_untouched(&home, &a, &tickers, &quiet, "full");
    std::fs::remove_file(&filler).expect("removing the filler");
    let t = Instant::now();
    let s = a
        .create(a.bash_params(80, 24))
        .expect("creating once space is free");
    let full_recovered = t.elapsed();
    a.close(&sid_of(&s)).expect("closing it");

    // Read-only.
    fs.cover_read_only();
    let (ro_msg, ro_took) = create_fails(&a, "read-only");
    assert!(
        ro_msg.matches("Read-only file system").count() == 1
            && ro_msg.contains(&*state.to_string_lossy()),
        "the error names the directory and the reason (once): {ro_msg}"
    );
    running_untouched(&home, &a, &tickers, &quiet, "readonly");
    fs.uncover();
    let t = Instant::now();
    let s = a
        .create(a.bash_params(80, 24))
        .expect("creating once writable");
    let ro_recovered = t.elapsed();
    a.close(&sid_of(&s)).expect("closing it");
    let mut lost = 0;
    for sid in tickers.iter().chain([&quiet]) {
        lost += a.output(sid).gaps.iter().map(|(w, g)| g - w).sum::<u64>();
    }
    assert_eq!(lost, 0);
    a.assert_no_violations();

    let generic = |m: &str| m.replace(&*home.path().to_string_lossy(), "$OUTPOST_HOME");
    let mut s = section("state-dir", "State directory full or read-only");
    s.what(&format!(
        "The state directory (`$OUTPOST_HOME/state`: session records and daemon logs) is a {} KiB \
         `tmpfs` mounted by the test. Three sessions run (two print a numbered line every 10 ms, \
         one is typed into). The directory is filled to the last block; then, after space is \
         freed, it is made read-only (a read-only bind mount of it laid over it: every new file \
         fails with `EROFS`; the kernel refuses to remount the `tmpfs` itself read-only while \
         the running daemons hold their logs open for writing). Each time `session.create` is \
         tried, the running sessions are checked (20 more lines each with continuous offsets, \
         an echo, a new agent lists exactly them) and so is what a failed creation leaves \
         behind (no process, socket, record or log).",
        STATE_FS_KIB
    ));
    s.row(
        "`session.create`, directory full",
        format!("-32003 in {}: {}", ms(full_took), code(&generic(&full_msg))),
    )
    .row(
        "`session.create`, directory read-only",
        format!("-32003 in {}: {}", ms(ro_took), code(&generic(&ro_msg))),
    )
    .row("bytes lost in the running sessions", lost)
    .row(
        "time to recover: space freed → a session created",
        ms(full_recovered),
    )
    .row(
        "time to recover: writable again → a session created",
        ms(ro_recovered),
    );
    s.note(
        "The error is -32003 (\"session could not be created\") and its message names the file \
         and the system's reason. Running sessions do not need the state directory: their \
         output lives in memory (the ring) and their record was written when they started; only \
         their log lines are dropped while the directory is full. A creation that fails after its \
         daemon started (the record cannot be written) ends that daemon's child at once and \
         removes its socket and log. Nothing needs restarting: the next `session.create` after \
         the fault is gone succeeds.",
    );
    s.publish("state_dir");
    drop(a);
    drop(fs);
}

// ---------------------------------------------------------------------------------------------
// Another local user
// ---------------------------------------------------------------------------------------------

/// Runs `outpost-agent sessions` as `user` with `OUTPOST_HOME=home_dir` and debug logs:
/// `(succeeded, stdout, stderr)`.
fn sessions_as(user: &TestUser, home_dir: &Path) -> (bool, String, String) {
    let out = user
        .command(agent_bin())
        .arg("sessions")
        .env("OUTPOST_HOME", home_dir)
        .env("OUTPOST_LOG", "debug")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running outpost-agent as the other user");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `program args` as `user`: `(succeeded, stderr)`.
fn run_as(user: &TestUser, program: &str, args: &[&Path]) -> (bool, String) {
    let out = user
        .command(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running a command as the other user");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Another local user can neither reach a session's socket nor read its state: the agent's own
/// directories (0700) and files (0600) stop them even when every directory above is open to all,
/// and a socket deliberately exposed to them still refuses them (the daemon checks the peer's
/// user on every connection).
#[test]
fn other_user() {
    let _one = one_at_a_time();
    outpost_testkit::require_root();
    let home = Home::new();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, None);
    a.type_line(&sid, "echo secret-$((6*7))");
    a.wait_for_output(&sid, b"secret-42\r\n", DEADLINE);
    let mallory = TestUser::create("mallory").expect("creating the other user");
    let record = home.record_path(&sid);
    let socket = home.socket_path(&sid);
    let log = home.log_path(&sid);
    let one_line = |err: &str| {
        err.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(&*home.path().to_string_lossy(), "$VICTIM_HOME")
    };

    // 1. The agent pointed at the victim's home, first as the agent made it (0700) below an
    // open directory, then with the home itself opened too.
    std::fs::set_permissions(home.root(), std::fs::Permissions::from_mode(0o755))
        .expect("opening the temporary directory");
    let (ok, _, err) = sessions_as(&mallory, home.path());
    assert!(!ok && err.contains("Permission denied"), "{err}");
    let home_err = one_line(&err);
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755))
        .expect("opening the home");
    let (ok, _, err) = sessions_as(&mallory, home.path());
    assert!(
        !ok && err.contains("it is owned by uid 0, not by you"),
        "{err}"
    );
    let open_home_err = one_line(&err);
    // What the agent made is private: directories 0700, files and sockets without group or
    // other bits.
    for (path, meta) in walk(home.path()).into_iter().skip(1) {
        let mode = meta.permissions().mode() & 0o777;
        let private = if meta.is_dir() {
            mode == 0o700
        } else {
            mode & 0o077 == 0
        };
        assert!(private, "{} has mode {mode:o}", path.display());
    }

    // 2. Reading the state files and listing the directories.
    let mut denied = Vec::new();
    for (program, path, what) in [
        ("cat", record.as_path(), "`cat` the record"),
        ("cat", log.as_path(), "`cat` the log"),
        ("ls", record.parent().unwrap(), "`ls state/sessions`"),
        ("ls", socket.parent().unwrap(), "`ls run/d1`"),
    ] {
        let (ok, err) = run_as(&mallory, program, &[path]);
        assert!(
            !ok && err.contains("Permission denied"),
            "{program} {}: {err}",
            path.display()
        );
        denied.push(what);
    }

    // 3. Connecting to the socket: the other user's own agent, given a record of its own that
    // names the victim's socket (and live daemon), cannot connect.
    let own_home = mallory.home.join("oh");
    let (ok, _, err) = sessions_as(&mallory, &own_home);
    assert!(ok, "the other user's own agent works: {err}");
    // The other user's agent, given `forged` as its record of the session, lists no session;
    // what it logged.
    let lists_nothing_with = |forged: &Value| {
        mallory
            .write_file(
                format!("oh/state/sessions/{sid}.json"),
                serde_json::to_vec(forged).unwrap(),
                0o600,
            )
            .expect("writing the forged record");
        let (ok, out, err) = sessions_as(&mallory, &own_home);
        assert!(ok, "{err}");
        assert_eq!(out.trim(), "[]", "the other user sees no session");
        err
    };
    let mut forged = home.record(&sid).expect("the victim's record");
    forged["socket"] = json!(socket);
    let err = lists_nothing_with(&forged);
    let connect_err = err
        .lines()
        .find(|l| l.contains("cannot reach daemon"))
        .unwrap_or_else(|| panic!("no connection attempt logged: {err}"))
        .to_string();
    assert!(connect_err.contains("Permission denied"), "{connect_err}");

    // 4. The socket exposed on purpose (hard-linked into an open directory, mode 0777): the
    // connection is made, and the daemon refuses it.
    let exposed_dir = home.root().join("exposed");
    std::fs::DirBuilder::new()
        .mode(0o755)
        .create(&exposed_dir)
        .expect("creating the exposed directory");
    let exposed = exposed_dir.join("s.sock");
    std::fs::hard_link(&socket, &exposed).expect("hard-linking the socket");
    std::fs::set_permissions(&exposed, std::fs::Permissions::from_mode(0o777))
        .expect("opening the socket");
    forged["socket"] = json!(exposed);
    lists_nothing_with(&forged);
    wait_until(DEADLINE, "the daemon to log the refused connection", || {
        file_tail(&log, 64 * 1024).contains("refused a socket connection from another user")
    });
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o700))
        .expect("closing the socket again");
    std::fs::remove_file(&exposed).expect("removing the exposed link");

    // The session is untouched and its records were not cleaned up by the other user's agent.
    a.type_line(&sid, "echo still-$((6*7))");
    a.wait_for_output(&sid, b"still-42\r\n", DEADLINE);
    assert!(home.record(&sid).is_some());
    let c = a.output(&sid);
    assert!(c.errors.is_empty() && c.gaps.is_empty());
    a.assert_no_violations();

    let mut s = section("other-user", "Another local user");
    s.what(
        "A session runs in a home whose directories above the agent's own are opened to \
         everyone (0755). A second local user (created for the test) then tries every way in, \
         each run as that user with the agent binary itself or a plain command.",
    );
    s.row(
        "`outpost-agent sessions` with the victim's `OUTPOST_HOME` (as the agent made it)",
        format!("fails: {}", code(&home_err)),
    )
    .row(
        "the same with the home directory itself opened (0755)",
        format!("fails: {}", code(&open_home_err)),
    )
    .row(
        "read the state",
        format!("{}: each fails with Permission denied", denied.join(", ")),
    )
    .row(
        "its own agent, given a forged record naming the victim's socket",
        "connect fails: Permission denied (the socket's directory is 0700); no session listed",
    )
    .row(
        "the socket hard-linked into an open directory with mode 0777",
        "connects, and the daemon drops the connection (\"refused a socket connection from \
         another user\", checked by the peer's credentials); the other user's agent also refuses \
         a daemon of another user; no session listed",
    )
    .row("bytes lost in the session", 0);
    s.note(
        "The agent's directories are 0700 and its files and sockets have no group or other bits \
         (checked over the whole home); the other user's own agent never removes the victim's \
         files (the daemon is alive).",
    );
    s.publish("other_user");
}
