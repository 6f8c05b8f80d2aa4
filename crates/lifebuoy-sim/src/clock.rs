//! Virtual time: u64 nanoseconds since the start of the run, shown to the
//! cores as `base + Duration`. Only relative times matter, so reports do not
//! depend on the wall-clock `base`.

use std::time::{Duration, Instant};

/// Nanoseconds of virtual time.
pub(crate) type Nanos = u64;

pub(crate) const SEC: Nanos = 1_000_000_000;

pub(crate) fn secs(d: Duration) -> Nanos {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

pub(crate) fn from_secs_f64(s: f64) -> Nanos {
    (s.max(0.0) * SEC as f64).round() as Nanos
}

pub(crate) fn to_secs_f64(n: Nanos) -> f64 {
    n as f64 / SEC as f64
}

/// Converts between virtual nanoseconds and the `Instant`s the cores see.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    base: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock {
            base: Instant::now(),
        }
    }

    pub(crate) fn instant(&self, t: Nanos) -> Instant {
        self.base + Duration::from_nanos(t)
    }

    pub(crate) fn nanos(&self, at: Instant) -> Nanos {
        secs(at.saturating_duration_since(self.base))
    }
}
