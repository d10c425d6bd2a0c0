//! The desktop engine's benchmark (issue 5, item 9), against a loopback OpenSSH server it starts
//! itself (`outpost-testkit`), logged into as a throwaway user with a key:
//!
//! 1. `outpost check HOST` on an already-deployed host against `ssh HOST true` (OpenSSH, the same
//!    key, `-o BatchMode=yes`, the host key trusted beforehand), alternating, in the same run:
//!    wall time of each process, from spawn to exit. Target: `outpost check` ≤ 1.0× `ssh`.
//! 2. A new session on an open connection: `Connection::open` once, then `session.create`
//!    calls timed one by one (engine level, from sending the request to its answer). Target:
//!    under 50 ms.
//!
//! ```sh
//! cargo bench -p outpost-desktop --bench engine_bench                                # print
//! cargo bench -p outpost-desktop --bench engine_bench -- --out docs/benchmarks.md    # and write
//! cargo bench -p outpost-desktop --bench engine_bench -- --quick   # smoke: N = 3 and 5
//! # options: --checks N (default 10), --creates N (default 20)
//! ```
//!
//! It builds the release agent first (`cargo build --release -p outpost-agent`), which the CLI
//! deploys from beside itself. Needs root (a test user and an `sshd`), `openssh-server` and
//! `openssh-client`. With `--out`, only the part of the file between
//! `<!-- engine-bench:start -->` and `<!-- engine-bench:end -->` is rewritten (appended when
//! missing). Every run also saves its figures as `engine_bench.json` in the results directory
//! (`target/bench-results`, see `outpost_testkit::summary`) for the summary of `make bench`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_testkit::report::loadavg;
use outpost_testkit::summary::{BenchResults, Measure, Stats};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use outpost_desktop::engine::agent::connect::Connection;
use outpost_desktop::engine::store::hosts::HostStore;
use outpost_desktop::engine::ssh::known_hosts::KnownHosts;
use outpost_desktop::engine::ssh::{AutoPrompter, Credentials};
use outpost_desktop::engine::EngineContext;
use outpost_protocol::method;
use outpost_protocol::session::{CreateParams, SessionKind, SessionRef};
use outpost_testkit::{public_key_of, require_root, Sshd, TestUser};

const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");
const START: &str = "<!-- engine-bench:start -->";
const END: &str = "<!-- engine-bench:end -->";

struct Opts {
    out: Option<PathBuf>,
    checks: usize,
    creates: usize,
    quick: bool,
    /// The arguments as given, for the results file.
    args: Vec<String>,
}

fn opts() -> Result<Opts> {
    let mut o = Opts {
        out: None,
        checks: 10,
        creates: 20,
        quick: false,
        args: std::env::args()
            .skip(1)
            .filter(|a| a != "--bench")
            .collect(),
    };
    let (mut checks, mut creates) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match a.as_str() {
            // Relative to the workspace root (cargo runs benches in the package directory).
            "--out" => {
                let p = PathBuf::from(value("--out")?);
                o.out = Some(if p.is_absolute() {
                    p
                } else {
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
                });
            }
            "--checks" => checks = Some(value("--checks")?.parse()?),
            "--creates" => creates = Some(value("--creates")?.parse()?),
            "--quick" => o.quick = true,
            // What `cargo bench` passes to every bench target.
            "--bench" => {}
            other => {
                bail!("unknown argument {other:?} (--out PATH, --checks N, --creates N, --quick)")
            }
        }
    }
    o.checks = checks.unwrap_or(if o.quick { 3 } else { 10 });
    o.creates = creates.unwrap_or(if o.quick { 5 } else { 20 });
    ensure!(o.checks >= 1 && o.creates >= 1, "N must be at least 1");
    Ok(o)
}

impl Opts {
    /// The command line that ran this bench.
    fn command(&self) -> String {
        let features = if cfg!(feature = "gui") {
            ""
        } else {
            " --no-default-features"
        };
        let mut command = format!("cargo bench -p outpost-desktop{features} --bench engine_bench");
        if !self.args.is_empty() {
            command = format!("{command} -- {}", self.args.join(" "));
        }
        command
    }
}

fn sh(cmd: &mut Command) -> String {
    cmd.output()
        .map(|o| {
            let mut s = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if s.is_empty() {
                s = String::from_utf8_lossy(&o.stderr).trim().to_string();
            }
            s
        })
        .unwrap_or_else(|_| "?".into())
}

