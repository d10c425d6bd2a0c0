//! The soak's main loop: the agent's life (start, `initialize`, kill -9 on a random schedule,
//! restart and resume every attachment from its frontier), random actions at a modest pace,
//! sampling, and the final checks for leaked processes, zombies, files and memory growth.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use outpost_protocol::method;
use outpost_protocol::session::{SessionInfo, SessionState};
use outpost_protocol::Method;

use super::actions::WARM_UP_LINES;
use super::agent::AgentProc;
use super::book::Book;
use super::procs;
use super::trend::Series;
use super::SoakOptions;
use crate::process::ProcessId;
use crate::procfs;

/// How long one call may take before the run counts it as a failure.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Memory growth (last 10% against first 10%) below this is never a finding, in KiB.
const RSS_SLACK_KIB: f64 = 4096.0;

/// Everything the run holds.
pub(crate) struct Runner {
    pub(crate) opts: SoakOptions,
    pub(crate) rng: fastrand::Rng,
    /// `$OUTPOST_HOME`.
    pub(crate) home: PathBuf,
    /// Where the agents' logs go (beside the home, not in it).
    logs: PathBuf,
    agent: Option<AgentProc>,
    pub(crate) book: Book,
    /// Every process the run caused that must be gone at the end.
    pub(crate) ever: Vec<ProcessId>,
    started: Instant,
    pub(crate) series: Vec<Series>,
    agent_rss: usize,
    agent_fds: usize,
    last_reap: Instant,
}

/// The actions, with their weights.
#[derive(Clone, Copy, Debug)]
enum Action {
    Create,
    Burst,
    Detach,
    Reattach,
    Replay,
    Read,
    Resize,
    Close,
    ExitClose,
    List,
}

impl Runner {
    pub(crate) fn new(opts: SoakOptions, dir: &Path) -> Runner {
        Runner {
            rng: fastrand::Rng::with_seed(opts.seed),
            opts,
            home: dir.join("h"),
            logs: dir.to_path_buf(),
            agent: None,
            book: Book::default(),
            ever: Vec::new(),
            started: Instant::now(),
            series: vec![Series::new("agent RSS (KiB)"), Series::new("agent fds")],
            agent_rss: 0,
            agent_fds: 1,
            last_reap: Instant::now(),
        }
    }

    /// Calls `M` on the running agent; notifications that arrive first go to the book.
    pub(crate) fn call<M: Method>(&mut self, params: M::Params) -> Result<M::Result> {
        let agent = self.agent.as_mut().context("no agent is running")?;
        let book = &mut self.book;
        agent.call::<M>(params, CALL_TIMEOUT, &mut |n| book.on_note(n))
    }

    /// Receives notifications for up to `wait`.
    pub(crate) fn pump(&mut self, wait: Duration) {
        match self.agent.as_mut() {
            Some(agent) => {
                let book = &mut self.book;
                agent.pump(wait, &mut |n| book.on_note(n));
            }
            None => std::thread::sleep(wait),
        }
    }

    /// Reaps orphans that ended (daemons, launchers).
    pub(crate) fn reap(&mut self) {
        let keep: Vec<u32> = self.agent.iter().map(|a| a.pid).collect();
        self.book.counters.reaped += procs::reap_orphans(&keep) as u64;
        self.last_reap = Instant::now();
    }

    pub(crate) fn list(&mut self) -> Result<Vec<SessionInfo>> {
        Ok(self
            .call::<method::SessionList>(Default::default())?
            .sessions)
    }

    fn start_agent(&mut self) -> Result<()> {
        let n = self.book.counters.agent_starts + 1;
        let log = self.logs.join(format!("agent-{n}.log"));
        let mut agent = AgentProc::start(&self.opts.agent, &self.home, &log)?;
        self.ever.extend(ProcessId::of(agent.pid));
        let book = &mut self.book;
        agent.initialize(&mut |n| book.on_note(n))?;
        self.agent = Some(agent);
        self.book.counters.agent_starts += 1;
        Ok(())
    }

    /// Kills the agent with SIGKILL, starts a new one, compares its session list with the book
    /// and reattaches every session that was attached, from its frontier.
    fn kill_and_resume(&mut self) -> Result<()> {
        if let Some(agent) = self.agent.take() {
            // An agent that already died cannot be killed; it is waited for all the same.
            if agent.kill9().is_ok() {
                self.book.counters.agent_kills += 1;
            }
        }
        let attached: Vec<String> = self
            .book
            .sessions
            .values_mut()
            .filter_map(|s| s.stream.take().map(|_| s.id.clone()))
            .collect();
        self.reap();
        self.start_agent()?;
        self.list_check()?;
        self.dir_check();
        for id in attached {
            let from = self.book.sessions[&id].frontier;
            self.attach(&id, Some(from))?;
            self.book.counters.resumed_after_kill += 1;
        }
        Ok(())
    }

