//! The second measure: a new session on an open connection. `Connection::open` once, then
//! `session.create` calls timed one by one (engine level, from sending the request to its answer).

use std::sync::Arc;
use std::time::Instant;

use anyhow::{ensure, Result};
use outpost_desktop::engine::agent::connect::Connection;
use outpost_desktop::engine::ssh::known_hosts::KnownHosts;
use outpost_desktop::engine::ssh::{AutoPrompter, Credentials};
use outpost_desktop::engine::store::hosts::HostStore;
use outpost_desktop::engine::EngineContext;
use outpost_protocol::method;
use outpost_protocol::session::{CreateParams, SessionKind, SessionRef};

use crate::{ms, Setup};

/// Every creation's time, ms, and how long opening the connection took.
pub struct Creates {
    pub times: Vec<f64>,
    pub open_ms: f64,
}

/// `n` timed shell sessions (80×24) after one untimed warm-up; all closed afterwards.
pub fn creates(s: &Setup, n: usize) -> Result<Creates> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let config = s.config_dir();
        let ctx = EngineContext {
            known_hosts: Arc::new(KnownHosts::new(s.known_hosts(), config.join("known_hosts"))),
            config_dir: config.clone(),
            prompter: Arc::new(AutoPrompter::new()),
            credentials: Arc::new(Credentials::new()),
        };
        let host = HostStore::load(&config)?.get("bench")?;
        let t = Instant::now();
        let conn = Connection::open(&host, &ctx).await?;
        let open_ms = ms(t.elapsed());
        ensure!(!conn.info.deployed, "the engine deployed again");
        let mut times = Vec::new();
        let mut ids = Vec::new();
        // One untimed warm-up create (first fork of the agent's launcher path).
        for i in 0..=n {
            let params = CreateParams {
                kind: SessionKind::Shell,
                cols: 80,
                rows: 24,
                title: Some(format!("bench-{i}")),
                cwd: None,
                env: Default::default(),
                scrollback_bytes: None,
                shell: None,
                ssh: None,
                reconnect: None,
                record: false,
                record_input: false,
            };
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
