//! `-L` forward throughput, side by side in one run (issue 19): a TCP server in the target's
//! network namespace sends SIZE bytes on every connection; the desktop reads them through
//! `outpost forward add jump -L 0:TARGET:PORT` and through OpenSSH's `ssh -N -L` to the same
//! jump host, interleaved, each round a fresh connection. Target: Outpost ≥ 1.0× `ssh -L`
//! (median).
//!
//! ```sh
//! cargo bench -p outpost-desktop --no-default-features --bench port_forward_bench                          # print
//! cargo bench -p outpost-desktop --no-default-features --bench port_forward_bench -- --out docs/benchmarks.md  # and write
//! # options: --rounds N (default 5; --quick: 2), --mib M (default 256; --quick: 64)
//! ```
//!
//! Every run also saves its figures as `port_forward_bench.json` in the results directory
//! (`outpost_testkit::summary`), which `make bench`'s summary table reads.
//!
//! Needs root (users, `sshd`, network namespaces). Under `cargo test --benches` (no `--bench`
//! argument) it does nothing; `--run` forces it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use outpost_testkit::bench::args::BenchArgs;
use outpost_testkit::bench::doc::{verdict, DocSection};
use outpost_testkit::bench::machine::RunInfo;
use outpost_testkit::bench::stats::{median, spread};
use outpost_testkit::cli::Jumped;
use outpost_testkit::summary::{BenchResults, Measure, Stats};

const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");
const SECTION: DocSection = DocSection {
    begin: "<!-- port-forward-bench:start -->",
    end: "<!-- port-forward-bench:end -->",
};

/// The data server's port on the target.
const DATA_PORT: u16 = 9000;

/// The data server: every connection gets `argv[3]` zero bytes, then end of file.
const DATA_SERVER: &str = r#"
import socket, sys, threading
host, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
server = socket.create_server((host, port), backlog=16)
chunk = bytes(1 << 20)
def serve(c):
    left = size
    with c:
        try:
            while left > 0:
                left -= c.send(chunk[:min(left, len(chunk))])
        except OSError:
            pass  # the reader went away (the readiness probe does at once)
while True:
    c, _ = server.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

/// A child this bench started, killed by its own pid when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads everything from `addr`: MB/s (10^6 bytes a second).
fn pull(addr: SocketAddr, expect: u64) -> Result<f64> {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut got = 0u64;
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        got += n as u64;
    }
    ensure!(got == expect, "{addr}: {got} bytes, not {expect}");
    Ok(got as f64 / started.elapsed().as_secs_f64() / 1e6)
}

/// Waits until a first pull through `addr` works (the forward is up end to end).
fn ready(addr: SocketAddr, size: u64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match pull(addr, size) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() < deadline => {
                eprintln!("port_forward_bench: {addr} not ready yet: {e:#}");
                std::thread::sleep(Duration::from_millis(300));
            }
            Err(e) => return Err(e),
        }
    }
}

