//! Every method: a marker type tying its wire name to its params and result types.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::initialize::{InitializeParams, InitializeResult};
use crate::monitor::{
    SnapshotParams, SnapshotResult, SubscribeParams, SubscribeResult, UnsubscribeParams,
};
use crate::session::{
    AttachParams, AttachResult, CreateParams, CreateResult, Empty, InputParams, ListParams,
    ListResult, ReadParams, ReadResult, ResizeParams, SessionRef, SignalParams,
};

/// A JSON-RPC method of the Outpost protocol.
pub trait Method {
    /// The method's name on the wire.
    const NAME: &'static str;
    /// Its params.
    type Params: Serialize + DeserializeOwned + Send;
    /// Its result.
    type Result: Serialize + DeserializeOwned + Send;
}

macro_rules! methods {
    ($($(#[$doc:meta])* $ty:ident = $name:literal ($params:ty) -> $result:ty;)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $ty;
            impl Method for $ty {
                const NAME: &'static str = $name;
                type Params = $params;
                type Result = $result;
            }
        )*
        /// Every method name, in documentation order.
        pub const ALL: &[&str] = &[$($name),*];
    };
}

methods! {
    /// Agree on the protocol version; must come first.
    Initialize = "initialize" (InitializeParams) -> InitializeResult;
    /// Start a session in its own daemon.
    SessionCreate = "session.create" (CreateParams) -> CreateResult;
    /// List this user's sessions.
    SessionList = "session.list" (ListParams) -> ListResult;
    /// Stream a session's output from an offset on.
    SessionAttach = "session.attach" (AttachParams) -> AttachResult;
    /// Stop streaming a session's output.
    SessionDetach = "session.detach" (SessionRef) -> Empty;
    /// Type into a session (also accepted as a notification).
    SessionInput = "session.input" (InputParams) -> Empty;
    /// Change a session's terminal size.
    SessionResize = "session.resize" (ResizeParams) -> Empty;
    /// Send a signal to a session's foreground process group.
    SessionSignal = "session.signal" (SignalParams) -> Empty;
    /// Read held output by offset (pull-based paging).
    SessionRead = "session.read" (ReadParams) -> ReadResult;
    /// End a session's process and remove its daemon, socket and state.
    SessionClose = "session.close" (SessionRef) -> Empty;
    /// A session's shell-integration prompt marks (OSC 133) with their offsets.
    SessionMarks = "session.marks" (SessionRef) -> crate::session::MarksResult;
    /// One sample of the agent's host or an ssh session's target.
    MonitorSnapshot = "monitor.snapshot" (SnapshotParams) -> SnapshotResult;
    /// Samples at an interval, with the last 10 minutes of history.
    MonitorSubscribe = "monitor.subscribe" (SubscribeParams) -> SubscribeResult;
    /// End a subscription.
    MonitorUnsubscribe = "monitor.unsubscribe" (UnsubscribeParams) -> Empty;
    /// The `Host` aliases of the agent user's `~/.ssh/config`.
    SshHosts = "ssh.hosts" (crate::ssh_hosts::SshHostsParams) -> crate::ssh_hosts::SshHostsResult;
    /// Start or stop recording a session to an asciicast file.
    SessionRecord = "session.record" (crate::recording::RecordParams) -> crate::recording::RecordResult;
    /// Run one command in a session's shell and answer with its exit code and output.
    SessionExec = "session.exec" (crate::exec::ExecParams) -> crate::exec::ExecResult;
    /// An earlier `session.exec`'s result (final once the command ended).
    SessionExecResult = "session.exec_result" (crate::exec::ExecResultParams) -> crate::exec::ExecResult;
    /// Wait until a session's output matches one of some patterns.
    SessionExpect = "session.expect" (crate::exec::ExpectParams) -> crate::exec::ExpectResult;
    /// Run a one-shot command without a terminal (agent's host or an ssh session's target).
    ExecRun = "exec.run" (crate::exec::RunParams) -> crate::exec::RunResult;
    /// The recording files held on the agent's host.
    RecordingList = "recording.list" (crate::recording::RecordingListParams) -> crate::recording::RecordingListResult;
    /// A bounded chunk of a recording file.
    RecordingRead = "recording.read" (crate::recording::RecordingReadParams) -> crate::recording::RecordingReadResult;
    /// How to reach an ssh session's target through its ControlMaster (file transfer).
    SessionSshControl = "session.ssh_control" (SessionRef) -> crate::files::SshControlResult;
    /// Offer a destination as a private Unix socket on the agent's host, kept by the agent.
    ForwardOpen = "forward.open" (crate::forward::ForwardOpenParams) -> crate::forward::ForwardInfo;
    /// This user's agent-owned forwards with their state.
    ForwardList = "forward.list" (crate::forward::ForwardListParams) -> crate::forward::ForwardListResult;
    /// Remove an agent-owned forward and its socket.
    ForwardClose = "forward.close" (crate::forward::ForwardCloseParams) -> Empty;
}
