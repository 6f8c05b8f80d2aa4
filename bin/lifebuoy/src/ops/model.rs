//! JSON shapes of the HTTP API, shared by the server and the client.

use serde::{Deserialize, Serialize};

/// A member as `/v1/members`, `/v1/events` and the dashboard show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    /// PeerId.
    pub id: String,
    /// Name.
    pub name: String,
    /// `alive`, `suspect`, `dead` or `left`.
    pub state: String,
    /// Incarnation number.
    pub incarnation: u64,
    /// Multiaddrs the member advertises.
    pub addrs: Vec<String>,
    /// Metadata.
    pub meta: std::collections::BTreeMap<String, String>,
    /// Whether this is the node serving the API.
    #[serde(rename = "self", default)]
    pub is_self: bool,
}

/// Counts of members by state, the local node included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCounts {
    pub alive: u64,
    pub suspect: u64,
    pub dead: u64,
    pub left: u64,
}

/// `GET /v1/self`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SelfView {
    #[serde(flatten)]
    pub member: MemberView,
    /// Lifeguard local health score (0 = healthy); null if the driver does not report it.
    pub health_score: Option<u64>,
    /// Members by state, this node included.
    pub members: StateCounts,
    /// Open connections.
    pub connections: u64,
    /// Version of the lifebuoy binary.
    pub version: String,
    /// Seconds since the node started.
    pub uptime_s: u64,
    /// NAT traversal state (absent from older nodes).
    #[serde(default)]
    pub nat: Option<NatView>,
}

/// NAT traversal in `GET /v1/self`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatView {
    /// `off`, `unknown`, `public` or `private` (AutoNAT's verdict).
    pub reachability: String,
    /// PeerIds of the relays holding a reservation for this node.
    pub relays: Vec<String>,
    /// Connections established through a relay so far.
    pub relayed_connections: u64,
    /// Relayed connections upgraded to direct ones by hole punching (DCUtR).
    pub hole_punches: u64,
    /// Hole punches that failed (the relayed connection stays in use).
    pub hole_punch_failures: u64,
}

/// One `member` event on `/v1/events`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventView {
    /// `joined`, `updated`, `suspected`, `alive`, `failed`, `left` or `forgotten`.
    pub event: String,
    /// The member after the change.
    pub member: MemberView,
    /// CLOCK_MONOTONIC ms on the node when it was published.
    pub t_ms: u64,
}

/// The `snapshot` event on `/v1/events` (first, and after a `lagged` event).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotView {
    pub members: Vec<MemberView>,
}

/// An error body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}
