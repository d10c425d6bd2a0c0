//! Small helpers for reading terminal output and files in tests: finding bytes, whole terminal
//! lines, readable tails for failure messages.

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// Base64 of `data`, as `session.input` wants it.
pub fn b64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// Decodes standard base64.
pub fn unb64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    STANDARD.decode(text)
}

/// Where `needle` first occurs in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether `data` holds `line` as a whole terminal line: between CR/LF (or the ends). Bash
/// writes control sequences and a lone CR before a command's output, so splitting on LF alone
/// is not enough.
pub fn has_line(data: &[u8], line: &[u8]) -> bool {
    data.split(|&b| b == b'\n' || b == b'\r').any(|l| l == line)
}

/// How often `needle` occurs in `hay` (non-overlapping).
pub fn count(hay: &[u8], needle: &[u8]) -> usize {
    let mut n = 0;
    let mut at = 0;
    while let Some(i) = find(&hay[at..], needle) {
        n += 1;
        at += i + needle.len();
    }
    n
}

/// The last `n` bytes of `data` as readable text, for failure messages.
pub fn tail_text(data: &[u8], n: usize) -> String {
    let from = data.len().saturating_sub(n);
    String::from_utf8_lossy(&data[from..])
        .escape_debug()
        .to_string()
}

/// The last `n` bytes of a file as text (empty if unreadable).
pub fn file_tail(path: &Path, n: usize) -> String {
    let data = std::fs::read(path).unwrap_or_default();
    let from = data.len().saturating_sub(n);
    String::from_utf8_lossy(&data[from..]).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_and_counts() {
        assert_eq!(find(b"abcabc", b"ca"), Some(2));
        assert!(has_line(b"\x1b[0m\r$ echo\r\nhi\r\n", b"hi"));
        assert!(!has_line(b"xhi\n", b"hi"));
        assert_eq!(count(b"aaaa", b"aa"), 2);
        assert_eq!(unb64(&b64(b"\x00\xff")).unwrap(), b"\x00\xff");
    }
}
