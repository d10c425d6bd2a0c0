//! The pure matcher of `session.expect`: regular expressions over a session's output as plain
//! text, within a sliding window.
//!
//! [`Patterns::compile`] checks and compiles the caller's patterns (count, length, syntax and
//! compiled size bounded); [`Matcher`] is then fed output bytes from an offset on, keeps the last
//! [`EXPECT_WINDOW_BYTES`] of their plain text ([`super::text`]) and reports the first match: the
//! one that starts first, the lowest pattern index among those starting at the same place. The
//! text is searched as it grows, so a match found in one chunk is reported then, even when a
//! longer one would have come with the next.
//!
//! Patterns use the `regex` crate's syntax with multi-line mode on: `^` and `$` match at line
//! starts and ends (and at the window's ends), and `.` does not match `\n`. A pattern that
//! matches empty text (`x*`) matches at once.
//!
//! ```
//! use outpost_agent::exec::expect::{Matcher, Patterns};
//!
//! let patterns = Patterns::compile(&["[Pp]assword: ?$".to_string()]).unwrap();
//! let mut m = Matcher::new(patterns, 40);
//! assert_eq!(m.feed(b"login ok\r\nPass"), None);
//! let hit = m.feed(b"\x1b[1mword: ").unwrap();
//! assert_eq!((hit.pattern, hit.matched.as_str()), (0, "Password: "));
//! assert_eq!((hit.offset, hit.end_offset), (50, 64));
//! ```

use outpost_protocol::exec::{EXPECT_WINDOW_BYTES, MAX_EXPECT_PATTERNS, MAX_EXPECT_PATTERN_BYTES};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use outpost_protocol::text::PlainText;

/// The most memory one compiled pattern (or the set of them) may take.
const COMPILED_SIZE_LIMIT: usize = 4 * 1024 * 1024;

/// The most new output bytes fed between two searches: a big chunk is searched in steps, so
/// no match slides out of the window unseen.
const SEARCH_STEP: usize = 4 * 1024;

/// Why patterns were refused (each an `invalid_params` error).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PatternError {
    /// No pattern, or more than [`MAX_EXPECT_PATTERNS`].
    #[error("patterns must hold 1..={MAX_EXPECT_PATTERNS} regular expressions (got {0})")]
    Count(usize),
    /// A pattern longer than [`MAX_EXPECT_PATTERN_BYTES`].
    #[error("pattern {index} is {len} bytes; at most {MAX_EXPECT_PATTERN_BYTES}")]
    TooLong {
        /// Its index.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// A pattern that does not compile (or compiles too big).
    #[error("pattern {index} {pattern:?} is not a valid regular expression: {error}")]
    Invalid {
        /// Its index.
        index: usize,
        /// The pattern.
        pattern: String,
        /// What the `regex` crate said.
        error: String,
    },
}

/// Checked, compiled patterns.
#[derive(Clone, Debug)]
pub struct Patterns {
    set: RegexSet,
    each: Vec<Regex>,
}

impl Patterns {
    /// Checks the bounds and compiles every pattern.
    pub fn compile(patterns: &[String]) -> Result<Patterns, PatternError> {
        if patterns.is_empty() || patterns.len() > MAX_EXPECT_PATTERNS {
            return Err(PatternError::Count(patterns.len()));
        }
        let mut each = Vec::with_capacity(patterns.len());
        for (index, pattern) in patterns.iter().enumerate() {
            if pattern.len() > MAX_EXPECT_PATTERN_BYTES {
                return Err(PatternError::TooLong {
                    index,
                    len: pattern.len(),
                });
            }
            let regex = RegexBuilder::new(pattern)
                .multi_line(true)
                .size_limit(COMPILED_SIZE_LIMIT)
                .dfa_size_limit(COMPILED_SIZE_LIMIT)
                .build()
                .map_err(|e| PatternError::Invalid {
                    index,
                    pattern: pattern.clone(),
                    error: e.to_string(),
                })?;
            each.push(regex);
        }
        let set = RegexSetBuilder::new(patterns)
            .multi_line(true)
            .size_limit(COMPILED_SIZE_LIMIT)
            .dfa_size_limit(COMPILED_SIZE_LIMIT)
            .build()
            .map_err(|e| PatternError::Invalid {
                index: 0,
                pattern: patterns.join(" | "),
                error: format!("the patterns together: {e}"),
            })?;
        Ok(Patterns { set, each })
    }

    /// How many patterns there are.
    pub fn len(&self) -> usize {
        self.each.len()
    }

    /// Whether there are none (never, once compiled).
    pub fn is_empty(&self) -> bool {
        self.each.is_empty()
    }
}

/// A match: which pattern, the text, and where it lies in the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// The pattern's index.
    pub pattern: u32,
    /// The matched text.
    pub matched: String,
    /// The output offset where the match starts.
    pub offset: u64,
    /// The output offset just after it.
    pub end_offset: u64,
}

/// Matches patterns against output as it arrives (see the module doc).
pub struct Matcher {
    patterns: Patterns,
    text: PlainText,
    /// The text length at the last search: nothing new, nothing to search.
    searched_len: Option<usize>,
}

impl Matcher {
    /// A matcher whose first fed byte is at output offset `offset`.
    pub fn new(patterns: Patterns, offset: u64) -> Self {
        Self {
            patterns,
            text: PlainText::new(offset),
            searched_len: None,
        }
    }

