//! What of a tool call's arguments the audit log may keep.
//!
//! - Text typed into a terminal (`session_send`'s `text`, the `respond` of its expect pairs) and
//!   `exec_run`'s `stdin` and `file_write`'s `content` are never logged, only their length: the protocol does not tell
//!   whether the terminal has echo off (a password prompt), so all typed text is treated as if
//!   it had.
//! - A value under a key that names a secret (`password`, `passphrase`, `secret`, `token`,
//!   `api_key`, `credential`, `private_key`, `auth`) is replaced, in any object, including
//!   `exec_run`'s environment.
//! - In command lines, `NAME=value` with such a name and the word after `--password`-like
//!   options are replaced (best effort: a secret spelt otherwise stays).
//! - Strings longer than [`MAX_LOGGED_STRING`] bytes are cut.

use serde_json::{Map, Value};

/// The longest string the log keeps, in bytes.
pub const MAX_LOGGED_STRING: usize = 4096;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Keys whose values are always replaced by their length.
const TYPED_KEYS: [&str; 4] = ["text", "respond", "stdin", "content"];

/// Keys whose strings are command lines.
const COMMAND_KEYS: [&str; 3] = ["command", "shell", "argv"];

/// Whether a key or variable name names a secret.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace('-', "_");
    [
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "api_key",
        "apikey",
        "credential",
        "private_key",
        "auth",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// `arguments` as the audit log keeps them.
pub fn arguments(arguments: &Value) -> Value {
    value(arguments, None)
}

fn value(v: &Value, key: Option<&str>) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(k.clone(), field(k, v));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|v| value(v, key)).collect()),
        Value::String(s) if key.is_some_and(|k| COMMAND_KEYS.contains(&k)) => {
            Value::String(cut(&command(s)))
        }
        Value::String(s) => Value::String(cut(s)),
        other => other.clone(),
    }
}

fn field(k: &str, v: &Value) -> Value {
    if TYPED_KEYS.contains(&k) {
        let bytes = match v {
            Value::String(s) => s.len(),
            Value::Null => return Value::Null,
            other => other.to_string().len(),
        };
        return serde_json::json!({ "redacted": true, "bytes": bytes });
    }
    if is_secret_name(k) && !v.is_object() && !v.is_array() {
        return Value::String(REDACTED.into());
    }
    value(v, Some(k))
}

/// A command line with `SECRET=value` assignments and `--password value` arguments redacted.
pub fn command(line: &str) -> String {
    let mut out = Vec::new();
    let mut hide_next = false;
    for word in line.split(' ') {
        if hide_next && !word.is_empty() {
            out.push(REDACTED.to_string());
            hide_next = false;
            continue;
        }
        match word.split_once('=') {
            Some((name, _)) if is_secret_name(name.trim_start_matches('-')) => {
                out.push(format!("{name}={REDACTED}"));
            }
            _ => {
                if word.starts_with('-') && is_secret_name(word.trim_start_matches('-')) {
                    hide_next = true;
                }
                out.push(word.to_string());
            }
        }
    }
    out.join(" ")
}

/// `s` cut to [`MAX_LOGGED_STRING`] bytes (at a character boundary), saying how much was cut.
fn cut(s: &str) -> String {
    if s.len() <= MAX_LOGGED_STRING {
        return s.to_string();
    }
    let mut end = MAX_LOGGED_STRING;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[{} more bytes]", &s[..end], s.len() - end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_text_and_secrets_are_never_kept() {
        let args = json!({
            "host": "local",
            "session_id": "abc",
            "text": "hunter2\n",
            "expect": [{"pattern": "[Pp]assword:", "respond": "hunter2"}],
            "env": {"API_TOKEN": "t0ps3cret", "LANG": "C"},
            "stdin": "data",
            "command": "MYSQL_PASSWORD=hunter2 mysql --password hunter2 -e 'select 1'",
            "argv": ["curl", "--token=tok123", "https://x"],
        });
        let out = arguments(&args);
        let text = out.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("t0ps3cret"), "{text}");
        assert!(!text.contains("tok123"), "{text}");
        assert_eq!(out["text"], json!({"redacted": true, "bytes": 8}));
        assert_eq!(out["expect"][0]["pattern"], "[Pp]assword:");
        assert_eq!(out["env"]["LANG"], "C");
        assert_eq!(
            out["command"],
            "MYSQL_PASSWORD=[redacted] mysql --password [redacted] -e 'select 1'"
        );
        assert_eq!(out["argv"][1], "--token=[redacted]");
        assert_eq!(out["session_id"], "abc");
    }

    #[test]
    fn long_strings_are_cut_at_a_character() {
        let s = "é".repeat(MAX_LOGGED_STRING);
        let out = cut(&s);
        assert!(out.len() < MAX_LOGGED_STRING + 40);
        assert!(out.ends_with("more bytes]"));
    }
}
