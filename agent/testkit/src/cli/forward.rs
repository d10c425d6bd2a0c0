//! `outpost forward` as the forward tests drive it: a foreground forward process and its first
//! line, and a forward's entry in `outpost forward list`.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::Value;

use super::Cli;
use crate::process::Running;

impl Cli {
    /// Starts `outpost --json forward ARGS` in the foreground; returns it and its first line
    /// (the forwards it serves).
    pub fn start_forward(&self, args: &[&str]) -> (Running, Value) {
        let mut child = self
            .cmd()
            .args(["--json", "forward"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting outpost forward");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("reading outpost forward's first line");
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("forward {args:?} printed {line:?}: {e}"));
        (Running(child), v)
    }
}

/// Forward `id` in the output of `outpost --json forward list`, with its process's link state.
pub fn running_forward(list: &Value, id: &str) -> Option<(Value, String)> {
    list["running"].as_array()?.iter().find_map(|r| {
        r["forwards"]
            .as_array()?
            .iter()
            .find(|f| f["id"] == id)
            .map(|f| {
                let state = r["link"]["state"].as_str().unwrap_or_default();
                (f.clone(), state.to_string())
            })
    })
}
