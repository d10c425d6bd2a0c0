//! One fault scenario's section of `docs/reliability.md` ([`FaultSection`]), shared by the
//! agent's and the desktop's fault suites.

use super::machine::{cpu_model, loadavg};
use super::section::{workspace_root, write_section};

/// The environment variable naming the reliability document the fault tests write into.
pub const RELIABILITY_OUT_VAR: &str = "OUTPOST_RELIABILITY_OUT";

/// A duration as a figure of a section: seconds with one decimal (`2.5 s`).
pub fn secs(d: std::time::Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// What a new reliability document starts with (an existing one keeps its own text).
const RELIABILITY_INTRO: &str = "# Reliability\n\nWhat the fault, link-cut and soak runs measured \
(`make faults`, `make soak`). Each section is rewritten by the program it names; the others are \
left alone.\n\n";

/// One fault scenario's section of `docs/reliability.md`: a title, a paragraph saying what was
/// done, a table of figures and notes, between `<!-- faults:KEY:begin -->` and
/// `<!-- faults:KEY:end -->`. [`FaultSection::publish`] prints it (past the test harness's
/// capture) and, when `$OUTPOST_RELIABILITY_OUT` names a file (relative paths from the workspace
/// root), writes it into that file with [`write_section`], leaving every other section alone.
pub struct FaultSection {
    command: &'static str,
    key: &'static str,
    title: String,
    what: String,
    rows: Vec<(String, String)>,
    notes: Vec<String>,
}

impl FaultSection {
    /// A section with marker key `key` (e.g. `agent-kill`), measured by `command` followed by
    /// the test's name (e.g. `cargo test -p outpost-agent --test faults`).
    pub fn new(command: &'static str, key: &'static str, title: &str) -> FaultSection {
        FaultSection {
            command,
            key,
            title: title.to_string(),
            what: String::new(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Sets the paragraph describing the scenario.
    pub fn what(&mut self, text: &str) -> &mut Self {
        self.what = text.trim().to_string();
        self
    }

    /// Adds a row `measure | value` to the figures table.
    pub fn row(&mut self, measure: &str, value: impl std::fmt::Display) -> &mut Self {
        self.rows.push((measure.to_string(), value.to_string()));
        self
    }

    /// Adds a paragraph after the table.
    pub fn note(&mut self, text: &str) -> &mut Self {
        self.notes.push(text.trim().to_string());
        self
    }

    fn markers(&self) -> (String, String) {
        (
            format!("<!-- faults:{}:begin -->", self.key),
            format!("<!-- faults:{}:end -->", self.key),
        )
    }

    /// The section as Markdown, markers included; `test` is the test function's name.
    pub fn render(&self, test: &str) -> String {
        let (begin, end) = self.markers();
        let mut s = format!("{begin}\n### {}\n\n", self.title);
        if !self.what.is_empty() {
            s.push_str(&self.what);
            s.push_str("\n\n");
        }
        s.push_str("| measure | value |\n|---|---|\n");
        for (m, v) in &self.rows {
            s.push_str(&format!("| {m} | {v} |\n"));
        }
        s.push('\n');
        for n in &self.notes {
            s.push_str(n);
            s.push_str("\n\n");
        }
        s.push_str(&format!(
            "Measured by `{} {test}` (debug build) on {}, load average {}.\n{end}\n",
            self.command,
            cpu_model(),
            loadavg()
        ));
        s
    }

    /// Prints the section and, with `$OUTPOST_RELIABILITY_OUT` set, writes it into that file.
    pub fn publish(&self, test: &str) {
        let text = self.render(test);
        crate::note(&format!("\n{text}"));
        let Some(out) = std::env::var_os(RELIABILITY_OUT_VAR).filter(|p| !p.is_empty()) else {
            return;
        };
        let mut path = std::path::PathBuf::from(out);
        if path.is_relative() {
            path = workspace_root().join(path);
        }
        let (begin, end) = self.markers();
        write_section(&path, &begin, &end, &text, RELIABILITY_INTRO)
            .unwrap_or_else(|e| panic!("writing section {} of {}: {e}", self.key, path.display()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_sections_render_between_their_markers() {
        let mut s = FaultSection::new("cargo test -p x --test faults", "k", "Title");
        s.what("  did it  ").row("bytes lost", 0).note("a note");
        let text = s.render("the_test");
        assert!(text.starts_with("<!-- faults:k:begin -->\n### Title\n\ndid it\n\n"));
        assert!(text.contains("| bytes lost | 0 |\n"));
        assert!(text.contains("a note\n\nMeasured by `cargo test -p x --test faults the_test`"));
        assert!(text.ends_with("<!-- faults:k:end -->\n"));
    }
}
