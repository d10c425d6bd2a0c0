//! Dispatch: the order in which requests run, the `initialize` gate and the in-flight limit.
//! What each method does is in [`super::routes`].

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use outpost_protocol::jsonrpc::{NotificationMessage, Request};
use outpost_protocol::{ErrorCode, ErrorObject, Message};
use tokio::sync::Semaphore;

use super::routes::{self, Context, Route};
use crate::outbound::Sink;

/// Requests handled at once at most; more get -32008.
const MAX_IN_FLIGHT: u32 = 256;

/// Routes messages to their handlers.
pub struct Dispatcher {
    cx: Arc<Context>,
    in_flight: Arc<Semaphore>,
}

impl Dispatcher {
    /// A dispatcher over one client's context.
    pub fn new(cx: Context) -> Self {
        Self {
            cx: Arc::new(cx),
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT as usize)),
        }
    }

    /// Waits (up to a few seconds) for requests in flight to finish.
    pub async fn wait_idle(&self) {
        let all = self.in_flight.acquire_many(MAX_IN_FLIGHT);
        let _ = tokio::time::timeout(Duration::from_secs(5), all).await;
    }

    /// Handles one line from the client.
    pub async fn handle_line(&self, line: &[u8]) {
        match Message::parse(line) {
            Ok(Message::Request(req)) => self.request(req).await,
            Ok(Message::Notification(n)) => self.notification(n).await,
            Ok(Message::Response(_)) => tracing::debug!("ignoring a response from the client"),
            Err(fail) => self.cx.out.error(fail.id, fail.error).await,
        }
    }

    fn initialized(&self) -> bool {
        self.cx.initialized.load(Ordering::SeqCst)
    }

    async fn notification(&self, n: NotificationMessage) {
        if !self.initialized() {
            tracing::debug!(method = %n.method, "notification before initialize ignored");
            return;
        }
        if Route::find(&n.method) == Some(Route::SessionInput) {
            routes::input_notification(&self.cx, n.params).await;
        } else {
            tracing::debug!(method = %n.method, "unknown notification ignored");
        }
    }

    async fn request(&self, req: Request) {
        let Request {
            id, method, params, ..
        } = req;
        let route = Route::find(&method);
        if route == Some(Route::Initialize) {
            return Route::Initialize.run(&self.cx, id, params).await;
        }
        if !self.initialized() {
            let err = ErrorObject::new(
                ErrorCode::NotInitialized,
                "call initialize before any other method",
            );
            return self.cx.out.error(Some(id), err).await;
        }
        let Some(route) = route else {
            let err = ErrorObject::new(
                ErrorCode::MethodNotFound,
                format!("unknown method {method:?}"),
            );
            return self.cx.out.error(Some(id), err).await;
        };
        if route.in_order() {
            return route.run(&self.cx, id, params).await;
        }
        let Ok(permit) = self.in_flight.clone().try_acquire_owned() else {
            let err = ErrorObject::new(
                ErrorCode::LimitReached,
                format!("more than {MAX_IN_FLIGHT} requests in flight; wait for answers"),
            );
            return self.cx.out.error(Some(id), err).await;
        };
        let cx = self.cx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            route.run(&cx, id, params).await;
        });
    }
}
