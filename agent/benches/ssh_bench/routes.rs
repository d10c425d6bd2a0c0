//! The four routes of the stream, one timed run each: (a) the agent's `ssh` session read on the
//! agent's stdio, (b) nested `ssh -tt`, (c) one hop on the jump host, (d) (a) with the agent's
//! stdio carried by `ssh` from the desktop.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use outpost_testkit::bench::cleanup::{self, check_stop};
use outpost_testkit::bench::data::{release_and_drain, shell_quote};
use outpost_testkit::bench::drive;
use outpost_testkit::client::{ClientError, Mode};
use outpost_testkit::procfs;
use serde_json::json;

use crate::agent::BenchAgent;
use crate::cpu::{target_split, tree, Accounting, Cpu, TreeSpec};
use crate::{COLS, GATE_MARK, ROWS, STALL};
use outpost_testkit::fixture::ssh::Fixture;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Route {
    /// The figure: the bench reads the agent's stdout directly.
    Agent,
    Nested,
    OneHop,
    /// The same session with the agent's stdio carried by `ssh` from the desktop, as the app does
    /// (with its own SSH client): what a person at the desktop gets end to end.
    AgentSsh,
}

impl Route {
    pub const ALL: [Route; 4] = [Route::Agent, Route::Nested, Route::OneHop, Route::AgentSsh];

    pub fn label(self) -> &'static str {
        match self {
            Route::Agent => "(a) agent ssh session, JSON-RPC client on the agent's stdio",
            Route::Nested => "(b) nested `ssh -tt jump ssh -tt target`",
            Route::OneHop => "(c) one hop: `ssh -tt target` on jump",
            Route::AgentSsh => {
                "(d) reference: (a) with the client on the desktop, through `ssh jump outpost-agent serve --stdio`"
            }
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            Route::Agent => "(a) agent",
            Route::Nested => "(b) nested",
            Route::OneHop => "(c) one hop",
            Route::AgentSsh => "(d) agent via ssh",
        }
    }
}

/// One timed run.
#[derive(Clone, Debug)]
pub struct Run {
    /// From the gate's newline to the end of the stream.
    pub secs: f64,
    /// From starting the client (or `session.create`) to the gate's marker.
    pub setup: f64,
    pub bytes: u64,
    /// Agent only: bytes skipped (gaps in the offsets).
    pub lost: u64,
    /// Pieces the stream came in: `session.output` notifications or pipe reads.
    pub chunks: u64,
    /// How the session or client ended.
    pub ended: String,
    pub cpu: Cpu,
}

