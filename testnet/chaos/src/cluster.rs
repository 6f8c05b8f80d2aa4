//! A cluster of real node processes in a [`Lab`], the faults applied to it,
//! and the observer that watches their event streams.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::time::{Duration, Instant};

use crate::faults::FaultLog;
use crate::interrupt;
use crate::netns::Lab;
use crate::nft::{self, NetFaults};
use crate::node::{Launch, Line, Proc};
use crate::observe::Observer;
use crate::ChaosError;

/// How often the harness looks at the event streams and its deadlines.
const TICK: Duration = Duration::from_millis(20);
/// Event lines buffered between the reader threads and the harness.
const LINE_BUFFER: usize = 16_384;

/// Everything one run owns. Field order is drop order: processes die
/// before their namespaces go.
#[derive(Debug)]
pub struct Cluster {
    procs: Vec<Option<Proc>>,
    lab: Lab,
    launch: Launch,
    tx: SyncSender<Line>,
    rx: Receiver<Line>,
    net: Vec<NetFaults>,
    skew: Vec<Option<String>>,
    /// When the run started.
    pub start: Instant,
    /// The views.
    pub obs: Observer,
    /// What was injected.
    pub faults: FaultLog,
    /// What the harness did, with times, for the report.
    pub timeline: Vec<String>,
}

impl Cluster {
    /// Creates the lab; no process runs yet.
    pub fn new(
        n: usize,
        launch: Launch,
        lookback: Duration,
        skew: Vec<Option<String>>,
    ) -> Result<Cluster, ChaosError> {
        let lab = Lab::create(n)?;
        let (tx, rx) = sync_channel(LINE_BUFFER);
        let start = Instant::now();
        let mut c = Cluster {
            procs: (0..n).map(|_| None).collect(),
            lab,
            launch,
            tx,
            rx,
            net: vec![NetFaults::default(); n],
            skew,
            start,
            obs: Observer::new(n, start),
            faults: FaultLog::new(n, lookback),
            timeline: Vec::new(),
        };
        for i in 0..n {
            nft::apply(&c.lab.ns(i), &NetFaults::default())?;
        }
        c.note("lab up: namespaces, bridge lbc-br0, nft tables lbc_fault");
        Ok(c)
    }

    /// Number of nodes.
    pub fn n(&self) -> usize {
        self.procs.len()
    }

    /// Seconds since the start.
    pub fn elapsed_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    fn note(&mut self, what: &str) {
        let line = format!("{:8.3} s  {what}", self.elapsed_s());
        eprintln!("chaos: {line}");
        self.timeline.push(line);
    }

    fn quic(i: usize) -> String {
        format!("/ip4/{}/udp/7946/quic-v1", Lab::addr(i))
    }

    fn spawn(&mut self, i: usize, generation: u32, via: &[usize]) -> Result<(), ChaosError> {
        let bootstrap: Vec<String> = via.iter().map(|&j| Cluster::quic(j)).collect();
        let p = Proc::start(
            &self.launch,
            &self.lab.ns(i),
            i,
            generation,
            &Cluster::quic(i),
            &bootstrap,
            self.skew[i].as_deref(),
            self.tx.clone(),
        )?;
        self.procs[i] = Some(p);
        Ok(())
    }

    /// Starts node 0, then every other node joining through it, and waits
    /// (at most `bound`) until every view is whole. Returns how long that took.
    pub fn start_all(&mut self, bound: Duration) -> Result<Option<f64>, ChaosError> {
        let t0 = Instant::now();
        self.spawn(0, 0, &[])?;
        self.wait_until(t0 + bound, |c| c.obs.peer_ids[0].is_some())?;
        for i in 1..self.n() {
            self.spawn(i, 0, &[0])?;
        }
        self.note(&format!("started {} nodes", self.n()));
        let whole = self.wait_until(t0 + bound, |c| c.obs.wrong_entries() == 0)?;
        let took = whole.then(|| t0.elapsed().as_secs_f64());
        match took {
            Some(s) => self.note(&format!("every view whole after {s:.3} s")),
            None => self.note("views still not whole at the join deadline"),
        }
        Ok(took)
    }

    /// Drains event lines and checks that no node died on its own.
    pub fn drain(&mut self) -> Result<(), ChaosError> {
        while let Ok(line) = self.rx.try_recv() {
            self.obs.line(&line, &self.faults);
        }
        for (i, p) in self.procs.iter_mut().enumerate() {
            if let Some(status) = p.as_mut().and_then(Proc::exited) {
                return Err(ChaosError::NodeExited {
                    node: format!("n{i}"),
                    status: status.to_string(),
                    log: self.launch.dir.display().to_string(),
                });
            }
        }
        Ok(())
    }

