//! The UI's TypeScript types and limits, generated from the Rust types and constants into
//! `ui/src/api/generated/` (committed).
//!
//! `types.ts` declares every type the window's commands and channels carry (and everything they
//! refer to), from `ts_rs::TS` derives that exist in test builds only (the protocol's behind its
//! `ts` feature). `limits.ts` holds the protocol's and the engine's limits the UI enforces, so
//! the UI never keeps a copy of a number.
//!
//! `cargo test -p outpost-desktop --lib export_bindings` fails when the committed files differ
//! from what the Rust side generates; with `OUTPOST_UPDATE_BINDINGS=1` it writes them instead.

use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use ts_rs::{Config, TypeVisitor, TS};

use crate::engine::agent::connect::ConnectInfo;
use crate::engine::live::attachment::TabEvent;
use crate::engine::live::monitor_feed::MonitorEvent;
use crate::engine::live::prompt_broker::{HostKeyAnswer, PromptRequest};
use crate::engine::store::{hosts::Host, ssh_config::ConfigAlias, ui_state};
use crate::engine::ErrorReport;
use crate::gui::commands::{app::AppInfo, monitor::Subscribed, terminal::SessionChangedEvent};
use outpost_protocol::monitor::{
    MonitorTarget, Sample, HISTORY_MS, INTERVAL_RANGE, MAX_CORES, MAX_DISKS, MAX_INTERFACES,
    MAX_TEXT_BYTES, MAX_TOP,
};
use outpost_protocol::session::{SessionInfo, SIZE_RANGE};
use outpost_protocol::ssh_hosts::SshHostsResult;

/// Set to `1` to write the generated files instead of comparing them.
const UPDATE_VAR: &str = "OUTPOST_UPDATE_BINDINGS";

const HEADER: &str =
    "// Generated from the Rust types by `cargo test -p outpost-desktop --lib export_bindings`\n\
// (`OUTPOST_UPDATE_BINDINGS=1` rewrites it). Do not edit by hand.\n";

fn out_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/api/generated")
}

/// Collects the declarations of the visited types and of everything they refer to, by name.
struct Declarations {
    cfg: Config,
    seen: HashSet<TypeId>,
    decls: BTreeMap<String, String>,
}

impl TypeVisitor for Declarations {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_none() || !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        let docs = T::docs().unwrap_or_default();
        let decl = format!("{docs}export {}\n", T::decl(&self.cfg));
        self.decls.insert(T::ident(&self.cfg), decl);
        T::visit_dependencies(self);
    }
}

/// `types.ts`: what the commands take and return, what their channels carry, how they fail.
fn types_ts() -> String {
    let mut d = Declarations {
        // JSON numbers: every u64 the window sees (offsets, byte counts) stays below 2^53.
        cfg: Config::new().with_large_int("number"),
        seen: HashSet::new(),
        decls: BTreeMap::new(),
    };
    d.visit::<ErrorReport>();
    d.visit::<TabEvent>();
    d.visit::<SessionChangedEvent>();
    d.visit::<MonitorEvent>();
    d.visit::<MonitorTarget>();
    d.visit::<Sample>();
    d.visit::<Subscribed>();
    d.visit::<SessionInfo>();
    d.visit::<SshHostsResult>();
    d.visit::<outpost_protocol::recording::RecordingInfo>();
    d.visit::<outpost_protocol::recording::RecordResult>();
    d.visit::<Host>();
    d.visit::<ConfigAlias>();
    d.visit::<AppInfo>();
    d.visit::<ConnectInfo>();
    d.visit::<PromptRequest>();
    d.visit::<HostKeyAnswer>();
    d.visit::<crate::engine::automation::group::SessionOutcome>();
    d.visit::<crate::gui::commands::automation::SessionTarget>();
    d.visit::<crate::gui::commands::files::Listing>();
    d.visit::<crate::gui::commands::files::TransferStarted>();
    d.visit::<crate::gui::commands::files::TransferEvent>();
    d.visit::<crate::gui::commands::forwards::HostForwards>();
    d.visit::<crate::gui::commands::forwards::NewForward>();
    d.visit::<crate::gui::commands::forwards::agent::AgentForwards>();
    d.visit::<crate::gui::commands::forwards::agent::NewAgentForward>();
    d.visit::<crate::gui::commands::forwards::agent::AgentForwardKey>();
    let mut out = String::from(HEADER);
    for decl in d.decls.values() {
        out.push('\n');
        out.push_str(decl);
    }
    out
}

