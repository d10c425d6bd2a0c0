//! The MCP measure (issue 18): `session_exec` of `true` on the local host, end to end through
//! the official MCP Python SDK (`mcp` on PyPI) driving `outpost mcp` over stdio: from the
//! client's `call_tool` to its answer, p50 and p99 (target p50 < 30 ms). The client is the
//! tests' driver, `src-tauri/tests/mcp/client.py` (scenario `bench_fresh`), so the bench and
//! the tests speak to the server the same way.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{ensure, Context, Result};
use outpost_testkit::bench::doc::verdict;
use outpost_testkit::bench::stats::{percentile, spread};
use outpost_testkit::summary::{Measure, Stats};

use crate::{Setup, OUTPOST};

/// The target of the p50, ms.
const TARGET_P50_MS: f64 = 30.0;

/// `n` timed calls (after warm-ups) in a fresh server and session; the times in ms.
pub fn runs(s: &Setup, n: usize) -> Result<Vec<f64>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py");
    let home = s.dir.path().join("mcp");
    std::fs::create_dir_all(&home)?;
    let out = Command::new(outpost_testkit::venv::tool("python"))
        .arg(&script)
        .arg("bench_fresh")
        .arg(n.to_string())
        .env("OUTPOST_BIN", OUTPOST)
        .env("OUTPOST_MCP_ARGS", "[]")
        .env("OUTPOST_HOME", home.join("agent"))
        .env("OUTPOST_CONFIG_DIR", home.join("config"))
        .env("OUTPOST_AGENT_BIN", &s.agent)
        .env("HOME", &home)
        .env("SHELL", "/bin/bash")
        .env_remove("OUTPOST_LOG")
        .stdin(Stdio::null())
        .output()
        .context("running the MCP client")?;
    ensure!(
        out.status.success(),
        "the MCP client failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let facts: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .context("the MCP client's facts")?;
    let times: Vec<f64> = facts["times_ms"]
        .as_array()
        .context("no times in the MCP client's facts")?
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    ensure!(times.len() == n, "{} of {n} times", times.len());
    Ok(times)
}

/// The generated lines.
pub fn render(times: &[f64]) -> String {
    let (p50, p99) = (percentile(times, 50.0), percentile(times, 99.0));
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n| MCP (issue 18) | ms | spread | target | result |\n|---|---:|---:|---|---|"
    );
    let _ = writeln!(
        s,
        "| `session_exec` of `true` through the official Python MCP client, end to end, p50 | {p50:.1} | {} | < {TARGET_P50_MS:.0} ms | {} |",
        spread(times, 1),
        verdict(p50 < TARGET_P50_MS)
    );
    let _ = writeln!(
        s,
        "| the same, p99 (N = {}) | {p99:.1} | — | — | — |",
        times.len()
    );
    s
}

/// The results file's measure.
pub fn measures(times: &[f64]) -> Vec<Measure> {
    let p50 = percentile(times, 50.0);
    vec![Measure::new(
        "MCP `session_exec` of `true` through the Python client",
        "ms",
        Stats::of(times),
    )
    .goal("p50 < 30 ms", p50 < TARGET_P50_MS)]
}
