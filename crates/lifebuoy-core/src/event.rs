//! What the core tells its driver and, through it, subscribers.

use std::sync::Arc;

use crate::member::{Addr, Member, MemberInfo};
use crate::wire::Channel;

/// A membership change, in the order this node observed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<I> {
    /// A member was seen for the first time, or came back after Dead or Left.
    MemberJoined(Member<I>),
    /// A live member changed its name, addresses or metadata.
    MemberUpdated(Member<I>),
    /// A member is suspected of having failed (SWIM 4.2).
    MemberSuspected(Member<I>),
    /// A suspected member refuted the suspicion and is alive again.
    MemberAlive(Member<I>),
    /// A member was declared failed.
    MemberFailed(Member<I>),
    /// A member left gracefully.
    MemberLeft(Member<I>),
    /// A Dead or Left member's retention ran out and it was removed from the view.
    MemberForgotten(Member<I>),
}

impl<I> Event<I> {
    /// The member the event is about, as it is after the change.
    pub fn member(&self) -> &Member<I> {
        match self {
            Event::MemberJoined(m)
            | Event::MemberUpdated(m)
            | Event::MemberSuspected(m)
            | Event::MemberAlive(m)
            | Event::MemberFailed(m)
            | Event::MemberLeft(m)
            | Event::MemberForgotten(m) => m,
        }
    }

    /// A short lower-case name: `joined`, `updated`, `suspected`, `alive`, `failed`, `left`, `forgotten`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::MemberJoined(_) => "joined",
            Event::MemberUpdated(_) => "updated",
            Event::MemberSuspected(_) => "suspected",
            Event::MemberAlive(_) => "alive",
            Event::MemberFailed(_) => "failed",
            Event::MemberLeft(_) => "left",
            Event::MemberForgotten(_) => "forgotten",
        }
    }
}

/// Where a transmit goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination<I> {
    /// A member, with what we know of its addresses (absent for a peer we
    /// only know because it just talked to us: reply over that connection).
    Member {
        /// The member.
        id: I,
        /// Its last claimed info, for dialing.
        info: Option<Arc<MemberInfo>>,
    },
    /// A seed address whose identity is not known yet (join).
    Addr(Addr),
}

impl<I> Destination<I> {
    /// The member id, if the destination is a member.
    pub fn id(&self) -> Option<&I> {
        match self {
            Destination::Member { id, .. } => Some(id),
            Destination::Addr(_) => None,
        }
    }

    /// Known addresses of the destination.
    pub fn addrs(&self) -> &[Addr] {
        match self {
            Destination::Member {
                info: Some(info), ..
            } => &info.addrs,
            Destination::Member { info: None, .. } => &[],
            Destination::Addr(a) => std::slice::from_ref(a),
        }
    }
}

/// One message for the driver to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit<I> {
    /// Recipient.
    pub to: Destination<I>,
    /// Which channel (stream protocol) it belongs on.
    pub channel: Channel,
    /// The encoded envelope.
    pub payload: Vec<u8>,
}
