//! A child's standard output and error, collected in the background while the test watches them
//! grow ([`Collected`]); the CLI's link-cut tests read `outpost attach` this way.

use std::io::Read;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Collects a child's stdout and stderr in the background.
pub struct Collected {
    /// Everything read from stdout so far.
    pub stdout: Arc<Mutex<Vec<u8>>>,
    /// Everything read from stderr so far.
    pub stderr: Arc<Mutex<Vec<u8>>>,
    threads: Vec<JoinHandle<()>>,
}

/// Reads `r` to its end into `into` on a thread of its own.
fn pump(mut r: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => into.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        }
    })
}

impl Collected {
    /// Starts reading `child`'s piped stdout and stderr.
    pub fn start(child: &mut Child) -> Collected {
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let threads = vec![
            pump(child.stdout.take().expect("piped stdout"), stdout.clone()),
            pump(child.stderr.take().expect("piped stderr"), stderr.clone()),
        ];
        Collected {
            stdout,
            stderr,
            threads,
        }
    }

    /// stdout so far, as text.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    /// stderr so far, as text.
    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Waits for both streams to end (the child exited): (stdout, stderr) as text.
    pub fn join(mut self) -> (String, String) {
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        (self.out(), self.err())
    }
}
