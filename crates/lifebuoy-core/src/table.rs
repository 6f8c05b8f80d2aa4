//! The member table (everyone but the local node) and the randomized
//! round-robin probe order of SWIM section 4.3.

use std::collections::HashMap;

use crate::member::{Member, MemberState, NodeId};
use crate::rng::DetRng;

#[derive(Debug)]
pub(crate) struct Table<I> {
    members: Vec<Member<I>>,
    index: HashMap<I, u32>,
    /// Probe order: shuffled each round; new members go to a random place.
    order: Vec<I>,
    cursor: usize,
    live: usize,
    /// Bumped whenever the set of live members changes.
    live_gen: u64,
    /// The ring successor computed at `live_gen`.
    ring: Option<(u64, Option<I>)>,
}

impl<I: NodeId> Table<I> {
    pub(crate) fn new() -> Self {
        Table {
            members: Vec::new(),
            index: HashMap::new(),
            order: Vec::new(),
            cursor: 0,
            live: 0,
            live_gen: 0,
            ring: None,
        }
    }

    /// Makes room for `additional` more members without regrowing.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.members.reserve_exact(additional);
        self.index.reserve(additional);
        self.order.reserve_exact(additional);
    }

    pub(crate) fn len(&self) -> usize {
        self.members.len()
    }

    /// Alive or Suspect members (the local node not included).
    pub(crate) fn live(&self) -> usize {
        self.live
    }

    pub(crate) fn get(&self, id: &I) -> Option<&Member<I>> {
        self.index.get(id).map(|&i| &self.members[i as usize])
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Member<I>> {
        self.members.iter()
    }

    /// Inserts a member that is not in the table, at a random place in the
    /// probe order (SWIM 4.3).
    pub(crate) fn insert(&mut self, m: Member<I>, rng: &mut DetRng) {
        debug_assert!(!self.index.contains_key(&m.id));
        if m.state.is_live() {
            self.live += 1;
            self.live_gen += 1;
        }
        self.index.insert(m.id.clone(), self.members.len() as u32);
        self.order.push(m.id.clone());
        let last = self.order.len() - 1;
        let j = rng.index(self.order.len());
        self.order.swap(last, j);
        self.members.push(m);
    }

    /// Changes a member's state, incarnation and since-time, keeping the live count.
    pub(crate) fn update(&mut self, id: &I, f: impl FnOnce(&mut Member<I>)) -> Option<&Member<I>> {
        let i = *self.index.get(id)? as usize;
        let m = &mut self.members[i];
        let was_live = m.state.is_live();
        f(m);
        let is_live = m.state.is_live();
        match (was_live, is_live) {
            (true, false) => self.live -= 1,
            (false, true) => self.live += 1,
            _ => return Some(&self.members[i]),
        }
        self.live_gen += 1;
        Some(&self.members[i])
    }

    pub(crate) fn remove(&mut self, id: &I) -> Option<Member<I>> {
        let i = self.index.remove(id)? as usize;
        let m = self.members.swap_remove(i);
        if i < self.members.len() {
            let moved = self.members[i].id.clone();
            self.index.insert(moved, i as u32);
        }
        if m.state.is_live() {
            self.live -= 1;
            self.live_gen += 1;
        }
        // The probe order drops it lazily at the end of the round.
        Some(m)
    }

    /// The next live member in the randomized round-robin order (SWIM 4.3):
    /// each member is probed once per round, in an order reshuffled every round.
    pub(crate) fn next_probe_target(&mut self, rng: &mut DetRng) -> Option<I> {
        if self.live == 0 {
            return None;
        }
        for _ in 0..=self.order.len() + 1 {
            if self.cursor >= self.order.len() {
                let index = &self.index;
                self.order.retain(|id| index.contains_key(id));
                rng.shuffle(&mut self.order);
                self.cursor = 0;
                if self.order.is_empty() {
                    return None;
                }
            }
            let id = &self.order[self.cursor];
            self.cursor += 1;
            if self.get(id).is_some_and(|m| m.state.is_live()) {
                return Some(id.clone());
            }
        }
        None
    }

    /// The live member that follows `local` on the ring of member ids
    /// (wrapping around). Recomputed only after the live set changed, so it
    /// costs one scan per membership change, not one per probe.
    pub(crate) fn ring_successor(&mut self, local: &I) -> Option<I> {
        if let Some((gen, succ)) = &self.ring {
            if *gen == self.live_gen {
                return succ.clone();
            }
        }
        let mut after: Option<&I> = None;
        let mut first: Option<&I> = None;
        for m in self.members.iter().filter(|m| m.state.is_live()) {
            if m.id > *local && after.is_none_or(|a| m.id < *a) {
                after = Some(&m.id);
            }
            if first.is_none_or(|f| m.id < *f) {
                first = Some(&m.id);
            }
        }
        let succ = after.or(first).cloned();
        self.ring = Some((self.live_gen, succ.clone()));
        succ
    }

    /// Up to `k` distinct random members matching `keep`.
    pub(crate) fn random(
        &self,
        k: usize,
        rng: &mut DetRng,
        keep: impl Fn(&Member<I>) -> bool,
    ) -> Vec<&Member<I>> {
        if k == 0 || self.members.is_empty() {
            return Vec::new();
        }
        let n = self.members.len();
        if n <= 64 {
            let mut all: Vec<&Member<I>> = self.members.iter().filter(|m| keep(m)).collect();
            rng.shuffle(&mut all);
            all.truncate(k);
            return all;
        }
        // Rejection sampling keeps this O(k) in large clusters.
        let mut picked: Vec<u32> = Vec::with_capacity(k);
        for _ in 0..(8 * k + 32) {
            let i = rng.index(n) as u32;
            if !picked.contains(&i) && keep(&self.members[i as usize]) {
                picked.push(i);
                if picked.len() == k {
                    break;
                }
            }
        }
        if picked.len() < k {
            // Sparse matches: fall back to a full scan.
            let mut all: Vec<&Member<I>> = self.members.iter().filter(|m| keep(m)).collect();
            rng.shuffle(&mut all);
            all.truncate(k);
            return all;
        }
        picked
            .into_iter()
            .map(|i| &self.members[i as usize])
            .collect()
    }

    /// Marks every member that is not yet in the table: used by restore.
    pub(crate) fn contains(&self, id: &I) -> bool {
        self.index.contains_key(id)
    }

    /// Counts members in each state.
    pub(crate) fn count(&self, state: MemberState) -> usize {
        self.members.iter().filter(|m| m.state == state).count()
    }
}
