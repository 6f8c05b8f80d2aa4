//! End-to-end tests of the operator CLI: eight `lifebuoy run` processes on
//! loopback, driven and observed through `lifebuoy members --json`, the
//! events JSON lines and `/metrics`; plus the exit codes of bad input.
//!
//! Every process started here is killed by a guard, even on panic.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

#[test]
fn eight_nodes_converge_see_a_killed_node_fail_and_a_terminated_node_leave() {
    const N: usize = 8;
    let mut cluster = Cluster::new("e2e");
    cluster.spawn("n0", None, true);
    let seed = format!("/ip4/127.0.0.1/udp/{}/quic-v1", cluster.agents[0].quic);
    for i in 1..N {
        cluster.spawn(&format!("n{i}"), Some(seed.clone()), false);
    }

    let t0 = Instant::now();
    wait_all(
        &cluster,
        "8 alive members everywhere",
        Duration::from_secs(90),
        |m| m.len() == N && m.iter().all(|(_, s)| s == "alive"),
    );
    eprintln!("converged in {:?}", t0.elapsed());

    // Metrics: members by state, probes, messages by type, connections.
    let metrics = http_get(&cluster.agents[0].api, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    for needle in [
        "lifebuoy_members{state=\"alive\"} 8",
        "lifebuoy_probes_total ",
        "lifebuoy_messages_sent_total{type=\"ping\"}",
        "lifebuoy_message_bytes_received_total{type=\"ack\"}",
        "lifebuoy_connections ",
        "lifebuoy_health_score ",
        "lifebuoy_gossip_queue_depth ",
        // libp2p's own swarm metrics.
        "libp2p_swarm_connections_established_total",
        "# EOF",
    ] {
        assert!(
            metrics.contains(needle),
            "/metrics lacks {needle}:\n{metrics}"
        );
    }
    assert_eq!(metrics.matches("# EOF").count(), 1, "one exposition");

    // SIGKILL n7: everyone else sees it failed.
    let victim = N - 1;
    if let Some(mut c) = cluster.agents[victim].child.take() {
        c.kill().expect("SIGKILL");
        let _ = c.wait();
    }
    let t_kill = Instant::now();
    wait_all(
        &cluster,
        "n7 failed everywhere",
        Duration::from_secs(60),
        |m| state_of(m, "n7") == Some("dead"),
    );
    eprintln!(
        "n7 seen failed everywhere {:?} after SIGKILL",
        t_kill.elapsed()
    );

    // SIGTERM n6: it leaves gracefully, exits 0, and everyone sees it left.
    let leaver = N - 2;
    let mut child = cluster.agents[leaver].child.take().expect("n6 running");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let code = loop {
        if let Some(st) = child.try_wait().expect("try_wait") {
            break st.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("n6 did not exit within 30 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(0), "SIGTERM must leave gracefully and exit 0");
    wait_all(
        &cluster,
        "n6 left everywhere",
        Duration::from_secs(30),
        |m| state_of(m, "n6") == Some("left"),
    );

    // The seed's --events-json lines: itself, the others, n7 dead, n6 left.
    let lines = cluster.agents[0]
        .stdout_lines
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let events: Vec<Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let has = |ev: &str, node: &str, state: &str| {
        events.iter().any(|e| {
            e["ev"] == ev
                && e["node"] == node
                && e["state"] == state
                && e["t_ms"].as_u64().is_some()
        })
    };
    assert!(
        has("join", "n0", "alive"),
        "no self join line in {lines:#?}"
    );
    for i in 1..N {
        assert!(
            has("join", &format!("n{i}"), "alive"),
            "no join line for n{i} in {lines:#?}"
        );
    }
    assert!(
        has("leave", "n7", "dead"),
        "no failed line for n7 in {lines:#?}"
    );
    assert!(
        has("leave", "n6", "left"),
        "no left line for n6 in {lines:#?}"
    );
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write config");
    p.display().to_string()
}

fn assert_usage_error(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit code 2; stderr: {stderr}"
    );
    assert!(
        stderr.contains(needle),
        "stderr should mention {needle:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_config_files_and_flags_exit_with_code_2_and_name_the_problem() {
    let dir = TempDir::new("badcfg");
    let d = &dir.0;
    let f = write(d, "typo.toml", "[protocol]\nprobe_intervall = 500\n");
    let out = cli(&["run", "--config", &f]);
    assert_usage_error(
        &out,
        &format!("error: config file {f}: unknown key `probe_intervall` in [protocol]"),
    );

    let f = write(d, "top.toml", "nmae = \"x\"\n");
    assert_usage_error(&cli(&["run", "--config", &f]), "unknown key `nmae`");

    let f = write(d, "invalid.toml", "[protocol]\nprobe_timeout = 5000\n");
    assert_usage_error(&cli(&["run", "--config", &f]), "probe_timeout");

    let f = write(d, "type.toml", "listen = \"/ip4/0.0.0.0/udp/1/quic-v1\"\n");
    assert_usage_error(&cli(&["run", "--config", &f]), "invalid value for `listen`");

    let f = write(d, "syntax.toml", "name = \n");
    assert_usage_error(&cli(&["run", "--config", &f]), &format!("config file {f}"));

    assert_usage_error(
        &cli(&[
            "run",
            "--config",
            &d.join("missing.toml").display().to_string(),
        ]),
        "missing.toml",
    );
    let out = cli(&["run", "--meta", "role"]);
    assert_usage_error(&out, "invalid value 'role' for '--meta");
    assert_usage_error(&out, "expected k=v");
    assert_usage_error(&cli(&["run", "--listen", "not-a-multiaddr"]), "--listen");
    assert_usage_error(&cli(&["run", "--profile", "fast"]), "--profile");
    assert_usage_error(&cli(&["run", "--api", "nowhere"]), "--api");
    assert_usage_error(&cli(&["members", "--state", "sleepy"]), "--state");
    // While the built-in testnet bootstrap list is empty (no public nodes
    // yet), --testnet is a usage error pointing to the docs.
    let shipped = include_str!("../../../testnet/bootstrap.txt");
    if shipped
        .lines()
        .all(|l| l.split('#').next().unwrap_or("").trim().is_empty())
    {
        assert_usage_error(&cli(&["run", "--testnet"]), "docs/testnet.md");
        let f = write(d, "testnet.toml", "testnet = true\n");
        assert_usage_error(&cli(&["run", "--config", &f]), "testnet/bootstrap.txt");
    }
}

#[test]
fn client_commands_without_a_node_say_so_and_exit_1() {
    let port = free_tcp_port();
    let api = format!("127.0.0.1:{port}");
    for args in [
        vec!["members"],
        vec!["status"],
        vec!["leave"],
        vec!["meta", "get"],
        vec!["events"],
    ] {
        let mut full: Vec<&str> = args.clone();
        full.extend(["--api", &api]);
        let out = cli(&full);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(
            stderr.trim(),
            format!(
                "error: no lifebuoy node is listening on {api} (start one with `lifebuoy run`)"
            ),
            "{args:?}"
        );
    }
}

#[test]
fn keygen_writes_a_private_key_whose_id_is_printed_back() {
    let dir = TempDir::new("keygen");
    let key = dir.0.join("k.key").display().to_string();
    let out = cli(&["keygen", "--out", &key]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(id.starts_with("12D3KooW"), "{id}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = cli(&["id", "--identity", &key]);
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), id);
    assert_eq!(
        cli(&["keygen", "--out", &key]).status.code(),
        Some(1),
        "an existing key is not overwritten"
    );
}

#[test]
fn flags_override_the_environment_which_overrides_the_config_file() {
    let dir = TempDir::new("precedence");
    let api = format!("127.0.0.1:{}", free_tcp_port());
    let quic = free_udp_port();
    let cfg = write(
        &dir.0,
        "node.toml",
        &format!(
            "name = \"from-file\"\napi = \"{api}\"\nprofile = \"local\"\nlisten = [\"/ip4/127.0.0.1/udp/{quic}/quic-v1\"]\n\
             [meta]\nrole = \"file\"\nzone = \"file\"\n"
        ),
    );
    let child = Command::new(BIN)
        .args(["run", "--config", &cfg, "--meta", "role=flag"])
        .arg("--data-dir")
        .arg(dir.0.join("data"))
        .env_remove("LIFEBUOY_API")
        .env("LIFEBUOY_NAME", "from-env")
        .env("LIFEBUOY_META", "role=env")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn lifebuoy run");
    let mut cluster = Cluster::new("precedence-guard");
    cluster.agents.push(Agent {
        name: "p".into(),
        api: api.clone(),
        quic,
        child: Some(child),
        stdout_lines: Default::default(),
        log: dir.0.join("none.log"),
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let me: Value = loop {
        let out = cli(&["status", "--json", "--api", &api]);
        if out.status.success() {
            break serde_json::from_slice(&out.stdout).expect("status JSON");
        }
        assert!(
            Instant::now() < deadline,
            "the node never answered on {api} (from the config file)"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(me["name"], "from-env", "env beats the file: {me}");
    assert_eq!(
        me["meta"],
        serde_json::json!({"role": "flag"}),
        "the flag beats env and file: {me}"
    );
    assert_eq!(me["state"], "alive");
}
