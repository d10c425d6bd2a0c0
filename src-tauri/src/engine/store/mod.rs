//! What the desktop keeps on disk: its configuration directory, the saved hosts, the window's
//! state, and what it reads from the user's `~/.ssh/config`.
//!
//! | piece | file |
//! |---|---|
//! | the configuration directory and private atomic writes | `config_dir.rs` |
//! | saved hosts (`hosts.json`) and the built-in `local` host | `hosts.rs` |
//! | a saved host as an SSH target, ProxyJump resolution | `targets.rs` |
//! | `~/.ssh/config` import | `ssh_config.rs` |
//! | the window's settings and workspace | `ui_state.rs` |

pub mod config_dir;
pub mod hosts;
pub mod ssh_config;
pub mod targets;
pub mod ui_state;
