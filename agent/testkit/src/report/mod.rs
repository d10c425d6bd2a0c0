//! Reports into the project's documents: rewriting one marked section of a Markdown file in
//! place ([`write_section`]), the fault scenarios' sections of `docs/reliability.md`
//! ([`FaultSection`]) and the machine a figure was measured on ([`cpu_model`], [`loadavg`]).

mod fault;
mod machine;
mod section;

pub use fault::{FaultSection, RELIABILITY_OUT_VAR};
pub use machine::{cpu_model, loadavg};
pub use section::{workspace_root, write_section};
