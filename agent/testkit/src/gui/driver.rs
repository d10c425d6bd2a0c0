//! `WebKitWebDriver` (Debian's webkit2gtk-driver) on a free local port. It starts the app
//! itself for every WebDriver session, with its own environment, which is how each test gives
//! the app a private configuration.
//!
//! The port lies outside the kernel's ephemeral range: for each session the driver picks the
//! app's inspector port with `bind(0)` (`WEBKIT_INSPECTOR_SERVER=127.0.0.1:PORT`), so a driver
//! port drawn from the same pool by a test running in parallel could be the very port another
//! app is about to listen on — its inspector then answers this driver's WebDriver requests with
//! an empty reply. And "something accepts connections on the port" is not enough either: the
//! driver is ready when the driver process itself holds the listening socket.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The driver binary.
pub const WEBDRIVER: &str = "/usr/bin/WebKitWebDriver";

/// How long the driver may take to listen (a cold start on a busy machine is slow).
const LISTEN_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `WebKitWebDriver`.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts the driver from `make()` (the command with its environment set) on a free port
    /// outside the ephemeral range, output to `log`, and waits until the driver process listens
    /// on it. A port taken between choosing and binding makes the driver exit: then it tries
    /// another, up to five times.
    pub fn start(make: impl Fn() -> Command, log: &Path) -> Driver {
        assert!(
            Path::new(WEBDRIVER).is_file(),
            "{WEBDRIVER} is missing: install Debian's webkit2gtk-driver (.ci/install-deps does)"
        );
        for _ in 0..5 {
            let port = free_port();
            let out = std::fs::File::create(log).expect("driver log");
            let mut child = make()
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(out.try_clone().expect("log"))
                .stderr(out)
                .spawn()
                .expect("cannot start WebKitWebDriver");
            let deadline = Instant::now() + LISTEN_TIMEOUT;
            loop {
                if crate::procfs::listens_on(child.id(), port) {
                    return Driver { child, port };
                }
                if child.try_wait().ok().flatten().is_some() || Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
        }
        panic!(
            "WebKitWebDriver did not start: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
    }

    /// The driver's URL for a WebDriver client.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What the driver process is doing now, for a failure's message: its pid, its state
    /// (`Z`: it has exited) and whether it still listens on its port.
    pub fn describe(&self) -> String {
        let pid = self.child.id();
        let state = crate::procfs::stat(pid).map_or('-', |s| s.state);
        let listening = crate::procfs::listens_on(pid, self.port);
        format!(
            "WebKitWebDriver pid {pid}, state {state}, listening on {}: {listening}",
            self.port
        )
    }

    /// The driver's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the driver and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP port free on 127.0.0.1 right now, chosen at random outside the ephemeral range
/// (`ip_local_port_range`), where `bind(0)` and outgoing connections never take one.
fn free_port() -> u16 {
    let (low, high) = ephemeral_range();
    let outside: Vec<std::ops::RangeInclusive<u16>> = [
        (1024, low.saturating_sub(1)),
        (high.saturating_add(1), u16::MAX),
    ]
    .into_iter()
    .filter(|(a, b)| a < b)
    .map(|(a, b)| a..=b)
    .collect();
    for _ in 0..1000 {
        let Some(range) = fastrand::choice(&outside) else {
            break;
        };
        let port = fastrand::u16(range.clone());
        if TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).is_ok() {
            return port;
        }
    }
    panic!("no free port outside the ephemeral range {low}-{high}")
}

/// The kernel's ephemeral port range (`/proc/sys/net/ipv4/ip_local_port_range`; Linux's
/// default 32768–60999 when unreadable).
fn ephemeral_range() -> (u16, u16) {
    let text =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let mut it = text.split_whitespace().filter_map(|n| n.parse().ok());
    match (it.next(), it.next()) {
        (Some(low), Some(high)) if low <= high => (low, high),
        _ => (32768, 60999),
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_ports_are_free_and_never_ephemeral() {
        let (low, high) = ephemeral_range();
        assert!(low >= 1024 && low <= high, "{low}-{high}");
        for _ in 0..200 {
            let port = free_port();
            assert!(port >= 1024 && !(low..=high).contains(&port), "{port}");
        }
        // What bind(0) hands out (the app's inspector port) is in the range.
        let any = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        assert!((low..=high).contains(&any), "{any}");
    }

    #[test]
    fn a_started_driver_is_the_process_listening_on_its_port() {
        let dir = tempfile::tempdir().unwrap();
        let mut driver = Driver::start(|| Command::new(WEBDRIVER), &dir.path().join("log"));
        let port = driver.port;
        assert!(crate::procfs::listens_on(driver.pid(), port));
        assert!(!(ephemeral_range().0..=ephemeral_range().1).contains(&port));
        let described = driver.describe();
        assert!(
            described.contains(&format!("listening on {port}: true")),
            "{described}"
        );
        // A second driver never reuses a port the first one holds.
        let other = Driver::start(|| Command::new(WEBDRIVER), &dir.path().join("log2"));
        assert_ne!(other.port, port);
        driver.kill();
        assert!(
            driver.describe().contains(": false"),
            "{}",
            driver.describe()
        );
    }
}
