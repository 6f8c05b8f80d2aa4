//! Which claim about a member wins.
//!
//! Every claim names a member, an incarnation and a state. Claims are totally
//! ordered by `(incarnation, rank(state))`, with
//! `Alive < Suspect < Dead < Left` at equal incarnation, and a node keeps the
//! greatest claim it has seen. This is SWIM's rule set (section 4.2: Alive at
//! a higher incarnation overrides Suspect; Suspect overrides Alive at the same
//! or a lower incarnation) extended so that a restarted member can come back:
//! a Dead or Left claim is overridden by an Alive claim at a *higher*
//! incarnation, which only the member itself can issue.
//!
//! Because "keep the maximum" is commutative, associative and idempotent,
//! views that have received the same claims in any order agree.

use crate::member::MemberState;

/// The rank of a state among claims at the same incarnation.
pub fn rank(state: MemberState) -> u8 {
    match state {
        MemberState::Alive => 0,
        MemberState::Suspect => 1,
        MemberState::Dead => 2,
        MemberState::Left => 3,
    }
}

/// Does the claim `(inc, state)` supersede the current `(cur_inc, cur_state)`?
pub fn supersedes(inc: u64, state: MemberState, cur_inc: u64, cur_state: MemberState) -> bool {
    (inc, rank(state)) > (cur_inc, rank(cur_state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use MemberState::*;

    fn state() -> impl Strategy<Value = MemberState> {
        prop_oneof![Just(Alive), Just(Suspect), Just(Dead), Just(Left)]
    }

    /// Apply claims in order, keeping the winner (what a view does).
    fn fold(claims: &[(u64, MemberState)]) -> Option<(u64, MemberState)> {
        let mut cur: Option<(u64, MemberState)> = None;
        for &(i, s) in claims {
            cur = match cur {
                None => Some((i, s)),
                Some((ci, cs)) if supersedes(i, s, ci, cs) => Some((i, s)),
                keep => keep,
            };
        }
        cur
    }

    #[test]
    fn suspect_overrides_alive_at_the_same_incarnation_swim_4_2() {
        assert!(supersedes(3, Suspect, 3, Alive));
        assert!(!supersedes(3, Alive, 3, Suspect));
    }

    #[test]
    fn alive_at_a_higher_incarnation_refutes_suspicion_swim_4_2() {
        assert!(supersedes(4, Alive, 3, Suspect));
        assert!(supersedes(4, Alive, 3, Dead));
        assert!(!supersedes(3, Alive, 3, Dead));
    }

    #[test]
    fn left_is_final_for_its_incarnation_but_a_restart_comes_back() {
        assert!(supersedes(5, Left, 5, Dead));
        assert!(!supersedes(5, Dead, 5, Left));
        assert!(supersedes(6, Alive, 5, Left));
    }

    #[test]
    fn stale_claims_never_win() {
        for s in [Alive, Suspect, Dead, Left] {
            assert!(!supersedes(2, s, 3, Alive));
        }
    }

    proptest! {
        /// Views that saw the same claims in different orders agree (SWIM 4.2 convergence).
        #[test]
        fn any_delivery_order_of_claims_yields_the_same_view(
            claims in prop::collection::vec((0u64..6, state()), 1..24),
            perm_seed in any::<u64>(),
        ) {
            let mut shuffled = claims.clone();
            let mut rng = crate::rng::DetRng::seed_from_u64(perm_seed);
            rng.shuffle(&mut shuffled);
            prop_assert_eq!(fold(&claims), fold(&shuffled));
        }

        /// Receiving a claim twice changes nothing (duplicated gossip is harmless).
        #[test]
        fn duplicated_claims_change_nothing(
            claims in prop::collection::vec((0u64..6, state()), 1..16),
        ) {
            let mut doubled = claims.clone();
            doubled.extend(claims.iter().copied());
            prop_assert_eq!(fold(&claims), fold(&doubled));
        }

        /// The winner is never older than any claim seen.
        #[test]
        fn the_winner_is_at_least_every_claim(
            claims in prop::collection::vec((0u64..6, state()), 1..16),
        ) {
            let (wi, ws) = fold(&claims).expect("non-empty");
            for &(i, s) in &claims {
                prop_assert!(!supersedes(i, s, wi, ws));
            }
        }

        /// Exactly one of two distinct claims supersedes the other (a total order).
        #[test]
        fn distinct_claims_are_totally_ordered(a in (0u64..6, state()), b in (0u64..6, state())) {
            if a != b {
                prop_assert!(supersedes(a.0, a.1, b.0, b.1) ^ supersedes(b.0, b.1, a.0, a.1));
            } else {
                prop_assert!(!supersedes(a.0, a.1, b.0, b.1));
            }
        }
    }
}
