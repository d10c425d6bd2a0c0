//! Finding the agent binary to run locally or to deploy to a host's platform.
//!
//! `$OUTPOST_AGENT_BIN` names the binary for this machine's platform. Otherwise binaries are
//! looked up beside the desktop's own executable: `outpost-agent-<os>-<arch>` (e.g.
//! `outpost-agent-linux-x86_64`, `outpost-agent-linux-aarch64`) for any platform, and plain
//! `outpost-agent` for this machine's.
//!
//! The `outpost-agent-linux-<arch>` files are the portable builds, linked against glibc 2.17 so
//! that they run on old jump hosts too: `.ci/agent-portable` builds them (`make run` does, for
//! x86_64), see docs/portable-agent.md. Plain `outpost-agent` is the ordinary cargo build, linked
//! against this machine's glibc: a fallback that older hosts may refuse ("version `GLIBC_2.34'
//! not found").
//!
//! [`sha256_file`] gives a binary's SHA-256 (what deployment compares with the host's copy),
//! remembered for the life of the process by path, size, modification time and inode, so a
//! window that reconnects hashes each binary once.

use std::collections::HashMap;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// `uname -s` spellings of the systems known, and their normalised names.
const SYSTEMS: [(&str, &str); 3] = [
    ("Linux", "linux"),
    ("Darwin", "darwin"),
    ("FreeBSD", "freebsd"),
];

/// `uname -m` spellings of the architectures known, and their normalised names.
const ARCHITECTURES: [(&str, &str); 9] = [
    ("x86_64", "x86_64"),
    ("amd64", "x86_64"),
    ("aarch64", "aarch64"),
    ("arm64", "aarch64"),
    ("armv7l", "armv7l"),
    ("i686", "i686"),
    ("riscv64", "riscv64"),
    ("ppc64le", "ppc64le"),
    ("s390x", "s390x"),
];

/// A platform, as `uname -s` and `uname -m` name it, normalised (`linux`, `x86_64`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    /// Operating system, lower case.
    pub os: String,
    /// CPU architecture.
    pub arch: String,
}

impl Platform {
    /// This machine's platform.
    pub fn current() -> Platform {
        Platform {
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
        }
    }

    /// Parses `uname -s` and `uname -m` output (`Linux x86_64`) through an allow-list: a host
    /// names which local file is read, so only known systems and architectures get a
    /// [`Platform`]; anything else (`x86_64;rm -rf`, `../x`) is `None`.
    pub fn from_uname(text: &str) -> Option<Platform> {
        let mut f = text.split_whitespace();
        let lookup = |table: &[(&str, &'static str)], word: &str| {
            table.iter().find(|(k, _)| *k == word).map(|(_, v)| *v)
        };
        let os = lookup(&SYSTEMS, f.next()?)?;
        let arch = lookup(&ARCHITECTURES, f.next()?)?;
        if f.next().is_some() {
            return None;
        }
        Some(Platform {
            os: os.into(),
            arch: arch.into(),
        })
    }

    /// Every `uname -sm` line that [`Platform::from_uname`] reads as this platform (`Linux
    /// x86_64`, `Linux amd64`); only letters, digits and `_` in each word.
    pub fn uname_lines(&self) -> Vec<String> {
        let names = |table: &[(&'static str, &str)], normal: &str| -> Vec<&'static str> {
            table
                .iter()
                .filter(|(_, v)| *v == normal)
                .map(|(k, _)| *k)
                .collect()
        };
        let mut out = Vec::new();
        for os in names(&SYSTEMS, &self.os) {
            for arch in names(&ARCHITECTURES, &self.arch) {
                out.push(format!("{os} {arch}"));
            }
        }
        out
    }
}

/// What is remembered of a hashed file: (size, modification time in ns, inode) → digest.
type DigestCache = HashMap<PathBuf, ((u64, i128, u64), String)>;

/// The SHA-256 of the file at `path` in lower-case hex, read in pieces; remembered for this
/// process while its size, modification time and inode stay the same.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    static CACHE: Mutex<Option<DigestCache>> = Mutex::new(None);
    let stamp = |m: &std::fs::Metadata| {
        (
            m.len(),
            i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
            m.ino(),
        )
    };
    let mut file = std::fs::File::open(path)?;
    let before = stamp(&file.metadata()?);
    if let Ok(cache) = CACHE.lock() {
        if let Some((s, digest)) = cache.as_ref().and_then(|c| c.get(path)) {
            if *s == before {
                return Ok(digest.clone());
            }
        }
    }
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let digest: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // Remembered only when the file did not change while it was read.
    if stamp(&std::fs::metadata(path)?) == before {
        if let Ok(mut cache) = CACHE.lock() {
            cache
                .get_or_insert_with(HashMap::new)
                .insert(path.to_path_buf(), (before, digest.clone()));
        }
    }
    Ok(digest)
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.os, self.arch)
    }
}

