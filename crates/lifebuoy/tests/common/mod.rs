//! Helpers shared by the node tests: fast profiles, recorders, polling.
#![allow(dead_code)]

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use lifebuoy::{MembershipUpdate, Node};

/// A profile fast enough for tests yet tolerant of a loaded 2-core machine:
/// 500 ms probes, suspicion of at least ~4 s before anyone is declared failed.
pub fn test_profile() -> lifebuoy_core::Config {
    lifebuoy_core::Config {
        probe_interval: Duration::from_millis(500),
        probe_timeout: Duration::from_millis(250),
        suspicion_mult: 4,
        gossip_interval: Duration::from_millis(100),
        join_retry_interval: Duration::from_millis(300),
        push_pull_interval: Duration::from_secs(5),
        reconnect_interval: Duration::from_secs(5),
        ..lifebuoy_core::Config::local()
    }
}

/// Everything a subscription yields, with when it came, kept for later
/// assertions.
pub type Log = Arc<Mutex<Vec<(Instant, MembershipUpdate)>>>;

pub fn record(node: &Node) -> Log {
    let log: Log = Arc::default();
    let mut sub = node.subscribe();
    let l = log.clone();
    tokio::spawn(async move {
        while let Some(u) = sub.next().await {
            l.lock().expect("log lock").push((Instant::now(), u));
        }
    });
    log
}

/// The events of `logs` (one per observer, named by `names`) in time order,
/// one line each, seconds after `t0`: what a failing test prints.
pub fn timeline(t0: Instant, names: &[String], logs: &[Log]) -> String {
    let mut lines = Vec::new();
    for (name, log) in names.iter().zip(logs) {
        for (at, u) in log.lock().expect("log").iter() {
            let what = match u {
                MembershipUpdate::Event(e) => {
                    let m = e.member();
                    format!("{} {} @{}", e.name(), m.info.name, m.incarnation)
                }
                MembershipUpdate::Snapshot(v) => format!("snapshot of {}", v.len()),
                MembershipUpdate::Lagged { missed } => format!("lagged {missed}"),
            };
            lines.push((
                *at,
                format!(
                    "{:8.3} s  {name}: {what}",
                    at.saturating_duration_since(t0).as_secs_f64()
                ),
            ));
        }
    }
    lines.sort_by_key(|(at, _)| *at);
    lines.into_iter().map(|(_, l)| l + "\n").collect()
}

/// Polls `cond` every 100 ms until it holds, or panics with `what` after `limit`.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if cond().await {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {limit:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
