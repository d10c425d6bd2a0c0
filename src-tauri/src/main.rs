//! `outpost`: the desktop window when run without arguments (with the `gui` feature), the
//! command line over the same engine otherwise.

use clap::Parser;

fn main() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OUTPOST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    #[cfg(feature = "gui")]
    if std::env::args_os().len() == 1 {
        if let Err(e) = outpost_desktop::gui::run() {
            eprintln!("outpost: {e}");
            std::process::exit(1);
        }
        return;
    }
    let cli = outpost_desktop::cli::Cli::parse();
    std::process::exit(outpost_desktop::cli::run(cli));
}
