//! Clock skew with libfaketime: each node's wall clock is hours off and
//! runs up to 10% fast or slow. Works only on a dynamically linked binary
//! (LD_PRELOAD); `lifebuoy` must behave exactly as without skew, because
//! nothing in it may depend on clocks agreeing.
//!
//! CLOCK_MONOTONIC is faked too (libfaketime's default), so monotonic
//! clocks run at the same skewed rates. libfaketime 0.9.10 moves it to a
//! wall-clock base (~1.8e9 s), and Rust's `thread::park_timeout` turns its
//! timeout into an *absolute* CLOCK_MONOTONIC deadline for the futex
//! syscall, which the kernel compares with the real clock (~uptime): such a
//! park never times out, so futures-timer's global timer thread sleeps for
//! ever (strace: `FUTEX_WAIT_BITSET` with `tv_sec=1795308378` at an uptime
//! of 2161 s). lifebuoy's node therefore also wakes at the protocol's next
//! deadline with a tokio sleep (relative `epoll_wait` timeouts), and the
//! driver fires a deadline that has passed without waiting for futures-timer.

use std::path::{Path, PathBuf};

/// Where Debian's libfaketime (package `libfaketime`) puts its preload library.
pub const LIB_CANDIDATES: [&str; 2] = [
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/faketime/libfaketimeMT.so.1",
];

/// The multi-threaded libfaketime, if installed.
pub fn find_lib() -> Option<PathBuf> {
    LIB_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Node `i`'s skew: (wall-clock offset in hours, clock rate).
pub fn of(i: usize) -> (i64, f64) {
    const OFFSETS: [i64; 5] = [0, -5, 7, -11, 3];
    const RATES: [f64; 5] = [1.0, 1.1, 0.9, 1.05, 0.95];
    (OFFSETS[i % 5], RATES[(i / 5 + i) % 5])
}

/// libfaketime's `FAKETIME` for node `i`, e.g. `-5h x1.1`.
pub fn faketime_spec(i: usize) -> String {
    let (h, rate) = of(i);
    format!("{h:+}h x{rate}")
}

/// The wall-clock time (seconds since the epoch) of the first JSON log
/// line in `log`: tracing's `"timestamp":"2026-11-21T21:30:00.123456Z"`.
pub fn first_log_timestamp(log: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(log).ok()?;
    let v: serde_json::Value = serde_json::from_str(text.lines().next()?).ok()?;
    parse_rfc3339_utc(v.get("timestamp")?.as_str()?)
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.frac]Z`.
pub fn parse_rfc3339_utc(s: &str) -> Option<f64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':');
    let (hh, mm) = (
        t.next()?.parse::<i64>().ok()?,
        t.next()?.parse::<i64>().ok()?,
    );
    let ss: f64 = t.next()?.parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + hh * 3600 + mm * 60) as f64 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracing_timestamps_parse_to_unix_seconds() {
        assert_eq!(parse_rfc3339_utc("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(
            parse_rfc3339_utc("2000-03-01T00:00:01.5Z"),
            Some(951_868_801.5)
        );
        assert_eq!(parse_rfc3339_utc("2000-03-01 00:00:01"), None);
    }

    #[test]
    fn skews_spread_wall_clocks_hours_apart_and_rates_within_ten_percent() {
        let specs: Vec<(i64, f64)> = (0..8).map(of).collect();
        assert!(specs.iter().all(|&(_, r)| (0.9..=1.1).contains(&r)));
        let max = specs.iter().map(|s| s.0).max().unwrap_or(0);
        let min = specs.iter().map(|s| s.0).min().unwrap_or(0);
        assert!(max - min >= 12, "{specs:?}");
        assert_eq!(faketime_spec(1), "-5h x1.1");
    }
}