/// The release agent beside the release CLI, built now.
fn build_agent() -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "outpost-agent"])
        .current_dir(&root)
        .status()
        .context("running cargo build")?;
    ensure!(
        status.success(),
        "cargo build --release -p outpost-agent failed"
    );
    let agent = Path::new(OUTPOST).with_file_name("outpost-agent");
    ensure!(agent.is_file(), "{} was not built", agent.display());
    Ok(agent)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn min_max(v: &[f64]) -> (f64, f64) {
    (
        v.iter().copied().fold(f64::INFINITY, f64::min),
        v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Machine {
    cpu: String,
    nproc: String,
    mem: String,
    kernel: String,
    date: String,
    git: String,
    rustc: String,
    openssh: String,
    load_start: String,
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "?".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map(|kib| format!("{:.0} GiB", kib as f64 / (1 << 20) as f64))
        .unwrap_or_else(|| "?".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Machine {
        cpu,
        nproc: sh(&mut Command::new("nproc")),
        mem,
        kernel: sh(Command::new("uname").args(["-sr"])),
        date: sh(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])),
        git: {
            let rev = sh(Command::new("git")
                .args(["rev-parse", "--short", "HEAD"])
                .current_dir(&root));
            let dirty = sh(Command::new("git")
                .args(["status", "--porcelain", "--untracked-files=no"])
                .current_dir(&root));
            if dirty.is_empty() {
                rev
            } else {
                format!("{rev} with uncommitted changes")
            }
        },
        rustc: sh(Command::new("rustc").arg("--version")),
        openssh: sh(Command::new("ssh").arg("-V")),
        load_start: loadavg(),
    }
}

/// The server, the user and the files both clients use.
struct Setup {
    // Drop order: the server and its sessions, then the user (and its leftover processes).
    sshd: Sshd,
    user: TestUser,
    key: PathBuf,
    dir: tempfile::TempDir,
    agent: PathBuf,
}

impl Setup {
    fn known_hosts(&self) -> PathBuf {
        self.dir.path().join(".ssh/known_hosts")
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    fn outpost(&self, args: &[&str]) -> Command {
        let mut c = Command::new(OUTPOST);
        c.env("HOME", self.dir.path())
            .env("OUTPOST_CONFIG_DIR", self.config_dir())
            .env("OUTPOST_AGENT_BIN", &self.agent)
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("OUTPOST_LOG")
            .arg("--json")
            .args(args)
            .stdin(Stdio::null());
        c
    }

    /// `ssh … true`; `kex` forces a key exchange algorithm.
    fn ssh_true(&self, kex: Option<&str>) -> Command {
        let mut c = Command::new("ssh");
        c.args(["-F", "/dev/null", "-o", "BatchMode=yes"]);
        if let Some(k) = kex {
            c.arg("-o").arg(format!("KexAlgorithms={k}"));
        }
        c.arg("-o")
            .arg(format!(
                "UserKnownHostsFile={}",
                self.known_hosts().display()
            ))
            .args([
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "IdentitiesOnly=yes",
            ])
            .arg("-i")
            .arg(&self.key)
            .args(["-p", &self.sshd.addr().port().to_string()])
            .arg(format!("{}@{}", self.user.name, self.sshd.addr().ip()))
            .arg("true")
            .env_remove("SSH_AUTH_SOCK")
            .stdin(Stdio::null());
        c
    }
}

/// Runs `cmd` to completion; its wall time and stdout. Fails unless it exits 0.
fn timed(cmd: &mut Command) -> Result<(Duration, String)> {
    let t = Instant::now();
    let out = cmd.output().context("spawning")?;
    let took = t.elapsed();
    ensure!(
        out.status.success(),
        "{cmd:?} failed ({}): {} {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((took, String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// The key exchange russh negotiates with OpenSSH 9.2 (which lacks ML-KEM).
const RUSSH_KEX: &str = "curve25519-sha256";

struct CheckVsSsh {
    check: Vec<f64>,
    ssh: Vec<f64>,
    /// `ssh … true` with russh's key exchange, for context.
    ssh_same_kex: Vec<f64>,
    /// `connect_ms` as `outpost check` reported it.
    connect: Vec<f64>,
}

fn check_vs_ssh(s: &Setup, n: usize) -> Result<CheckVsSsh> {
    // Deploy, then warm every path once (page cache, sshd's first fork).
    let (_, first) = timed(&mut s.outpost(&["check", "bench"]))?;
    let v: serde_json::Value = serde_json::from_str(first.trim())?;
    ensure!(
        v["data"]["deployed"] == true,
        "first check did not deploy: {v}"
    );
    timed(&mut s.ssh_true(None))?;
    timed(&mut s.ssh_true(Some(RUSSH_KEX)))?;
    let (_, again) = timed(&mut s.outpost(&["check", "bench"]))?;
    let v: serde_json::Value = serde_json::from_str(again.trim())?;
    ensure!(
        v["data"]["deployed"] == false,
        "second check deployed again: {v}"
    );

    let mut r = CheckVsSsh {
        check: Vec::new(),
        ssh: Vec::new(),
        ssh_same_kex: Vec::new(),
        connect: Vec::new(),
    };
    for i in 0..n {
        // Rotate which goes first, so none always runs right after another.
        for k in 0..3 {
            match (i + k) % 3 {
                0 => {
                    let (t, out) = timed(&mut s.outpost(&["check", "bench"]))?;
                    let v: serde_json::Value = serde_json::from_str(out.trim())?;
                    ensure!(v["data"]["deployed"] == false, "{v}");
                    r.check.push(ms(t));
                    r.connect
                        .push(v["data"]["connect_ms"].as_f64().unwrap_or(f64::NAN));
                }
                1 => r.ssh.push(ms(timed(&mut s.ssh_true(None))?.0)),
                _ => r
                    .ssh_same_kex
                    .push(ms(timed(&mut s.ssh_true(Some(RUSSH_KEX)))?.0)),
            }
        }
    }
    Ok(r)
}

struct Creates {
    times: Vec<f64>,
    open_ms: f64,
}

fn creates(s: &Setup, n: usize) -> Result<Creates> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let config = s.config_dir();
        let ctx = EngineContext {
            known_hosts: Arc::new(KnownHosts::new(s.known_hosts(), config.join("known_hosts"))),
            config_dir: config.clone(),
            prompter: Arc::new(AutoPrompter::new()),
            credentials: Arc::new(Credentials::new()),
        };
        let host = HostStore::load(&config)?.get("bench")?;
        let t = Instant::now();
        let conn = Connection::open(&host, &ctx).await?;
        let open_ms = ms(t.elapsed());
        ensure!(!conn.info.deployed, "the engine deployed again");
        let mut times = Vec::new();
        let mut ids = Vec::new();
        // One untimed warm-up create (first fork of the agent's launcher path).
        for i in 0..=n {
            let params = CreateParams {
                kind: SessionKind::Shell,
                cols: 80,
                rows: 24,
                title: Some(format!("bench-{i}")),
                cwd: None,
                env: Default::default(),
                scrollback_bytes: None,
                shell: None,
                ssh: None,
                reconnect: None,
            };
            let t = Instant::now();
            let r = conn.rpc.call::<method::SessionCreate>(params).await?;
            if i > 0 {
                times.push(ms(t.elapsed()));
            }
            ids.push(r.session.session_id);
        }
        for id in ids {
            conn.rpc
                .call::<method::SessionClose>(SessionRef { session_id: id })
                .await?;
        }
        conn.close().await;
        Ok::<_, anyhow::Error>(Creates { times, open_ms })
    })
}

fn verdict(pass: bool) -> &'static str {
    if pass {
        "**PASS**"
    } else {
        "**FAIL**"
    }
}

