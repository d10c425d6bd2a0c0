//! HTTP for the forwards tests: a real server (`python3 -m http.server`) in the target's network
//! namespace, which the desktop cannot reach directly ([`serve_on_target`]), and `curl` on the
//! desktop's side as client and oracle ([`curl`]): what a forward or SOCKS proxy carried, or
//! `None` when the request failed.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::{wait_for, Running};
use crate::topology::Topology;
use crate::TestUser;

/// How long the target's server may take to answer its first request.
const SERVER_UP: Duration = Duration::from_secs(60);

/// Starts `python3 -m http.server PORT` on the target as `user`, serving `~/www` (write its
/// files first), and waits until the jump host's `curl` gets `www/PROBE`. Returns the server
/// (killed on drop) and its base URL, `http://TARGET:PORT/`. Panics when it does not come up.
pub fn serve_on_target(
    topo: &Topology,
    user: &TestUser,
    port: u16,
    probe: &str,
) -> (Running, String) {
    let ip = topo.target_addr().ip().to_string();
    let server = topo
        .target_exec(user, "python3")
        .args(["-m", "http.server", &port.to_string(), "--bind", &ip])
        .arg("--directory")
        .arg(user.home.join("www"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start python3 -m http.server on the target: {e}"));
    let server = Running(server);
    let base = format!("http://{ip}:{port}/");
    let url = format!("{base}{probe}");
    let up = wait_for(SERVER_UP, || {
        topo.jump_exec(user, "curl")
            .args(["-sf", "--max-time", "2", &url])
            .output()
            .is_ok_and(|o| o.status.success())
            .then_some(())
    });
    assert!(
        up.is_some(),
        "the target's HTTP server did not serve {url} within {SERVER_UP:?}"
    );
    (server, base)
}

/// `curl -sf --max-time 10 ARGS URL` run here: its output, or `None` when it failed (refused,
/// timed out, an HTTP error). Later `ARGS` override the defaults (e.g. `--max-time 2`, or
/// `--socks5-hostname HOST:PORT`). Panics when `curl` cannot be started at all.
pub fn curl(args: &[&str], url: &str) -> Option<String> {
    let out = Command::new("curl")
        .args(["-sf", "--max-time", "10"])
        .args(args)
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("cannot run curl: {e}"));
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
