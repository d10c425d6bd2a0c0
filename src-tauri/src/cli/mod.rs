//! The `outpost` command line: the same engine as the GUI, for people in a terminal and for
//! scripts (every command takes `--json`).

pub mod attach;
pub mod audit;
pub mod commands;
pub mod exec;
pub mod expect;
pub mod files;
pub mod follow;
pub mod forward;
pub mod output;
pub mod prompt;
pub mod recordings;

use clap::{Parser, Subcommand};

/// `outpost`: terminal sessions that live on your hosts.
#[derive(Parser, Debug)]
#[command(
    name = "outpost",
    version,
    about,
    after_help = "Run `outpost` with no arguments to open the desktop window (when built with the `gui` feature)."
)]
pub struct Cli {
    /// Print `{"ok":true,"data":…}` or `{"ok":false,"error":{…}}` instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Trust a host key seen for the first time without asking (it is saved).
    #[arg(long, global = true)]
    pub accept_new_host_key: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Manage saved hosts.
    Hosts {
        /// What to do with them.
        #[command(subcommand)]
        action: HostsAction,
    },
    /// Connect to a host and report its name, platform, latency and agent.
    Check {
        /// The host (`local` is this computer; a saved host or any ~/.ssh/config alias).
        host: String,
    },
    /// List a host's sessions.
    Sessions {
        /// The host.
        host: String,
    },
    /// Start a session; prints its id.
    New {
        /// The host.
        host: String,
        /// Open an SSH session from the host to `[user@]target[:port]` instead of a shell.
        #[arg(long, value_name = "[USER@]TARGET[:PORT]")]
        ssh: Option<String>,
        /// The session's title.
        #[arg(long)]
        title: Option<String>,
        /// Terminal width (default: this terminal's, or 80).
        #[arg(long)]
        cols: Option<u16>,
        /// Terminal height (default: this terminal's, or 24).
        #[arg(long)]
        rows: Option<u16>,
        /// Record the session's output (asciicast v2 on the host; see `outpost recordings`).
        #[arg(long)]
        record: bool,
        /// Record what is typed too (implies --record).
        #[arg(long)]
        record_input: bool,
    },
    /// Attach this terminal to a session (detach with Ctrl-]).
    Attach {
        /// The host.
        host: String,
        /// The session id.
        session: String,
        /// Start from this output offset (default: all that is held).
        #[arg(long)]
        from: Option<u64>,
    },
    /// Print a session's held output.
    Read {
        /// The host.
        host: String,
        /// The session id.
        session: String,
        /// The first offset (default: the oldest held).
        #[arg(long)]
        from: Option<u64>,
        /// The most bytes to print (default: everything held).
        #[arg(long, conflicts_with = "follow")]
        limit: Option<u64>,
        /// Go on printing new output as it comes, until the session ends or Ctrl-C.
        #[arg(long, short = 'f')]
        follow: bool,
    },
    /// Type text into a session (escapes: \n \r \t \e \\ \xHH).
    Send {
        /// The host.
        host: String,
        /// The session id.
        session: String,
        /// The text.
        text: String,
        /// Then wait until the output matches this regular expression (repeatable; in order,
        /// each paired with the --respond at its position).
        #[arg(long, value_name = "RE")]
        expect: Vec<String>,
        /// Type this text (same escapes) when the --expect before it matched (repeatable).
        #[arg(long, value_name = "TEXT", requires = "expect")]
        respond: Vec<String>,
        /// How long each --expect waits, in seconds (default 30).
        #[arg(long, value_name = "SECONDS", requires = "expect")]
        timeout: Option<f64>,
    },
    /// Run a command on a host, in a session's shell or on an ssh session's target, or on many
    /// hosts or sessions at once; exits with the command's status (255: Outpost failed, 124:
    /// timed out). See docs/automation.md.
    Exec(exec::ExecArgs),
    /// End a session.
    Close {
        /// The host.
        host: String,
        /// The session id.
        session: String,
    },
    /// List and export session recordings (asciicast files kept on a host).
    Recordings {
        /// What to do with them.
        #[command(subcommand)]
        action: recordings::RecordingsAction,
    },
    /// Port forwards through a host: -L local ports, -D SOCKS5; saved per host.
    Forward {
        /// What to do.
        #[command(subcommand)]
        action: forward::ForwardAction,
    },
    /// Files on a host or a session's target: `cp`, `ls`, `stat`, `mkdir`, `rm`, `mv`.
    #[command(flatten)]
    Files(files::FilesCommand),
    /// Serve the Model Context Protocol on stdin/stdout, for AI agents (see docs/mcp.md).
    Mcp {
        /// The policy file (default: policy.json in the configuration directory).
        #[arg(long)]
        policy: Option<std::path::PathBuf>,
        /// The audit log (default: audit.jsonl in the configuration directory).
        #[arg(long)]
        audit: Option<std::path::PathBuf>,
    },
    /// Check the MCP server's audit log.
    Audit {
        /// What to do with it.
        #[command(subcommand)]
        action: audit::AuditAction,
    },
    /// Show a host's (or an ssh session's target's) load.
    Monitor {
        /// The host.
        host: String,
        /// Monitor this ssh session's target instead of the host.
        #[arg(long)]
        session: Option<String>,
        /// Print one sample and exit.
        #[arg(long)]
        once: bool,
        /// Sampling interval in milliseconds.
        #[arg(long, default_value_t = 1000)]
        interval: u64,
    },
}

/// `outpost hosts …`.
#[derive(Subcommand, Debug)]
pub enum HostsAction {
    /// List saved hosts (`local` first).
    List,
    /// Print what connecting to NAME would use, as `ssh -G` does: a saved host (its own values
    /// over ~/.ssh/config), a ~/.ssh/config alias, or any other name (OpenSSH's defaults).
    Show {
        /// The host, alias or name.
        name: String,
    },
    /// Save a host.
    Add {
        /// Its name.
        name: String,
        /// Its address (`[user@]host[:port]`).
        destination: String,
        /// Private key file to use (repeatable).
        #[arg(long = "identity", short = 'i')]
        identity_files: Vec<String>,
        /// Jump through these hosts (comma-separated, like ssh -J).
        #[arg(long = "jump", short = 'J')]
        proxy_jump: Option<String>,
        /// Forward your ssh-agent to the host (like ssh -A), for its sessions to reach further
        /// hosts with your keys. Whoever has root there can use it while you are connected.
        #[arg(long)]
        forward_agent: bool,
        /// Replace a host of the same name.
        #[arg(long)]
        replace: bool,
    },
    /// Forget a host.
    Remove {
        /// Its name.
        name: String,
    },
    /// Import `Host` aliases from ~/.ssh/config (Include followed).
    ImportSshConfig {
        /// Read this file instead of ~/.ssh/config.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
}

/// Runs the command line; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let out = output::Output { json: cli.json };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("outpost: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let ctx = match crate::engine::store::config_dir::config_dir() {
        Ok(dir) => crate::engine::EngineContext::new(
            dir,
            std::sync::Arc::new(prompt::TerminalPrompter {
                accept_new_host_key: cli.accept_new_host_key,
                interactive: !cli.json,
            }),
        ),
        Err(e) => {
            out.error(&e.into());
            return 1;
        }
    };
    match runtime.block_on(commands::run(cli, out, &ctx)) {
        Ok(code) => code,
        Err(e) => {
            out.error(&e);
            1
        }
    }
}