fn render(o: &Opts, m: &Machine, c: &CheckVsSsh, k: &Creates, wall: Duration) -> String {
    let mut s = String::new();
    let (cm, sm) = (median(&c.check), median(&c.ssh));
    let ratio = cm / sm;
    let (cmin, cmax) = min_max(&c.check);
    let (smin, smax) = min_max(&c.ssh);
    let (kmin, kmax) = min_max(&k.times);
    let km = median(&k.times);
    let _ = writeln!(s, "## Desktop engine: `outpost check` and new sessions\n");
    let _ = writeln!(
        s,
        "Issue 5 §9: `outpost check` on an already-deployed host against `ssh host true` in the same run (target ≤ 1.0×), and a new session on an open connection (target < 50 ms). The program is `src-tauri/benches/engine_bench.rs`; it builds the release agent, starts its own loopback `sshd` and throwaway user, and rewrites this section when run with `--out`.\n"
    );
    let _ = writeln!(
        s,
        "- Command: `{}` (N = {} runs each of `outpost check`, `ssh true` and `ssh true` with russh's key exchange, interleaved; {} session creations; the whole run took {:.0} s, including `cargo build --release -p outpost-agent`).",
        o.command(),
        o.checks,
        o.creates,
        wall.as_secs_f64()
    );
    let _ = writeln!(
        s,
        "- Machine: {} × {} (`nproc` = {}), {} RAM, {}; {}. Load average (1/5/15 min) {} at the start, {} at the end.",
        m.nproc, m.cpu, m.nproc, m.mem, m.kernel, m.date, m.load_start, loadavg()
    );
    let _ = writeln!(
        s,
        "- Code: git {}; {}, release profile; {}. Server: the testkit's loopback `sshd` (`127.0.0.1`), a throwaway user with an ed25519 key; the agent already deployed (the first, deploying check is not timed).",
        m.git, m.rustc, m.openssh
    );
    let _ = writeln!(s, "- Figures are medians; the spread is min–max.\n");
    let _ = writeln!(
        s,
        "| what | ms (median) | spread | ratio | target | result |\n|---|---:|---:|---:|---|---|"
    );
    let _ = writeln!(
        s,
        "| `outpost --json check bench` (process wall time) | {cm:.1} | {cmin:.1}–{cmax:.1} | {ratio:.2}× | ≤ 1.0× `ssh true` | {} |",
        verdict(ratio <= 1.0)
    );
    let _ = writeln!(
        s,
        "| `ssh -F /dev/null -o BatchMode=yes -i KEY -p PORT user@127.0.0.1 true` | {sm:.1} | {smin:.1}–{smax:.1} | 1.00× | — | — |"
    );
    let xm = median(&c.ssh_same_kex);
    let (xmin, xmax) = min_max(&c.ssh_same_kex);
    let _ = writeln!(
        s,
        "| the same `ssh` with `-o KexAlgorithms={RUSSH_KEX}` (the key exchange russh negotiates with this server; context) | {xm:.1} | {xmin:.1}–{xmax:.1} | check ÷ this: {:.2}× | — | — |",
        cm / xm
    );
    let _ = writeln!(
        s,
        "| `session.create` on an open connection (engine, request → answer) | {km:.1} | {kmin:.1}–{kmax:.1} | — | < 50 ms | {} |",
        verdict(km < 50.0)
    );
    let _ = writeln!(
        s,
        "\n`outpost check` itself reported `connect_ms` (SSH connect + probe + agent start + `initialize`) of {:.1} ms median ({:.1}–{:.1}); the rest of its wall time is process start, one `session.list` round trip and closing. `Connection::open` for the session test took {:.0} ms.",
        median(&c.connect),
        min_max(&c.connect).0,
        min_max(&c.connect).1,
        k.open_ms
    );
    let _ = writeln!(
        s,
        "\nEach `outpost check` is a new process that does what a first connection does: SSH key exchange and public-key login (russh), one probe command (`uname -sm` and the installed agent's `--version`), then `outpost-agent serve --stdio` over an exec channel, the `initialize` handshake and one `session.list` round trip, then disconnects. `ssh … true` logs in the same way and runs one command. Session creation: a shell session (80×24) per call; one untimed warm-up call first; all sessions closed afterwards."
    );
    s
}

