//! The terminal a session daemon owns: the PTY with its child process and threads ([`pty`]), the
//! child and the rule for signalling it ([`child`]), and the output ring addressed by absolute
//! offsets ([`ring`]), and the screen model fed the same bytes ([`screen`]).

pub mod child;
pub mod pty;
pub mod ring;
pub mod screen;
