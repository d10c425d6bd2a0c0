//! Reports into the project's documents: rewriting one marked section of a Markdown file in
//! place ([`write_section`]), the fault scenarios' sections of `docs/reliability.md`
//! ([`FaultSection`], durations in them written by [`secs`]) and the machine a figure was
//! measured on ([`cpu_model`], [`loadavg`]).

mod fault;
mod machine;
mod section;

pub use fault::{secs, FaultSection, RELIABILITY_OUT_VAR};
pub use machine::{cpu_model, loadavg};
pub use section::{workspace_root, write_section};
