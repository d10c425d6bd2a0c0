//! Private atomic writes: a file only its owner can read, replaced whole or not at all.
//!
//! [`write_private`] writes a 0600 temporary file beside the target (named after it, the process
//! and a counter, so threads and processes never share one), syncs it, renames it over the
//! target and syncs the directory. On failure the temporary file is removed and the target is
//! untouched. [`Parent`] says whether the directory is created (0700) or must already exist
//! (callers that check their directories' owner and mode themselves).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What to do about the directory of the file written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parent {
    /// It must exist already (the caller created and checked it).
    Existing,
    /// Create it and its missing parents with mode 0700.
    Create,
}

/// Why a private file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The directory could not be created.
    #[error("cannot create {}: {source}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file could not be written (nothing was replaced).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Distinguishes temporary files of one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` with `data` atomically, as a file of mode 0600; see the
/// [module documentation](self).
pub fn write_private(path: &Path, data: &[u8], parent: Parent) -> Result<(), WriteError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if parent == Parent::Create {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| WriteError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(source) = result {
        let _ = fs::remove_file(&tmp);
        return Err(WriteError::Write {
            path: path.to_path_buf(),
            source,
        });
    }
    // The rename is durable once the directory is synced; a file system that cannot sync a
    // directory has already made it as durable as it can.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn replaces_whole_and_private() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("x.json");
        write_private(&f, b"{}", Parent::Existing).unwrap();
        write_private(&f, b"{\"a\":1}", Parent::Existing).unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"{\"a\":1}");
        assert_eq!(mode(&f), 0o600);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 1);
    }

    #[test]
    fn creates_the_directory_only_when_asked() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("a/b/x");
        let e = write_private(&f, b"1", Parent::Existing).unwrap_err();
        assert!(matches!(e, WriteError::Write { .. }), "{e}");
        write_private(&f, b"1", Parent::Create).unwrap();
        assert_eq!(mode(&t.path().join("a/b")), 0o700);
        assert_eq!(mode(&f), 0o600);
    }

    #[test]
    fn a_failed_write_leaves_the_target_alone() {
        let t = tempfile::tempdir().unwrap();
        // A directory cannot be replaced by a file.
        let target = t.path().join("d");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), b"").unwrap();
        let e = write_private(&target, b"x", Parent::Existing).unwrap_err();
        assert!(e.to_string().contains("cannot write"), "{e}");
        assert!(target.join("keep").exists());
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 1);
    }
}
