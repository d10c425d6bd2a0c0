//! Driving sessions from scripts: the shell integration that marks prompts and command ends
//! ([`integration`]), the pure exec state machine over those marks ([`tracker`]), the session
//! daemon's side of `session.exec` ([`daemon`]), and in `ssh` sessions the per-command marks
//! ([`trailer`]) and when they may be typed ([`remote`]); the pattern matcher of `session.expect` ([`expect`]) and the
//! one-shot commands of `exec.run` ([`run`]). See docs/automation.md.

pub mod daemon;
pub mod expect;
pub mod integration;
pub mod remote;
pub mod run;
pub mod tracker;
pub mod trailer;
