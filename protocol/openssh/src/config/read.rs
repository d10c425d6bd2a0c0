//! Reading a configuration file and everything it includes into a [`Config`], within bounds.
//!
//! Each file is read whole (opened non-blocking, so a FIFO in the way cannot hang the reader) and
//! split into lines ([`super::line`]); an `Include` line holds the files it names, read in place
//! ([`super::glob`]). A missing file is empty, as is an included directory. Every bound of
//! [`Limits`] is an error, never a silently shorter configuration; a [`Reader::lenient`] reader
//! instead skips a file it cannot read or that passes a bound, keeps the rest and records why in
//! [`Config::skipped`].

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::glob::expand_include;
use super::line::{split_args, split_keyword, unterminated_quote};

/// How much a [`Reader`] reads at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest file, in bytes.
    pub file_bytes: u64,
    /// The most bytes over the configuration and everything it includes.
    pub total_bytes: u64,
    /// The most files read (each time a file is read counts).
    pub files: usize,
    /// The most nested `Include` levels below the configuration.
    pub depth: usize,
    /// The most lines kept (blank and comment lines do not count).
    pub lines: usize,
}

/// The largest configuration file read: 1 MiB.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// The most bytes read over a configuration and everything it includes: 4 MiB.
pub const MAX_TOTAL_BYTES: u64 = 4 * 1024 * 1024;
/// The most files read for one configuration.
pub const MAX_FILES: usize = 256;
/// The most nested `Include` levels, as in OpenSSH (`READCONF_MAX_DEPTH`).
pub const MAX_DEPTH: usize = 16;
/// The most lines kept for one configuration.
pub const MAX_LINES: usize = 100_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_bytes: MAX_FILE_BYTES,
            total_bytes: MAX_TOTAL_BYTES,
            files: MAX_FILES,
            depth: MAX_DEPTH,
            lines: MAX_LINES,
        }
    }
}

/// Why a configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file exists but cannot be read.
    #[error("cannot read the ssh configuration {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is larger than [`Limits::file_bytes`].
    #[error("the ssh configuration {} is larger than {limit} bytes", path.display())]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// The bound.
        limit: u64,
    },
    /// The files together are larger than [`Limits::total_bytes`].
    #[error("the ssh configuration and its includes are larger than {limit} bytes (at {})", path.display())]
    TotalTooLarge {
        /// The file being read when the bound was passed.
        path: PathBuf,
        /// The bound.
        limit: u64,
    },
    /// More than [`Limits::files`] files would be read.
    #[error("the ssh configuration includes more than {limit} files (at {})", path.display())]
    TooManyFiles {
        /// The file that would have been one too many.
        path: PathBuf,
        /// The bound.
        limit: usize,
    },
    /// Includes nest deeper than [`Limits::depth`] (often a file that includes itself).
    #[error("the ssh configuration nests Include more than {limit} levels deep (at {})", path.display())]
    TooDeep {
        /// The file that would have been read one level too deep.
        path: PathBuf,
        /// The bound.
        limit: usize,
    },
    /// More than [`Limits::lines`] lines.
    #[error("the ssh configuration and its includes have more than {limit} lines (at {})", path.display())]
    TooManyLines {
        /// The file holding the line that was one too many.
        path: PathBuf,
        /// The bound.
        limit: usize,
    },
}

impl ConfigError {
    /// Whether a bound of [`Limits`] was passed (rather than a file being unreadable).
    pub fn is_limit(&self) -> bool {
        !matches!(self, ConfigError::Read { .. })
    }
}

/// A configuration: the file read and, in it, every file it includes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// The file read first.
    pub root: ConfigFile,
    /// What a [`Reader::lenient`] reader skipped, in the order met.
    pub skipped: Vec<ConfigSkip>,
    /// Lines read with something wrong in them (kept as far as they make sense).
    pub warnings: Vec<ConfigWarning>,
}

/// A line with something wrong in it: where, and what.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConfigWarning {
    /// The file.
    pub path: PathBuf,
    /// The line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} line {}: {}",
            self.path.display(),
            self.line,
            self.message
        )
    }
}

/// The keywords whose value is the rest of the line as written, as OpenSSH keeps it.
const RAW_KEYWORDS: [&str; 4] = [
    "proxycommand",
    "localcommand",
    "remotecommand",
    "knownhostscommand",
];

/// A file a lenient reader skipped, and why (the error's text; the path is in it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigSkip {
    /// The file.
    pub path: PathBuf,
    /// Why it was skipped.
    pub reason: String,
}

