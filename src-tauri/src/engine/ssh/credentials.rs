//! [`Credentials`]: the secrets that worked, kept in memory so a reconnect can authenticate
//! again without asking. Never written anywhere; wiped (zeroized) when dropped or forgotten.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use zeroize::Zeroizing;

/// Identifies a login: host, port and user.
type Login = (String, u16, String);

#[derive(Default)]
struct Store {
    passwords: HashMap<Login, Zeroizing<String>>,
    passphrases: HashMap<PathBuf, Zeroizing<String>>,
    /// Keyboard-interactive answers by login and exact prompt text.
    keyboard_interactive: HashMap<(Login, String), Zeroizing<String>>,
}

/// In-memory cache of secrets that worked (passwords, key passphrases, keyboard-interactive
/// answers), consulted before asking the user. Secrets are stored only after they worked and are
/// dropped again when they stop working. Share one per host (or one for the whole app) between
/// connects; it is `Sync`.
///
/// Nothing here is ever written to disk, and every secret is zeroized when it is replaced,
/// forgotten or dropped.
#[derive(Default)]
pub struct Credentials {
    store: Mutex<Store>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (pw, pp, ki) = self
            .store
            .lock()
            .map(|s| {
                (
                    s.passwords.len(),
                    s.passphrases.len(),
                    s.keyboard_interactive.len(),
                )
            })
            .unwrap_or_default();
        f.debug_struct("Credentials")
            .field("passwords", &pw)
            .field("passphrases", &pp)
            .field("keyboard_interactive", &ki)
            .finish()
    }
}

fn login(host: &str, port: u16, user: &str) -> Login {
    (host.to_owned(), port, user.to_owned())
}

impl Credentials {
    /// An empty cache.
    pub fn new() -> Self {
        Credentials::default()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.with(|s| {
            s.passwords.is_empty() && s.passphrases.is_empty() && s.keyboard_interactive.is_empty()
        })
    }

    /// Forgets (and wipes) every secret.
    pub fn clear(&self) {
        self.with(|s| *s = Store::default());
    }

    /// Whether a passphrase for `key_path` is cached.
    pub fn has_passphrase(&self, key_path: &Path) -> bool {
        self.with(|s| s.passphrases.contains_key(key_path))
    }

    /// Whether a password for `user@host:port` is cached.
    pub fn has_password(&self, host: &str, port: u16, user: &str) -> bool {
        self.with(|s| s.passwords.contains_key(&login(host, port, user)))
    }

    pub(crate) fn password(&self, host: &str, port: u16, user: &str) -> Option<Zeroizing<String>> {
        self.with(|s| s.passwords.get(&login(host, port, user)).cloned())
    }

    pub(crate) fn set_password(&self, host: &str, port: u16, user: &str, pw: Zeroizing<String>) {
        self.with(|s| s.passwords.insert(login(host, port, user), pw));
    }

    pub(crate) fn forget_password(&self, host: &str, port: u16, user: &str) {
        self.with(|s| s.passwords.remove(&login(host, port, user)));
    }

    pub(crate) fn passphrase(&self, key_path: &Path) -> Option<Zeroizing<String>> {
        self.with(|s| s.passphrases.get(key_path).cloned())
    }

    pub(crate) fn set_passphrase(&self, key_path: &Path, pp: Zeroizing<String>) {
        self.with(|s| s.passphrases.insert(key_path.to_owned(), pp));
    }

    pub(crate) fn forget_passphrase(&self, key_path: &Path) {
        self.with(|s| s.passphrases.remove(key_path));
    }

    pub(crate) fn keyboard_interactive(
        &self,
        host: &str,
        port: u16,
        user: &str,
        prompt: &str,
    ) -> Option<Zeroizing<String>> {
        self.with(|s| {
            s.keyboard_interactive
                .get(&(login(host, port, user), prompt.to_owned()))
                .cloned()
        })
    }

    pub(crate) fn set_keyboard_interactive(
        &self,
        host: &str,
        port: u16,
        user: &str,
        answers: Vec<(String, Zeroizing<String>)>,
    ) {
        self.with(|s| {
            for (prompt, answer) in answers {
                s.keyboard_interactive
                    .insert((login(host, port, user), prompt), answer);
            }
        });
    }

    pub(crate) fn forget_keyboard_interactive(&self, host: &str, port: u16, user: &str) {
        let who = login(host, port, user);
        self.with(|s| s.keyboard_interactive.retain(|(l, _), _| *l != who));
    }

    fn with<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        // A panic while holding the lock cannot leave the maps inconsistent: use them anyway.
        let mut guard = match self.store.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }
}
