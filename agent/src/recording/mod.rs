//! Recordings: a session's output (with times and resizes, and input when asked) written by its
//! daemon as asciicast v2 files in the private `<state>/recordings/` directory.
//!
//! | file | holds |
//! |------|-------|
//! | [`asciicast`] | the format, pure: header and event lines, the UTF-8 carry across reads |
//! | [`recorder`] | the daemon's hooks (output, input, resize) and the bounded queue; on/off |
//! | [`writer`] | the writer thread: files (0600), the size bound and rotation, drop markers |
//! | [`store`] | the agent's side: `recording.list` and bounded, name-checked `recording.read` |
//!
//! The PTY reader never waits for the disk: events go through a bounded queue, and when it is
//! full they are dropped, counted and marked in the file. See docs/recordings.md.

pub mod asciicast;
pub mod recorder;
pub mod store;
mod writer;

pub use recorder::{RecordError, RecordSpec, Recorder};