/// No agent binary for a platform.
#[derive(Debug, thiserror::Error)]
#[error("no outpost-agent binary for {platform}: looked for {}. Put {file_name}, an agent built for that platform, beside the outpost executable (to build one: docs/portable-agent.md)", .looked.join(", "))]
pub struct NoAgentBinary {
    /// The platform.
    pub platform: String,
    /// The file that would serve it, beside the executable (`outpost-agent-<os>-<arch>`).
    pub file_name: String,
    /// Every path it looked at, in order.
    pub looked: Vec<String>,
}

/// The agent binary for `platform`.
pub fn find(platform: &Platform) -> Result<PathBuf, NoAgentBinary> {
    let native = *platform == Platform::current();
    let mut candidates = Vec::new();
    if native {
        if let Some(p) = std::env::var_os("OUTPOST_AGENT_BIN").filter(|p| !p.is_empty()) {
            candidates.push(PathBuf::from(p));
        }
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(PathBuf::from))
    {
        candidates.push(dir.join(platform_file_name(platform)));
        if native {
            candidates.push(dir.join("outpost-agent"));
        }
    }
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| NoAgentBinary {
            platform: platform.to_string(),
            file_name: platform_file_name(platform),
            looked: candidates.iter().map(|p| p.display().to_string()).collect(),
        })
}

/// The file name of the agent binary for `platform` beside the desktop's executable.
pub fn platform_file_name(platform: &Platform) -> String {
    format!("outpost-agent-{platform}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uname() {
        let p = Platform::from_uname("Linux x86_64\n").unwrap();
        assert_eq!(p.to_string(), "linux-x86_64");
        assert_eq!(
            Platform::from_uname("Darwin arm64").unwrap().to_string(),
            "darwin-aarch64"
        );
        assert!(Platform::from_uname("").is_none());
        for bad in [
            "Linux x86_64;rm -rf",
            "Linux x86_64; rm",
            "Linux ../../x",
            "Plan9 x86_64",
        ] {
            assert!(Platform::from_uname(bad).is_none(), "{bad:?}");
        }
        // Every spelling of a platform reads back as that platform.
        let x86 = Platform::from_uname("Linux x86_64").unwrap();
        assert_eq!(x86.uname_lines(), ["Linux x86_64", "Linux amd64"]);
        for line in x86.uname_lines() {
            assert_eq!(Platform::from_uname(&line).as_ref(), Some(&x86));
        }
    }

    #[test]
    fn digests_are_remembered_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("agent");
        std::fs::write(&f, b"abc").unwrap();
        // printf abc | sha256sum
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_file(&f).unwrap(), abc);
        assert_eq!(sha256_file(&f).unwrap(), abc);
        // A new file in its place (another inode, size and time) is hashed again.
        let g = dir.path().join("new");
        std::fs::write(&g, b"abcd").unwrap();
        std::fs::rename(&g, &f).unwrap();
        assert_ne!(sha256_file(&f).unwrap(), abc);
    }

    #[test]
    fn another_architecture_is_looked_up_beside_the_executable_by_its_own_name_only() {
        let other = if std::env::consts::ARCH == "aarch64" {
            "x86_64"
        } else {
            "aarch64"
        };
        let platform = Platform::from_uname(&format!("Linux {other}")).unwrap();
        let dir = std::env::current_exe()
            .unwrap()
            .parent()
            .unwrap()
            .to_owned();
        let name = format!("outpost-agent-linux-{other}");
        // Neither OUTPOST_AGENT_BIN nor plain `outpost-agent` (this machine's) may serve it.
        let e = find(&platform).unwrap_err();
        assert_eq!(e.platform, format!("linux-{other}"));
        assert_eq!(e.file_name, name);
        assert_eq!(e.looked, vec![dir.join(&name).display().to_string()]);
        let message = e.to_string();
        assert!(message.contains(&e.looked[0]), "{message}");
        assert!(message.contains("docs/portable-agent.md"), "{message}");
    }
}
