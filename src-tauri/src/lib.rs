//! Outpost's desktop side: the [`engine`] (hosts, SSH, agent deployment, JSON-RPC client,
//! reconnection), built and tested without a window, the `outpost` command line ([`cli`]) and,
//! with the `gui` feature, the desktop window ([`gui`]): thin Tauri commands over the engine.

pub mod cli;
pub mod engine;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
#[cfg(feature = "gui")]
pub mod gui;
pub mod mcp;
