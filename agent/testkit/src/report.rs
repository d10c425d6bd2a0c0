//! What the benchmark programs share when they write `docs/benchmarks.md`: each owns a section
//! between two HTML comment markers and rewrites only that, and each records the machine it ran
//! on.

use std::path::Path;

/// Writes `block` (which starts with `start` and ends with `end`) in place of the text between
/// those markers in `path`, or appends it when they are absent; a new file starts with `intro`.
/// Written atomically (temporary file, then rename).
pub fn write_section(
    path: &Path,
    start: &str,
    end: &str,
    block: &str,
    intro: &str,
) -> std::io::Result<()> {
    let mut block = block.trim_end().to_string();
    block.push('\n');
    let text = match std::fs::read_to_string(path) {
        Ok(old) => match (old.find(start), old.find(end)) {
            (Some(a), Some(b)) if b > a => {
                let after = &old[b + end.len()..];
                format!(
                    "{}{block}{}",
                    &old[..a],
                    after.strip_prefix('\n').unwrap_or(after)
                )
            }
            _ if old.trim().is_empty() => format!("{}{block}", intro.trim_start()),
            _ => format!("{}\n\n{block}", old.trim_end()),
        },
        Err(_) => format!("{}{block}", intro.trim_start()),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// The 1-, 5- and 15-minute load averages, space-separated.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// The CPU model from `/proc/cpuinfo`.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).trim().to_string())
        .unwrap_or_else(|| "?".into())
}

/// The environment variable naming the reliability document the fault tests write into.
pub const RELIABILITY_OUT_VAR: &str = "OUTPOST_RELIABILITY_OUT";

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
            path = crate::summary::workspace_root().join(path);
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

    #[test]
    fn sections_are_replaced_or_appended() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("b.md");
        write_section(
            &p,
            "<!-- a -->",
            "<!-- /a -->",
            "<!-- a -->\none\n<!-- /a -->",
            "# T\n",
        )
        .unwrap();
        write_section(
            &p,
            "<!-- b -->",
            "<!-- /b -->",
            "<!-- b -->\nx\n<!-- /b -->",
            "",
        )
        .unwrap();
        write_section(
            &p,
            "<!-- a -->",
            "<!-- /a -->",
            "<!-- a -->\ntwo\n<!-- /a -->",
            "",
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "# T\n<!-- a -->\ntwo\n<!-- /a -->\n\n<!-- b -->\nx\n<!-- /b -->\n"
        );
        assert!(!loadavg().is_empty());
        assert!(!cpu_model().is_empty());
    }
}
