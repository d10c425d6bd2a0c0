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

#[cfg(test)]
mod tests {
    use super::*;

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
