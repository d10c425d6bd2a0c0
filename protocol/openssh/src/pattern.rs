//! OpenSSH's host patterns: one wildcard matcher for `ssh_config` `Host` lines, `known_hosts`
//! host fields and `Include` file names.
//!
//! A pattern holds `*` (any run of bytes, also none) and `?` (exactly one byte); everything else
//! matches itself, byte for byte and case-sensitively, as OpenSSH's `match_pattern` does. A
//! pattern list ([`match_list`]) matches a name when some pattern matches it and no negated one
//! (`!pattern`) does. Callers that compare without regard to case (`known_hosts`) lower-case
//! both sides first; `Host` lines compare as written (`ssh -G WEB1` does not apply `Host web1`).

/// Whether `name` matches `pattern` (`*`: any run of bytes, `?`: any one byte).
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    // Greedy, backtracking to the last `*`: linear in practice, never exponential.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Whether `name` matches a pattern list as OpenSSH decides (`match_pattern_list`): some
/// pattern matches and no negated (`!`) one does.
pub fn match_list<'a>(name: &str, patterns: impl IntoIterator<Item = &'a str>) -> bool {
    let mut positive = false;
    for p in patterns {
        match p.strip_prefix('!') {
            Some(negated) if wildcard_match(negated, name) => return false,
            Some(_) => {}
            None => positive |= wildcard_match(p, name),
        }
    }
    positive
}

/// Whether a `Host` pattern names one host literally: not empty, no `*`, `?` or `!`.
pub fn is_literal(pattern: &str) -> bool {
    !pattern.is_empty() && !pattern.contains(['*', '?', '!'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*.conf", "a.conf"));
        assert!(!wildcard_match("*.conf", "a.confx"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(wildcard_match("h?st", "host"));
        assert!(wildcard_match("a*b*c", "axxbyybzc"));
        assert!(!wildcard_match("a*b*c", "axxbyy"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("*", ".hidden"));
        assert!(wildcard_match("**", "x"));
        assert!(!wildcard_match("?", ""));
        assert!(wildcard_match("*.example.com", "a.example.com"));
        assert!(!wildcard_match("*.example.com", "example.com"));
        assert!(wildcard_match("[10.0.0.*]:2222", "[10.0.0.7]:2222"));
        assert!(!wildcard_match("[10.0.0.*]:2222", "[10.0.0.7]:22"));
        // Case-sensitive, and `?` is one byte as in OpenSSH.
        assert!(!wildcard_match("WEB1", "web1"));
        assert!(wildcard_match("??", "é"));
    }

    #[test]
    fn lists_and_negation() {
        assert!(match_list("web1", ["db", "web?"]));
        assert!(!match_list("web1", ["web*", "!web1"]));
        assert!(!match_list("web1", ["!web1", "web*"]));
        assert!(!match_list("web1", ["!db"]));
        assert!(!match_list("web1", []));
        assert!(is_literal("web1"));
        for p in ["web*", "a?", "!a", ""] {
            assert!(!is_literal(p), "{p}");
        }
    }
}
