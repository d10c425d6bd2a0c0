//! The desktop engine's benchmark (issue 5, item 9), against a loopback OpenSSH server it starts
//! itself (`outpost-testkit`), logged into as a throwaway user with a key: `outpost check` on a
//! deployed host against `ssh HOST true` (`check.rs`; target ≤ 1.0×), and a new session on an
//! open connection (`create.rs`; target under 50 ms); `outpost hosts show` of a 2,000-line
//! `~/.ssh/config` (target under 20 ms) and `outpost check ALIAS` against `ssh ALIAS true`
//! (`ssh_config.rs`; target ≤ 1.0×); `session.exec` and `exec.run` of `true` on an open connection
//! against `ssh -S` over an open ControlMaster (`automation.rs`); `session_exec` of `true` through
//! the official Python MCP client driving `outpost mcp` (`mcp.rs`; target p50 under 30 ms). What each
//! figure means is described in
//! `docs/benchmarks.md` ("Desktop engine"); this program writes only the figures
//! (`report.rs`), between its markers there.
//!
//! ```sh
//! cargo bench -p outpost-desktop --bench engine_bench                                # print
//! cargo bench -p outpost-desktop --bench engine_bench -- --out docs/benchmarks.md    # and write
//! cargo bench -p outpost-desktop --bench engine_bench -- --quick   # smoke: N = 3 and 5
//! # options: --checks N (default 10), --creates N (default 20), --execs N (default 200)
//! ```
//!
//! It builds the portable release agent first (`.ci/agent-portable --release`, see
//! docs/portable-agent.md), which the CLI deploys from beside itself. Needs root (a test user and an `sshd`), `openssh-server` and
//! `openssh-client`. Every run also saves its figures as `engine_bench.json` in the results
//! directory (`outpost_testkit::summary`). Under `cargo test --benches` (no `--bench` argument)
//! it does nothing; `--run` forces it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod automation;
mod check;
mod create;
mod mcp;
mod report;
mod ssh_config;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use outpost_desktop::engine::ssh::known_hosts::KnownHosts;
use outpost_desktop::engine::ssh::{AutoPrompter, Credentials};
use outpost_desktop::engine::EngineContext;
use outpost_testkit::bench::args::BenchArgs;
use outpost_testkit::bench::doc::DocSection;
use outpost_testkit::bench::machine::RunInfo;
use outpost_testkit::summary::BenchResults;
use outpost_testkit::{public_key_of, require_root, Sshd, TestUser};

use check::timed;

const OUTPOST: &str = env!("CARGO_BIN_EXE_outpost");
const SECTION: DocSection = DocSection {
    begin: "<!-- engine-bench:start -->",
    end: "<!-- engine-bench:end -->",
};

/// The options of one run.
struct Opts {
    args: BenchArgs,
    out: Option<PathBuf>,
    checks: usize,
    creates: usize,
    execs: usize,
}

fn opts() -> Result<Opts> {
    let features = if cfg!(feature = "gui") {
        ""
    } else {
        " --no-default-features"
    };
    let args = BenchArgs::parse(&format!(
        "cargo bench -p outpost-desktop{features} --bench engine_bench"
    ));
    args.expect_only(
        &[],
        &["--out", "--checks", "--creates", "--execs"],
        "--out PATH, --checks N, --creates N, --execs N, --quick",
    )?;
    let quick = args.quick;
    let o = Opts {
        out: args.out(),
        checks: args
            .number("--checks")?
            .unwrap_or(if quick { 3 } else { 10 }),
        creates: args
            .number("--creates")?
            .unwrap_or(if quick { 5 } else { 20 }),
        execs: args
            .number("--execs")?
            .unwrap_or(if quick { 10 } else { 200 }),
        args,
    };
    ensure!(
        o.checks >= 1 && o.creates >= 1 && o.execs >= 1,
        "N must be at least 1"
    );
    Ok(o)
}

/// Milliseconds of a duration.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The agent the CLI deploys: the portable release build beside the release CLI, built now
/// (`.ci/agent-portable --release`).
fn build_agent() -> Result<PathBuf> {
    outpost_testkit::cli::portable::portable_agent(Path::new(OUTPOST))
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

    /// The engine's context over the bench's configuration (no prompts: the key is trusted).
    fn context(&self) -> EngineContext {
        let config = self.config_dir();
        EngineContext {
            known_hosts: Arc::new(KnownHosts::new(
                self.known_hosts(),
                config.join("known_hosts"),
            )),
            config_dir: config,
            prompter: Arc::new(AutoPrompter::new()),
            credentials: Arc::new(Credentials::new()),
        }
    }

    /// `outpost --json ARGS` with the bench's home, configuration and agent.
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
        let mut c = self.ssh(kex.map(|k| format!("KexAlgorithms={k}")).as_slice());
        c.arg("true");
        c
    }

    /// `ssh` to the server with the bench's key and known hosts, `-o` each of `options`; the
    /// command is to be added.
    fn ssh(&self, options: &[String]) -> Command {
        let mut c = Command::new("ssh");
        c.args(["-F", "/dev/null", "-o", "BatchMode=yes"]);
        for o in options {
            c.arg("-o").arg(o);
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
            .env_remove("SSH_AUTH_SOCK")
            .stdin(Stdio::null());
        c
    }
}

fn main() -> Result<()> {
    let o = opts()?;
    if !o.args.run {
        println!("engine_bench: not run (pass --bench or --run)");
        return Ok(());
    }
    // Before any thread exists: no ssh-agent; the engine finds the agent binary here.
    std::env::remove_var("SSH_AUTH_SOCK");
    let started = Instant::now();
    let results = BenchResults::start("engine_bench", &o.args.command(), o.args.quick);
    require_root();
    let agent = build_agent()?;
    std::env::set_var("OUTPOST_AGENT_BIN", &agent);
    let info = RunInfo::now();

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
    let c = check::check_vs_ssh(&s, o.checks)?;
    eprintln!(
        "engine_bench: session.create on an open connection, N = {}",
        o.creates
    );
    let k = create::creates(&s, o.creates)?;
    eprintln!(
        "engine_bench: ~/.ssh/config of {} lines: hosts show, check ALIAS vs ssh ALIAS true, N = {}",
        ssh_config::LINES,
        o.checks
    );
    let sc = ssh_config::runs(&s, o.checks)?;
    eprintln!(
        "engine_bench: session.exec and exec.run of true vs ssh -S over a ControlMaster, N = {}",
        o.execs
    );
    let a = automation::runs(&s, o.execs)?;
    let mcp_n = o.execs.min(100);
    eprintln!("engine_bench: session_exec of true through the Python MCP client, N = {mcp_n}");
    let m = mcp::runs(&s, mcp_n)?;
    let mut measures = report::measures(&c, &k);
    measures.extend(ssh_config::measures(&sc));
    measures.extend(automation::measures(&a));
    measures.extend(mcp::measures(&m));
    let path = results.save(measures)?;
    eprintln!("engine_bench: results in {}", path.display());
    let mut section = report::render(&o, &info, &c, &k, started.elapsed());
    section.push_str(&ssh_config::render(&sc));
    section.push_str(&automation::render(&a));
    section.push_str(&mcp::render(&m));
    println!("{section}");
    if let Some(path) = &o.out {
        SECTION.write(path, &section)?;
        eprintln!("engine_bench: wrote {}", path.display());
    }
    Ok(())
}
