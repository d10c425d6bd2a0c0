//! The figures each fault scenario reports: printed to standard error (past the test harness's
//! capture, so CI logs show them), and, when `$OUTPOST_RELIABILITY_OUT` names a file, written
//! into that scenario's own section of it (between `<!-- faults:KEY:begin -->` and
//! `<!-- faults:KEY:end -->`) with [`outpost_testkit::report::write_section`], leaving every
//! other section as it is.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// The environment variable naming the reliability document to write.
pub const OUT_VAR: &str = "OUTPOST_RELIABILITY_OUT";

/// What a new `docs/reliability.md` starts with (an existing one keeps its own text).
const INTRO: &str = "# Reliability\n\nWhat the fault, link-cut and soak runs measured (`make \
faults`, `make soak`). Each section is rewritten by the program it names; the others are left \
alone.\n\n";

/// One scenario's section: a title, a paragraph saying what was done, and a table of figures.
pub struct Section {
    key: &'static str,
    title: String,
    what: String,
    rows: Vec<(String, String)>,
    notes: Vec<String>,
}

impl Section {
    /// A section with marker key `key` (e.g. `agent-kill`) and a title.
    pub fn new(key: &'static str, title: &str) -> Section {
        Section {
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

    /// Adds a sentence after the table.
    pub fn note(&mut self, text: &str) -> &mut Self {
        self.notes.push(text.trim().to_string());
        self
    }

    /// The section as Markdown, markers included.
    pub fn render(&self, test: &str) -> String {
        let mut s = format!("{}\n### {}\n\n", self.begin(), self.title);
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
            "Measured by `cargo test -p outpost-agent --test faults {test}` (debug build) on {}, \
             load average {}.\n",
            outpost_testkit::report::cpu_model(),
            outpost_testkit::report::loadavg()
        ));
        s.push_str(&self.end());
        s.push('\n');
        s
    }

    fn begin(&self) -> String {
        format!("<!-- faults:{}:begin -->", self.key)
    }

    fn end(&self) -> String {
        format!("<!-- faults:{}:end -->", self.key)
    }

    /// Prints the section and, with `$OUTPOST_RELIABILITY_OUT` set, writes it into that file.
    /// `test` is the test function's name (for the command line shown).
    pub fn publish(&self, test: &str) {
        let text = self.render(test);
        let _ = writeln!(std::io::stderr(), "\n{text}");
        let Some(path) = std::env::var_os(OUT_VAR).filter(|p| !p.is_empty()) else {
            return;
        };
        let path = PathBuf::from(path);
        if let Err(e) =
            outpost_testkit::report::write_section(&path, &self.begin(), &self.end(), &text, INTRO)
        {
            panic!("writing section {} of {}: {e}", self.key, path.display());
        }
    }
}

/// A duration in milliseconds with one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The `p`-th percentile (0..=100, nearest rank) of `samples`; zero when empty.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut v = samples.to_vec();
    v.sort();
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// A byte count with its binary unit.
pub fn bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{n} B ({:.1} MiB)", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{n} B ({:.1} KiB)", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// `text` as inline Markdown code, with a longer fence when it holds backticks itself, and with
/// any `|` escaped so it stays inside its table cell.
pub fn code(text: &str) -> String {
    let text = text.replace('|', "\\|");
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}
