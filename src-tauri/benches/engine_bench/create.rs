//! The second measure: a new session on an open connection. `Connection::open` once, then
//! `session.create` calls timed one by one (engine level, from sending the request to its answer).

use std::time::Instant;

use anyhow::{ensure, Result};
use outpost_desktop::engine::agent::connect::Connection;
use outpost_desktop::engine::store::hosts::HostStore;
use outpost_protocol::method;
use outpost_protocol::session::{CreateParams, SessionKind, SessionRef};

use crate::{ms, Setup};

/// Every creation's time, ms, and how long opening the connection took.
pub struct Creates {
    pub times: Vec<f64>,
    pub open_ms: f64,
}

/// A shell session of 80×24 titled `title`, the agent's defaults otherwise.
pub fn shell_params(title: String) -> CreateParams {
    CreateParams {
        kind: SessionKind::Shell,
        cols: 80,
        rows: 24,
        title: Some(title),
        cwd: None,
        env: Default::default(),
        scrollback_bytes: None,
        shell: None,
        ssh: None,
        reconnect: None,
        record: false,
        record_input: false,
        max_stall_ms: None,
    }
}

/// `n` timed shell sessions (80×24) after one untimed warm-up; all closed afterwards.
pub fn creates(s: &Setup, n: usize) -> Result<Creates> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let ctx = s.context();
        let host = HostStore::load(&ctx.config_dir)?.get("bench")?;
        let t = Instant::now();
        let conn = Connection::open(&host, &ctx).await?;
        let open_ms = ms(t.elapsed());
        ensure!(!conn.info.deployed, "the engine deployed again");
        let mut times = Vec::new();
        let mut ids = Vec::new();
        // One untimed warm-up create (first fork of the agent's launcher path).
        for i in 0..=n {
            let params = shell_params(format!("bench-{i}"));
            let t = Instant::now();
            let r = conn.rpc.call::<method::SessionCreate>(params).await?;
            if i > 0 {
                times.push(ms(t.elapsed()));
            }
            ids.push(r.session.session_id);
        }
        for id in ids {
            conn.rpc
                .call::<method::SessionClose>(SessionRef { session_id: id })
                .await?;
        }
        conn.close().await;
        Ok::<_, anyhow::Error>(Creates { times, open_ms })
    })
}
