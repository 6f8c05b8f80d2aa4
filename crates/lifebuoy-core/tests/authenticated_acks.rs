//! Authenticated acks (docs/security.md, docs/protocol.md): an ack counts
//! only if the probed member made it. SWIM 4.1 lets any intermediary answer
//! a ping-req on the target's behalf, so a lying member could keep a crashed
//! member alive forever by acking every probe of it; here a direct ack must
//! come from the target itself and a relayed one must carry the target's
//! signature over the requester's fresh nonce.
//!
//! The liar of these tests (node 2) runs an honest core that never probes
//! on its own, so the crashed member is noticed only by the honest nodes
//! whose probes the liar answers.

mod common;

use std::time::Duration;

use common::signing::secret;
use common::{quiet, Flight, Net, LATENCY};
use ed25519_dalek::Signer;
use lifebuoy_core::auth::ack_message;
use lifebuoy_core::wire::{self, ByteBuf, Kind, Packet};
use lifebuoy_core::{Channel, Config, MemberState};

const CLUSTER: &str = "lifebuoy";
const LIAR: u32 = 2;
const CRASHED: u32 = 1;
/// Long enough for detection of a crash in a 4-node LAN cluster, many times over.
const LONG: Duration = Duration::from_secs(40);

/// What the liar does.
#[derive(Clone)]
enum Attack {
    /// Answers every direct ping of the crashed member with an ack of its own.
    DirectAcks,
    /// Answers every ping-req about the crashed member with an ack carrying `proof`.
    RelayedAcks(Vec<u8>),
}

/// Four signed nodes; node 2 is the liar, which runs an honest core
/// that never probes by itself.
fn cluster() -> Net {
    Net::converged_signed_with(4, |i| {
        if i == LIAR {
            Config {
                probe_interval: Duration::from_secs(3600),
                suspicion_checkers: 0,
                ..quiet()
            }
        } else {
            quiet()
        }
    })
}

/// Runs `net` for `d`, the liar answering as `attack` says.
fn run_with_liar(net: &mut Net, attack: &Attack, d: Duration) {
    let until = net.now + d;
    let mut seen = net.sent.len();
    while net.now < until {
        net.run_for(Duration::from_millis(5));
        let new: Vec<Flight> = net.sent[seen..].to_vec();
        seen = net.sent.len();
        for f in new {
            if f.channel != Channel::Probe {
                continue;
            }
            let reply = match (attack, f.packet().kind) {
                (Attack::DirectAcks, Kind::Ping { seq, .. }) if f.to == CRASHED => {
                    Some((seq, Vec::new()))
                }
                (Attack::RelayedAcks(proof), Kind::PingReq { seq, target, .. })
                    if f.to == LIAR && target == CRASHED =>
                {
                    Some((seq, proof.clone()))
                }
                _ => None,
            };
            if let Some((seq, proof)) = reply {
                forge_ack(net, f.from, seq, proof);
            }
        }
    }
}

fn forge_ack(net: &mut Net, to: u32, seq: u32, proof: Vec<u8>) {
    let p = Packet {
        kind: Kind::<u32>::Ack {
            seq,
            proof: ByteBuf::from(proof),
        },
        gossip: vec![],
    };
    let f = Flight {
        at: net.now + LATENCY,
        from: LIAR,
        to,
        channel: Channel::Probe,
        payload: wire::encode(&p).expect("encode"),
    };
    net.flights.push_back(f);
}

fn assert_declared_by_honest_nodes(net: &Net) {
    for observer in [0, 3] {
        assert_eq!(
            net.state_of(observer, CRASHED),
            Some(MemberState::Dead),
            "node {observer} still holds the crashed member as live"
        );
    }
}

#[test]
fn an_ack_from_someone_other_than_the_target_does_not_satisfy_a_direct_probe() {
    // SWIM 4.1: the direct probe succeeds only if the target answers.
    let mut net = cluster();
    net.crash(CRASHED);
    run_with_liar(&mut net, &Attack::DirectAcks, LONG);
    assert_declared_by_honest_nodes(&net);
    assert!(net.core(0).stats().forged_acks > 0);
}

#[test]
fn a_relayed_ack_without_a_valid_target_proof_does_not_satisfy_an_indirect_probe() {
    // SWIM 4.1 ping-req: the intermediary's ack is believed only with the
    // target's signature over our nonce; a junk signature is refused.
    let mut net = cluster();
    net.crash(CRASHED);
    run_with_liar(&mut net, &Attack::RelayedAcks(vec![0xA5; 64]), LONG);
    assert_declared_by_honest_nodes(&net);
    assert!(net.core(0).stats().forged_acks > 0);
    assert!(net.core(3).stats().forged_acks > 0);
}

#[test]
fn a_replayed_target_proof_does_not_satisfy_a_final_check_and_the_suspicion_runs_out() {
    // Lifeguard 4.2 / SWIM 4.2: the suspicion runs out after the final
    // check unless the suspect answers. The liar starts only once node 0
    // suspects, so what it attacks is the final check, with a genuine
    // signature of the crashed member made for an older nonce.
    let mut net = cluster();
    net.crash(CRASHED);
    let deadline = net.now + LONG;
    while net.state_of(0, CRASHED) != Some(MemberState::Suspect) {
        assert!(
            net.now < deadline,
            "node 0 never suspected the crashed member"
        );
        net.run_for(Duration::from_millis(5));
    }
    let old = secret(CRASHED).sign(&ack_message(CLUSTER, 42)).to_bytes();
    run_with_liar(&mut net, &Attack::RelayedAcks(old.to_vec()), LONG);
    assert_declared_by_honest_nodes(&net);
    assert!(net.core(0).stats().forged_acks > 0);
}

#[test]
fn an_honest_relayed_ack_with_the_target_proof_still_counts() {
    // SWIM 4.1: a target node 0 cannot reach directly answers through the
    // others, and its proof makes their relayed acks count.
    let mut net = Net::converged_signed(4, quiet());
    net.cut.insert((0, 1));
    net.run_for(Duration::from_secs(20));
    let suspected_by_0 = net
        .events_about(1, "suspected")
        .into_iter()
        .filter(|(_, o)| *o == 0)
        .count();
    assert_eq!(
        suspected_by_0, 0,
        "node 0 suspected a member it reached indirectly"
    );
    let s = net.core(0).stats();
    assert!(
        s.ack_proofs_verified > 0,
        "relayed acks were checked: {s:?}"
    );
    assert_eq!(s.forged_acks, 0);
    assert!(net.core(1).stats().ack_proofs_signed > 0);
}
