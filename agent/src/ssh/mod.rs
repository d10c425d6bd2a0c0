//! OpenSSH as the agent uses it: the argv of `ssh` sessions and their validation ([`argv`]), the
//! link state read from each session's ControlMaster ([`link`]), the reconnect policy
//! ([`reconnect`]), and the agent user's `~/.ssh/config` aliases for `ssh.hosts` ([`hosts`]).

pub mod argv;
pub mod hosts;
pub mod link;
pub mod reconnect;
