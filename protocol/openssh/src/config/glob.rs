//! The files an `Include` argument names, as OpenSSH finds them with glob(3).
//!
//! `~` alone is the home directory and `~/` starts below it; other relative paths are below
//! `~/.ssh`; `~user` paths are not followed (another user's home is not ours to read). `*` and
//! `?` match within any path component (a leading `.` only when written), a path without
//! wildcards names a file only when it exists, and the matches come sorted byte-wise by path, as
//! glob(3) sorts them for `ssh`. Character classes (`[...]`) are not supported.

use std::path::{Path, PathBuf};

use crate::pattern::wildcard_match;

/// The existing paths an `Include` argument names, sorted; see the [module documentation](self).
pub fn expand_include(pattern: &str, home: &Path, ssh_dir: &Path) -> Vec<PathBuf> {
    let path = if pattern == "~" {
        home.to_path_buf()
    } else if let Some(rest) = pattern.strip_prefix("~/") {
        home.join(rest)
    } else if pattern.starts_with('~') {
        return Vec::new();
    } else {
        // An absolute path replaces the base.
        ssh_dir.join(pattern)
    };
    let mut found = glob(&path);
    found.sort_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    found
}

/// The existing paths matching `path`, whose components may hold `*` and `?`.
fn glob(path: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::new()];
    for part in path.components() {
        let name = part.as_os_str().to_string_lossy();
        if !name.contains(['*', '?']) {
            for p in &mut found {
                p.push(part);
            }
            continue;
        }
        let mut next = Vec::new();
        for dir in &found {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let entry_name = entry.file_name();
                if file_match(&name, &entry_name.to_string_lossy()) {
                    next.push(dir.join(entry_name));
                }
            }
        }
        found = next;
        if found.is_empty() {
            break;
        }
    }
    found.retain(|p| std::fs::symlink_metadata(p).is_ok());
    found
}

/// Whether file `name` matches `pattern`; as in glob(3), a leading `.` must be written.
fn file_match(pattern: &str, name: &str) -> bool {
    (pattern.starts_with('.') || !name.starts_with('.')) && wildcard_match(pattern, name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn hidden_files_only_when_written() {
        assert!(!file_match("*", ".hidden"));
        assert!(file_match(".*", ".hidden"));
        assert!(file_match("*.conf", "a.conf"));
    }

    #[test]
    fn relative_home_absolute_and_wildcard_directories() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path();
        let ssh = home.join(".ssh");
        for f in [
            ".ssh/c.d/b",
            ".ssh/c.d/a",
            ".ssh/c.d/.h",
            "x/p1/cfg",
            "x/p2/cfg",
        ] {
            let p = home.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        let names = |pattern: &str| -> Vec<String> {
            expand_include(pattern, home, &ssh)
                .iter()
                .map(|p| p.strip_prefix(home).unwrap().display().to_string())
                .collect()
        };
        assert_eq!(names("c.d/*"), [".ssh/c.d/a", ".ssh/c.d/b"]);
        assert_eq!(names("~/x/p*/cfg"), ["x/p1/cfg", "x/p2/cfg"]);
        let abs = format!("{}/x/p?/cfg", home.display());
        assert_eq!(names(&abs), ["x/p1/cfg", "x/p2/cfg"]);
        assert_eq!(names("c.d/a"), [".ssh/c.d/a"]);
        assert!(names("c.d/missing").is_empty());
        assert!(names("nothing/*").is_empty());
        assert!(names("~root/.ssh/config").is_empty());
        assert_eq!(names("~"), [""]);
    }
}
