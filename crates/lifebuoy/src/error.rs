//! Errors of the [`crate::Node`] API.

use lifebuoy_core::{CommandError, ConfigError};

use crate::identity::IdentityError;

/// Why a node could not start or a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration cannot work.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The identity could not be loaded or created.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The transport could not be built.
    #[error("transport: {0}")]
    Transport(String),
    /// Listening on an address failed.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: libp2p::Multiaddr,
        /// Why.
        reason: String,
    },
    /// The core refused a command.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The node has stopped.
    #[error("the node has stopped")]
    Stopped,
}
