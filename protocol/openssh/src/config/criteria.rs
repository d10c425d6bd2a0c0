//! `Match` lines, evaluated as OpenSSH's `match_cfg_line` does.
//!
//! | criterion | matches when |
//! |---|---|
//! | `all` | always (alone, or after `canonical`/`final`) |
//! | `canonical`, `final` | in the final pass only; `final` asks for one |
//! | `host LIST` | the host name (after `HostName` with `%h`, in the final pass the final name) matches, without regard to case |
//! | `originalhost LIST` | the name as typed matches, without regard to case |
//! | `user LIST` | the remote user so far (else the local user) matches |
//! | `localuser LIST` | the local user matches |
//! | `exec CMD` | `sh -c CMD` (tokens expanded) exits 0 — only when [`Context::allow_exec`] |
//!
//! Each criterion may be negated with `!`. A criterion that fails makes the line not match, but
//! the rest are still read (so `final` is still seen); `exec` is not run once one has failed.
//! What OpenSSH refuses (an unknown criterion, one without its argument, `all` with others)
//! here makes the line not match, with a warning naming the file and line.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::tokens::{expand, Context, Tokens};
use crate::pattern::match_list;

/// How long a `Match exec` command may run before it is killed and taken as not matching.
pub const EXEC_TIMEOUT: Duration = Duration::from_secs(10);

/// The tokens OpenSSH expands in `Match exec`.
const EXEC_TOKENS: &str = "hknprulLdi";

/// What one `Match` line is evaluated against.
pub(crate) struct MatchInput<'a> {
    /// The local facts.
    pub context: &'a Context,
    /// The host for `Match host`.
    pub host: &'a str,
    /// The name as typed.
    pub original: &'a str,
    /// The remote user so far (else the local user).
    pub user: &'a str,
    /// The port so far (else 22).
    pub port: u16,
    /// Whether this is the final pass.
    pub final_pass: bool,
}

/// The outcome of one `Match` line.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct MatchOutcome {
    /// Whether its block applies.
    pub matched: bool,
    /// Whether it holds `final` (a final pass is wanted).
    pub wants_final: bool,
    /// What is wrong with it, if anything.
    pub warnings: Vec<String>,
}

/// Evaluates a `Match` line's criteria; see the [module documentation](self).
pub(crate) fn evaluate(criteria: &[String], input: &MatchInput<'_>, path: &Path) -> MatchOutcome {
    let mut out = MatchOutcome {
        matched: true,
        ..MatchOutcome::default()
    };
    let fail = |out: &mut MatchOutcome, why: String| {
        out.warnings.push(why);
        out.matched = false;
    };
    let mut attributes = 0;
    let mut args = criteria.iter();
    while let Some(raw) = args.next() {
        let (negate, attr) = match raw.strip_prefix('!') {
            Some(a) => (true, a),
            None => (false, raw.as_str()),
        };
        let attr = attr.to_ascii_lowercase();
        if attr == "all" {
            if attributes > 0 || args.next().is_some() {
                fail(
                    &mut out,
                    format!("Match '{raw}' cannot be combined with other criteria"),
                );
                return out;
            }
            if negate {
                out.matched = false;
            }
            return out;
        }
        attributes += 1;
        if attr == "canonical" || attr == "final" {
            out.wants_final |= attr == "final";
            if input.final_pass == negate {
                out.matched = false;
            }
            continue;
        }
        let Some(arg) = args.next() else {
            fail(&mut out, format!("Match {attr} without its argument"));
            return out;
        };
        let hit = match attr.as_str() {
            "host" => host_match(input.host, arg),
            "originalhost" => host_match(input.original, arg),
            "user" => match_list(input.user, arg.split(',')),
            "localuser" => match_list(&input.context.local_user, arg.split(',')),
            "exec" => {
                if !out.matched {
                    continue;
                }
                match run_exec(arg, input, path) {
                    Ok(hit) => hit,
                    Err(why) => {
                        fail(&mut out, why);
                        continue;
                    }
                }
            }
            _ => {
                fail(&mut out, format!("unsupported Match criterion {attr:?}"));
                return out;
            }
        };
        if hit == negate {
            out.matched = false;
        }
    }
    if attributes == 0 {
        fail(&mut out, "Match without criteria".into());
    }
    out
}

