//! `forward.open`, `forward.list`, `forward.close`: agent-owned forwards, kept on this host by
//! [`crate::forward`] so they outlive the desktop.

use outpost_protocol::forward::{
    ForwardCloseParams, ForwardInfo, ForwardListParams, ForwardListResult, ForwardOpenParams,
};
use outpost_protocol::method::{ForwardClose, ForwardList, ForwardOpen};
use outpost_protocol::session::Empty;
use outpost_protocol::ErrorObject;

use super::{Context, Handler};
use crate::forward::ops;

impl Handler for ForwardOpen {
    async fn handle(cx: &Context, p: ForwardOpenParams) -> Result<ForwardInfo, ErrorObject> {
        ops::open(cx.registry.paths(), p).await
    }
}

impl Handler for ForwardList {
    async fn handle(cx: &Context, _: ForwardListParams) -> Result<ForwardListResult, ErrorObject> {
        Ok(ops::list(cx.registry.paths()).await)
    }
}

impl Handler for ForwardClose {
    async fn handle(cx: &Context, p: ForwardCloseParams) -> Result<Empty, ErrorObject> {
        ops::close(cx.registry.paths(), p).await.map(|()| Empty {})
    }
}
