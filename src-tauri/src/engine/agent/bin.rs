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

use std::path::PathBuf;

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
        let os = match f.next()? {
            "Linux" => "linux",
            "Darwin" => "darwin",
            "FreeBSD" => "freebsd",
            _ => return None,
        };
        let arch = match f.next()? {
            "x86_64" | "amd64" => "x86_64",
            "aarch64" | "arm64" => "aarch64",
            "armv7l" => "armv7l",
            "i686" => "i686",
            "riscv64" => "riscv64",
            "ppc64le" => "ppc64le",
            "s390x" => "s390x",
            _ => return None,
        };
        if f.next().is_some() {
            return None;
        }
        Some(Platform {
            os: os.into(),
            arch: arch.into(),
        })
    }
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
