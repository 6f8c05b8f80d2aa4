//! Metrics about signed claims and accusations (docs/security.md).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Registers the signed-claim counters of `c` in `reg`.
pub(super) fn register(reg: &mut Registry, c: &lifebuoy::core::Stats) {
    let counters = [
        (
            "claims_signed",
            "Claims this node signed: its own Alive and Left claims and its accusations",
            c.claims_signed,
        ),
        (
            "claims_verified",
            "Signatures checked on claims that would change this node's view",
            c.claims_verified,
        ),
        (
            "claims_bad_signature",
            "Claims dropped for a missing or bad signature",
            c.bad_signatures,
        ),
        (
            "claims_implausible",
            "Accusations above the incarnation held (counted at it), or about us far above ours (dropped)",
            c.implausible_claims,
        ),
        (
            "accusations_rate_limited",
            "Accusations dropped because their accuser exceeded its rate",
            c.accusations_rate_limited,
        ),
        (
            "accusations_ignored",
            "Accusations ignored because their accuser is down-weighted",
            c.accusations_ignored,
        ),
        (
            "accusers_down_weighted",
            "Times an accuser was down-weighted for repeatedly refuted accusations",
            c.accusers_down_weighted,
        ),
        (
            "forged_acks",
            "Acks refused: not from the probed member and without its valid proof",
            c.forged_acks,
        ),
        (
            "ack_proofs_signed",
            "Ack proofs this node signed for intermediaries probing it",
            c.ack_proofs_signed,
        ),
        (
            "ack_proofs_verified",
            "Ack proofs this node checked on relayed acks",
            c.ack_proofs_verified,
        ),
        (
            "ack_proofs_capped",
            "Pings whose nonce this node left unsigned, over the per-period cap",
            c.ack_proofs_capped,
        ),
    ];
    for (name, help, value) in counters {
        let m: Counter = Counter::default();
        m.inc_by(value);
        reg.register(name, help, m);
    }
    let g: Gauge = Gauge::default();
    g.set(i64::try_from(c.down_weighted_accusers).unwrap_or(i64::MAX));
    reg.register(
        "down_weighted_accusers",
        "Accusers whose accusations this node ignores now",
        g,
    );
}
