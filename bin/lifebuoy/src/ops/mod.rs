//! Operator commands: `lifebuoy run` starts a node with an HTTP admin API,
//! Prometheus metrics and a live dashboard; `members`, `events`, `join`,
//! `leave`, `meta` and `status` talk to a running node through that API;
//! `keygen` and `id` manage the key file. See `docs/operations.md`.

mod api;
mod client;
mod clock;
mod keys;
mod lines;
mod logging;
mod model;
mod run;
mod settings;
mod testnet;

/// The operator subcommands (flattened into the `lifebuoy` command).
#[derive(Debug, clap::Subcommand)]
pub enum OpsCommand {
    /// Start a node: join a cluster (or start one) and serve the admin API.
    Run(Box<settings::RunArgs>),
    /// List the members a running node knows, itself included.
    Members(client::MembersArgs),
    /// Stream membership changes from a running node (like `serf monitor`).
    Events(client::EventsArgs),
    /// Ask a running node to join a cluster through the given addresses.
    Join(client::JoinArgs),
    /// Make a running node leave the cluster gracefully and stop.
    Leave(client::ApiArgs),
    /// Read or change a running node's metadata.
    Meta(client::MetaArgs),
    /// Show a running node's health, incarnation and member counts.
    Status(client::StatusArgs),
    /// Create a new node identity (key file).
    Keygen(keys::KeygenArgs),
    /// Print the PeerId of a key file.
    Id(keys::IdArgs),
}

/// Why an operator command failed; `main` turns it into the exit code.
pub use crate::Failure as OpsError;

pub fn execute(cmd: OpsCommand) -> Result<(), OpsError> {
    match cmd {
        OpsCommand::Run(a) => run::run(*a),
        OpsCommand::Members(a) => client::members(a),
        OpsCommand::Events(a) => client::events(a),
        OpsCommand::Join(a) => client::join(a),
        OpsCommand::Leave(a) => client::leave(a),
        OpsCommand::Meta(a) => client::meta(a),
        OpsCommand::Status(a) => client::status(a),
        OpsCommand::Keygen(a) => keys::keygen(a),
        OpsCommand::Id(a) => keys::id(a),
    }
}
