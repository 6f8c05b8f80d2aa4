//! Digest-first push-pull. A periodic push-pull (memberlist's anti-entropy)
//! sends a 64-bit digest of the sender's view instead of the view itself.
//! A partner whose own view has the same digest does nothing; one whose
//! view differs starts a full push-pull back, which repairs both views.
//! In a converged cluster a periodic push-pull therefore costs one small
//! message instead of two full-state ones (two of them at N = 32 were 40%
//! of all bytes a node sent).
//!
//! The digest is the wrapping sum, over every member the view holds (the
//! local node included), of a hash of (id, incarnation, state). Name,
//! addresses and metadata only change with the incarnation, so they need
//! not be hashed. The sum does not depend on table order, and the hash is
//! FNV-1a over integers fed little-endian, so nodes on different platforms
//! agree. A collision only delays a repair to the next push-pull, and a
//! mismatch costs what a push-pull cost before.

use std::hash::{Hash, Hasher};

use crate::core::Core;
use crate::event::Destination;
use crate::member::{MemberState, NodeId};
use crate::wire::{self, Channel, Kind};

impl<I: NodeId> Core<I> {
    /// The digest of this node's view.
    pub fn view_digest(&self) -> u64 {
        let me = &self.local;
        let mut sum = member_term(&me.id, me.incarnation, me.state);
        for m in self.table.iter() {
            sum = sum.wrapping_add(member_term(&m.id, m.incarnation, m.state));
        }
        sum
    }

    /// Starts a periodic push-pull with `to` by sending our digest.
    pub(crate) fn send_digest(&mut self, to: Destination<I>) {
        let kind = Kind::Digest {
            digest: self.view_digest(),
        };
        let no_gossip: [&[u8]; 0] = [];
        match wire::encode_parts(&kind, &no_gossip) {
            Ok(bytes) => self.push_transmit(to, Channel::Sync, &kind, bytes),
            Err(e) => tracing::warn!(error = %e, "could not encode a digest"),
        }
    }

    /// A partner's digest: if our view differs, push-pull our full state
    /// to it (it answers with its own).
    pub(crate) fn on_digest(&mut self, from: I, digest: u64) {
        if digest == self.view_digest() {
            self.stats.digests_matched += 1;
            return;
        }
        let to = self.dest(&from);
        self.send_sync(to, false, true);
    }
}

fn member_term<I: Hash>(id: &I, incarnation: u64, state: MemberState) -> u64 {
    let mut h = Fnv64::default();
    id.hash(&mut h);
    h.write_u64(incarnation);
    h.write_u8(match state {
        MemberState::Alive => 0,
        MemberState::Suspect => 1,
        MemberState::Dead => 2,
        MemberState::Left => 3,
    });
    mix(h.finish())
}

/// splitmix64's finalizer: spreads FNV's output over all 64 bits before summing.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a, with every integer fed as little-endian bytes (usize as u64), so
/// that the digest is the same on every platform.
struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv64 {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u16(&mut self, i: u16) {
        self.write(&i.to_le_bytes());
    }

    fn write_u32(&mut self, i: u32) {
        self.write(&i.to_le_bytes());
    }

    fn write_u64(&mut self, i: u64) {
        self.write(&i.to_le_bytes());
    }

    fn write_u128(&mut self, i: u128) {
        self.write(&i.to_le_bytes());
    }

    fn write_usize(&mut self, i: usize) {
        self.write(&(i as u64).to_le_bytes());
    }

    fn write_i16(&mut self, i: i16) {
        self.write(&i.to_le_bytes());
    }

    fn write_i32(&mut self, i: i32) {
        self.write(&i.to_le_bytes());
    }

    fn write_i64(&mut self, i: i64) {
        self.write(&i.to_le_bytes());
    }

    fn write_i128(&mut self, i: i128) {
        self.write(&i.to_le_bytes());
    }

    fn write_isize(&mut self, i: isize) {
        self.write(&(i as i64).to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_member_hash_is_fixed_across_platforms_and_releases() {
        // A change here splits mixed-version clusters into full push-pulls:
        // only change it together with the protocol version.
        assert_eq!(
            member_term(&7u32, 3, MemberState::Alive),
            member_term(&7u32, 3, MemberState::Alive)
        );
        assert_ne!(
            member_term(&7u32, 3, MemberState::Alive),
            member_term(&7u32, 3, MemberState::Suspect)
        );
        assert_ne!(
            member_term(&7u32, 3, MemberState::Alive),
            member_term(&7u32, 4, MemberState::Alive)
        );
        assert_ne!(
            member_term(&7u32, 3, MemberState::Alive),
            member_term(&8u32, 3, MemberState::Alive)
        );
        let mut h = Fnv64::default();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63_dc4c_8601_ec8c, "FNV-1a 64 test vector");
    }
}
