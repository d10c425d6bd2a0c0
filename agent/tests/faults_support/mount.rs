//! A small `tmpfs` mounted by a test (it runs as root) so the state directory can be filled up or
//! made read-only, unmounted again (with anything laid over it) when the guard is dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted `tmpfs`; unmounted on drop (lazily if something still holds it open).
pub struct Tmpfs {
    path: PathBuf,
    /// Read-only bind mounts laid over it (see [`Tmpfs::cover_read_only`]).
    covers: std::sync::Mutex<u32>,
}

fn run(args: &[&str]) -> Result<(), String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Tmpfs {
    /// Creates `path` (mode 0700) and mounts a `tmpfs` of `size_kib` KiB on it, mode 0700, owned
    /// by the current user.
    pub fn mount(path: &Path, size_kib: u64) -> Tmpfs {
        outpost_testkit::require_root();
        std::fs::DirBuilder::new()
            .recursive(true)
            .create(path)
            .expect("creating the mount point");
        let opts = format!("size={size_kib}k,mode=0700");
        let p = path.to_str().expect("a UTF-8 mount point");
        if let Err(e) = run(&["mount", "-t", "tmpfs", "-o", &opts, "tmpfs", p]) {
            panic!("mounting a tmpfs for the test: {e}");
        }
        Tmpfs {
            path: path.to_path_buf(),
            covers: std::sync::Mutex::new(0),
        }
    }

    /// Lays a read-only bind mount of the directory over itself: every path lookup from now on
    /// finds a read-only file system (`EROFS` for any new file or write-open), while files
    /// already open stay writable. (The `tmpfs` itself cannot be remounted read-only while
    /// running daemons hold their logs open for writing: the kernel answers "busy".)
    pub fn cover_read_only(&self) {
        let p = self.path.to_str().expect("a UTF-8 mount point");
        if let Err(e) = run(&["mount", "--bind", p, p]) {
            panic!("bind-mounting the test's tmpfs: {e}");
        }
        if let Err(e) = run(&["mount", "-o", "remount,bind,ro", p]) {
            let _ = run(&["umount", p]);
            panic!("making the bind mount read-only: {e}");
        }
        *self.covers.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    }

    /// Removes the read-only cover: the directory is writable again.
    pub fn uncover(&self) {
        let p = self.path.to_str().expect("a UTF-8 mount point");
        if let Err(e) = run(&["umount", p]) {
            panic!("removing the read-only cover: {e}");
        }
        *self.covers.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let Some(p) = self.path.to_str() else {
            return;
        };
        let covers = *self.covers.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..covers {
            let _ = run(&["umount", p]);
        }
        if run(&["umount", p]).is_err() {
            // A daemon that outlived the test still holds its log open: detach the mount now,
            // the kernel frees it when the last file closes.
            if let Err(e) = run(&["umount", "-l", p]) {
                outpost_testkit::note(&format!("cannot unmount {p}: {e}"));
            }
        }
    }
}
