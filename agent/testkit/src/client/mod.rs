//! The one test client of the real agent: `outpost-agent serve --stdio` over pipes (or over
//! streams the caller hands in), used by the agent's integration tests, the fault suite, the
//! soak and the benches.
//!
//! A reader thread sorts every line with the protocol's one-pass reader
//! ([`AgentMessage::parse`](outpost_protocol::incoming::AgentMessage::parse)) and only
//! appends:
//!
//! - responses are filed by id ([`Client::reply`], or typed: [`Client::call`]);
//! - `session.output` is decoded borrowed ([`OutputRef`](outpost_protocol::output::OutputRef))
//!   into its session's [`Stream`], which checks that the first chunk starts at the attach's
//!   `replay_from` and that offsets are contiguous ([`Mode`] relaxes that for floods and keeps
//!   only the latest bytes, or none);
//! - every other notification becomes an [`Event`];
//! - anything that is not a JSON-RPC message, output before its attach result and a second
//!   answer to one id are [violations](Client::violations), which fail the next strict wait.
//!
//! With [`Options::journal`] everything read is also kept in order ([`Client::take_journal`]),
//! for callers that check the order of messages (the soak). Benches get the raw pieces:
//! [`Client::send_raw`] of a prepared line returns when it was written, and every [`Reply`],
//! [`Stream`] and [`Event`] carries when it was read.
//!
//! The API blocks and suits a plain `fn main`:
//!
//! ```no_run
//! use outpost_protocol::method::SessionList;
//! use outpost_protocol::session::ListParams;
//! use outpost_testkit::client::{Client, Options};
//!
//! let mut cmd = std::process::Command::new("target/release/outpost-agent");
//! cmd.env("OUTPOST_HOME", "/tmp/bench-home");
//! let agent = Client::spawn(cmd, Options::default()).unwrap();
//! agent.initialize().unwrap();
//! let list = agent.call::<SessionList>(&ListParams::default()).unwrap();
//! println!("{} sessions", list.sessions.len());
//! ```

mod conn;
mod error;
mod event;
mod reader;
mod stream;

pub use conn::{Client, Options, DEADLINE};
pub use error::ClientError;
pub use event::{Entry, Event};
pub use reader::Reply;
pub use stream::{Mode, Stream};

pub(crate) use reader::lock;
