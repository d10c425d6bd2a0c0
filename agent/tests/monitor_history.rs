//! Monitoring history outlives the agent: the window's agent exits with the window, and the
//! agent started when the app is opened again answers `monitor.subscribe` with the samples the
//! earlier one took (read back from the state directory), oldest first, then goes on sampling.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use outpost_testkit::fixture::monitor::traffic::Spinner;
use outpost_testkit::fixture::monitor::{at, subscribe, wait_n_samples};
use outpost_testkit::fixture::{Home, DEADLINE};
use serde_json::{json, Value};

const SAMPLE_DEADLINE: Duration = Duration::from_secs(20);

#[test]
fn a_new_agent_starts_with_the_history_of_the_last() {
    let home = Home::new();
    let first = home.agent_initialized();
    let (sub, _) = subscribe(&first, json!("agent"), 500);
    let seen = wait_n_samples(&first, &sub, 4, SAMPLE_DEADLINE);
    // The window closes: its agent sees end of input and exits.
    first.close_stdin();
    assert!(first.wait_exit_status(DEADLINE).success());
    drop(first);

    let spin = Spinner::start();
    let second = home.agent_initialized();
    let (sub, history) = subscribe(&second, json!("agent"), 500);
    let hats: Vec<u64> = history.iter().map(at).collect();
    for s in &seen {
        assert!(
            history.contains(s),
            "sample at {} from the earlier agent is missing from the history {hats:?}",
            at(s)
        );
    }
    assert!(
        hats.windows(2).all(|w| w[0] < w[1]),
        "not oldest first: {hats:?}"
    );
    // New samples follow the old ones.
    let last_old = *hats.last().unwrap();
    let new = wait_n_samples(&second, &sub, 1, SAMPLE_DEADLINE);
    assert!(at(&new[0]) > last_old);
    drop(spin);
    // The first sample after the restart has real per-core figures that agree with the
    // headline, not zeros beside the average since boot; a core spun meanwhile.
    let cpu = &new[0]["cpu"];
    let cores: Vec<f64> = cpu["per_core"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    let percent = cpu["percent"].as_f64().unwrap();
    let mean = cores.iter().sum::<f64>() / cores.len().max(1) as f64;
    assert!(
        !cores.is_empty() && cores.iter().any(|c| *c > 0.0) && (mean - percent).abs() <= 25.0,
        "the first sample after a restart: cpu {percent}, per core {cores:?}"
    );
    assert!(
        new[0]["top"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["cpu_percent"].as_f64().unwrap_or(0.0) > 0.0),
        "no process with CPU time in the first sample after a restart: {}",
        new[0]["top"]
    );

    // Another interval has no history of its own yet.
    let (_, other) = subscribe(&second, json!("agent"), 1000);
    assert!(other.is_empty(), "{} samples", other.len());
    second.assert_no_violations();
}
