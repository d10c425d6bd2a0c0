//! Driving sessions from scripts: the shell integration that marks prompts and command ends
//! ([`integration`]), the pure exec state machine over those marks ([`tracker`]), the session
//! daemon's side of `session.exec` ([`daemon`]); the pattern matcher of `session.expect` ([`expect`]) and the
//! one-shot commands of `exec.run` ([`run`]). See docs/automation.md.

pub mod daemon;
pub mod expect;
pub mod integration;
pub mod run;
pub mod tracker;