    /// The output offset just after the last byte fed.
    pub fn offset(&self) -> u64 {
        self.text.offset()
    }

    /// A matcher with the same patterns that starts afresh at output offset `offset` (after a
    /// gap in the output it was fed).
    pub fn restart(self, offset: u64) -> Matcher {
        Matcher::new(self.patterns, offset)
    }

    /// Feeds the next output bytes; returns the first match, if one is complete now.
    pub fn feed(&mut self, bytes: &[u8]) -> Option<Match> {
        if bytes.is_empty() {
            return self.search();
        }
        for step in bytes.chunks(SEARCH_STEP) {
            self.text.feed(step);
            if let Some(found) = self.search() {
                return Some(found);
            }
            self.text.keep_last(EXPECT_WINDOW_BYTES);
            self.searched_len = Some(self.text.text().len());
        }
        None
    }

    fn search(&mut self) -> Option<Match> {
        let text = self.text.text();
        if self.searched_len == Some(text.len()) {
            return None;
        }
        self.searched_len = Some(text.len());
        let mut best: Option<(usize, regex::Match<'_>)> = None;
        for index in self.patterns.set.matches(text).iter() {
            let Some(m) = self.patterns.each[index].find(text) else {
                continue;
            };
            if best.as_ref().is_none_or(|(_, b)| m.start() < b.start()) {
                best = Some((index, m));
            }
        }
        let (index, m) = best?;
        Some(Match {
            pattern: u32::try_from(index).unwrap_or(u32::MAX),
            matched: m.as_str().to_string(),
            offset: self.text.output_start(m.start()),
            end_offset: self.text.output_end(m.end()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn patterns(list: &[&str]) -> Patterns {
        let list: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        Patterns::compile(&list).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn bad_patterns_are_named() {
        let err = Patterns::compile(&["ok".into(), "(unclosed".into()]).unwrap_err();
        let PatternError::Invalid { index, pattern, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!((*index, pattern.as_str()), (1, "(unclosed"));
        assert!(err.to_string().contains("(unclosed"), "{err}");
        assert_eq!(Patterns::compile(&[]).unwrap_err(), PatternError::Count(0));
        let many = vec!["a".to_string(); MAX_EXPECT_PATTERNS + 1];
        assert!(matches!(
            Patterns::compile(&many),
            Err(PatternError::Count(_))
        ));
        let long = "a".repeat(MAX_EXPECT_PATTERN_BYTES + 1);
        assert!(matches!(
            Patterns::compile(&[long]),
            Err(PatternError::TooLong { index: 0, .. })
        ));
        // Compiles, but far beyond the size bound.
        assert!(matches!(
            Patterns::compile(&["\\w{1000}\\w{1000}\\w{1000}".into()]),
            Err(PatternError::Invalid { .. })
        ));
    }

    #[test]
    fn first_starting_match_wins_then_lowest_index() {
        let mut m = Matcher::new(patterns(&["world", "hello", "hel+o"]), 0);
        let hit = m
            .feed(b"say hello world")
            .unwrap_or_else(|| panic!("no match"));
        assert_eq!(
            (hit.pattern, hit.matched.as_str(), hit.offset),
            (1, "hello", 4)
        );
        assert_eq!(hit.end_offset, 9);
    }

    #[test]
    fn split_across_chunks_and_escapes() {
        let mut m = Matcher::new(patterns(&["Password: $"]), 1000);
        for chunk in [&b"Pa"[..], b"ss\x1b[", b"1mwo", b"rd:\x1b]0;t", b"itle\x07"] {
            assert_eq!(m.feed(chunk), None);
        }
        let hit = m.feed(b" ").unwrap_or_else(|| panic!("no match"));
        assert_eq!(hit.matched, "Password: ");
        assert_eq!((hit.offset, hit.end_offset), (1000, 1024));
    }

    #[test]
    fn the_window_forgets_old_text() {
        let mut m = Matcher::new(patterns(&["start.*end"]), 0);
        assert_eq!(m.feed(b"start"), None);
        assert_eq!(m.feed(&vec![b'x'; EXPECT_WINDOW_BYTES]), None);
        assert_eq!(m.feed(b"end"), None);
        let mut m = Matcher::new(patterns(&["start.*end"]), 0);
        let mut big = b"start".to_vec();
        big.extend(vec![b'x'; EXPECT_WINDOW_BYTES / 2]);
        big.extend(b"end");
        assert!(m.feed(&big).is_some());
    }

    proptest! {
        #[test]
        fn found_wherever_the_chunks_split(
            before in "[a-z \n]{0,200}",
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let mut output = before.clone().into_bytes();
            output.extend_from_slice(b"\x1b[32mREA\x1b[0mDY>");
            let want_offset = before.len() as u64 + 5; // after `\x1b[32m`
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(output.len() + 1)).collect();
            cuts.sort_unstable();
            let mut m = Matcher::new(patterns(&["READY>"]), 0);
            let mut found = None;
            let mut from = 0;
            for cut in cuts.into_iter().chain([output.len()]) {
                if let Some(hit) = m.feed(&output[from..cut]) {
                    found = Some(hit);
                    break;
                }
                from = cut;
            }
            let hit = found.unwrap_or_else(|| panic!("no match"));
            prop_assert_eq!(hit.offset, want_offset);
            prop_assert_eq!(hit.end_offset, output.len() as u64);
        }
    }
}
