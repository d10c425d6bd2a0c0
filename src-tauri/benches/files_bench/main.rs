//! File transfer (issue 19), side by side in one run: a file of N MiB (default 256) uploaded and
//! downloaded by `outpost cp`, OpenSSH `sftp` and `scp` against the same loopback `sshd` as the
//! same user, interleaved round by round; then the same file to a target behind a jump host by
//! `outpost cp` (through an `ssh` session) and `scp` with `ProxyJump` ([`through_jump`]); then
//! one file of `--rss-mib` MiB (default 1024) up and down by `outpost cp` for its peak RSS
//! (`VmHWM`, polled). Targets: `outpost cp` ≥ 1.0× the faster of `sftp` and `scp` and ≥ 1.0×
//! `scp -J`, each direction; peak RSS < 64 MiB. A full run (not `--only jump`) also saves its
//! figures as `files_bench.json` in the results directory ([`results`],
//! `outpost_testkit::summary`), which `make bench`'s summary table reads.
//!
//! ```sh
//! cargo bench -p outpost-desktop --no-default-features --bench files_bench                          # print
//! cargo bench -p outpost-desktop --no-default-features --bench files_bench -- --out docs/benchmarks.md  # and write
//! # options: --mib N (default 256; --quick: 64), --rounds N (default 3; --quick: 1),
//! #          --rss-mib N (default 1024; --quick: 128),
//! #          --only jump (only the through-the-jump-host rounds; prints, never writes),
//! #          --baseline PATH,... (other `outpost` binaries as more tools in those rounds)
//! ```
//!
//! Needs root (a user, `sshd`). Under `cargo test --benches` (no `--bench` argument) it does
//! nothing; `--run` forces it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod results;
mod through_jump;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use outpost_testkit::bench::args::BenchArgs;
use outpost_testkit::bench::doc::{verdict, DocSection};
use outpost_testkit::bench::machine::RunInfo;
use outpost_testkit::bench::stats::{median, spread};
use outpost_testkit::cli::Remote;
use outpost_testkit::summary::BenchResults;
use outpost_testkit::Sshd;

const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");
const SECTION: DocSection = DocSection {
    begin: "<!-- files-bench:start -->",
    end: "<!-- files-bench:end -->",
};

/// `ssh`-family options every OpenSSH run gets: the remote's key, the CLI's known hosts.
fn openssh(r: &Remote, program: &str) -> Command {
    let known = r.cli.home().join(".ssh/known_hosts");
    let mut c = Command::new(program);
    c.arg("-i")
        .arg(&r.key)
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known.display()))
        .args(["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"])
        .args(["-o", "IdentitiesOnly=yes", "-F", "/dev/null"])
        .args(["-P", &r.sshd.addr().port().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Whether the binary at `path` is linked against WebKitGTK (the app's build with the window):
/// its name is among the libraries the dynamic loader reads from the file.
fn links_the_window(path: &Path) -> Result<bool> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let needle = b"libwebkit2gtk";
    Ok(bytes.windows(needle.len()).any(|w| w == needle))
}

/// Runs `cmd` (writing `stdin` to it), which must succeed; (seconds, peak RSS in KiB).
fn timed(mut cmd: Command, stdin: &str) -> Result<(f64, u64)> {
    use std::io::Write;
    let t = Instant::now();
    let mut child = cmd.spawn().context("spawning")?;
    if let Some(mut s) = child.stdin.take() {
        s.write_all(stdin.as_bytes())?;
    }
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(kib) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kib);
            }
        }
        if let Some(st) = child.try_wait()? {
            break st;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let secs = t.elapsed().as_secs_f64();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    ensure!(status.success(), "{cmd:?} failed: {err}");
    Ok((secs, peak))
}

/// Points `c`'s stdin and stdout at nothing and pipes its stderr (for [`timed`]'s message).
fn quiet(c: &mut Command) {
    c.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
}

fn sha(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)[..64].to_string()
}

