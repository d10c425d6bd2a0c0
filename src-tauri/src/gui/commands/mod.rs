//! The window's commands, grouped by what they act on. Each is a few lines over the engine;
//! argument and field names are snake_case, like the protocol's.

pub mod app;
pub mod automation;
pub mod files;
pub mod files_picker;
pub mod forwards;
pub mod host_args;
pub mod hosts;
pub mod links;
pub mod monitor;
pub mod policy;
pub mod primary;
pub mod recordings;
pub mod sessions;
pub mod terminal;
