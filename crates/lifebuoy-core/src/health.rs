//! Lifeguard's Local Health Awareness (section 4.1, LHA-Probe): a node that
//! misses nacks, fails probes or has to refute suspicions about itself is
//! probably the slow one, so it stretches its own probe interval and timeout
//! instead of accusing others.

use std::time::Duration;

/// The local health multiplier score, `0 ..= max - 1`.
#[derive(Debug, Clone)]
pub(crate) struct Health {
    score: u32,
    max: u32,
}

impl Health {
    pub(crate) fn new(max_multiplier: u32) -> Self {
        Health {
            score: 0,
            max: max_multiplier.max(1),
        }
    }

    /// Applies a delta, clamped to `0 ..= max - 1`.
    pub(crate) fn apply(&mut self, delta: i64) {
        let s = i64::from(self.score) + delta;
        self.score = s.clamp(0, i64::from(self.max) - 1) as u32;
    }

    pub(crate) fn score(&self) -> u32 {
        self.score
    }

    /// `d` stretched by the current score: `d * (score + 1)`.
    pub(crate) fn scale(&self, d: Duration) -> Duration {
        d * (self.score + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_is_clamped_to_the_max_multiplier_lifeguard_4_1() {
        let mut h = Health::new(8);
        h.apply(100);
        assert_eq!(h.score(), 7);
        assert_eq!(h.scale(Duration::from_secs(1)), Duration::from_secs(8));
        h.apply(-100);
        assert_eq!(h.score(), 0);
        assert_eq!(h.scale(Duration::from_secs(1)), Duration::from_secs(1));
    }
}
