//! What agent forwarding costs (issue 15), side by side in one run, on the jump/target topology
//! of the tests (`outpost_testkit::cli::forwarded`): `ssh -o BatchMode=yes TARGET true` run on
//! the jump host as the user, authenticating either through the relay (the key is in the
//! desktop's `ssh-agent`, reached over the attached desktop's SSH connection) or with a key file
//! on the jump host (`IdentityAgent=none -i KEY`), interleaved; and the relay's CPU time and
//! context switches over 10 s while a desktop is attached and nobody uses it (no polling: both
//! stay 0). Targets: forwarding adds ≤ 50 ms (median); the idle relay uses no CPU and is never
//! woken. Every run also saves its figures as `forwarding_bench.json` in the results directory
//! (`outpost_testkit::summary`), which `make bench`'s summary table reads.
//!
//! ```sh
//! cargo bench -p outpost-desktop --no-default-features --bench forwarding_bench                          # print
//! cargo bench -p outpost-desktop --no-default-features --bench forwarding_bench -- --out docs/benchmarks.md  # and write
//! # options: --auths N (default 30; --quick: 5)
//! ```
//!
//! Needs root (users, `sshd`, network namespaces). Under `cargo test --benches` (no `--bench`
//! argument) it does nothing; `--run` forces it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use outpost_testkit::bench::args::BenchArgs;
use outpost_testkit::bench::doc::{verdict, DocSection};
use outpost_testkit::bench::machine::RunInfo;
use outpost_testkit::bench::stats::{median, percentile, spread};
use outpost_testkit::cli::forwarded::Forwarded;
use outpost_testkit::cli::numbered::Attached;
use outpost_testkit::summary::{BenchResults, Measure, Stats};
use outpost_testkit::{procfs, public_key_of};

const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");
const SECTION: DocSection = DocSection {
    begin: "<!-- forwarding-bench:start -->",
    end: "<!-- forwarding-bench:end -->",
};

/// The most forwarding may add to an authentication (median).
const TARGET_MS: f64 = 50.0;

/// How long the idle relay is watched.
const IDLE: Duration = Duration::from_secs(10);

