//! The same command on many hosts ([`run_on_hosts`], `exec.run` on each) or in many sessions'
//! shells ([`run_in_sessions`], `session.exec` in each) at once.
//!
//! At most `concurrency` calls are under way at a time (default [`DEFAULT_CONCURRENCY`], at
//! most [`MAX_CONCURRENCY`]); connections come from a [`Connections`] hub, so sessions of one
//! host share one connection (one login) and a host is connected to once. Every host or session
//! gets its own outcome, success or failure: an unreachable host, a busy shell or a command that
//! cannot start fails only its own line. The `_each` forms hand each outcome over as soon as it
//! is known (the CLI prints a line per host as they finish); the plain forms return them all in
//! the order asked.

use futures::stream::{self, StreamExt};
use outpost_protocol::exec::{ExecResult, RunParams, RunResult};
use serde::Serialize;

use super::exec::{self, SessionCommand};
use super::AutomationError;
use crate::engine::live::connections::Connections;
use crate::engine::{EngineError, ErrorReport};

/// How many calls run at once unless asked otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// The most calls at once.
pub const MAX_CONCURRENCY: usize = 16;

/// The most hosts or sessions in one request.
pub const MAX_GROUP: usize = 512;

/// One session's outcome of [`run_in_sessions`]: `ok` with the exec's result in `data` (its
/// `exit_code` says how the command did), or not `ok` with the reason in `error`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SessionOutcome {
    /// The host.
    pub host: String,
    /// The session.
    pub session_id: String,
    /// The command ran (it may still have failed: see `data.exit_code`).
    pub ok: bool,
    /// The exec's result, when `ok`.
    pub data: Option<ExecResult>,
    /// Why it could not run there, when not `ok`.
    pub error: Option<ErrorReport>,
}

/// One host's outcome of [`run_on_hosts`], as [`SessionOutcome`] for `exec.run`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct HostOutcome {
    /// The host.
    pub host: String,
    /// The command ran (see `data.exit_code` and `data.signal`).
    pub ok: bool,
    /// The run's result, when `ok`.
    pub data: Option<RunResult>,
    /// Why it could not run there, when not `ok`.
    pub error: Option<ErrorReport>,
}

/// `(data, error)` of a result.
fn split<T>(r: Result<T, EngineError>) -> (bool, Option<T>, Option<ErrorReport>) {
    match r {
        Ok(v) => (true, Some(v), None),
        Err(e) => (false, None, Some(e.report())),
    }
}

fn check_size(what: &'static str, given: usize) -> Result<(), EngineError> {
    if given > MAX_GROUP {
        return Err(AutomationError::TooMany {
            what,
            given,
            limit: MAX_GROUP,
        }
        .into());
    }
    Ok(())
}

/// Runs `calls` (each answering with its index), at most `concurrency` at a time, handing each
/// outcome to `each` as it finishes.
async fn drive<O>(
    calls: Vec<impl std::future::Future<Output = (usize, O)>>,
    concurrency: usize,
    mut each: impl FnMut(usize, O),
) {
    let mut done = stream::iter(calls).buffer_unordered(concurrency.clamp(1, MAX_CONCURRENCY));
    while let Some((i, o)) = done.next().await {
        each(i, o);
    }
}

/// Outcomes in the order asked.
fn in_order<O>(mut all: Vec<(usize, O)>) -> Vec<O> {
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, o)| o).collect()
}

/// Runs `command` in each `(host, session_id)` shell, `DEFAULT_CONCURRENCY` at a time; one
/// outcome per pair, in the order given. A request that is bad as a whole (an empty command,
/// more than [`MAX_GROUP`] pairs) fails every pair with the same error.
pub async fn run_in_sessions(
    conns: &Connections,
    targets: &[(String, String)],
    command: &SessionCommand,
) -> Vec<SessionOutcome> {
    let mut all: Vec<(usize, SessionOutcome)> = Vec::with_capacity(targets.len());
    run_in_sessions_each(conns, targets, command, DEFAULT_CONCURRENCY, |i, o| {
        all.push((i, o))
    })
    .await;
    in_order(all)
}