/// One file's lines that hold something, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigFile {
    /// Where it was read from (for text parsed directly, the path given for it).
    pub path: PathBuf,
    /// Its lines.
    pub lines: Vec<Line>,
}

/// One line of a configuration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// `Host` and its patterns: starts a block.
    Host(Vec<String>),
    /// `Match` and its criteria: starts a block.
    Match {
        /// The criteria, as split.
        criteria: Vec<String>,
        /// The line number, from 1.
        number: usize,
    },
    /// `Include`: the files its arguments name, each read in place, in order.
    Include(Vec<ConfigFile>),
    /// Any other keyword (lower-cased) and its arguments.
    Option {
        /// The keyword, lower-cased.
        keyword: String,
        /// Its arguments; for `ProxyCommand` and the other command keywords, one: the rest of
        /// the line as written.
        args: Vec<String>,
        /// The line number, from 1.
        number: usize,
    },
}

/// Reads configurations for one user; see the [module documentation](self).
#[derive(Clone, Debug)]
pub struct Reader {
    home: PathBuf,
    ssh_dir: PathBuf,
    limits: Limits,
    lenient: bool,
}

/// What one read has used so far.
#[derive(Default)]
struct Budget {
    bytes: u64,
    files: usize,
    lines: usize,
    skipped: Vec<ConfigSkip>,
    warnings: Vec<ConfigWarning>,
}

impl Reader {
    /// A reader for the user whose home is `home`: relative `Include` paths are under
    /// `home/.ssh`, `~/` is `home`. Default [`Limits`], strict.
    pub fn new(home: &Path) -> Self {
        Reader {
            home: home.to_path_buf(),
            ssh_dir: home.join(".ssh"),
            limits: Limits::default(),
            lenient: false,
        }
    }

    /// The same reader with other bounds.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The same reader, skipping (and recording in [`Config::skipped`]) a file it cannot read or
    /// that passes a bound, instead of failing.
    pub fn lenient(mut self) -> Self {
        self.lenient = true;
        self
    }

    /// Reads `path` and what it includes. A missing file is an empty configuration.
    pub fn read(&self, path: &Path) -> Result<Config, ConfigError> {
        let mut budget = Budget::default();
        let root = self.read_file(path, 0, false, &mut budget);
        self.finish(path, root.map(Option::unwrap_or_default), budget)
    }

    /// Parses `text` as if read from `path`; its `Include` lines are read from disk.
    pub fn parse(&self, text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut budget = Budget {
            bytes: text.len() as u64,
            files: 1,
            ..Budget::default()
        };
        let root = self.parse_file(text, path, 0, &mut budget);
        self.finish(path, root, budget)
    }

    /// The configuration whose first file `path` gave `root`; when lenient, a failure there is
    /// recorded and the configuration is empty.
    fn finish(
        &self,
        path: &Path,
        root: Result<ConfigFile, ConfigError>,
        mut budget: Budget,
    ) -> Result<Config, ConfigError> {
        let root = match root {
            Ok(file) => file,
            Err(e) if self.lenient => {
                budget.skipped.push(skip(path, &e));
                ConfigFile::default()
            }
            Err(e) => return Err(e),
        };
        Ok(Config {
            root: ConfigFile {
                path: path.to_path_buf(),
                ..root
            },
            skipped: budget.skipped,
            warnings: budget.warnings,
        })
    }