/// OpenSSH's `match_hostname`: a comma-separated pattern list, without regard to case.
fn host_match(host: &str, list: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let list = list.to_ascii_lowercase();
    match_list(&host, list.split(','))
}

/// Runs a `Match exec` command through `sh -c` when allowed: `Ok(exited 0)`, or why it was not
/// run or did not finish.
fn run_exec(command: &str, input: &MatchInput<'_>, path: &Path) -> Result<bool, String> {
    if !input.context.allow_exec {
        return Err(format!(
            "Match exec not run (allow it in Outpost's settings); taken as not matching: {command:?}"
        ));
    }
    let tokens = Tokens {
        context: input.context,
        host: input.host,
        port: input.port,
        remote_user: input.user,
        original: input.original,
        proxy_jump: "",
    };
    let (command, unknown) = expand(command, &tokens, EXEC_TOKENS);
    if !unknown.is_empty() {
        return Err(format!("Match exec: unknown tokens {}", unknown.join(" ")));
    }
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("Match exec: cannot run sh: {e}"))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status.success()),
            Ok(None) if started.elapsed() < EXEC_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "Match exec {command:?} ran over {} s (in {}); killed, taken as not matching",
                    EXEC_TIMEOUT.as_secs(),
                    path.display()
                ));
            }
            Err(e) => return Err(format!("Match exec: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(allow_exec: bool) -> Context {
        Context {
            local_user: "me".into(),
            home: "/home/me".into(),
            uid: 1000,
            local_hostname: "desk".into(),
            allow_exec,
            env: Default::default(),
        }
    }

    fn eval(line: &str, final_pass: bool, allow: bool) -> MatchOutcome {
        let c = ctx(allow);
        let input = MatchInput {
            context: &c,
            host: "db.internal",
            original: "DB",
            user: "ann",
            port: 22,
            final_pass,
        };
        let criteria = crate::config::line::split_args(line);
        evaluate(&criteria, &input, Path::new("t"))
    }

    #[test]
    fn criteria() {
        assert!(eval("all", false, false).matched);
        assert!(!eval("!all", false, false).matched);
        assert!(eval("host *.INTERNAL,x", false, false).matched);
        assert!(!eval("host db", false, false).matched);
        assert!(eval("originalhost db", false, false).matched);
        assert!(eval("user ann localuser me", false, false).matched);
        assert!(!eval("user ann !localuser me", false, false).matched);
        let f = eval("final", false, false);
        assert!(!f.matched && f.wants_final && f.warnings.is_empty());
        assert!(eval("final host db.*", true, false).matched);
        assert!(eval("!canonical all", false, false).warnings.len() == 1);
        assert!(!eval("!canonical all", false, false).matched);
        assert!(!eval("bogus x", false, false).matched);
        assert!(!eval("host", false, false).matched);
        assert!(!eval("", false, false).matched);
    }

    #[test]
    fn exec_only_when_allowed() {
        let off = eval("exec true", false, false);
        assert!(!off.matched);
        assert!(off.warnings[0].contains("settings"), "{off:?}");
        assert!(eval("exec true", false, true).matched);
        assert!(!eval("exec false", false, true).matched);
        assert!(
            eval(
                "exec \"test %h/%r/%n/%u = db.internal/ann/DB/me\"",
                false,
                true
            )
            .matched
        );
        assert!(!eval("!exec true", false, true).matched);
        // A criterion that failed earlier stops exec from running.
        let skipped = eval("host nomatch exec %C", false, true);
        assert!(!skipped.matched && skipped.warnings.is_empty());
    }
}
