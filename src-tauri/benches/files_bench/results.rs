//! The files bench's figures for the summary table: `files_bench.json` in the results directory
//! (`outpost_testkit::summary`), which `make bench`'s last step (`bench_report`) reads. One row
//! per goal of issue 19: upload and download to the host against the faster of `sftp` and `scp`,
//! upload and download through the jump host against `scp -J` (each ≥ 1.0×), and the peak RSS
//! of `outpost cp` moving one big file (< 64 MiB).

use outpost_testkit::bench::stats::median;
use outpost_testkit::summary::{Measure, Stats};

use crate::through_jump::JumpFigures;

/// The most RSS `outpost cp` may use for a big file, in MiB.
pub const RSS_GOAL_MIB: f64 = 64.0;

/// MB/s per round of each tool in one direction; the first tool is `outpost cp`.
pub struct Rounds<'a> {
    /// The tools' names, in the order of `mbps`.
    pub names: &'a [String],
    /// MB/s per round, per tool.
    pub mbps: &'a [Vec<f64>],
}

/// `outpost cp` (tool 0) against every other tool of `r`, its ratio to the faster of the
/// `against` tools (by median), and the goal ≥ 1.0× of that one.
fn versus(what: &str, r: &Rounds<'_>, against: &[&str]) -> Measure {
    let mut m = Measure::new(what, "MB/s", Stats::of(&r.mbps[0]));
    for (name, v) in r.names.iter().zip(r.mbps).skip(1) {
        m = m.peer(name, Stats::of(v), None);
    }
    let faster = r
        .names
        .iter()
        .zip(r.mbps)
        .filter(|(n, v)| against.contains(&n.as_str()) && !v.is_empty())
        .max_by(|a, b| median(a.1).total_cmp(&median(b.1)))
        .map(|(n, _)| n.clone())
        .unwrap_or_else(|| against.join("/"));
    let m = m.ratio_to(&faster);
    let met = m.ratio.is_some_and(|x| x >= 1.0);
    let target = if against.len() == 1 {
        format!("≥ 1.0× {}", against[0])
    } else {
        format!("≥ 1.0× the faster of {}", against.join(", "))
    };
    m.goal(&target, met)
}

/// Upload and download to the host, against the faster of `sftp` and `scp`.
pub fn host(mib: u64, up: &Rounds<'_>, down: &Rounds<'_>) -> Vec<Measure> {
    let peers = ["sftp", "scp"];
    vec![
        versus(
            &format!("`outpost cp` upload to the host, {mib} MiB file"),
            up,
            &peers,
        ),
        versus(
            &format!("`outpost cp` download from the host, {mib} MiB file"),
            down,
            &peers,
        ),
    ]
}

/// Upload and download to a target through the jump host, against `scp -J` (other tools, such
/// as `--baseline` binaries, appear as peers without a goal).
pub fn jump(mib: u64, jf: &JumpFigures) -> Vec<Measure> {
    let up = Rounds {
        names: &jf.names,
        mbps: &jf.up,
    };
    let down = Rounds {
        names: &jf.names,
        mbps: &jf.down,
    };
    vec![
        versus(
            &format!("`outpost cp` upload through the jump host to a target, {mib} MiB file"),
            &up,
            &["scp -J"],
        ),
        versus(
            &format!("`outpost cp` download from a target through the jump host, {mib} MiB file"),
            &down,
            &["scp -J"],
        ),
    ]
}

/// Peak RSS (KiB) of `outpost cp` uploading and downloading one file of `mib` MiB: the larger
/// of the two is held to the goal.
pub fn rss(mib: u64, up_kib: u64, down_kib: u64) -> Measure {
    let (up, down) = (up_kib as f64 / 1024.0, down_kib as f64 / 1024.0);
    let peak = up.max(down);
    Measure::new(
        &format!("peak RSS of `outpost cp` copying one {mib} MiB file (up, down)"),
        "MiB",
        Stats::of(&[up, down]),
    )
    .goal(&format!("< {RSS_GOAL_MIB:.0} MiB"), peak < RSS_GOAL_MIB)
    .note(format!(
        "the larger counts: upload {up:.1} MiB, download {down:.1} MiB"
    ))
}