fn main() -> Result<()> {
    let args = BenchArgs::parse(
        "cargo bench -p outpost-desktop --no-default-features --bench files_bench",
    );
    args.expect_only(
        &[],
        &[
            "--out",
            "--mib",
            "--rounds",
            "--rss-mib",
            "--only",
            "--baseline",
        ],
        "--out PATH, --mib N, --rounds N, --rss-mib N, --only jump, --baseline PATH,..., --quick",
    )?;
    if !args.run {
        println!("files_bench: not run (pass --bench or --run)");
        return Ok(());
    }
    let mib: u64 = args
        .number("--mib")?
        .unwrap_or(if args.quick { 64 } else { 256 });
    let rounds: usize = args
        .number("--rounds")?
        .unwrap_or(if args.quick { 1 } else { 3 });
    let rss_mib: u64 = args
        .number("--rss-mib")?
        .unwrap_or(if args.quick { 128 } else { 1024 });
    ensure!(
        mib >= 1 && rounds >= 1 && rss_mib >= 1,
        "--mib, --rounds and --rss-mib must be at least 1"
    );
    let baselines: Vec<std::path::PathBuf> = args
        .list("--baseline")
        .into_iter()
        .map(std::path::PathBuf::from)
        .collect();
    for b in &baselines {
        ensure!(b.is_file(), "--baseline: no file {}", b.display());
    }
    ensure!(
        !links_the_window(Path::new(OUTPOST))?,
        "{OUTPOST} is the app's build with the window (another build relinked it since this bench \
         was built), whose libraries alone hold ~50 MB: run this bench through `cargo bench -p \
         outpost-desktop --no-default-features --bench files_bench`, which relinks the CLI build"
    );
    let only_jump = match args.value("--only").as_deref() {
        None => false,
        Some("jump") => true,
        Some(other) => anyhow::bail!("--only: unknown part {other:?} (jump)"),
    };
    let info = RunInfo::now();
    let results = BenchResults::start("files_bench", &args.command(), args.quick);
    let work = tempfile::tempdir()?;
    let src = work.path().join("src.bin");
    // Incompressible data (no compression is on anywhere, but the file should not be zeros).
    let st = Command::new("head")
        .args(["-c", &(mib * 1024 * 1024).to_string(), "/dev/urandom"])
        .stdout(std::fs::File::create(&src)?)
        .status()?;
    ensure!(st.success(), "head /dev/urandom");
    if only_jump {
        ensure!(
            args.out().is_none(),
            "--only jump prints its figures and writes no document"
        );
        let jf = through_jump::run(OUTPOST, &src, mib, rounds, &baselines)?;
        println!(
            "{}\n\n{}",
            info.machine_line(),
            jump_table(&jf, args.command(), mib, rounds)
        );
        return Ok(());
    }
    let r = Remote::start(OUTPOST, Sshd::builder());
    let want = sha(&src);
    let dest = format!("{}@{}", r.user.name, r.sshd.addr().ip());
    let remote_file = r.user.home.join("bench.bin");
    let down = work.path().join("down.bin");

    let names = ["outpost cp", "sftp", "scp"];
    let mut up: Vec<Vec<f64>> = vec![Vec::new(); 3];
    let mut dn: Vec<Vec<f64>> = vec![Vec::new(); 3];
    let mut rss = 0;
    let mbps = |secs: f64| mib as f64 * 1.048_576 / secs;
    eprintln!("files_bench: {mib} MiB, {rounds} round(s), each tool up and down");
    for round in 0..rounds {
        for (i, name) in names.iter().enumerate() {
            let _ = std::fs::remove_file(&remote_file);
            let (secs, peak) = match i {
                0 => {
                    let mut c = r.cli.cmd();
                    c.args(["cp", &src.display().to_string(), "h:bench.bin"]);
                    quiet(&mut c);
                    timed(c, "")?
                }
                1 => {
                    let mut c = openssh(&r, "sftp");
                    c.args(["-b", "-", &dest]);
                    timed(c, &format!("put {} bench.bin\n", src.display()))?
                }
                _ => {
                    let mut c = openssh(&r, "scp");
                    c.arg(&src).arg(format!("{dest}:bench.bin"));
                    timed(c, "")?
                }
            };
            ensure!(
                sha(&remote_file) == want,
                "{name} upload corrupted the file"
            );
            if i == 0 {
                rss = rss.max(peak);
            }
            up[i].push(mbps(secs));
            let _ = std::fs::remove_file(&down);
            let (secs, peak) = match i {
                0 => {
                    let mut c = r.cli.cmd();
                    c.args(["cp", "h:bench.bin", &down.display().to_string()]);
                    quiet(&mut c);
                    timed(c, "")?
                }
                1 => {
                    let mut c = openssh(&r, "sftp");
                    c.args(["-b", "-", &dest]);
                    timed(c, &format!("get bench.bin {}\n", down.display()))?
                }
                _ => {
                    let mut c = openssh(&r, "scp");
                    c.arg(format!("{dest}:bench.bin")).arg(&down);
                    timed(c, "")?
                }
            };
            ensure!(sha(&down) == want, "{name} download corrupted the file");
            if i == 0 {
                rss = rss.max(peak);
            }
            dn[i].push(mbps(secs));
            eprintln!(
                "files_bench: round {} {name}: up {:.0} MB/s, down {:.0} MB/s",
                round + 1,
                up[i].last().unwrap(),
                dn[i].last().unwrap()
            );
        }
    }
    drop(r);
    let jf = through_jump::run(OUTPOST, &src, mib, rounds, &baselines)?;
    let big = big_file_rss(rss_mib, work.path())?;
    let big_rss = big.up_rss.max(big.down_rss);
    let (big_up, big_down) = (big.up_mbps, big.down_mbps);
    let best = |v: &[Vec<f64>]| median(&v[1]).max(median(&v[2]));
    let up_ratio = median(&up[0]) / best(&up);
    let dn_ratio = median(&dn[0]) / best(&dn);
    let mut rows = String::new();
    for (i, name) in names.iter().enumerate() {
        rows.push_str(&format!(
            "| {name} | {:.0} | {} | {:.0} | {} |\n",
            median(&up[i]),
            spread(&up[i], 0),
            median(&dn[i]),
            spread(&dn[i], 0)
        ));
    }
    let (jrows, j_up, j_dn) = jump_rows(&jf);
    let section = format!(
        "### File transfer to the host (issue 19)\n\n\
         - Command: `{}`; a {mib} MiB file of random bytes, {rounds} round(s), tools interleaved, \
         loopback `sshd` (OpenSSH, `internal-sftp`), SHA-256 checked after every copy.\n\
         {}\n\n\
         | tool | upload MB/s (median) | range | download MB/s (median) | range |\n\
         |---|---|---|---|---|\n\
         {rows}\n\
         `outpost cp` vs the faster of `sftp`/`scp`: upload **{up_ratio:.2}×**, download \
         **{dn_ratio:.2}×** (target ≥ 1.0×: {}). Peak RSS of `outpost cp`: **{:.1} MiB** (target < 64 MiB: {}).\n",
        args.command(),
        info.machine_line(),
        verdict(up_ratio >= 1.0 && dn_ratio >= 1.0),
        rss as f64 / 1024.0,
        verdict((rss as f64 / 1024.0) < results::RSS_GOAL_MIB),
    ) + &format!(
        "\n### File transfer through the jump host to a target (issue 19)\n\n\
         - The same {mib} MiB file, {rounds} round(s), tools interleaved; topology: {}; \
         `outpost cp` through an `ssh` session's ControlMaster on the jump host, OpenSSH `scp` \
         with `ProxyJump` (`scp -F CONFIG`, `Host target` / `ProxyJump jump`); SHA-256 checked \
         after every copy.\n\n\
         | tool | upload MB/s (median) | range | download MB/s (median) | range |\n\
         |---|---|---|---|---|\n\
         {jrows}\n\
         `outpost cp` vs `scp -J`: upload **{j_up:.2}×**, download **{j_dn:.2}×** (target ≥ 1.0×: {}).\n\n\
         ### Memory of a 1 GiB-class transfer (issue 19)\n\n\
         A {rss_mib} MiB file uploaded ({big_up:.0} MB/s) and downloaded ({big_down:.0} MB/s) by \
         `outpost cp` to the loopback `sshd`: peak RSS of `outpost cp` **{:.1} MiB** (target < \
         64 MiB: {}).\n",
        jf.topology,
        verdict(j_up >= 1.0 && j_dn >= 1.0),
        big_rss as f64 / 1024.0,
        verdict((big_rss as f64 / 1024.0) < results::RSS_GOAL_MIB),
    );
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut measures = results::host(
        mib,
        &results::Rounds {
            names: &names,
            mbps: &up,
        },
        &results::Rounds {
            names: &names,
            mbps: &dn,
        },
    );
    measures.extend(results::jump(mib, &jf));
    measures.push(results::rss(rss_mib, big.up_rss, big.down_rss));
    let saved = results.save(measures)?;
    eprintln!("files_bench: results in {}", saved.display());
    println!("{section}");
    if let Some(path) = args.out() {
        SECTION.write(&path, &section)?;
        eprintln!("files_bench: wrote {}", path.display());
    }
    Ok(())
}

