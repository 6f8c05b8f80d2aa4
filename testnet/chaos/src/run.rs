//! Runs one scenario on real processes, start to report.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use lifebuoy_core::DetRng;

use crate::cluster::Cluster;
use crate::node::Launch;
use crate::report::{self, Outcome};
use crate::spec::{Scenario, Spec};
use crate::{interrupt, skew, ChaosError};

/// Generous for a loaded 2-core machine: how long the cluster may take to
/// form before the run is declared failed.
fn join_bound(n: usize) -> Duration {
    Duration::from_secs(30 + n as u64)
}

/// What the scenario measured besides the observer's counts.
#[derive(Debug, Default)]
pub(crate) struct Phase {
    /// Seconds from the heal (or restart) until every view was whole.
    pub converge_s: Option<f64>,
    /// Whether views were whole at the end of a kill.
    pub whole_at_end: Option<bool>,
    /// Survivors that had not detected the kill when the node restarted
    /// (a restart ends the wait, so the count is taken just before it).
    pub missed_before_restart: Option<u64>,
}

/// Runs `spec` to the end and reports. The nodes are killed and the
/// namespaces deleted before it returns, whatever happened.
pub fn run(spec: &Spec) -> Result<Outcome, ChaosError> {
    spec.validate()?;
    interrupt::install();
    let n = spec.nodes;
    let faketime_lib = if spec.clockskew {
        Some(skew::find_lib().ok_or_else(|| {
            ChaosError::Usage(
                "clock skew needs libfaketime (Debian: apt-get install faketime)".to_owned(),
            )
        })?)
    } else {
        None
    };
    let skews: Vec<Option<String>> = (0..n)
        .map(|i| spec.clockskew.then(|| skew::faketime_spec(i)))
        .collect();
    let dir = work_dir()?;
    let launch = Launch {
        binary: spec.binary.clone(),
        profile: spec.profile.name().to_owned(),
        dir: dir.clone(),
        faketime_lib,
    };
    let wall = Instant::now();
    let result = (|| {
        let mut c = Cluster::new(n, launch, spec.lookback(), skews)?;
        let joined = c.start_all(join_bound(n))?;
        let phase = if joined.is_some() {
            c.run_for(Duration::from_secs_f64(spec.fault_at_s))?;
            inject(&mut c, spec)?
        } else {
            Phase::default()
        };
        c.drain()?;
        let clocks = spec.clockskew.then(|| measured_offsets(&c));
        c.stop_all();
        Ok(report::build(
            spec,
            &c,
            joined,
            &phase,
            clocks,
            wall.elapsed().as_secs_f64(),
        ))
    })();
    let keep = spec.keep || !result.as_ref().is_ok_and(|o: &Outcome| o.report.passed);
    if keep {
        eprintln!("chaos: node logs kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn work_dir() -> Result<PathBuf, ChaosError> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("lbc-chaos-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| ChaosError::Io {
        path: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(dir)
}

/// Distinct random nodes.
fn pick(rng: &mut DetRng, from: &[usize], k: usize) -> Vec<usize> {
    let mut all = from.to_vec();
    rng.shuffle(&mut all);
    all.truncate(k);
    all
}

/// Waits until every view is whole; seconds from `since`, or `None` by `deadline`.
fn converge(c: &mut Cluster, since: Instant, deadline: Instant) -> Result<Option<f64>, ChaosError> {
    let whole = c.wait_until(deadline, |c| c.obs.wrong_entries() == 0)?;
    Ok(whole.then(|| since.elapsed().as_secs_f64()))
}

/// Kills, then waits until every survivor detected it (at most twice the bound + 10 s).
fn kill_and_detect(c: &mut Cluster, spec: &Spec, victims: &[usize]) -> Result<(), ChaosError> {
    for &v in victims {
        c.kill(v);
    }
    let deadline = Instant::now() + 2 * spec.detect_bound() + Duration::from_secs(10);
    c.wait_until(deadline, |c| c.obs.undetected() == 0)?;
    Ok(())
}

fn inject(c: &mut Cluster, spec: &Spec) -> Result<Phase, ChaosError> {
    let mut rng = DetRng::seed_from_u64(spec.seed);
    let n = spec.nodes;
    let all: Vec<usize> = (0..n).collect();
    let twice = |d: Duration| 2 * d;
    let mut phase = Phase::default();
    if spec.loss() > 0 {
        c.set_loss(spec.loss())?;
    }
    match spec.scenario {
        Scenario::Kill | Scenario::Clockskew => {
            let victims = pick(&mut rng, &all, spec.kills);
            kill_and_detect(c, spec, &victims)?;
            let deadline = Instant::now() + Duration::from_secs(5);
            let whole = c.wait_until(deadline, |c| c.obs.wrong_entries() == 0)?;
            phase.whole_at_end = Some(whole);
            // A little longer, for late false positives.
            c.run_for(Duration::from_secs(2))?;
        }
        Scenario::Loss => c.run_for(spec.duration())?,
        Scenario::Pause => {
            let victim = pick(&mut rng, &all, 1)[0];
            let end = Instant::now() + spec.duration();
            let every = Duration::from_secs_f64(spec.pause_every_s);
            while Instant::now() < end {
                let t = Instant::now();
                c.pause_for(victim, spec.fault_for())?;
                c.run_for(every.saturating_sub(t.elapsed()))?;
            }
        }
        Scenario::Partition | Scenario::Oneway => {
            if spec.scenario == Scenario::Partition {
                let mut group = vec![0u8; n];
                for v in pick(&mut rng, &all, n / 2) {
                    group[v] = 1;
                }
                c.partition(group)?;
            } else {
                c.oneway(pick(&mut rng, &all, 1)[0])?;
            }
            c.run_for(spec.fault_for())?;
            c.heal()?;
            let t = Instant::now();
            phase.converge_s = converge(c, t, t + twice(spec.converge_bound()))?;
        }
        Scenario::Restart => {
            let victim = pick(&mut rng, &all[1..], 1)[0];
            kill_and_detect(c, spec, &[victim])?;
            phase.missed_before_restart = Some(c.obs.undetected() as u64);
            c.restart(victim)?;
            let t = Instant::now();
            phase.converge_s = converge(c, t, t + twice(spec.converge_bound()))?;
            c.run_for(Duration::from_secs(2))?;
        }
        Scenario::Churn => {
            let end = Instant::now() + spec.duration();
            let every = Duration::from_secs_f64(spec.churn_every_s);
            let downtime = Duration::from_secs_f64(spec.downtime_s);
            let mut down: Vec<(usize, Instant)> = Vec::new();
            let mut next_kill = Instant::now();
            while Instant::now() < end {
                if Instant::now() >= next_kill {
                    let up: Vec<usize> = all.iter().copied().filter(|&i| c.running(i)).collect();
                    // Keep a majority up, as the simulator's churn does in practice.
                    if up.len() > n / 2 + 1 {
                        let v = pick(&mut rng, &up, 1)[0];
                        c.kill(v);
                        down.push((v, Instant::now() + downtime));
                    }
                    next_kill += every;
                }
                let due: Vec<usize> = down
                    .iter()
                    .filter(|(_, at)| Instant::now() >= *at)
                    .map(|(v, _)| *v)
                    .collect();
                for v in due {
                    down.retain(|(d, _)| *d != v);
                    c.restart(v)?;
                }
                c.run_for(Duration::from_millis(100))?;
            }
            for (v, _) in std::mem::take(&mut down) {
                c.restart(v)?;
            }
            let t = Instant::now();
            phase.converge_s = converge(c, t, t + twice(spec.converge_bound()))?;
        }
    }
    Ok(phase)
}

/// Each node's wall-clock offset from the harness's, in hours, read from
/// the timestamp of its first log line (written by its faked clock).
fn measured_offsets(c: &Cluster) -> Vec<Option<f64>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let started = now - c.elapsed_s();
    (0..c.n())
        .map(|i| {
            let log = c.dir().join(format!("n{i}.0.log"));
            skew::first_log_timestamp(&log).map(|t| (t - started) / 3600.0)
        })
        .collect()
}
