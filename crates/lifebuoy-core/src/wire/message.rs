//! Message types. Field and variant names are single letters on the wire to
//! keep every probe inside its byte budget; the Rust names document them.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::member::{Addr, MemberState, Metadata};

/// The version every [`Hello`] carries; others are refused with
/// [`super::WireError::UnsupportedVersion`].
pub const PROTOCOL_VERSION: u8 = 3;

/// What a sender says once, before its first packet on a stream (or any
/// other ordered channel): protocol version and cluster name. Packets
/// themselves carry neither, so a ping costs only its own few bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// Protocol version.
    #[serde(rename = "v")]
    pub version: u8,
    /// Cluster name; a mismatch is refused.
    #[serde(rename = "c")]
    pub cluster: String,
}

/// One protocol message plus piggybacked gossip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Packet<I> {
    /// What kind of message.
    #[serde(rename = "k")]
    pub kind: Kind<I>,
    /// Piggybacked updates, each one an encoded [`Update`] so that a bad one
    /// is dropped on its own and a queued one is encoded once.
    #[serde(rename = "g", default, skip_serializing_if = "Vec::is_empty")]
    pub gossip: Vec<ByteBuf>,
}

/// The protocol messages (SWIM section 4, Lifeguard section 3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Kind<I> {
    /// Direct probe. `target` is who the sender meant to reach; lifebuoy
    /// omits it, since a driver delivers a member's messages only to that
    /// member (libp2p connections authenticate the peer), and a receiver
    /// refuses a ping whose `target` is present and not itself.
    #[serde(rename = "P")]
    Ping {
        /// Sequence number echoed by the ack.
        #[serde(rename = "s")]
        seq: u32,
        /// Intended recipient, when the transport does not authenticate it.
        #[serde(rename = "t", skip_serializing_if = "Option::is_none")]
        target: Option<I>,
        /// Set by an intermediary probing for a ping-req: the requester's
        /// nonce, which the target signs in its ack's proof.
        #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
        nonce: Option<u64>,
    },
    /// Answer to a ping (or, relayed, to a ping-req).
    #[serde(rename = "A")]
    Ack {
        /// The ping's sequence number.
        #[serde(rename = "s")]
        seq: u32,
        /// The target's signature over the ping's nonce
        /// (`crate::auth::ack_message`), when the ping carried one: what
        /// makes a relayed ack count. Empty otherwise.
        #[serde(rename = "p", default, skip_serializing_if = "<[u8]>::is_empty")]
        proof: ByteBuf,
    },
    /// Ask the recipient to probe `target` on the sender's behalf.
    #[serde(rename = "R")]
    PingReq {
        /// Sequence number for the ack or nack.
        #[serde(rename = "s")]
        seq: u32,
        /// Member to probe.
        #[serde(rename = "t")]
        target: I,
        /// Where the target can be reached, in case the recipient does not know it.
        #[serde(rename = "a", default, skip_serializing_if = "Vec::is_empty")]
        addrs: Vec<Addr>,
        /// A fresh random nonce the target must sign for the relayed ack to
        /// count (absent in clusters that do not sign).
        #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
        nonce: Option<u64>,
    },
    /// Lifeguard: the indirect probe timed out (the intermediary itself is fine).
    #[serde(rename = "N")]
    Nack {
        /// The ping-req's sequence number.
        #[serde(rename = "s")]
        seq: u32,
    },
    /// Gossip only.
    #[serde(rename = "G")]
    Gossip,
    /// Digest-first push-pull: a hash of the sender's whole view (sync
    /// channel only). A partner whose view hashes differently answers with
    /// a full push-pull.
    #[serde(rename = "D")]
    Digest {
        /// The sender's view digest (`Core::view_digest`).
        #[serde(rename = "d")]
        digest: u64,
    },
    /// Push-pull anti-entropy: the sender's whole view (sync channel only).
    #[serde(rename = "S")]
    Sync {
        /// Sent while joining.
        #[serde(rename = "j")]
        join: bool,
        /// The sender wants the recipient's state back.
        #[serde(rename = "r")]
        reply: bool,
        /// For every member the sender knows, itself included, the signed
        /// claim (an encoded [`Signed`]) that set the state it holds.
        #[serde(rename = "m")]
        members: Vec<ByteBuf>,
    },
}

/// A claim with its signature: what a gossip entry and a push-pull entry
/// hold. `body` is an encoded [`Update`]; `sig` signs
/// `crate::auth::signed_message(cluster, body)` with the key of the member
/// entitled to make the claim (empty when the cluster does not sign).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signed {
    /// The encoded claim.
    #[serde(rename = "u")]
    pub body: ByteBuf,
    /// The signature.
    #[serde(rename = "s", default, skip_serializing_if = "<[u8]>::is_empty")]
    pub sig: ByteBuf,
}

/// A claim about one member, piggybacked on probe-channel messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Update<I> {
    /// The member is alive at `incarnation`, with this name, addresses and metadata.
    #[serde(rename = "a")]
    Alive {
        /// Member.
        #[serde(rename = "i")]
        id: I,
        /// Incarnation.
        #[serde(rename = "n")]
        incarnation: u64,
        /// Name.
        #[serde(rename = "N", default, skip_serializing_if = "String::is_empty")]
        name: String,
        /// Addresses.
        #[serde(rename = "a", default, skip_serializing_if = "Vec::is_empty")]
        addrs: Vec<Addr>,
        /// Metadata.
        #[serde(rename = "m", default, skip_serializing_if = "Metadata::is_empty")]
        meta: Metadata,
    },
    /// `from` suspects the member at `incarnation`.
    #[serde(rename = "s")]
    Suspect {
        /// Member.
        #[serde(rename = "i")]
        id: I,
        /// Incarnation.
        #[serde(rename = "n")]
        incarnation: u64,
        /// Accuser.
        #[serde(rename = "f")]
        from: I,
    },
    /// `from` declared the member failed at `incarnation`.
    #[serde(rename = "d")]
    Dead {
        /// Member.
        #[serde(rename = "i")]
        id: I,
        /// Incarnation.
        #[serde(rename = "n")]
        incarnation: u64,
        /// Declarer.
        #[serde(rename = "f")]
        from: I,
    },
    /// The member left gracefully at `incarnation`.
    #[serde(rename = "l")]
    Left {
        /// Member.
        #[serde(rename = "i")]
        id: I,
        /// Incarnation.
        #[serde(rename = "n")]
        incarnation: u64,
    },
}

impl<I> Update<I> {
    /// The member the update is about.
    pub fn id(&self) -> &I {
        match self {
            Update::Alive { id, .. }
            | Update::Suspect { id, .. }
            | Update::Dead { id, .. }
            | Update::Left { id, .. } => id,
        }
    }

    /// The incarnation it claims.
    pub fn incarnation(&self) -> u64 {
        match self {
            Update::Alive { incarnation, .. }
            | Update::Suspect { incarnation, .. }
            | Update::Dead { incarnation, .. }
            | Update::Left { incarnation, .. } => *incarnation,
        }
    }

    /// The state it claims.
    pub fn state(&self) -> MemberState {
        match self {
            Update::Alive { .. } => MemberState::Alive,
            Update::Suspect { .. } => MemberState::Suspect,
            Update::Dead { .. } => MemberState::Dead,
            Update::Left { .. } => MemberState::Left,
        }
    }
}
