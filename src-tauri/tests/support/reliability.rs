//! The figures of the link-cut tests: printed to standard error (past the test harness's
//! capture) and, when `$OUTPOST_RELIABILITY_OUT` names a file, written into the test's own
//! section of it (`<!-- faults:KEY:begin -->` … `<!-- faults:KEY:end -->`) with
//! [`outpost_testkit::report::write_section`], leaving every other section as it is. A relative
//! path is taken from the workspace root (cargo runs tests from the package directory).

use std::path::{Path, PathBuf};

/// The environment variable naming the reliability document.
pub const OUT_VAR: &str = "OUTPOST_RELIABILITY_OUT";

/// What a new reliability document starts with (an existing one keeps its own text).
const INTRO: &str = "# Reliability\n\n";

/// One test's section: a title, what was done, a table of figures and notes.
pub struct Section {
    key: &'static str,
    title: String,
    what: String,
    rows: Vec<(String, String)>,
    notes: Vec<String>,
}

impl Section {
    /// A section with marker key `key` (e.g. `link-desktop`).
    pub fn new(key: &'static str, title: &str, what: &str) -> Section {
        Section {
            key,
            title: title.into(),
            what: what.trim().into(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds a row `measure | value`.
    pub fn row(&mut self, measure: &str, value: impl std::fmt::Display) {
        self.rows.push((measure.into(), value.to_string()));
    }

    /// Adds a paragraph after the table.
    pub fn note(&mut self, text: &str) {
        self.notes.push(text.trim().into());
    }

    /// The section as Markdown, markers included; `test` names the test for the command line.
    pub fn render(&self, test: &str) -> String {
        let mut s = format!(
            "<!-- faults:{}:begin -->\n### {}\n\n{}\n\n| measure | value |\n|---|---|\n",
            self.key, self.title, self.what
        );
        for (m, v) in &self.rows {
            s.push_str(&format!("| {m} | {v} |\n"));
        }
        s.push('\n');
        for n in &self.notes {
            s.push_str(n);
            s.push_str("\n\n");
        }
        s.push_str(&format!(
            "Measured by `cargo test -p outpost-desktop --no-default-features --test faults_link {test}` \
             (debug build) on {}, load average {}.\n<!-- faults:{}:end -->\n",
            outpost_testkit::report::cpu_model(),
            outpost_testkit::report::loadavg(),
            self.key
        ));
        s
    }

    /// Prints the section and, with `$OUTPOST_RELIABILITY_OUT` set, writes it into that file.
    pub fn publish(&self, test: &str) {
        let text = self.render(test);
        outpost_testkit::note(&format!("\n{text}"));
        let Some(out) = std::env::var_os(OUT_VAR).filter(|p| !p.is_empty()) else {
            return;
        };
        let mut path = PathBuf::from(out);
        if path.is_relative() {
            path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .unwrap_or(Path::new("."))
                .join(path);
        }
        let (begin, end) = (
            format!("<!-- faults:{}:begin -->", self.key),
            format!("<!-- faults:{}:end -->", self.key),
        );
        outpost_testkit::report::write_section(&path, &begin, &end, &text, INTRO)
            .unwrap_or_else(|e| panic!("writing section {} of {}: {e}", self.key, path.display()));
    }
}

/// Seconds with one decimal.
pub fn secs(d: std::time::Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
