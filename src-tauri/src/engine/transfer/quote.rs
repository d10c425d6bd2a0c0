//! Shell words from argv: how a command whose values come from the user (paths) is written for
//! the remote shell that `exec` runs it with. Every value is one single-quoted word; nothing the
//! user typed is ever read as shell syntax.

/// `s` as one shell word (single quotes; a `'` inside becomes `'\''`).
pub fn word(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// `argv` as a command line of single-quoted words.
pub fn words<S: AsRef<str>>(argv: &[S]) -> String {
    argv.iter()
        .map(|a| word(a.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_every_word() {
        assert_eq!(
            words(&["cat", "--", "a b'c;$(x)"]),
            r#"'cat' '--' 'a b'\''c;$(x)'"#
        );
    }

    #[test]
    fn a_real_shell_reads_the_words_back() {
        let tricky = "it's $(echo no) `x` \"q\" \\ *";
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s' {}", word(tricky)))
            .output()
            .unwrap_or_else(|e| panic!("sh: {e}"));
        assert_eq!(String::from_utf8_lossy(&out.stdout), tricky);
    }
}