    /// Reads and parses one file; `None` when it does not exist, or when `included` and it is a
    /// directory (as `ssh` reads one as empty).
    fn read_file(
        &self,
        path: &Path,
        depth: usize,
        included: bool,
        budget: &mut Budget,
    ) -> Result<Option<ConfigFile>, ConfigError> {
        let read_err = |source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = match std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(read_err(e)),
        };
        if included && file.metadata().map_err(read_err)?.is_dir() {
            return Ok(None);
        }
        budget.files += 1;
        if budget.files > self.limits.files {
            return Err(ConfigError::TooManyFiles {
                path: path.to_path_buf(),
                limit: self.limits.files,
            });
        }
        let mut data = Vec::new();
        file.take(self.limits.file_bytes + 1)
            .read_to_end(&mut data)
            .map_err(read_err)?;
        let len = data.len() as u64;
        if len > self.limits.file_bytes {
            return Err(ConfigError::FileTooLarge {
                path: path.to_path_buf(),
                limit: self.limits.file_bytes,
            });
        }
        budget.bytes += len;
        if budget.bytes > self.limits.total_bytes {
            return Err(ConfigError::TotalTooLarge {
                path: path.to_path_buf(),
                limit: self.limits.total_bytes,
            });
        }
        let text = String::from_utf8_lossy(&data);
        self.parse_file(&text, path, depth, budget).map(Some)
    }

    /// Splits `text` (from `path`, at include depth `depth`) into lines, reading its includes.
    fn parse_file(
        &self,
        text: &str,
        path: &Path,
        depth: usize,
        budget: &mut Budget,
    ) -> Result<ConfigFile, ConfigError> {
        let mut lines = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let Some((keyword, rest)) = split_keyword(line) else {
                continue;
            };
            let warn = |budget: &mut Budget, message: String| {
                budget.warnings.push(ConfigWarning {
                    path: path.to_path_buf(),
                    line: number,
                    message,
                })
            };
            let args = if RAW_KEYWORDS.contains(&keyword.as_str()) {
                vec![rest.to_owned()]
            } else {
                if unterminated_quote(rest) {
                    warn(
                        budget,
                        "unterminated quote (read to the end of the line)".into(),
                    );
                }
                split_args(rest)
            };

            budget.lines += 1;
            if budget.lines > self.limits.lines {
                return Err(ConfigError::TooManyLines {
                    path: path.to_path_buf(),
                    limit: self.limits.lines,
                });
            }
            // OpenSSH refuses an option whose first argument is empty ("missing argument"),
            // whatever follows it.
            let empty = args.first().is_none_or(String::is_empty);
            if empty && !matches!(keyword.as_str(), "host" | "match") {
                warn(budget, format!("{keyword} without a value (line ignored)"));
                continue;
            }
            lines.push(match keyword.as_str() {
                "host" => Line::Host(args),
                "match" => Line::Match {
                    criteria: args,
                    number,
                },
                "include" => Line::Include(self.include(&args, depth, budget)?),
                _ => Line::Option {
                    keyword,
                    args,
                    number,
                },
            });
        }
        Ok(ConfigFile {
            path: path.to_path_buf(),
            lines,
        })
    }

    /// The files an `Include` line's arguments name, read at `depth + 1`.
    fn include(
        &self,
        args: &[String],
        depth: usize,
        budget: &mut Budget,
    ) -> Result<Vec<ConfigFile>, ConfigError> {
        let mut files = Vec::new();
        for pattern in args {
            for path in expand_include(pattern, &self.home, &self.ssh_dir) {
                let read = if depth + 1 > self.limits.depth {
                    Err(ConfigError::TooDeep {
                        path: path.clone(),
                        limit: self.limits.depth,
                    })
                } else {
                    self.read_file(&path, depth + 1, true, budget)
                };
                match read {
                    Ok(Some(file)) => files.push(file),
                    Ok(None) => {}
                    Err(e) if self.lenient => budget.skipped.push(skip(&path, &e)),
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(files)
    }
}

/// A skipped file, recorded.
fn skip(path: &Path, e: &ConfigError) -> ConfigSkip {
    ConfigSkip {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A home directory with `.ssh/` and the given files in it (paths relative to `.ssh/`).
    pub(crate) fn home_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let home = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = home.path().join(".ssh").join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        home
    }

    fn read(home: &tempfile::TempDir) -> Result<Config, ConfigError> {
        Reader::new(home.path()).read(&home.path().join(".ssh/config"))
    }

    #[test]
    fn lines_and_includes_in_place() {
        let home = home_with(&[
            ("config", "# c\nHost a\n  Include d/*\nport 1\n"),
            ("d/1", "User u\n"),
            ("d/2", "Host b\n"),
        ]);
        let c = read(&home).unwrap();
        let ssh = home.path().join(".ssh");
        assert!(c.skipped.is_empty());
        assert_eq!(
            c.root,
            ConfigFile {
                path: ssh.join("config"),
                lines: vec![
                    Line::Host(vec!["a".into()]),
                    Line::Include(vec![
                        ConfigFile {
                            path: ssh.join("d/1"),
                            lines: vec![Line::Option {
                                keyword: "user".into(),
                                args: vec!["u".into()],
                                number: 1,
                            }],
                        },
                        ConfigFile {
                            path: ssh.join("d/2"),
                            lines: vec![Line::Host(vec!["b".into()])],
                        },
                    ]),
                    Line::Option {
                        keyword: "port".into(),
                        args: vec!["1".into()],
                        number: 4,
                    },
                ],
            }
        );
    }

    /// `ssh -G` answers "Missing argument" for both lines: an empty first argument voids the
    /// line whatever follows it (a fuzz finding: `IdentityFile "" x` once kept `""`).
    #[test]
    fn an_empty_first_argument_voids_the_line() {
        let home = home_with(&[("config", "IdentityFile \"\" x\nUser ''\nPort 2\n")]);
        let c = read(&home).unwrap();
        assert_eq!(
            c.root.lines,
            vec![Line::Option {
                keyword: "port".into(),
                args: vec!["2".into()],
                number: 3,
            }]
        );
    }

    #[test]
    fn missing_is_empty_and_unreadable_is_an_error() {
        let home = home_with(&[]);
        assert!(read(&home).unwrap().root.lines.is_empty());
        // A directory in place of the file cannot be read (whoever runs the tests, root too).
        let home = home_with(&[("config/x", "")]);
        let e = read(&home).unwrap_err();
        assert!(matches!(e, ConfigError::Read { .. }), "{e}");
        assert!(!e.is_limit());
        assert!(e.to_string().contains(".ssh/config"), "{e}");
        // An included directory is empty.
        let home = home_with(&[("config", "Include d\nHost a\n"), ("d/x", "Host b\n")]);
        assert_eq!(read(&home).unwrap().root.lines.len(), 2);
    }

    #[test]
    fn nesting_is_bounded() {
        let home = home_with(&[
            ("config", "Include loop\n"),
            ("loop", "Host l\nInclude loop\n"),
        ]);
        let e = read(&home).unwrap_err();
        assert!(
            matches!(
                e,
                ConfigError::TooDeep {
                    limit: MAX_DEPTH,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.is_limit() && e.to_string().contains("Include"), "{e}");

        // A chain of includes exactly as deep as the bound is read; one level more is not.
        let home = home_with(&[
            ("config", "Include one\n"),
            ("one", "Include two\n"),
            ("two", "Include three\n"),
            ("three", "Host deepest\n"),
        ]);
        let config = home.path().join(".ssh/config");
        let bounded = |depth| {
            Reader::new(home.path())
                .limits(Limits {
                    depth,
                    ..Limits::default()
                })
                .read(&config)
        };
        assert!(bounded(3).is_ok());
        let e = bounded(2).unwrap_err();
        assert!(
            matches!(e, ConfigError::TooDeep { limit: 2, ref path } if path.ends_with("three")),
            "{e}"
        );
    }

    #[test]
    fn sizes_counts_and_lines_are_bounded() {
        let big = "#".repeat(MAX_FILE_BYTES as usize + 1);
        let e = read(&home_with(&[("config", &big)])).unwrap_err();
        assert!(matches!(e, ConfigError::FileTooLarge { .. }), "{e}");

        let part = "#".repeat(MAX_FILE_BYTES as usize);
        let n = (MAX_TOTAL_BYTES / MAX_FILE_BYTES) as usize + 1;
        let include = "Include part\n".repeat(n);
        let e = read(&home_with(&[("config", &include), ("part", &part)])).unwrap_err();
        assert!(matches!(e, ConfigError::TotalTooLarge { .. }), "{e}");

        let include = "Include empty\n".repeat(MAX_FILES);
        let e = read(&home_with(&[("config", &include), ("empty", "")])).unwrap_err();
        assert!(matches!(e, ConfigError::TooManyFiles { .. }), "{e}");

        let small = Limits {
            lines: 3,
            ..Limits::default()
        };
        let home = home_with(&[("config", "a\n#\n\nb\nc\n")]);
        let reader = Reader::new(home.path()).limits(small);
        assert!(reader.read(&home.path().join(".ssh/config")).is_ok());
        let e = reader.parse("a\nb\nc\nd\n", Path::new("t")).unwrap_err();
        assert!(
            matches!(e, ConfigError::TooManyLines { limit: 3, .. }),
            "{e}"
        );
    }

    #[test]
    fn lenient_skips_and_records() {
        let home = home_with(&[
            ("config", "Host a\nInclude loop big ok\n"),
            ("loop", "Include loop\n"),
            ("big", &"#".repeat(MAX_FILE_BYTES as usize + 1)),
            ("ok", "Host b\n"),
        ]);
        let c = Reader::new(home.path())
            .lenient()
            .read(&home.path().join(".ssh/config"))
            .unwrap();
        let Line::Include(files) = &c.root.lines[1] else {
            panic!("{c:?}")
        };
        // The loop keeps what it read above the bound; the big file is skipped.
        assert_eq!(files.len(), 2, "{files:?}");
        assert_eq!(files[1].lines, vec![Line::Host(vec!["b".into()])]);
        assert_eq!(c.skipped.len(), 2, "{:?}", c.skipped);
        assert!(c.skipped[0].reason.contains("Include"), "{:?}", c.skipped);
        assert!(c.skipped[1].path.ends_with("big"), "{:?}", c.skipped);
    }
}
