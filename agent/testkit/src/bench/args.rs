//! A benchmark's command line: the arguments after `--` of `cargo bench … --bench NAME -- …`.
//!
//! `cargo bench` passes `--bench` to every bench target; `cargo test --benches` does not, so a
//! program that finds neither `--bench` nor `--run` ([`BenchArgs::run`]) does nothing and a test
//! run of all targets never starts a multi-minute benchmark. Every benchmark knows `--quick` (or
//! `OUTPOST_BENCH_QUICK=1`: small sizes, a smoke run that leaves `docs/benchmarks.md` alone);
//! the others are its own, read with [`BenchArgs::value`], [`BenchArgs::number`],
//! [`BenchArgs::list`] and [`BenchArgs::flag`], and [`BenchArgs::expect_only`] refuses the ones it
//! does not know. Values are given as `--name VALUE` or `--name=VALUE`.

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{anyhow, bail, Context, Result};

/// The value of environment variable `name`, unless unset or empty.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The arguments of one run of a benchmark program.
#[derive(Clone, Debug)]
pub struct BenchArgs {
    /// How the program is run, e.g. `cargo bench -p outpost-agent --bench agent_bench`.
    base: String,
    /// The arguments as given (without the program's name).
    args: Vec<String>,
    /// `--bench` (from `cargo bench`) or `--run` was given: run the benchmark.
    pub run: bool,
    /// A smoke run: `--quick` (unless a later `--full`), or `OUTPOST_BENCH_QUICK` set to
    /// anything but `0`.
    pub quick: bool,
}

impl BenchArgs {
    /// This process's arguments; `base` is the command that runs the program without them.
    pub fn parse(base: &str) -> BenchArgs {
        BenchArgs::from_args(base, std::env::args().skip(1).collect())
    }

    /// `args` (without the program's name) of the command `base`.
    pub fn from_args(base: &str, args: Vec<String>) -> BenchArgs {
        let run = args.iter().any(|a| a == "--bench" || a == "--run");
        let mut quick = env_var("OUTPOST_BENCH_QUICK").is_some_and(|v| v != "0");
        for a in &args {
            match a.as_str() {
                "--quick" => quick = true,
                "--full" => quick = false,
                _ => {}
            }
        }
        BenchArgs {
            base: base.to_string(),
            args,
            run,
            quick,
        }
    }

    /// Whether the flag `name` (e.g. `--no-doc`) was given.
    pub fn flag(&self, name: &str) -> bool {
        self.args.iter().any(|a| a == name)
    }

    /// The value of `--name VALUE` or `--name=VALUE` (the last one given wins).
    pub fn value(&self, name: &str) -> Option<String> {
        let mut found = None;
        let mut it = self.args.iter();
        while let Some(a) = it.next() {
            if a == name {
                found = it.next().cloned();
            } else if let Some(v) = a.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
                found = Some(v.to_string());
            }
        }
        found
    }

    /// The value of `name` as a number; an error when it is given but is not one.
    pub fn number<T: FromStr>(&self, name: &str) -> Result<Option<T>> {
        let flag_given =
            self.flag(name) || self.args.iter().any(|a| a.starts_with(&format!("{name}=")));
        match self.value(name) {
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| anyhow!("{name} wants a number, not {v:?}")),
            None if flag_given => bail!("{name} needs a value"),
            None => Ok(None),
        }
    }

    /// The comma-separated items of `name`'s value (empty when it is not given).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.value(name)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Fails on an option that is neither one of `flags` nor one of `valued` (which take a
    /// value), nor `--bench`, `--run`, `--quick` or `--full`; `usage` goes into the message.
    pub fn expect_only(&self, flags: &[&str], valued: &[&str], usage: &str) -> Result<()> {
        let mut it = self.args.iter();
        while let Some(a) = it.next() {
            let name = a.split_once('=').map_or(a.as_str(), |(n, _)| n);
            if ["--bench", "--run", "--quick", "--full"].contains(&name) || flags.contains(&name) {
                continue;
            }
            if valued.contains(&name) {
                if !a.contains('=') {
                    it.next().with_context(|| format!("{name} needs a value"))?;
                }
                continue;
            }
            if name.starts_with('-') {
                bail!("unknown option {a:?}; usage: {usage}");
            }
        }
        Ok(())
    }

    /// The arguments as given, without `--bench` and `--run`.
    pub fn shown(&self) -> Vec<String> {
        self.args
            .iter()
            .filter(|a| *a != "--bench" && *a != "--run")
            .cloned()
            .collect()
    }

    /// The command line that ran this, for the reports: `base -- ARGS`.
    pub fn command(&self) -> String {
        let shown = self.shown();
        if shown.is_empty() {
            self.base.clone()
        } else {
            format!("{} -- {}", self.base, shown.join(" "))
        }
    }

    /// `--out PATH` (or `$OUTPOST_BENCH_OUT`), a relative path taken from the workspace root.
    pub fn out(&self) -> Option<PathBuf> {
        self.value("--out")
            .or_else(|| env_var("OUTPOST_BENCH_OUT"))
            .map(|p| crate::summary::workspace_root().join(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> BenchArgs {
        BenchArgs::from_args(
            "cargo bench --bench b",
            list.iter().map(|s| s.to_string()).collect(),
        )
    }

    #[test]
    fn values_flags_lists_and_the_command() {
        let a = args(&[
            "--bench",
            "--reps",
            "3",
            "--only=echo,replay",
            "--quick",
            "--no-doc",
        ]);
        assert!(a.run && a.quick && a.flag("--no-doc"));
        assert_eq!(a.number::<usize>("--reps").unwrap(), Some(3));
        assert_eq!(a.list("--only"), ["echo", "replay"]);
        assert_eq!(a.number::<u64>("--mib").unwrap(), None);
        assert_eq!(
            a.command(),
            "cargo bench --bench b -- --reps 3 --only=echo,replay --quick --no-doc"
        );
        assert!(a
            .expect_only(&["--no-doc"], &["--reps", "--only"], "u")
            .is_ok());
        assert!(a.expect_only(&[], &["--reps", "--only"], "u").is_err());
        assert!(args(&["--reps", "x"]).number::<usize>("--reps").is_err());
        assert!(args(&["--reps"]).number::<usize>("--reps").is_err());
        assert!(
            !args(&["--quick", "--full"]).quick || std::env::var("OUTPOST_BENCH_QUICK").is_ok()
        );
        assert!(!args(&[]).run);
    }
}
