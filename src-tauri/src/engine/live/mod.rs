//! Long-lived views for front ends that stay open (the window, and the CLI's `attach`): shared
//! connections, following a session across lost links, tabs' attachments, monitoring feeds and
//! prompts answered later.
//!
//! | piece | file |
//! |---|---|
//! | one shared connection per host, single-flight reconnect | `connections.rs` |
//! | one cursor, one backoff, one loop for following across lost links | `follow.rs` |
//! | the CLI's attach as a follower over its own connection | `stay_attached.rs` |
//! | a tab's attachment: batching, flow control, reconnect | `attachment.rs` |
//! | a monitoring panel's feed: history, then live samples | `monitor_feed.rs` |
//! | prompts as numbered requests answered later | `prompt_broker.rs` |

pub mod attachment;
pub mod connections;
pub mod follow;
pub mod monitor_feed;
pub mod prompt_broker;
pub mod stay_attached;