/// [`run_in_sessions`] with a chosen concurrency (1..=[`MAX_CONCURRENCY`]), handing each
/// outcome to `each` with its index as soon as it is known.
pub async fn run_in_sessions_each(
    conns: &Connections,
    targets: &[(String, String)],
    command: &SessionCommand,
    concurrency: usize,
    each: impl FnMut(usize, SessionOutcome),
) {
    let refused = command
        .check()
        .map_err(EngineError::from)
        .and_then(|()| check_size("sessions", targets.len()))
        .err()
        .map(|e| e.report());
    // Collected first: a stream holding the closure would not be `Send` for every lifetime.
    let calls: Vec<_> = targets
        .iter()
        .enumerate()
        .map(|(i, (host, session_id))| {
            let refused = refused.clone();
            async move {
                let (ok, data, error) = match refused {
                    Some(r) => (false, None, Some(r)),
                    None => split(match conns.rpc(host).await {
                        Ok(rpc) => exec::session_exec(&rpc, command.params(session_id)).await,
                        Err(e) => Err(e),
                    }),
                };
                (
                    i,
                    SessionOutcome {
                        host: host.clone(),
                        session_id: session_id.clone(),
                        ok,
                        data,
                        error,
                    },
                )
            }
        })
        .collect();
    drive(calls, concurrency, each).await;
}

/// Runs `params` (`exec.run`) on each host, `DEFAULT_CONCURRENCY` at a time; one outcome per
/// host, in the order given.
pub async fn run_on_hosts(
    conns: &Connections,
    hosts: &[String],
    params: &RunParams,
) -> Vec<HostOutcome> {
    let mut all: Vec<(usize, HostOutcome)> = Vec::with_capacity(hosts.len());
    run_on_hosts_each(conns, hosts, params, DEFAULT_CONCURRENCY, |i, o| {
        all.push((i, o))
    })
    .await;
    in_order(all)
}

/// [`run_on_hosts`] with a chosen concurrency (1..=[`MAX_CONCURRENCY`]), handing each outcome
/// to `each` with its index as soon as it is known.
pub async fn run_on_hosts_each(
    conns: &Connections,
    hosts: &[String],
    params: &RunParams,
    concurrency: usize,
    each: impl FnMut(usize, HostOutcome),
) {
    let refused = check_size("hosts", hosts.len()).err().map(|e| e.report());
    let calls: Vec<_> = hosts
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let refused = refused.clone();
            async move {
                let (ok, data, error) = match refused {
                    Some(r) => (false, None, Some(r)),
                    None => split(match conns.rpc(host).await {
                        Ok(rpc) => exec::run(&rpc, params.clone()).await,
                        Err(e) => Err(e),
                    }),
                };
                (
                    i,
                    HostOutcome {
                        host: host.clone(),
                        ok,
                        data,
                        error,
                    },
                )
            }
        })
        .collect();
    drive(calls, concurrency, each).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Arc;

    use crate::engine::ssh::AutoPrompter;
    use crate::engine::EngineContext;

    fn conns(dir: &std::path::Path) -> Arc<Connections> {
        Connections::new(EngineContext::new(
            dir.into(),
            Arc::new(AutoPrompter::new()),
        ))
    }

    /// Hosts that cannot be reached (unsaved names that do not resolve: RFC 6761's `.invalid`)
    /// fail one by one, each with its own outcome, in the order asked.
    #[tokio::test]
    async fn each_host_fails_on_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let hub = conns(dir.path());
        let hosts: Vec<String> = (0..20).map(|i| format!("h{i}.invalid")).collect();
        let params = RunParams::argv(["true"]);
        let out = run_on_hosts(&hub, &hosts, &params).await;
        assert_eq!(out.len(), 20);
        for (o, h) in out.iter().zip(&hosts) {
            assert_eq!(&o.host, h);
            assert!(!o.ok && o.data.is_none());
            assert_eq!(o.error.as_ref().unwrap().code, "name_not_resolved", "{o:?}");
        }
    }

    /// A bad request fails every pair with its own code, before any connection.
    #[tokio::test]
    async fn an_empty_command_fails_every_session_alike() {
        let dir = tempfile::tempdir().unwrap();
        let hub = conns(dir.path());
        let targets = vec![
            ("nosuch".to_string(), "a".to_string()),
            ("nosuch".to_string(), "b".to_string()),
        ];
        let out = run_in_sessions(&hub, &targets, &SessionCommand::new("  ")).await;
        let codes: Vec<_> = out
            .iter()
            .map(|o| {
                (
                    o.session_id.as_str(),
                    o.error.as_ref().unwrap().code.as_str(),
                )
            })
            .collect();
        assert_eq!(codes, [("a", "empty_command"), ("b", "empty_command")]);
        let v = serde_json::to_value(&out[0]).unwrap();
        assert_eq!(v["ok"], false);
        assert_eq!(v["data"], serde_json::Value::Null);
    }
}
