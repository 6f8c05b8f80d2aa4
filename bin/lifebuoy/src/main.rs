//! The `lifebuoy` command-line tool. Each subcommand lives in its own module
//! under `cmd/`; add new ones to [`Command`].
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod ops;

/// Peer-to-peer membership and failure detection (SWIM + Lifeguard).
#[derive(Debug, Parser)]
#[command(name = "lifebuoy", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a cluster on virtual time to plan capacity and check the protocol.
    Sim(cmd::sim::SimArgs),
    #[command(flatten)]
    Ops(ops::OpsCommand),
}

/// Exit codes: 0 success, 1 runtime failure (including a failed check),
/// 2 usage or configuration error.
#[derive(Debug)]
pub enum Failure {
    /// The command ran and something failed.
    Runtime(anyhow::Error),
    /// Bad arguments or configuration.
    Usage(anyhow::Error),
}

fn main() -> ExitCode {
    // `lifebuoy members | head` should stop quietly, not panic on a closed pipe.
    sigpipe::reset();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sim(args) => cmd::sim::run(args),
        Command::Ops(cmd) => ops::execute(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Runtime(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