/// The results file's measures.
fn measures(c: &CheckVsSsh, k: &Creates) -> Vec<Measure> {
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

fn write_doc_section(path: &Path, section: &str) -> Result<()> {
    let block = format!("{START}\n{}\n{END}\n", section.trim_end());
    outpost_testkit::report::write_section(path, START, END, &block, "")?;
    Ok(())
}

fn main() -> Result<()> {
    let o = opts()?;
    // Before any thread exists: no ssh-agent; the engine finds the agent binary here.
    std::env::remove_var("SSH_AUTH_SOCK");
    let started = Instant::now();
    let command = o.command();
    let results = BenchResults::start("engine_bench", &command, o.quick);
    require_root();
    let agent = build_agent()?;
    std::env::set_var("OUTPOST_AGENT_BIN", &agent);
    let m = machine();

    let sshd = Sshd::builder().start()?;
    let user = TestUser::create("obench")?;
    let key = user.generate_key("id_ed25519", None)?;
    sshd.authorize_key(&user.name, &public_key_of(&key)?)?;
    let dir = tempfile::Builder::new().prefix("oeb").tempdir_in("/tmp")?;
    let s = Setup {
        sshd,
        user,
        key,
        dir,
        agent,
    };
    std::fs::create_dir_all(s.dir.path().join(".ssh"))?;
    std::fs::write(s.known_hosts(), s.sshd.known_hosts_entry())?;
    let dest = format!("{}@{}", s.user.name, s.sshd.addr());
    timed(&mut s.outpost(&[
        "hosts",
        "add",
        "bench",
        &dest,
        "-i",
        &s.key.display().to_string(),
    ]))?;

    eprintln!("engine_bench: outpost check vs ssh true, N = {}", o.checks);
    let c = check_vs_ssh(&s, o.checks)?;
    eprintln!(
        "engine_bench: session.create on an open connection, N = {}",
        o.creates
    );
    let k = creates(&s, o.creates)?;
    let path = results.save(measures(&c, &k))?;
    eprintln!("engine_bench: results in {}", path.display());
    let section = render(&o, &m, &c, &k, started.elapsed());
    println!("{section}");
    if let Some(path) = &o.out {
        write_doc_section(path, &section)?;
        eprintln!("engine_bench: wrote {}", path.display());
    }
    Ok(())
}
