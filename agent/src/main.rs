//! `outpost-agent`: the command line. Parses arguments and calls into the library.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use outpost_agent::outbound::Discard;
use outpost_agent::paths::Paths;
use outpost_agent::registry::Registry;

#[derive(Parser)]
#[command(
    name = "outpost-agent",
    about = "Outpost agent: terminal sessions that survive the desktop",
    disable_version_flag = true
)]
struct Cli {
    /// Print `outpost-agent <version> protocol <N>` and exit.
    #[arg(short = 'V', long = "version")]
    version: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve JSON-RPC 2.0, one message per line.
    Serve {
        /// Use standard input and output (the only transport).
        #[arg(long)]
        stdio: bool,
        /// Write logs to this file instead of standard error.
        #[arg(long)]
        log_file: Option<PathBuf>,
    },
    /// Print this user's sessions as JSON.
    Sessions,
    /// Run a session daemon (started by the agent; reads its spec on stdin).
    #[command(hide = true)]
    Daemon,
    /// Run the agent-forwarding relay (started by an agent whose desktop forwards its agent).
    #[command(hide = true)]
    Relay,
    /// Run the forward keeper (started by an agent that opened an agent-owned forward).
    #[command(hide = true)]
    Forwards,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.version {
        println!("{}", outpost_agent::version_line());
        return Ok(());
    }
    match cli.command {
        None => {
            eprintln!(
                "{}\nusage: outpost-agent serve --stdio | sessions | --version",
                outpost_agent::version_line()
            );
            std::process::exit(2);
        }
        // Forks before any runtime or thread exists.
        Some(Command::Daemon) => outpost_agent::daemon::launch(),
        Some(Command::Relay) => outpost_agent::relay::server::main(),
        Some(Command::Forwards) => outpost_agent::forward::keeper::main(),
        Some(Command::Serve { stdio, log_file }) => {
            // Before the runtime starts its threads, so they inherit the name.
            outpost_agent::daemon::name::set(outpost_agent::daemon::name::AGENT);
            anyhow::ensure!(
                stdio,
                "only --stdio is supported: run `outpost-agent serve --stdio`"
            );
            match &log_file {
                Some(p) => outpost_agent::logging::init_file(p)
                    .with_context(|| format!("opening log file {}", p.display()))?,
                None => outpost_agent::logging::init_stderr(),
            }
            let paths = Paths::from_env()?;
            paths.ensure()?;
            // sshd sets SSH_AUTH_SOCK when the desktop forwards its ssh-agent: every session
            // reaches it through the relay while this agent runs.
            let forwarded = std::env::var_os("SSH_AUTH_SOCK")
                .filter(|s| !s.is_empty() && outpost_agent::relay::under_sshd())
                .map(PathBuf::from);
            runtime()?.block_on(async {
                if let Some(socket) = forwarded {
                    tokio::spawn(outpost_agent::relay::register::hold(paths.clone(), socket));
                }
                outpost_agent::rpc::serve(tokio::io::stdin(), std::io::stdout(), paths).await
            });
            Ok(())
        }
        Some(Command::Sessions) => {
            outpost_agent::logging::init_stderr();
            let paths = Paths::from_env()?;
            paths.ensure()?;
            // No client: nothing the registry might send has anywhere to go.
            let registry = Registry::new(paths, Discard);
            let sessions = runtime()?.block_on(registry.list());
            println!("{}", serde_json::to_string_pretty(&sessions)?);
            Ok(())
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}
