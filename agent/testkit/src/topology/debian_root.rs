//! A real old Linux system for tests ([`DebianRoot`]): Debian 11 "bullseye" (glibc 2.31, OpenSSH
//! 8.4) installed by `debootstrap --variant=minbase --include=openssh-server` from Debian's
//! package mirror, built once and cached under the workspace's `target/old-host/`, keyed by
//! [`CACHE_KEY`] (change it when the package list or the set-up changes). A root being built
//! lives under a temporary name and is renamed into place when complete, under a lock, so
//! concurrent test processes build it once and never see half a system. [`super::old_host`] runs
//! its `sshd` on a private copy-on-write view of it; the cached tree itself is never changed.
//!
//! Building it takes a minute or two and needs the `debootstrap` package (.ci/install-deps) and
//! the mirror (`OUTPOST_DEBIAN_MIRROR`, default `http://deb.debian.org/debian`).

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{ensure, Context, Result};

use crate::process::run;

/// The Debian release: 11, glibc 2.31.
pub const SUITE: &str = "bullseye";

/// Packages installed on top of `minbase`: the system's own OpenSSH server (with its
/// `sftp-server`).
pub const PACKAGES: &[&str] = &["openssh-server"];

/// The cache's name under `target/old-host/`: the suite, the variant, the packages and a set-up
/// version.
pub const CACHE_KEY: &str = "bullseye-minbase-openssh-v1";

/// The `debootstrap` program.
const DEBOOTSTRAP: &str = "/usr/sbin/debootstrap";

/// Environment variable naming the Debian mirror.
pub const MIRROR_ENV: &str = "OUTPOST_DEBIAN_MIRROR";

/// The cached root of a Debian 11 system; see the [module documentation](self).
#[derive(Clone, Debug)]
pub struct DebianRoot {
    path: PathBuf,
    /// How long `debootstrap` took in this process; `None` when the cache was used.
    built_in: Option<std::time::Duration>,
}

impl DebianRoot {
    /// The Debian 11 root, built now when it is not cached yet (needs root).
    pub fn bullseye() -> Result<DebianRoot> {
        crate::ensure_root()?;
        let cache = cache_dir();
        std::fs::create_dir_all(&cache)
            .with_context(|| format!("cannot create {}", cache.display()))?;
        let cache = cache.canonicalize().unwrap_or(cache);
        let path = cache.join(CACHE_KEY);
        let _lock = CacheLock::acquire(&cache.join(".lock"))?;
        if path.join("usr/sbin/sshd").is_file() {
            return Ok(DebianRoot {
                path,
                built_in: None,
            });
        }
        ensure!(
            Path::new(DEBOOTSTRAP).is_file(),
            "{DEBOOTSTRAP} is missing: apt-get install -y debootstrap (.ci/install-deps does)"
        );
        let partial = cache.join(format!("{CACHE_KEY}.partial"));
        if partial.exists() {
            std::fs::remove_dir_all(&partial)
                .with_context(|| format!("cannot remove {}", partial.display()))?;
        }
        let mirror = std::env::var(MIRROR_ENV)
            .ok()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "http://deb.debian.org/debian".into());
        crate::note(&format!(
            "building a Debian {SUITE} root with debootstrap into {} (cached; once per {CACHE_KEY})",
            path.display()
        ));
        let started = Instant::now();
        run(Command::new(DEBOOTSTRAP)
            .arg("--variant=minbase")
            .arg(format!("--include={}", PACKAGES.join(",")))
            .arg(SUITE)
            .arg(&partial)
            .arg(&mirror))
        .context("debootstrap failed")?;
        ensure!(
            partial.join("usr/sbin/sshd").is_file(),
            "debootstrap finished but {} has no usr/sbin/sshd",
            partial.display()
        );
        std::fs::rename(&partial, &path)
            .with_context(|| format!("cannot rename {} into place", partial.display()))?;
        let took = started.elapsed();
        crate::note(&format!(
            "debootstrap {SUITE} took {:.1} s",
            took.as_secs_f64()
        ));
        Ok(DebianRoot {
            path,
            built_in: Some(took),
        })
    }

    /// The root directory (read-only by convention: tests work on an overlay of it).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How long `debootstrap` took when this process built the root; `None` when it was cached.
    pub fn built_in(&self) -> Option<std::time::Duration> {
        self.built_in
    }

    /// The system's C library as it reports itself: `getconf GNU_LIBC_VERSION` run inside the
    /// root, e.g. `"glibc 2.31"`.
    pub fn libc_version(&self) -> Result<String> {
        Ok(run(Command::new("chroot")
            .arg(&self.path)
            .args(["getconf", "GNU_LIBC_VERSION"]))?
        .trim()
        .to_owned())
    }
}

/// `target/old-host/` of the workspace (or of `CARGO_TARGET_DIR`).
fn cache_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("old-host")
}

/// An exclusive `flock` on the cache's lock file, released on drop.
struct CacheLock {
    _file: File,
}

impl CacheLock {
    fn acquire(path: &Path) -> Result<CacheLock> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        loop {
            // SAFETY: flock on a descriptor we own.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(CacheLock { _file: file });
            }
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(err).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
    }
}