fn main() -> Result<()> {
    let args = BenchArgs::parse(
        "cargo bench -p outpost-desktop --no-default-features --bench port_forward_bench",
    );
    args.expect_only(
        &[],
        &["--out", "--rounds", "--mib"],
        "--out PATH, --rounds N, --mib M, --quick",
    )?;
    if !args.run {
        println!("port_forward_bench: not run (pass --bench or --run)");
        return Ok(());
    }
    let rounds: usize = args
        .number("--rounds")?
        .unwrap_or(if args.quick { 2 } else { 5 });
    let mib: u64 = args
        .number("--mib")?
        .unwrap_or(if args.quick { 64 } else { 256 });
    ensure!(
        rounds >= 1 && mib >= 1,
        "--rounds and --mib must be at least 1"
    );
    let size = mib * 1024 * 1024;
    let results = BenchResults::start("port_forward_bench", &args.command(), args.quick);
    let info = RunInfo::now();
    let j = Jumped::new(OUTPOST);
    let tip = j.topo.target_addr().ip().to_string();

    let _server = Running(
        j.topo
            .target_exec(&j.user, "python3")
            .args([
                "-c",
                DATA_SERVER,
                &tip,
                &DATA_PORT.to_string(),
                &size.to_string(),
            ])
            .stdout(Stdio::null())
            .spawn()?,
    );
    let dest = format!("{tip}:{DATA_PORT}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !j
        .topo
        .jump_exec(&j.user, "python3")
        .args([
            "-c",
            "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 2)",
        ])
        .args([&tip, &DATA_PORT.to_string()])
        .status()?
        .success()
    {
        ensure!(Instant::now() < deadline, "the data server never answered");
        std::thread::sleep(Duration::from_millis(200));
    }

    // Outpost's forward.
    let mut outpost = j
        .cli
        .cmd()
        .args([
            "--json",
            "forward",
            "add",
            "jump",
            "-L",
            &format!("0:{dest}"),
        ])
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(outpost.stdout.take().context("stdout")?).read_line(&mut line)?;
    let _outpost = Running(outpost);
    let v: serde_json::Value = serde_json::from_str(&line).context(line.clone())?;
    let op_addr: SocketAddr = v["data"]["forwards"][0]["local"]
        .as_str()
        .context(line.clone())?
        .parse()?;

    // OpenSSH's, to the same jump host with the same key and known hosts.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let jump = j.topo.jump_addr().context("jump sshd")?;
    let ssh = std::process::Command::new("ssh")
        .args(["-N", "-F", "/dev/null", "-o", "BatchMode=yes"])
        .args([
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "ExitOnForwardFailure=yes",
        ])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            j.cli.home().join(".ssh/known_hosts").display()
        ))
        .arg("-i")
        .arg(&j.key)
        .args(["-p", &jump.port().to_string()])
        .args(["-L", &format!("127.0.0.1:{port}:{dest}")])
        .arg(format!("{}@{}", j.user.name, jump.ip()))
        .stdin(Stdio::null())
        .spawn()?;
    let _ssh = Running(ssh);
    let ssh_addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;

    ready(op_addr, size)?;
    ready(ssh_addr, size)?;
    eprintln!("port_forward_bench: {rounds} rounds of {mib} MiB each way, interleaved");
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        ours.push(pull(op_addr, size)?);
        theirs.push(pull(ssh_addr, size)?);
    }
    let ratio = median(&ours) / median(&theirs);
    let section = format!(
        "- Command: `{}`; {rounds} rounds of {mib} MiB from a server in the target's namespace, \
         read on the desktop through each forward, interleaved, after one warm-up each.\n\
         {}\n\n\
         | `-L` forward through the jump host | median MB/s | range MB/s |\n\
         |---|---|---|\n\
         | `outpost forward add jump -L` | {:.0} | {} |\n\
         | OpenSSH `ssh -N -L` | {:.0} | {} |\n\n\
         Outpost / OpenSSH: **{ratio:.2}×** (target ≥ 1.0×: {}).\n",
        args.command(),
        info.machine_line(),
        median(&ours),
        spread(&ours, 0),
        median(&theirs),
        spread(&theirs, 0),
        verdict(ratio >= 1.0),
    );
    let measure = Measure::new(
        &format!("`-L` forward through the jump host, {mib} MiB read on the desktop"),
        "MB/s",
        Stats::of(&ours),
    )
    .peer("ssh -N -L", Stats::of(&theirs), None)
    .ratio_to("ssh -N -L")
    .goal("≥ 1.0× ssh -N -L", ratio >= 1.0);
    let saved = results.save(vec![measure])?;
    eprintln!("port_forward_bench: results in {}", saved.display());
    println!("{section}");
    if let Some(path) = args.out() {
        SECTION.write(&path, &section)?;
        eprintln!("port_forward_bench: wrote {}", path.display());
    }
    Ok(())
}
