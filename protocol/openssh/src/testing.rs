//! The oracle for tests (feature `testing`): what OpenSSH's own `ssh -G` prints for a name,
//! turned into the JSON `outpost hosts show --json` prints ([`crate::config::Effective`]), so
//! the two compare as values. The only normalisation: `ssh -G` spells
//! `StrictHostKeyChecking yes|no` as `true|false`, an unset `ConnectTimeout` as `none`, and
//! prints a list keyword once per value (`identityfile`, `certificatefile`) or space-separated
//! (`userknownhostsfile`), `proxyjump` comma-separated.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// What `ssh -G -F config name` prints, as `outpost hosts show --json` data; run with `HOME`
/// at `home` (where `Include` leads). An error names the command and its stderr.
pub fn ssh_g_json(home: &Path, config: &Path, name: &str) -> Result<Value, String> {
    ssh_g_json_with(home, config, name, &BTreeMap::new())
}

/// [`ssh_g_json`] with `vars` set in `ssh`'s environment too (for `${VAR}` in paths).
pub fn ssh_g_json_with(
    home: &Path,
    config: &Path,
    name: &str,
    vars: &BTreeMap<String, String>,
) -> Result<Value, String> {
    let out = Command::new("ssh")
        .env("HOME", home)
        .envs(vars)
        .arg("-G")
        .arg("-F")
        .arg(config)
        .arg(name)
        .output()
        .map_err(|e| format!("running ssh -G (is OpenSSH's client installed?): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "ssh -G -F {} {name} failed: {}",
            config.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(parse_ssh_g(&String::from_utf8_lossy(&out.stdout)))
}

/// `ssh -G` output as `outpost hosts show --json` data; see the [module documentation](self).
pub fn parse_ssh_g(text: &str) -> Value {
    let mut lists: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut single: BTreeMap<&str, String> = BTreeMap::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(' ') else {
            continue;
        };
        match key {
            "identityfile" | "certificatefile" => {
                lists.entry(key).or_default().push(value.to_owned())
            }
            "hostname"
            | "port"
            | "user"
            | "proxyjump"
            | "proxycommand"
            | "forwardagent"
            | "identityagent"
            | "userknownhostsfile"
            | "stricthostkeychecking"
            | "connecttimeout"
            | "serveraliveinterval" => {
                single.insert(key, value.to_owned());
            }
            _ => {}
        }
    }
    let get = |k: &str| single.get(k).cloned();
    let num = |k: &str| get(k).and_then(|v| v.parse::<u64>().ok());
    let split = |k: &str, sep: char| -> Vec<String> {
        get(k)
            .map(|v| v.split(sep).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    serde_json::json!({
        "hostname": get("hostname"),
        "port": num("port"),
        "user": get("user"),
        "identity_files": lists.get("identityfile").cloned().unwrap_or_default(),
        "proxy_jump": split("proxyjump", ','),
        "proxy_command": get("proxycommand"),
        "forward_agent": get("forwardagent"),
        "identity_agent": get("identityagent"),
        "certificate_files": lists.get("certificatefile").cloned().unwrap_or_default(),
        "user_known_hosts_files": split("userknownhostsfile", ' '),
        "strict_host_key_checking": get("stricthostkeychecking").map(|v| match v.as_str() {
            "true" => "yes".to_owned(),
            "false" => "no".to_owned(),
            _ => v,
        }),
        "connect_timeout": num("connecttimeout"),
        "server_alive_interval": num("serveraliveinterval"),
    })
}
