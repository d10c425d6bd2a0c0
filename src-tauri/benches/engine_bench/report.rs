//! `engine_bench`'s generated section of `docs/benchmarks.md` (what each figure means is prose
//! in the document, above it) and the measures of its results file.

use std::fmt::Write as _;
use std::time::Duration;

use outpost_testkit::bench::doc::verdict;
use outpost_testkit::bench::machine::RunInfo;
use outpost_testkit::bench::stats::{median, min_max, spread};
use outpost_testkit::summary::{Measure, Stats};

use crate::check::{CheckVsSsh, RUSSH_KEX};
use crate::create::Creates;
use crate::Opts;

/// The generated section.
pub fn render(o: &Opts, info: &RunInfo, c: &CheckVsSsh, k: &Creates, wall: Duration) -> String {
    let mut s = String::new();
    let (cm, sm) = (median(&c.check), median(&c.ssh));
    let ratio = cm / sm;
    let km = median(&k.times);
    let _ = writeln!(
        s,
        "- Command: `{}` (N = {} runs each of `outpost check`, `ssh true` and `ssh true` with russh's key exchange, interleaved; {} session creations; the whole run took {:.0} s, including building the portable agent, `.ci/agent-portable --release`).",
        o.args.command(),
        o.checks,
        o.creates,
        wall.as_secs_f64()
    );
    let _ = writeln!(s, "{}", info.machine_line());
    let _ = writeln!(
        s,
        "- Code: git {}; {}, release profile; {}.",
        info.revision, info.rustc, info.openssh
    );
    let _ = writeln!(s, "- Figures are medians; the spread is min–max.\n");
    let _ = writeln!(
        s,
        "| what | ms (median) | spread | ratio | target | result |\n|---|---:|---:|---:|---|---|"
    );
    let _ = writeln!(
        s,
        "| `outpost --json check bench` (process wall time) | {cm:.1} | {} | {ratio:.2}× | ≤ 1.0× `ssh true` | {} |",
        spread(&c.check, 1),
        verdict(ratio <= 1.0)
    );
    let _ = writeln!(
        s,
        "| `ssh -F /dev/null -o BatchMode=yes -i KEY -p PORT user@127.0.0.1 true` | {sm:.1} | {} | 1.00× | — | — |",
        spread(&c.ssh, 1)
    );
    let xm = median(&c.ssh_same_kex);
    let _ = writeln!(
        s,
        "| the same `ssh` with `-o KexAlgorithms={RUSSH_KEX}` (the key exchange russh negotiates with this server; context) | {xm:.1} | {} | check ÷ this: {:.2}× | — | — |",
        spread(&c.ssh_same_kex, 1),
        cm / xm
    );
    let _ = writeln!(
        s,
        "| `session.create` on an open connection (engine, request → answer) | {km:.1} | {} | — | < 50 ms | {} |",
        spread(&k.times, 1),
        verdict(km < 50.0)
    );
    let (clo, chi) = min_max(&c.connect);
    let _ = writeln!(
        s,
        "\n`outpost check` itself reported `connect_ms` (SSH connect + probe + agent start + `initialize`) of {:.1} ms median ({clo:.1}–{chi:.1}); the rest of its wall time is process start, one `session.list` round trip and closing. `Connection::open` for the session test took {:.0} ms.",
        median(&c.connect),
        k.open_ms
    );
    s
}

/// The results file's measures.
pub fn measures(c: &CheckVsSsh, k: &Creates) -> Vec<Measure> {
    let check = Measure::new(
        "`outpost check` on a deployed host (process wall time)",
        "ms",
        Stats::of(&c.check),
    )
    .peer("ssh true", Stats::of(&c.ssh), None)
    .peer(
        &format!("ssh true with {RUSSH_KEX}"),
        Stats::of(&c.ssh_same_kex),
        None,
    )
    .ratio_to("ssh true");
    let met = check.ratio.is_some_and(|r| r <= 1.0);
    let create = Measure::new(
        "`session.create` on an open connection",
        "ms",
        Stats::of(&k.times),
    );
    let km = median(&k.times);
    vec![
        check.goal("≤ 1.0× ssh true", met),
        create.goal("< 50 ms", km < 50.0),
    ]
}
