//! A benchmark's generated section of `docs/benchmarks.md`: its figures and tables between two
//! HTML comment markers, which each full run rewrites ([`crate::report::write_section`]). What
//! the benchmark does and how it measures is prose written in the document itself, outside the
//! markers, and no program rewrites it.

use std::path::Path;

use anyhow::{Context, Result};

use crate::report::write_section;

/// `docs/benchmarks.md`, relative to the workspace root.
pub const BENCHMARKS_DOC: &str = "docs/benchmarks.md";

/// The markers of one benchmark's generated section.
#[derive(Clone, Copy, Debug)]
pub struct DocSection {
    /// The first line, e.g. `<!-- ssh-bench:start -->`.
    pub begin: &'static str,
    /// The last line.
    pub end: &'static str,
}

impl DocSection {
    /// `body` between the markers.
    pub fn block(&self, body: &str) -> String {
        format!("{}\n{}\n{}\n", self.begin, body.trim_end(), self.end)
    }

    /// Writes `body` between the markers in `path` (appended, under a title, when they are
    /// missing), leaving the rest of the file alone.
    pub fn write(&self, path: &Path, body: &str) -> Result<()> {
        write_section(
            path,
            self.begin,
            self.end,
            &self.block(body),
            "# Benchmarks\n\n",
        )
        .with_context(|| format!("writing {}", path.display()))
    }

    /// Writes `body` into `docs/benchmarks.md` of this workspace; returns its path.
    pub fn write_benchmarks_doc(&self, body: &str) -> Result<std::path::PathBuf> {
        let path = crate::summary::workspace_root().join(BENCHMARKS_DOC);
        self.write(&path, body)?;
        Ok(path)
    }
}

/// `**PASS**` or `**FAIL**`.
pub fn verdict(pass: bool) -> &'static str {
    if pass {
        "**PASS**"
    } else {
        "**FAIL**"
    }
}

/// Text for a table cell: no pipes, no line breaks.
pub fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_text_between_the_markers_changes() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("b.md");
        let s = DocSection {
            begin: "<!-- x:begin -->",
            end: "<!-- x:end -->",
        };
        std::fs::write(
            &p,
            "# B\n\nProse.\n\n<!-- x:begin -->\nold\n<!-- x:end -->\n\nMore.\n",
        )
        .unwrap();
        s.write(&p, "new\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "# B\n\nProse.\n\n<!-- x:begin -->\nnew\n<!-- x:end -->\n\nMore.\n"
        );
        assert_eq!(md_escape("a|b\nc"), "a\\|b c");
        assert_eq!(verdict(false), "**FAIL**");
    }
}