    /// Runs until `cond` holds (true) or `deadline` passes (false).
    pub fn wait_until(
        &mut self,
        deadline: Instant,
        mut cond: impl FnMut(&Cluster) -> bool,
    ) -> Result<bool, ChaosError> {
        loop {
            self.drain()?;
            if cond(self) {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            if interrupt::requested() {
                return Err(ChaosError::Interrupted);
            }
            std::thread::sleep(TICK);
        }
    }

    /// Lets the cluster run for `d`.
    pub fn run_for(&mut self, d: Duration) -> Result<(), ChaosError> {
        self.wait_until(Instant::now() + d, |_| false).map(|_| ())
    }

    /// SIGKILL node `i`.
    pub fn kill(&mut self, i: usize) {
        if let Some(p) = self.procs[i].take() {
            p.kill();
            let now = Instant::now();
            self.faults.killed(i, now);
            self.obs.killed(i, now);
            self.note(&format!("killed n{i} (SIGKILL)"));
        }
    }

    /// Starts node `i` again with the same data directory (same identity),
    /// joining through the running nodes.
    pub fn restart(&mut self, i: usize) -> Result<(), ChaosError> {
        let via: Vec<usize> = (0..self.n())
            .filter(|&j| j != i && self.procs[j].is_some())
            .take(3)
            .collect();
        let generation = self.obs.restarted(i);
        self.faults.restarted(i);
        self.spawn(i, generation, &via)?;
        self.note(&format!("restarted n{i} (same data directory)"));
        Ok(())
    }

    /// SIGSTOP node `i` for `d`, then SIGCONT, running the cluster meanwhile.
    pub fn pause_for(&mut self, i: usize, d: Duration) -> Result<(), ChaosError> {
        let Some(p) = self.procs[i].as_mut() else {
            return Ok(());
        };
        p.pause()?;
        self.faults.pauses += 1;
        self.note(&format!(
            "paused n{i} (SIGSTOP) for {:.1} s",
            d.as_secs_f64()
        ));
        let res = self.run_for(d);
        if let Some(p) = self.procs[i].as_mut() {
            p.resume()?;
        }
        self.note(&format!("resumed n{i} (SIGCONT)"));
        res
    }

    fn apply_net(&mut self) -> Result<(), ChaosError> {
        for i in 0..self.n() {
            nft::apply(&self.lab.ns(i), &self.net[i])?;
        }
        Ok(())
    }

    /// Every node drops `pct`% of the packets it receives.
    pub fn set_loss(&mut self, pct: u8) -> Result<(), ChaosError> {
        for f in &mut self.net {
            f.loss_pct = pct;
        }
        self.apply_net()?;
        self.note(&format!("loss {pct}% on every node's inbound packets"));
        Ok(())
    }

    /// Groups (`group[i]` per node) that cannot talk to each other at all.
    pub fn partition(&mut self, group: Vec<u8>) -> Result<(), ChaosError> {
        for i in 0..self.n() {
            self.net[i].blocked_from = (0..self.n())
                .filter(|&j| group[j] != group[i])
                .map(Lab::addr)
                .collect();
        }
        self.apply_net()?;
        let blocked = vec![(0, 1), (1, 0)];
        self.faults
            .partitioned(group.clone(), blocked, Instant::now());
        let side: Vec<String> = (0..self.n())
            .filter(|&i| group[i] == 1)
            .map(|i| format!("n{i}"))
            .collect();
        self.note(&format!("partition: {{{}}} | the rest", side.join(",")));
        Ok(())
    }

    /// Node `i` receives nothing (it can still send).
    pub fn oneway(&mut self, i: usize) -> Result<(), ChaosError> {
        self.net[i].inbound_dropped = true;
        self.apply_net()?;
        let mut group = vec![0u8; self.n()];
        group[i] = 1;
        self.faults.partitioned(group, vec![(0, 1)], Instant::now());
        self.note(&format!("one-way: n{i} receives nothing"));
        Ok(())
    }

    /// Removes partitions and one-way cuts (loss stays).
    pub fn heal(&mut self) -> Result<(), ChaosError> {
        for f in &mut self.net {
            f.blocked_from.clear();
            f.inbound_dropped = false;
        }
        // Logged before the rules go: the first namespaces heal before the last.
        self.faults.healed(Instant::now());
        self.apply_net()?;
        self.note("healed");
        Ok(())
    }

    /// Whether node `i` runs.
    pub fn running(&self, i: usize) -> bool {
        self.procs[i].is_some()
    }

    /// Stops every node (SIGKILL) and keeps the lab until drop.
    pub fn stop_all(&mut self) {
        for p in self.procs.iter_mut().filter_map(Option::take) {
            p.kill();
        }
    }

    /// The directory with the nodes' data and logs.
    pub fn dir(&self) -> &std::path::Path {
        &self.launch.dir
    }
}
