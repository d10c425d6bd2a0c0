//! The tools, grouped by what they act on; each group is one `#[tool_router]` that
//! [`super::server::OutpostMcp::new`] adds together.
//!
//! | group | tools |
//! |---|---|
//! | [`hosts`] | `hosts_list`, `host_check`, `monitor_snapshot` |
//! | [`sessions`] | `sessions_list`, `session_open`, `session_send`, `session_read`, `session_interrupt`, `session_close` |
//! | [`exec`] | `session_exec`, `session_exec_result`, `session_expect`, `exec_run`, `group_exec` |
//! | [`files`] | `files_list`, `file_stat`, `file_read`, `file_write`, `file_upload`, `file_download`, `file_mkdir`, `file_remove`, `file_move` |
//! | [`forwards`] | `forward_open`, `forward_list`, `forward_close` |
//! | [`policy`] | `policy` |

pub mod exec;
pub mod files;
pub mod forwards;
pub mod hosts;
pub mod policy;
pub mod sessions;