/// `ssh … true` to the target, run on the jump host as the user: through the relay at `relay`,
/// or with the key file `key` and no agent.
fn ssh_true(f: &Forwarded, relay: &str, key: Option<&Path>) -> Command {
    let t = f.topo.target_addr();
    let mut c = f.topo.jump_exec(&f.user, "ssh");
    c.args(["-F", "/dev/null", "-o", "BatchMode=yes"])
        .args(["-o", "StrictHostKeyChecking=yes"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            f.user.home.join(".ssh/known_hosts").display()
        ));
    match key {
        Some(k) => c
            .args(["-o", "IdentityAgent=none", "-o", "IdentitiesOnly=yes", "-i"])
            .arg(k),
        None => c.arg("-o").arg(format!("IdentityAgent={relay}")),
    };
    c.args(["-p", &t.port().to_string()])
        .arg(format!("{}@{}", f.user.name, t.ip()))
        .arg("true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Runs `cmd`, which must succeed; its wall time in milliseconds.
fn timed(cmd: &mut Command) -> Result<f64> {
    let t = Instant::now();
    let out = cmd.output().context("running ssh")?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    ensure!(
        out.status.success(),
        "ssh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(ms)
}

/// The user's relay process (`outpost-relay`).
fn relay_pid(uid: u32) -> Option<u32> {
    procfs::all()
        .into_iter()
        .find(|s| {
            s.comm == "outpost-relay" && procfs::status(s.pid).map(|st| st.real_uid) == Some(uid)
        })
        .map(|s| s.pid)
}

/// Context switches (voluntary and not) of every thread of `pid`.
fn context_switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
        .map(|text| {
            procfs::field_kib(&text, "voluntary_ctxt_switches").unwrap_or(0)
                + procfs::field_kib(&text, "nonvoluntary_ctxt_switches").unwrap_or(0)
        })
        .sum()
}

fn main() -> Result<()> {
    let args = BenchArgs::parse(
        "cargo bench -p outpost-desktop --no-default-features --bench forwarding_bench",
    );
    args.expect_only(&[], &["--out", "--auths"], "--out PATH, --auths N, --quick")?;
    if !args.run {
        println!("forwarding_bench: not run (pass --bench or --run)");
        return Ok(());
    }
    let n: usize = args
        .number("--auths")?
        .unwrap_or(if args.quick { 5 } else { 30 });
    ensure!(n >= 1, "N must be at least 1");
    // Before any thread exists: the desktop's agent is the one the setup starts.
    std::env::remove_var("SSH_AUTH_SOCK");
    let info = RunInfo::now();
    let results = BenchResults::start("forwarding_bench", &args.command(), args.quick);
    let f = Forwarded::new(OUTPOST, false);
    // The comparison's key on the jump host (the tests keep the jump host keyless).
    let jump_key = f.user.generate_key("id_jump", None)?;
    f.topo.authorize_key(&f.user, &public_key_of(&jump_key)?)?;

    // A desktop that forwards, attached to a shell session.
    let shell = f.cli.ok(&["new", "jump", "--title", "bench"]);
    let sid = shell["session_id"].as_str().unwrap().to_string();
    let relay = f.session_auth_sock(&sid);
    let desk = Attached::start(&f.cli, "jumpf", &sid);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = f
            .user
            .command("ssh-add")
            .arg("-l")
            .env("SSH_AUTH_SOCK", &relay)
            .output()?;
        if listed.status.success() {
            break;
        }
        ensure!(Instant::now() < deadline, "the relay never listed the key");
        std::thread::sleep(Duration::from_millis(100));
    }

    eprintln!("forwarding_bench: {n} authentications each way, interleaved");
    for _ in 0..2 {
        timed(&mut ssh_true(&f, &relay, None))?;
        timed(&mut ssh_true(&f, &relay, Some(&jump_key)))?;
    }
    let (mut forwarded, mut local) = (Vec::new(), Vec::new());
    for _ in 0..n {
        forwarded.push(timed(&mut ssh_true(&f, &relay, None))?);
        local.push(timed(&mut ssh_true(&f, &relay, Some(&jump_key)))?);
    }

    eprintln!("forwarding_bench: the idle relay for {IDLE:?}");
    let pid = relay_pid(f.user.uid).context("no outpost-relay process")?;
    let (cpu0, cs0) = (
        procfs::stat(pid).map(|s| s.cpu_ticks()),
        context_switches(pid),
    );
    std::thread::sleep(IDLE);
    let (cpu1, cs1) = (
        procfs::stat(pid).map(|s| s.cpu_ticks()),
        context_switches(pid),
    );
    let idle_ticks = cpu1
        .zip(cpu0)
        .map(|(a, b)| a.saturating_sub(b))
        .unwrap_or(0);
    let idle_switches = cs1.saturating_sub(cs0);
    drop(desk.finish(Duration::ZERO));

    let added = median(&forwarded) - median(&local);
    let section = format!(
        "- Command: `{}`; {n} authentications each way, interleaved, after 2 warm-up rounds.\n\
         {}\n\n\
         | `ssh -o BatchMode=yes TARGET true` from the jump host | median ms | p90 ms | range ms |\n\
         |---|---|---|---|\n\
         | key in the desktop's agent, through the relay | {:.1} | {:.1} | {} |\n\
         | key file on the jump host | {:.1} | {:.1} | {} |\n\n\
         Forwarding adds **{added:.1} ms** (median; target ≤ {TARGET_MS:.0} ms: {}). The idle relay with a \
         desktop attached, over {} s: **{idle_ticks}** CPU ticks, **{idle_switches}** context switches \
         (target 0: {}).\n",
        args.command(),
        info.machine_line(),
        median(&forwarded),
        percentile(&forwarded, 90.0),
        spread(&forwarded, 1),
        median(&local),
        percentile(&local, 90.0),
        spread(&local, 1),
        verdict(added <= TARGET_MS),
        IDLE.as_secs(),
        verdict(idle_ticks == 0 && idle_switches == 0),
    );
    let saved = results.save(measures(&forwarded, &local, idle_ticks, idle_switches))?;
    eprintln!("forwarding_bench: results in {}", saved.display());
    println!("{section}");
    if let Some(path) = args.out() {
        SECTION.write(&path, &section)?;
        eprintln!("forwarding_bench: wrote {}", path.display());
    }
    Ok(())
}

/// The summary table's rows: authentication through the relay against a key file on the jump
/// host (the median may add at most [`TARGET_MS`]), and the idle relay's CPU ticks and context
/// switches over [`IDLE`] (both 0).
fn measures(forwarded: &[f64], local: &[f64], idle_ticks: u64, idle_switches: u64) -> Vec<Measure> {
    let peer = "key file on the jump host";
    let added = median(forwarded) - median(local);
    let auth = Measure::new(
        "`ssh TARGET true` from the jump host, key in the desktop's agent through the relay",
        "ms",
        Stats::of(forwarded),
    )
    .peer(peer, Stats::of(local), None)
    .ratio_to(peer)
    .goal(
        &format!("adds ≤ {TARGET_MS:.0} ms to the median"),
        added <= TARGET_MS,
    )
    .note(format!("adds {added:.1} ms"));
    let idle = |what: &str, unit: &str, n: u64| {
        Measure::new(
            &format!(
                "{what} of the idle relay over {} s, a desktop attached",
                IDLE.as_secs()
            ),
            unit,
            Stats::of(&[n as f64]),
        )
        .goal("0", n == 0)
    };
    vec![
        auth,
        idle("CPU time", "clock ticks", idle_ticks),
        idle("Context switches", "switches", idle_switches),
    ]
}