/// What every run needs.
pub struct Env {
    pub gate: String,
    pub key: String,
    pub user: String,
    pub target_ip: String,
    pub target_port: u16,
    pub jump: Option<(String, u16)>,
    pub jump_sshd: Option<u32>,
    pub target_sshd: u32,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn tail_text(data: &[u8], n: usize) -> String {
    String::from_utf8_lossy(&data[data.len().saturating_sub(n)..]).into_owned()
}

/// How the agent routes keep the session's output: gaps allowed (after the gate they are counted
/// as skipped), every chunk decoded, the latest 64 KiB kept (for the gate's marker).
const AGENT_MODE: Mode = Mode {
    contiguous: false,
    keep: 64 << 10,
};

/// One run of an agent's `ssh` session; `via_ssh` when the agent's stdio goes through `ssh` from
/// the desktop (route d).
pub fn run_agent(agent: &BenchAgent, fx: &Fixture, env: &Env, via_ssh: bool) -> Result<Run> {
    let rpc = &agent.client;
    let t_create = Instant::now();
    let mut ssh = fx.spec();
    ssh["remote_command"] = json!(env.gate);
    let r = rpc.call_value(
        "session.create",
        json!({"kind": "ssh", "cols": COLS, "rows": ROWS, "title": "ssh_bench", "ssh": ssh}),
    )?;
    let info = r["session"].clone();
    let sid = drive::session_id(&info)?;
    let result = (|| -> Result<Run> {
        let ssh_pid = info["pid"]
            .as_u64()
            .ok_or_else(|| anyhow!("no pid in {info}"))? as u32;
        let daemon = procfs::stat(ssh_pid)
            .map(|s| s.ppid)
            .ok_or_else(|| anyhow!("the session's ssh (pid {ssh_pid}) is gone"))?;
        drive::attach(rpc, &sid, AGENT_MODE)?;
        let gate = match drive::wait_for_bytes(rpc, &sid, GATE_MARK, STALL) {
            Ok(s) => s,
            Err(ClientError::Timeout { .. }) => {
                let seen = rpc
                    .stream(&sid)
                    .map(|s| tail_text(&s.data, 1000))
                    .unwrap_or_default();
                match drive::wait_exit(rpc, &sid, Duration::ZERO)? {
                    Some(e) => bail!(
                        "the session ended ({}) before the gate opened; output: {seen:?}\n{}",
                        drive::exit_text(&e),
                        fx.diag(Some(&sid))
                    ),
                    None => bail!(
                        "no gate within {STALL:?}; output: {seen:?}\n{}",
                        fx.diag(Some(&sid))
                    ),
                }
            }
            Err(e) => return Err(e.into()),
        };
        if let Some((expected, got)) = gate.gaps.first() {
            bail!("output before the gate starts at {got}, not at {expected}");
        }
        let after_mark =
            find(&gate.data, GATE_MARK).map_or(0, |i| gate.data.len() - i - GATE_MARK.len()) as u64;
        let setup = gate
            .last_at
            .unwrap_or_else(Instant::now)
            .saturating_duration_since(t_create)
            .as_secs_f64();
        let mut specs = vec![
            TreeSpec::whole("agent", agent.pid),
            TreeSpec::whole("daemon", daemon),
            TreeSpec::whole("target", env.target_sshd),
        ];
        if via_ssh {
            // The desktop's ssh carrying the agent's stdio, and the jump sshd's side of it (the
            // agent and the daemon, which may be below it, are counted on their own).
            specs.push(TreeSpec::child("client", agent.child_pid()));
            let mut jump = TreeSpec::whole(
                "jump",
                env.jump_sshd.ok_or_else(|| anyhow!("no jump sshd"))?,
            );
            jump.exclude = vec![agent.pid, daemon];
            specs.push(jump);
        }
        let acct = Accounting::begin(specs, &agent.reader)?;
        let t0 = Instant::now();
        drive::input(rpc, &sid, b"\n")?;
        let mut seen = gate.received;
        let exit = loop {
            if let Some(e) = drive::wait_exit(rpc, &sid, STALL)? {
                break e;
            }
            let now = rpc.received(&sid);
            if now == seen {
                bail!(
                    "no output for {STALL:?} after {} bytes\n{}",
                    after_mark + now - gate.received,
                    fx.diag(Some(&sid))
                );
            }
            seen = now;
        };
        let secs = exit.at.saturating_duration_since(t0).as_secs_f64();
        let end = rpc
            .stream(&sid)
            .ok_or_else(|| anyhow!("no stream of {sid}"))?;
        let bytes = after_mark + end.received - gate.received;
        let chunks = end.chunks - gate.chunks;
        let lost: u64 = end.gaps[gate.gaps.len()..]
            .iter()
            .map(|(expected, got)| got - expected)
            .sum();
        let ended = drive::exit_text(&exit);
        let (client, trees, kworkers) = acct.end();
        let (sshd_target, cat) = target_split(&trees);
        let agent_cpu = tree(&trees, "agent").map(|t| t.total);
        let d = tree(&trees, "daemon");
        let ssh_master = d.map_or(0.0, |t| {
            t.by_pid
                .iter()
                .filter(|(p, _, _)| *p == ssh_pid)
                .map(|x| x.2)
                .sum()
        });
        let daemon_own = d.map(|t| t.root_own);
        let checks = d.map(|t| (t.total - t.root_own - ssh_master).max(0.0));
        let desktop_ssh = tree(&trees, "client").map_or(0.0, |t| t.total);
        let sshd_jump = tree(&trees, "jump").map(|t| t.total);
        Ok(Run {
            secs,
            setup,
            bytes,
            lost,
            chunks,
            ended,
            cpu: Cpu {
                client,
                agent: agent_cpu,
                daemon: daemon_own,
                ssh_clients: ssh_master + checks.unwrap_or(0.0) + desktop_ssh,
                mux_checks: checks,
                sshd_jump,
                sshd_target,
                cat,
                kworkers,
            },
        })
    })();
    let closed = drive::close(rpc, &sid);
    let run = result?;
    closed.context("session.close")?;
    Ok(run)
}

/// Runs an `ssh` client whose standard output carries the gated stream, and times it.
fn run_client(mut cmd: Command, path: Route, env: &Env) -> Result<Run> {
    let t_spawn = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting ssh")?;
    let pid = child.id();
    cleanup::track(pid);
    let result = (|| -> Result<Run> {
        let mut out = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut stdin = child.stdin.take().ok_or_else(|| anyhow!("no stdin"))?;
        let mut buf = vec![0u8; 64 << 10];
        let mut pre = Vec::new();
        let mut bytes = loop {
            check_stop()?;
            let n = out.read(&mut buf).context("reading ssh")?;
            if n == 0 {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                bail!(
                    "ssh ended before the gate opened: {} {:?}",
                    err.trim(),
                    tail_text(&pre, 500)
                );
            }
            pre.extend_from_slice(&buf[..n]);
            if let Some(i) = find(&pre, GATE_MARK) {
                break (pre.len() - i - GATE_MARK.len()) as u64;
            }
        };
        let setup = t_spawn.elapsed().as_secs_f64();
        let mut specs = vec![
            TreeSpec::child("client", pid),
            TreeSpec::whole("target", env.target_sshd),
        ];
        if path == Route::Nested {
            specs.push(TreeSpec::whole(
                "jump",
                env.jump_sshd.ok_or_else(|| anyhow!("no jump sshd"))?,
            ));
        }
        let acct = Accounting::begin(specs, Path::new("/proc/thread-self/stat"))?;
        let (secs, read, chunks) =
            release_and_drain(&mut stdin, &mut out).context("reading ssh")?;
        bytes += read;
        check_stop()?;
        drop(stdin);
        let status = child.wait().context("waiting for ssh")?;
        let (client, trees, kworkers) = acct.end();
        let (sshd_target, cat) = target_split(&trees);
        let desktop_ssh = tree(&trees, "client").map_or(0.0, |t| t.total);
        let (sshd_jump, inner_ssh) = match tree(&trees, "jump") {
            Some(t) => {
                let ssh = t.comm("ssh");
                (Some((t.total - ssh).max(0.0)), ssh)
            }
            None => (None, 0.0),
        };
        Ok(Run {
            secs,
            setup,
            bytes,
            lost: 0,
            chunks,
            ended: status.to_string(),
            cpu: Cpu {
                client,
                agent: None,
                daemon: None,
                ssh_clients: desktop_ssh + inner_ssh,
                mux_checks: None,
                sshd_jump,
                sshd_target,
                cat,
                kworkers,
            },
        })
    })();
    let _ = child.kill();
    let _ = child.wait();
    cleanup::untrack(pid);
    result
}

/// (b): `ssh -tt USER@JUMP 'ssh -tt USER@TARGET GATE'` from the bench's namespace.
pub fn run_nested(fx: &Fixture, env: &Env) -> Result<Run> {
    let (jump_ip, jump_port) = env
        .jump
        .clone()
        .ok_or_else(|| anyhow!("the topology has no jump sshd"))?;
    let inner = format!(
        "ssh -tt -o BatchMode=yes -i {} -p {} {}@{} {}",
        shell_quote(&env.key),
        env.target_port,
        env.user,
        env.target_ip,
        shell_quote(&env.gate)
    );
    let mut cmd = fx.user.command("ssh");
    cmd.args(["-tt", "-o", "BatchMode=yes", "-i", &env.key, "-p"])
        .arg(jump_port.to_string())
        .arg(format!("{}@{jump_ip}", env.user))
        .arg(inner);
    run_client(cmd, Route::Nested, env)
}

/// (c): `ssh -tt USER@TARGET GATE` inside the jump namespace.
pub fn run_one_hop(fx: &Fixture, env: &Env) -> Result<Run> {
    let mut cmd = fx.topo.jump_exec(&fx.user, "ssh");
    cmd.args(["-tt", "-o", "BatchMode=yes", "-i", &env.key, "-p"])
        .arg(env.target_port.to_string())
        .arg(format!("{}@{}", env.user, env.target_ip))
        .arg(&env.gate);
    run_client(cmd, Route::OneHop, env)
}

/// The cipher (and MAC) `ssh -v` reports for a connection made by `cmd` (which gets `-v … true`
/// appended after its options).
pub fn negotiated(mut cmd: Command, dest: &[String]) -> String {
    let out = cmd
        .args(["-v", "-o", "BatchMode=yes"])
        .args(dest)
        .arg("true")
        .stdin(Stdio::null())
        .output();
    let Ok(out) = out else {
        return "?".into();
    };
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines()
        .find_map(|l| l.split_once("kex: server->client cipher: "))
        .map(|(_, rest)| {
            let mut w = rest.split_whitespace();
            let cipher = w.next().unwrap_or("?").to_string();
            let mac = rest
                .split_once("MAC: ")
                .and_then(|(_, m)| m.split_whitespace().next())
                .unwrap_or("?");
            if mac == "<implicit>" {
                cipher
            } else {
                format!("{cipher} (MAC {mac})")
            }
        })
        .unwrap_or_else(|| "?".into())
}
