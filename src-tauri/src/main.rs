//! `outpost`: the command line over the desktop engine.

use clap::Parser;

fn main() {
    let cli = outpost_desktop::cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("OUTPOST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    std::process::exit(outpost_desktop::cli::run(cli));
}