/// The through-the-jump-host table's rows, and `outpost cp` ÷ `scp -J` up and down.
fn jump_rows(jf: &through_jump::JumpFigures) -> (String, f64, f64) {
    let mut rows = String::new();
    for (i, name) in jf.names.iter().enumerate() {
        let name = if i == 0 {
            "outpost cp (`HOST:SESSION:path`)"
        } else {
            name.as_str()
        };
        rows.push_str(&format!(
            "| {name} | {:.0} | {} | {:.0} | {} |\n",
            median(&jf.up[i]),
            spread(&jf.up[i], 0),
            median(&jf.down[i]),
            spread(&jf.down[i], 0)
        ));
    }
    let up = median(&jf.up[0]) / median(&jf.up[1]);
    let down = median(&jf.down[0]) / median(&jf.down[1]);
    (rows, up, down)
}

/// What `--only jump` prints: the table, `outpost cp` ÷ `scp -J`, and ÷ each baseline.
fn jump_table(jf: &through_jump::JumpFigures, command: String, mib: u64, rounds: usize) -> String {
    let (rows, up, down) = jump_rows(jf);
    let mut text = format!(
        "- Command: `{command}`; a {mib} MiB file, {rounds} round(s), tools interleaved; \
         topology: {}.\n\n\
         | tool | upload MB/s (median) | range | download MB/s (median) | range |\n\
         |---|---|---|---|---|\n\
         {rows}\n\
         `outpost cp` vs `scp -J`: upload **{up:.2}×**, download **{down:.2}×**. Peak RSS of \
         `outpost cp`: {:.1} MiB.\n",
        jf.topology,
        jf.rss_kib as f64 / 1024.0
    );
    for i in 2..jf.names.len() {
        text.push_str(&format!(
            "`outpost cp` vs {}: upload **{:.2}×**, download **{:.2}×**.\n",
            jf.names[i],
            median(&jf.up[0]) / median(&jf.up[i]),
            median(&jf.down[0]) / median(&jf.down[i]),
        ));
    }
    text
}

