//! # lifebuoy-core
//!
//! SWIM membership and failure detection, with HashiCorp's Lifeguard
//! refinements, as a sans-IO state machine. It owns no socket, no clock, no
//! thread and no global RNG: a driver feeds it bytes and the current time,
//! and drains what it wants sent, what changed, and when to wake it next.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use lifebuoy_core::{Addr, Config, Core, MemberInfo};
//!
//! /// One turn of a driver's loop; `now` comes from the driver's clock.
//! fn turn(core: &mut Core<u32>, now: Instant) -> Option<Instant> {
//!     core.handle_timeout(now);
//!     while let Some(t) = core.poll_transmit() {
//!         // send t.payload to t.to on t.channel; feed what comes back to
//!         // core.handle_message(now, from, channel, &bytes)
//!         assert!(!t.payload.is_empty());
//!     }
//!     while let Some(event) = core.poll_event() {
//!         println!("{} {:?}", event.name(), event.member().id);
//!     }
//!     core.poll_timeout() // sleep until then
//! }
//!
//! fn start(now: Instant) {
//!     let info = MemberInfo { name: "a".into(), ..Default::default() };
//!     let mut core: Core<u32> = Core::new(Config::lan(), 1, info, 0, 42, now).unwrap();
//!     core.join(now, vec![Addr(b"seed".to_vec())]);
//!     let next = turn(&mut core, now);
//!     assert!(next.is_some_and(|t| t <= now + Duration::from_secs(2)));
//! }
//! # let _ = start;
//! ```
//!
//! The modules map onto the papers: [`precedence`] is SWIM 4.2's claim
//! ordering; `probe` is SWIM 4.1 with Lifeguard's nacks; `suspicion` is
//! Lifeguard's dynamic suspicion; `health` is Lifeguard's local health;
//! `broadcast` is SWIM 4.1's piggybacked dissemination; `sync` is
//! push-pull anti-entropy. `docs/protocol.md` specifies the wire format.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod accuse;
mod accusers;
mod ack;
mod announce;
pub mod auth;
mod broadcast;
mod claims;
mod config;
mod confirm;
mod core;
mod digest;
mod event;
mod health;
mod leave;
mod member;
pub mod precedence;
mod probe;
mod reach;
mod rng;
mod stats;
mod suspicion;
mod sync;
mod table;
mod timer;
pub mod wire;

pub use crate::auth::{ClaimAuth, NoAuth};
pub use crate::config::{Config, ConfigError};
pub use crate::core::{CommandError, Core};
pub use crate::event::{Destination, Event, Transmit};
pub use crate::member::{metadata_size, Addr, Member, MemberInfo, MemberState, Metadata, NodeId};
pub use crate::rng::DetRng;
pub use crate::stats::{KindCounts, Stats};
pub use crate::wire::{Channel, WireError};