    /// `session.list` must name exactly the live sessions, in the states the book expects.
    fn list_check(&mut self) -> Result<()> {
        let listed = self.list()?;
        self.book.counters.list_checks += 1;
        let ids: BTreeSet<&str> = listed.iter().map(|s| s.session_id.as_str()).collect();
        let live: BTreeSet<&str> = self.book.sessions.keys().map(String::as_str).collect();
        let mut problems = Vec::new();
        if ids != live {
            problems.push(format!(
                "session.list names {:?}; live are {:?}",
                ids.difference(&live).collect::<Vec<_>>(),
                live.difference(&ids).collect::<Vec<_>>()
            ));
        }
        for s in &listed {
            let Some(t) = self.book.sessions.get(&s.session_id) else {
                continue;
            };
            if s.state != SessionState::Running && !t.exit_requested {
                problems.push(format!("{} is {:?} unasked: {s:?}", s.session_id, s.state));
            }
        }
        for p in problems {
            self.book.fail(p);
        }
        Ok(())
    }

    /// The runtime and state directories must hold exactly one socket, record and log per live
    /// session, and nothing else.
    pub(crate) fn dir_check(&mut self) -> usize {
        self.book.counters.dir_checks += 1;
        let live: BTreeSet<String> = self.book.sessions.keys().cloned().collect();
        let mut files = 0;
        for (dir, ext) in [
            ("run/d1", "sock"),
            ("state/sessions", "json"),
            ("state/logs", "log"),
        ] {
            let path = self.home.join(dir);
            let names: BTreeSet<String> = std::fs::read_dir(&path)
                .map(|d| {
                    d.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            files += names.len();
            let want: BTreeSet<String> = live.iter().map(|id| format!("{id}.{ext}")).collect();
            if names != want {
                self.book.fail(format!(
                    "{} holds {:?} more and lacks {:?}",
                    path.display(),
                    names.difference(&want).collect::<Vec<_>>(),
                    want.difference(&names).collect::<Vec<_>>()
                ));
            }
        }
        files
    }

    fn sample(&mut self) {
        let t = self.started.elapsed().as_secs_f64();
        if let Some(pid) = self.agent.as_ref().map(|a| a.pid) {
            if let (Some(rss), Some(fds)) = (procfs::rss_kib(pid), procfs::fd_count(pid)) {
                self.series[self.agent_rss].push(t, rss as f64);
                self.series[self.agent_fds].push(t, fds as f64);
            }
        }
        let anchors: Vec<(String, u32)> = self
            .book
            .sessions
            .values()
            .filter(|s| s.anchor)
            .filter_map(|s| Some((s.id.clone(), s.daemon?.pid)))
            .collect();
        for (id, pid) in anchors {
            for (what, value) in [
                ("RSS (KiB)", procfs::rss_kib(pid)),
                ("fds", procfs::fd_count(pid)),
            ] {
                let name = format!("daemon {id} {what}");
                let Some(v) = value else { continue };
                match self.series.iter_mut().find(|s| s.name == name) {
                    Some(s) => s.push(t, v as f64),
                    None => {
                        let mut s = Series::new(name);
                        s.push(t, v as f64);
                        self.series.push(s);
                    }
                }
            }
        }
    }

    fn pick(&mut self) -> Action {
        let alive = self.book.sessions.len();
        let attached = self
            .book
            .sessions
            .values()
            .filter(|s| s.stream.is_some())
            .count();
        let closable = self.book.sessions.values().filter(|s| !s.anchor).count();
        let full = alive >= self.opts.max_sessions;
        let weights = [
            (
                Action::Create,
                if full {
                    0
                } else if alive < 6 {
                    30
                } else {
                    8
                },
            ),
            (Action::Burst, if alive > 0 { 35 } else { 0 }),
            (Action::Detach, if attached > 0 { 8 } else { 0 }),
            (Action::Reattach, if attached < alive { 10 } else { 0 }),
            (Action::Replay, if alive > 0 { 3 } else { 0 }),
            (Action::Read, if alive > 0 { 6 } else { 0 }),
            (Action::Resize, if alive > 0 { 3 } else { 0 }),
            (
                Action::Close,
                if closable == 0 {
                    0
                } else if full {
                    20
                } else {
                    6
                },
            ),
            (Action::ExitClose, if closable > 0 { 2 } else { 0 }),
            (Action::List, 2),
        ];
        let total: u32 = weights.iter().map(|w| w.1).sum();
        let mut x = self.rng.u32(0..total);
        for (a, w) in weights {
            if x < w {
                return a;
            }
            x -= w;
        }
        Action::List
    }

    fn random_session(&mut self, filter: impl Fn(&super::book::Tracked) -> bool) -> Option<String> {
        let ids: Vec<&String> = self
            .book
            .sessions
            .values()
            .filter(|s| filter(s))
            .map(|s| &s.id)
            .collect();
        if ids.is_empty() {
            return None;
        }
        Some(ids[self.rng.usize(..ids.len())].clone())
    }

    fn act(&mut self, action: Action) -> Result<()> {
        let any = |_: &super::book::Tracked| true;
        match action {
            Action::Create => {
                self.create(false)?;
            }
            Action::Burst => {
                if let Some(id) = self.random_session(|s| !s.exit_requested) {
                    let n = self.burst_size();
                    self.burst(&id, n)?;
                }
            }
            Action::Detach => {
                if let Some(id) = self.random_session(|s| s.stream.is_some()) {
                    self.detach(&id)?;
                }
            }
            Action::Reattach => {
                if let Some(id) = self.random_session(|s| s.stream.is_none()) {
                    self.reattach(&id)?;
                }
            }
            Action::Replay => {
                if let Some(id) = self.random_session(any) {
                    let s = &self.book.sessions[&id];
                    let back = self.rng.u64(0..=s.scrollback / 2);
                    let from = s.frontier.saturating_sub(back);
                    self.attach(&id, Some(from))?;
                }
            }
            Action::Read => {
                if let Some(id) = self.random_session(any) {
                    self.read_check(&id)?;
                }
            }
            Action::Resize => {
                if let Some(id) = self.random_session(|s| !s.exit_requested) {
                    self.resize(&id)?;
                }
            }
            Action::Close => {
                if let Some(id) = self.random_session(|s| !s.anchor) {
                    self.close(&id)?;
                }
            }
            Action::ExitClose => {
                if let Some(id) = self.random_session(|s| !s.anchor) {
                    self.exit_and_close(&id)?;
                }
            }
            Action::List => self.list_check()?,
        }
        self.check_skips()
    }

    fn next_kill(&mut self) -> Instant {
        let (lo, hi) = self.opts.agent_life;
        let ms = self
            .rng
            .u64(lo.as_millis() as u64..=hi.as_millis().max(lo.as_millis()) as u64);
        Instant::now() + Duration::from_millis(ms)
    }

    fn progress(&self) {
        let c = &self.book.counters;
        crate::note(&format!(
            "soak: {:.0}/{} s, {} alive, {} created, {} closed, {} bursts, {:.1} MB checked, {} agent kills, agent RSS {} KiB, {} failures",
            self.started.elapsed().as_secs_f64(),
            self.opts.duration.as_secs(),
            self.book.sessions.len(),
            c.created,
            c.closed,
            c.bursts,
            (c.bytes_new + c.bytes_replayed + c.read_bytes) as f64 / 1e6,
            c.agent_kills,
            self.agent
                .as_ref()
                .and_then(|a| procfs::rss_kib(a.pid))
                .unwrap_or(0),
            self.book.failure_count
        ));
    }

    /// The whole run: warm-up, random actions until the deadline, then the final checks.
    pub(crate) fn run(&mut self) -> Result<()> {
        self.started = Instant::now();
        let deadline = self.started + self.opts.duration;
        self.start_agent()?;
        // Anchors: created first, filled past their ring, kept to the end.
        for _ in 0..self.opts.anchors {
            let id = self.create(true)?;
            let ready = Instant::now() + Duration::from_secs(30);
            while !self.book.sessions[&id].ready && Instant::now() < ready {
                self.pump(Duration::from_millis(20));
            }
            self.burst(&id, WARM_UP_LINES)?;
        }
        let anchors: Vec<String> = self.book.sessions.keys().cloned().collect();
        for id in anchors {
            let until = Instant::now() + Duration::from_secs(120);
            while !self.book.sessions[&id].drained() && Instant::now() < until {
                self.pump(Duration::from_millis(20));
            }
        }
        let mut next_sample = Instant::now();
        let mut next_kill = self.next_kill();
        let every =
            (self.opts.duration / 20).clamp(Duration::from_secs(5), Duration::from_secs(180));
        let mut next_progress = Instant::now() + every;
        while Instant::now() < deadline {
            if Instant::now() >= next_sample {
                self.sample();
                next_sample += self.opts.sample_every;
            }
            if self.last_reap.elapsed() >= Duration::from_secs(1) {
                self.reap();
            }
            if Instant::now() >= next_kill {
                self.kill_and_resume()?;
                next_kill = self.next_kill();
            }
            let action = self.pick();
            if let Err(e) = self.act(action) {
                // A call that failed (no answer, the agent gone) is a finding; a fresh agent
                // lets the run go on.
                self.book
                    .fail(format!("{action:?} failed: {e:#}; restarting the agent"));
                self.kill_and_resume()?;
            }
            let (lo, hi) = self.opts.pause_ms;
            let pause = Duration::from_millis(self.rng.u64(lo..=hi.max(lo)));
            self.pump(pause);
            if Instant::now() >= next_progress {
                self.progress();
                next_progress += every;
            }
        }
        self.sample();
        self.progress();
        self.finish()
    }

    /// Closes every session, lets the agent go (EOF), then checks that nothing is left.
    fn finish(&mut self) -> Result<()> {
        self.list_check()?;
        self.dir_check();
        let ids: Vec<String> = self.book.sessions.keys().cloned().collect();
        for id in ids {
            if self.rng.u32(0..4) == 0 {
                self.exit_and_close(&id)?;
            } else {
                self.close(&id)?;
            }
        }
        if !self.list()?.is_empty() {
            self.book
                .fail("sessions are listed after every one was closed".into());
        }
        self.book.leaks.files = self.dir_check();
        if let Some(agent) = self.agent.take() {
            let status = agent.close_stdin(Duration::from_secs(15))?;
            if !status.success() {
                self.book
                    .fail(format!("the agent exited with {status} after EOF"));
            }
        }
        // What is left: processes, zombies, files.
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            self.reap();
            let left = procfs::processes_of_home(&self.home);
            let ever_left = self.ever.iter().any(ProcessId::exists);
            if (left.is_empty() && !ever_left) || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let left = procfs::processes_of_home(&self.home);
        self.book.leaks.home_processes = left.len();
        if !left.is_empty() {
            self.book.fail(format!(
                "processes with this OUTPOST_HOME still run: {left:?}"
            ));
        }
        let ever_left: Vec<u32> = self
            .ever
            .iter()
            .filter(|p| p.exists())
            .map(|p| p.pid)
            .collect();
        self.book.leaks.run_processes = ever_left.len();
        if !ever_left.is_empty() {
            self.book.fail(format!(
                "daemons, programs or agents of the run still exist (zombies included): {ever_left:?}"
            ));
        }
        let zombies = procs::zombie_children();
        self.book.leaks.zombies = zombies.len();
        if !zombies.is_empty() {
            self.book.fail(format!("zombie children left: {zombies:?}"));
        }
        for n in 1..=self.book.counters.agent_starts {
            let log = self.logs.join(format!("agent-{n}.log"));
            if std::fs::read_to_string(&log).is_ok_and(|l| l.contains("panicked")) {
                self.book.fail(format!("agent {n}'s log reports a panic"));
            }
        }
        self.judge_memory();
        Ok(())
    }

    /// Memory and descriptors must not grow: see [`super::SoakReport`].
    fn judge_memory(&mut self) {
        let max_sessions = self.opts.max_sessions as f64;
        let mut problems = Vec::new();
        for s in &self.series {
            let Some(t) = s.trend() else { continue };
            let allowed = if s.name.contains("RSS") {
                RSS_SLACK_KIB.max(t.first * 0.5)
            } else if s.name.starts_with("agent") {
                // The agent holds one connection per session it touched.
                2.0 * max_sessions + 8.0
            } else {
                4.0
            };
            if t.last - t.first > allowed {
                problems.push(format!(
                    "{} grew from {:.0} to {:.0} (first vs last 10% of samples; allowed +{allowed:.0}), slope {:+.0}/h",
                    s.name, t.first, t.last, t.slope_per_hour
                ));
            }
        }
        for p in problems {
            self.book.fail(p);
        }
    }

    /// Kills whatever is left after a run that stopped early.
    pub(crate) fn kill_leftovers(&mut self) {
        drop(self.agent.take());
        for pid in procfs::processes_of_home(&self.home) {
            procs::kill9(pid);
        }
        for p in &self.ever {
            if p.exists() {
                procs::kill9(p.pid);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.ever.iter().any(ProcessId::exists) && Instant::now() < deadline {
            self.reap();
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
