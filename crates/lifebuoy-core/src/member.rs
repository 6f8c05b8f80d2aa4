//! Members: who they are, what they claim about themselves, and the state we
//! believe them to be in.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A member's identity. The core is generic over it: the libp2p driver uses
/// `PeerId`, the simulator a `u32`.
pub trait NodeId:
    Clone + Eq + Ord + Hash + Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
}

impl<T> NodeId for T where
    T: Clone + Eq + Ord + Hash + Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
}

/// An opaque transport address. The core stores and gossips addresses but
/// never interprets them; the libp2p driver puts multiaddr bytes here.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Addr(#[serde(with = "serde_bytes")] pub Vec<u8>);

impl Debug for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Addr(")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

impl From<Vec<u8>> for Addr {
    fn from(v: Vec<u8>) -> Self {
        Addr(v)
    }
}

/// Key/value metadata a member publishes about itself (Serf calls these tags).
pub type Metadata = BTreeMap<String, String>;

/// The encoded size of metadata as counted against [`crate::Config::metadata_limit`]:
/// the sum of key and value lengths in bytes.
pub fn metadata_size(meta: &Metadata) -> usize {
    meta.iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// What a member says about itself. Shared between every view that holds the
/// same claim, so a large cluster does not copy it per member per node.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MemberInfo {
    /// Human-readable name; not required to be unique.
    pub name: String,
    /// Addresses the member can be reached at.
    pub addrs: Vec<Addr>,
    /// Application metadata.
    pub meta: Metadata,
}

/// The state one node believes a member to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MemberState {
    /// Answering probes, or not yet proven otherwise.
    #[serde(rename = "a")]
    Alive,
    /// A probe failed; the member has until its suspicion timeout to refute.
    #[serde(rename = "s")]
    Suspect,
    /// The suspicion timed out (or a peer confirmed it): declared failed.
    #[serde(rename = "d")]
    Dead,
    /// The member announced a graceful leave.
    #[serde(rename = "l")]
    Left,
}

impl MemberState {
    /// Lower-case name used in logs, JSON and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberState::Alive => "alive",
            MemberState::Suspect => "suspect",
            MemberState::Dead => "dead",
            MemberState::Left => "left",
        }
    }

    /// Alive and Suspect members are probed and counted in the cluster size.
    pub fn is_live(self) -> bool {
        matches!(self, MemberState::Alive | MemberState::Suspect)
    }
}

impl std::fmt::Display for MemberState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of a node's membership view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member<I> {
    /// The member's identity.
    pub id: I,
    /// What the member last claimed about itself.
    pub info: Arc<MemberInfo>,
    /// The member's incarnation number: only the member itself raises it.
    pub incarnation: u64,
    /// What this node believes.
    pub state: MemberState,
    /// When this node last changed the member's state.
    pub since: Instant,
}

impl<I> Member<I> {
    /// The member's name.
    pub fn name(&self) -> &str {
        &self.info.name
    }
}
