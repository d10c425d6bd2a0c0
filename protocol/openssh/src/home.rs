//! The home directory of the user running this process: the one answer both ends use.

use std::path::PathBuf;

/// `$HOME` when set and not empty, else the home directory of the password entry of this
/// process's user (when that is not empty either). `None` when neither names one.
pub fn home_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(home));
    }
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.dir)
        .filter(|d| !d.as_os_str().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_home_when_set() {
        // Reads the environment only; the test process always has one of the two.
        let home = home_dir();
        match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(h) => assert_eq!(home, Some(PathBuf::from(h))),
            None => assert!(home.is_some()),
        }
    }
}
