//! What every benchmark program shares (`agent/benches/*`, `src-tauri/benches/*`): the command
//! line ([`args`]), the clean-up of what a run started, on any exit ([`cleanup`]), statistics
//! ([`stats`]), the machine a run describes ([`machine`]), its section of `docs/benchmarks.md`
//! ([`doc`]), the printable data file and shell quoting of the throughput runs ([`data`]) and
//! driving an agent's sessions over the testkit's one client ([`drive`]). The results files and
//! the summary table are [`crate::summary`]; `/proc` is read through [`crate::procfs`].
//!
//! A benchmark is a folder `benches/<name>/` with a `main.rs` that parses its [`args::BenchArgs`],
//! does nothing under `cargo test --benches` (no `--bench` argument), runs its measures, prints
//! its section and writes it between its markers when asked ([`doc::DocSection`]), and saves its
//! figures with [`crate::summary::BenchResults`]. The prose of `docs/benchmarks.md` (what each
//! benchmark does and how) is written there by hand, outside the generated sections.

pub mod args;
pub mod cleanup;
pub mod data;
pub mod doc;
pub mod drive;
pub mod machine;
pub mod stats;
