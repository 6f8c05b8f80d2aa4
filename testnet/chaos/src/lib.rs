//! # lifebuoy-chaos
//!
//! Fault injection on real `lifebuoy run` processes. Each node runs in its
//! own network namespace with an address on a bridge (`ip netns`, veth);
//! faults are SIGKILL, SIGSTOP/SIGCONT, nftables rules in the node's
//! namespace (random loss, partitions, one-way cuts), restarts with the same
//! identity, churn, and clock skew through libfaketime. Every node's
//! `--events-json` stream is read to measure what the simulator measures
//! (`lifebuoy_sim::Report`): detection time per survivor, false failures,
//! and how long views take to become whole after a heal.
//!
//! Everything is bounded in time, kills only the processes it started and
//! deletes its namespaces (and with them the nft tables) when it ends, also
//! on panic and on Ctrl-C. It needs root, `ip` and `nft`:
//! [`unsupported_reason`] says why not, when it cannot run.
#![forbid(unsafe_code)]

mod cluster;
mod faults;
mod interrupt;
mod netns;
mod nft;
mod node;
mod observe;
mod report;
pub mod rogue;
mod run;
mod skew;
mod spec;

pub use crate::netns::unsupported_reason;
pub use crate::observe::Detection;
pub use crate::report::Outcome;
pub use crate::run::run;
pub use crate::skew::find_lib as faketime_lib;
pub use crate::spec::{Scenario, Spec};
pub use lifebuoy_sim::Profile;

/// Why a run could not be carried out (a run that completes with failed
/// checks is an [`Outcome`] with `report.passed == false`, not an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChaosError {
    /// A parameter that cannot work.
    #[error("invalid parameter {0}")]
    Usage(String),
    /// A command (`ip`, `nft`, a node) could not be run or failed.
    #[error("`{cmd}` failed: {reason}")]
    Command {
        /// The command line.
        cmd: String,
        /// What it printed or why it did not start.
        reason: String,
    },
    /// A file or directory could not be written.
    #[error("{path}: {reason}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        reason: String,
    },
    /// A node process ended without being told to.
    #[error("node {node} exited on its own ({status}); its log is in {log}")]
    NodeExited {
        /// The node.
        node: String,
        /// Its exit status.
        status: String,
        /// The directory with its log.
        log: String,
    },
    /// SIGINT or SIGTERM.
    #[error("interrupted")]
    Interrupted,
}