/// What [`big_file_rss`] measured.
struct BigFile {
    /// Peak RSS of the upload, KiB.
    up_rss: u64,
    /// Peak RSS of the download, KiB.
    down_rss: u64,
    /// Upload MB/s.
    up_mbps: f64,
    /// Download MB/s.
    down_mbps: f64,
}

/// One file of `mib` MiB up to and back from a loopback `sshd` by `outpost cp`.
fn big_file_rss(mib: u64, dir: &Path) -> Result<BigFile> {
    let r = Remote::start(OUTPOST, Sshd::builder());
    let src = dir.join("big.bin");
    let st = Command::new("head")
        .args(["-c", &(mib * 1024 * 1024).to_string(), "/dev/urandom"])
        .stdout(std::fs::File::create(&src)?)
        .status()?;
    ensure!(st.success(), "head /dev/urandom");
    let want = sha(&src);
    let down = dir.join("big-down.bin");
    let mbps = |secs: f64| mib as f64 * 1.048_576 / secs;
    let mut c = r.cli.cmd();
    c.args(["cp", &src.display().to_string(), "h:big.bin"]);
    quiet(&mut c);
    let (up_secs, up_rss) = timed(c, "")?;
    ensure!(
        sha(&r.user.home.join("big.bin")) == want,
        "upload corrupted"
    );
    let mut c = r.cli.cmd();
    c.args(["cp", "h:big.bin", &down.display().to_string()]);
    quiet(&mut c);
    let (down_secs, down_rss) = timed(c, "")?;
    ensure!(sha(&down) == want, "download corrupted");
    let _ = std::fs::remove_file(&src);
    let _ = std::fs::remove_file(&down);
    eprintln!("files_bench: {mib} MiB: peak RSS up {up_rss} KiB, down {down_rss} KiB");
    Ok(BigFile {
        up_rss,
        down_rss,
        up_mbps: mbps(up_secs),
        down_mbps: mbps(down_secs),
    })
}
