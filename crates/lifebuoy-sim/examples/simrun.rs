//! Minimal runner without the CLI's dependencies:
//! `simrun NODES SCENARIO SEED [DURATION_S] [LOSS]` prints the JSON report.
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let scenario = lifebuoy_sim::Scenario::from_name(&a[2]).expect("scenario");
    let mut cfg = lifebuoy_sim::SimConfig::new(scenario, a[3].parse().expect("seed"));
    cfg.nodes = a[1].parse().expect("nodes");
    cfg.duration_s = a.get(4).and_then(|d| d.parse().ok());
    cfg.loss = a.get(5).and_then(|d| d.parse().ok());
    let r = lifebuoy_sim::run(&cfg).expect("runs");
    println!("{}", serde_json::to_string(&r).expect("json"));
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    eprintln!(
        "{}",
        status
            .lines()
            .find(|l| l.starts_with("VmHWM"))
            .unwrap_or("")
    );
}
