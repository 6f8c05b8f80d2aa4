//! # lifebuoy
//!
//! Peer-to-peer membership and failure detection for Rust applications:
//! SWIM with HashiCorp's Lifeguard refinements (the protocol behind Serf and
//! Consul), over libp2p. Every node learns who else is in the cluster, their
//! addresses and metadata, and who failed or left, with no central directory.
//!
//! It fits the two ways libp2p is used.
//!
//! ## 1. A node in a few lines
//!
//! ```no_run
//! use futures::StreamExt;
//! use lifebuoy::{MembershipUpdate, Node};
//!
//! # async fn run() -> Result<(), lifebuoy::Error> {
//! let node = Node::builder()
//!     .identity_file("node.key")          // stable PeerId across restarts (0600)
//!     .name("web-1")
//!     .metadata("role", "web")
//!     .profile(lifebuoy::core::Config::lan())
//!     .bootstrap("/dns4/seed.example.com/udp/7946/quic-v1".parse().expect("multiaddr"))
//!     .start()
//!     .await?;
//!
//! let mut updates = node.subscribe();
//! while let Some(update) = updates.next().await {
//!     match update {
//!         MembershipUpdate::Snapshot(members) => println!("{} members", members.len()),
//!         MembershipUpdate::Event(e) => println!("{} {}", e.name(), e.member().id),
//!         // Fell behind: a fresh snapshot follows. Never a silent gap.
//!         MembershipUpdate::Lagged { missed } => println!("missed {missed}"),
//!     }
//! #   break;
//! }
//!
//! node.set_metadata([("role".into(), "api".into())].into()).await?;
//! node.leave().await?; // others see Left, not Failed
//! node.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! A [`Node`] listens on QUIC and TCP (Noise + Yamux) by default, gossips its
//! addresses so that any member can reach any other, closes idle
//! connections, and runs on a tokio task. [`Node::members`] is a snapshot;
//! [`Node::subscribe`] starts with the current view and then yields every
//! change in order. See `examples/embed.rs`.
//!
//! ## 2. A behaviour in your own Swarm
//!
//! [`Behaviour`] is a `NetworkBehaviour`; compose it with others:
//!
//! ```
//! use libp2p::swarm::NetworkBehaviour;
//!
//! #[derive(NetworkBehaviour)]
//! struct App {
//!     membership: lifebuoy::Behaviour,
//!     // identify, gossipsub, request-response, ...
//! }
//!
//! let key = libp2p::identity::Keypair::generate_ed25519();
//! let config = lifebuoy::Config::new(lifebuoy::core::Config::lan()).with_name("app-1");
//! let mut app = App { membership: lifebuoy::Behaviour::new(&key, config)? };
//! app.membership.join(["/ip4/10.0.0.1/udp/7946/quic-v1".parse().expect("multiaddr")]);
//! # Ok::<(), lifebuoy::core::ConfigError>(())
//! ```
//!
//! Its events ([`Event`]) are the core's membership changes. It speaks
//! `/lifebuoy/swim/1.0.0` and `/lifebuoy/sync/1.0.0` (see [`protocol`]) and
//! needs nothing else from the swarm. Set the swarm's idle connection
//! timeout to a few seconds so unused connections close. See
//! `examples/compose.rs` (with identify and gossipsub).
//!
//! ## Layers
//!
//! The protocol lives in [`lifebuoy_core`] (re-exported as [`core`]), a
//! sans-IO state machine; this crate only moves bytes and reads the clock.
//! `docs/architecture.md` follows a message from the socket to a subscriber.
#![forbid(unsafe_code)]

mod ahead;
mod auth;
mod behaviour;
mod boxed;
mod builder;
mod config;
mod error;
pub mod handler;
mod identity;
mod nat;
mod node;
pub mod protocol;
mod ratelimit;
mod stats;
mod subscription;
mod transport;
mod wake;

pub use auth::PeerAuth;
pub use behaviour::{Behaviour, Event, DEFAULT_LEAVE_TIMEOUT};
pub use builder::{NodeBuilder, DEFAULT_IDLE_TIMEOUT};
pub use config::Config;
pub use error::Error;
pub use identity::{load_or_create_identity, IdentityError};
pub use nat::{NatStats, Reachability, MAX_RELAYS};
pub use node::{Node, NodeStats};
pub use stats::DriverStats;
pub use subscription::{MembershipUpdate, Subscription};
pub use transport::TransportKind;

pub use libp2p;
pub use lifebuoy_core as core;
pub use lifebuoy_core::{Member, MemberInfo, MemberState, Metadata};
