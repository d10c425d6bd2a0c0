//! `WebKitWebDriver` (Debian's webkit2gtk-driver) on a free local port. It starts the app
//! itself for every WebDriver session, with its own environment, which is how each test gives
//! the app a private configuration.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
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
    /// Starts the driver from `make()` (the command with its environment set) on a free port,
    /// output to `log`, and waits until it accepts connections. A port taken between choosing
    /// and binding makes the driver exit: then it tries another, three times.
    pub fn start(make: impl Fn() -> Command, log: &Path) -> Driver {
        assert!(
            Path::new(WEBDRIVER).is_file(),
            "{WEBDRIVER} is missing: install Debian's webkit2gtk-driver (.ci/install-deps does)"
        );
        for _ in 0..3 {
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
                if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
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

/// A TCP port free on 127.0.0.1 right now.
fn free_port() -> u16 {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.kill();
    }
}
