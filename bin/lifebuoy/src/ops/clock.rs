//! CLOCK_MONOTONIC in milliseconds, the timestamp of `--events-json` lines
//! (comparable with other processes on the same host, unlike `Instant`).

/// Milliseconds on CLOCK_MONOTONIC.
pub fn monotonic_ms() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
    secs * 1000 + nanos / 1_000_000
}
