//! Rewriting one section of a Markdown document in place: each program that reports into
//! `docs/benchmarks.md` or `docs/reliability.md` owns the text between two HTML comment markers
//! and rewrites only that.

use std::path::{Path, PathBuf};

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

/// The workspace's root directory (two levels above this crate), where relative report paths
/// start.
pub fn workspace_root() -> PathBuf {
    let testkit = Path::new(env!("CARGO_MANIFEST_DIR"));
    testkit
        .ancestors()
        .nth(2)
        .map_or_else(|| testkit.join("../.."), Path::to_path_buf)
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
    }

    #[test]
    fn the_workspace_root_holds_the_workspace_manifest() {
        assert!(workspace_root().join("agent/testkit/Cargo.toml").is_file());
    }
}