/// `limits.ts`: the limits the UI enforces, from the constants the Rust side enforces.
fn limits_ts() -> String {
    let consts: [(&str, &str, String); 16] = [
        (
            "The smallest terminal dimension the agent accepts, in cells.",
            "TERMINAL_SIZE_MIN",
            SIZE_RANGE.start().to_string(),
        ),
        (
            "The largest terminal dimension the agent accepts, in cells.",
            "TERMINAL_SIZE_MAX",
            SIZE_RANGE.end().to_string(),
        ),
        (
            "The longest protocol line, in bytes.",
            "MAX_LINE_BYTES",
            outpost_protocol::MAX_LINE_BYTES.to_string(),
        ),
        (
            "The shortest monitoring interval, in milliseconds.",
            "MONITOR_INTERVAL_MIN_MS",
            INTERVAL_RANGE.start().to_string(),
        ),
        (
            "The longest monitoring interval, in milliseconds.",
            "MONITOR_INTERVAL_MAX_MS",
            INTERVAL_RANGE.end().to_string(),
        ),
        (
            "How much monitoring history the agent keeps (and a subscription starts with), in milliseconds.",
            "MONITOR_HISTORY_MS",
            HISTORY_MS.to_string(),
        ),
        (
            "The most CPU cores a sample lists.",
            "MONITOR_MAX_CORES",
            MAX_CORES.to_string(),
        ),
        (
            "The most filesystems a sample lists.",
            "MONITOR_MAX_DISKS",
            MAX_DISKS.to_string(),
        ),
        (
            "The most network interfaces a sample lists.",
            "MONITOR_MAX_INTERFACES",
            MAX_INTERFACES.to_string(),
        ),
        (
            "The most processes a sample lists as the busiest.",
            "MONITOR_MAX_TOP",
            MAX_TOP.to_string(),
        ),
        (
            "The longest text a sample carries (host, mount, process names), in bytes.",
            "MONITOR_MAX_TEXT_BYTES",
            MAX_TEXT_BYTES.to_string(),
        ),
        (
            "The documents `state_load`/`state_save` accept.",
            "STATE_KEYS",
            format!(
                "[{}] as const",
                ui_state::KEYS
                    .iter()
                    .map(|k| format!("{k:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        (
            "The largest saved window document, in bytes.",
            "STATE_MAX_BYTES",
            ui_state::MAX_BYTES.to_string(),
        ),
        (
            "The longest command `session.exec` takes, in bytes.",
            "EXEC_COMMAND_MAX_BYTES",
            outpost_protocol::exec::MAX_EXEC_COMMAND_BYTES.to_string(),
        ),
        (
            "The longest `session.exec` timeout, in milliseconds.",
            "EXEC_TIMEOUT_MAX_MS",
            outpost_protocol::exec::EXEC_TIMEOUT_RANGE.end().to_string(),
        ),
        (
            "The most sessions one \"Run in selected sessions\" takes.",
            "RUN_SESSIONS_MAX",
            crate::engine::automation::group::MAX_GROUP.to_string(),
        ),
    ];
    let mut out = String::from(HEADER);
    for (doc, name, value) in consts {
        out.push_str(&format!("\n/** {doc} */\nexport const {name} = {value};\n"));
    }
    out
}

/// Compares `contents` with the committed `name`, or writes it when asked to.
fn check_or_write(name: &str, contents: &str) -> Result<(), String> {
    let path = out_dir().join(name);
    if std::env::var(UPDATE_VAR).as_deref() == Ok("1") {
        std::fs::create_dir_all(out_dir()).map_err(|e| format!("{}: {e}", out_dir().display()))?;
        return std::fs::write(&path, contents).map_err(|e| format!("{}: {e}", path.display()));
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == contents {
        Ok(())
    } else {
        Err(format!(
            "{} is stale: run `{UPDATE_VAR}=1 cargo test -p outpost-desktop --lib export_bindings` \
             and commit the result",
            path.display()
        ))
    }
}

#[test]
fn export_bindings() {
    let results = [
        check_or_write("types.ts", &types_ts()),
        check_or_write("limits.ts", &limits_ts()),
    ];
    let stale: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

#[test]
fn the_generated_types_cover_what_the_ui_reads() {
    let types = types_ts();
    for name in [
        "export type ErrorReport",
        "export type ErrorDetails",
        "export type ChangedKey",
        "export type DeployError",
        "export type TabEvent",
        "export type MonitorEvent",
        "export type SessionInfo",
        "export type Sample",
    ] {
        assert!(types.contains(name), "{name} is missing");
    }
    assert!(
        !types.contains("bigint"),
        "u64 must map to number, as JSON carries it"
    );
}
