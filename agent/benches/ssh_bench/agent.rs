//! The agent of routes (a) and (d): `outpost-agent serve --stdio` as the fixture's user on the
//! jump host, with the bench as its client (the testkit's [`Client`]): started inside the jump
//! namespace, or as the remote command of `ssh` from the bench's namespace to the jump host's
//! sshd, the way the desktop starts it.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use outpost_testkit::bench::cleanup;
use outpost_testkit::bench::data::shell_quote;
use outpost_testkit::bench::drive;
use outpost_testkit::client::Client;

use crate::routes::Env;
use outpost_testkit::fixture::ssh::Fixture;

/// What the remote shell prints before it becomes the agent, when the agent runs through `ssh`.
const PID_LINE: &str = "@agent-pid=";

/// A running agent and the bench's client of it.
pub struct BenchAgent {
    pub client: Client,
    /// The agent's pid: the child's, or (through ssh) the one the remote shell printed.
    pub pid: u32,
    /// The `stat` file of the client's reader thread: the bench's reading client.
    pub reader: PathBuf,
    /// Through ssh: the `ssh` process carrying the agent's stdio.
    ssh: Option<Child>,
}

impl BenchAgent {
    /// Starts and initializes an agent, and checks that it runs as the test user on the jump
    /// host.
    pub fn start(fx: &Fixture, env: &Env, exe: &Path, via_ssh: bool) -> Result<BenchAgent> {
        // A name of its own for each client, which names its reader thread.
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let name = &if via_ssh {
            format!("agentssh{n}")
        } else {
            format!("agent{n}")
        };
        let log = fx.home.root().join(format!("{name}.stderr"));
        let _ = std::fs::remove_file(&log);
        let (client, pid, ssh) = if via_ssh {
            let (jump_ip, jump_port) = env
                .jump
                .clone()
                .ok_or_else(|| anyhow!("the topology has no jump sshd"))?;
            let mut c = fx.user.command("ssh");
            c.args(["-T", "-o", "BatchMode=yes", "-i", &env.key, "-p"])
                .arg(jump_port.to_string())
                .arg(format!("{}@{jump_ip}", env.user))
                .arg(format!(
                    "echo {PID_LINE}$$; exec env OUTPOST_HOME={} {} serve --stdio",
                    shell_quote(&fx.home.path().to_string_lossy()),
                    shell_quote(&exe.to_string_lossy())
                ))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::from(std::fs::File::create(&log)?));
            let mut child = c.spawn().context("starting ssh to the jump host")?;
            cleanup::track(child.id());
            let started = drive::over_child(&mut child, name, &log);
            let (client, first) = match started {
                Ok(x) => x,
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    cleanup::untrack(child.id());
                    return Err(e);
                }
            };
            match first
                .strip_prefix(PID_LINE)
                .and_then(|p| p.parse::<u32>().ok())
            {
                Some(pid) => (client, pid, Some(child)),
                None => {
                    drop(client);
                    let _ = child.kill();
                    let _ = child.wait();
                    cleanup::untrack(child.id());
                    bail!("the agent did not start through ssh: first line {first:?}");
                }
            }
        } else {
            let mut c = fx.topo.jump_exec(&fx.user, exe);
            c.env("OUTPOST_HOME", fx.home.path())
                .current_dir(fx.home.root());
            let client = drive::spawn_client(c, name, &log)?;
            let pid = client.pid().ok_or_else(|| anyhow!("no agent pid"))?;
            (client, pid, None)
        };
        let reader = drive::reader_thread_stat(name)
            .ok_or_else(|| anyhow!("no reader thread of client {name}"))?;
        let agent = BenchAgent {
            client,
            pid,
            reader,
            ssh,
        };
        let init = drive::initialize(&agent.client, "ssh_bench")?;
        let host = &init["host"];
        let on_jump = host["user"] == fx.user.name.as_str()
            && (!fx.topo.has_own_hostnames() || host["hostname"] == fx.topo.jump_hostname());
        if !on_jump {
            agent.shutdown();
            bail!("the agent does not run as the test user on the jump host: {init}");
        }
        fx.assert_on_jump(agent.pid, "the agent");
        Ok(agent)
    }

    /// The process the bench started: the agent, or the `ssh` carrying it.
    pub fn child_pid(&self) -> u32 {
        match &self.ssh {
            Some(c) => c.id(),
            None => self.pid,
        }
    }

    /// Closes the agent's stdin, gives it 5 s to exit, then kills it (and its `ssh`).
    pub fn shutdown(self) {
        let BenchAgent { client, ssh, .. } = self;
        drive::shutdown(client);
        if let Some(mut c) = ssh {
            // Its stdin is closed: the agent ends, and with it `ssh`.
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && matches!(c.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = c.kill();
            let _ = c.wait();
            cleanup::untrack(c.id());
        }
    }
}
