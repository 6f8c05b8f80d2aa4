//! # lifebuoy-sim
//!
//! A deterministic discrete-event simulator for lifebuoy clusters: thousands
//! of [`lifebuoy_core::Core<u32>`] state machines on virtual time, connected
//! by a modelled network (per-link latency, random loss, partitions including
//! one-way ones) and subjected to faults (crash, pause, restart, churn).
//!
//! One seed drives everything, so a run is replayed exactly by its seed.
//! After every run the checkers look for protocol misbehaviour (unexplained
//! failures, views that do not converge, gossip sent more often than its
//! retransmit bound) and the results are part of the [`Report`].
//!
//! ```
//! use lifebuoy_sim::{run, Scenario, SimConfig};
//! let cfg = SimConfig { nodes: 20, duration_s: Some(30.0), ..SimConfig::new(Scenario::Crash, 7) };
//! let report = run(&cfg).unwrap();
//! assert_eq!(report.nodes, 20);
//! ```
#![forbid(unsafe_code)]

mod byzantine;
mod checks;
mod clock;
mod engine;
mod faults;
pub mod forge;
mod keys;
mod net;
mod observe;
mod report;
mod scenario;
mod trace;
mod traffic;

pub use crate::checks::Check;
pub use crate::net::Profile;
pub use crate::report::{Report, Signatures};
pub use crate::scenario::{Liars, Scenario, SimConfig};

/// Why a simulation could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// A parameter that cannot work (e.g. zero nodes, loss above 1).
    #[error("invalid simulation parameter `{field}`: {reason}")]
    Config {
        /// The parameter.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The protocol core refused its configuration.
    #[error("the core refused its configuration: {0}")]
    Core(#[from] lifebuoy_core::ConfigError),
}

/// Runs one simulation to the end and checks it.
pub fn run(cfg: &SimConfig) -> Result<Report, SimError> {
    engine::Sim::new(cfg)?.run()
}
