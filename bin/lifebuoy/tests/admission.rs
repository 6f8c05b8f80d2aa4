//! Admission on real `lifebuoy run` processes: a node with the wrong cluster
//! name or pre-shared key is refused, and the admin API needs its token
//! anywhere but loopback.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{cli, free_tcp_port, http_with, members, wait_all, Cluster, BIN};

/// Runs `lifebuoy run ARGS` expecting it to exit on its own; returns (code, stderr).
fn run_expecting_exit(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .arg("run")
        .args(args)
        .env_remove("LIFEBUOY_CONFIG")
        .env_remove("LIFEBUOY_API_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("`lifebuoy run {}` kept running", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tcp_listen() -> (String, u16) {
    let port = free_tcp_port();
    (format!("/ip4/127.0.0.1/tcp/{port}"), port)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn nodes_with_the_wrong_cluster_name_or_pre_shared_key_are_refused() {
    let mut cluster = Cluster::new("admission");
    let key = cluster.dir.0.join("cluster.psk");
    let other_key = cluster.dir.0.join("other.psk");
    for k in [&key, &other_key] {
        let out = cli(&["keygen", "--psk", "--out", k.to_str().expect("utf-8 path")]);
        assert!(out.status.success(), "keygen --psk: {out:?}");
        let text = std::fs::read_to_string(k).expect("read key");
        assert!(
            text.starts_with("/key/swarm/psk/1.0.0/\n/base16/\n"),
            "{text}"
        );
    }
    let key = key.to_str().expect("utf-8").to_owned();
    let other_key = other_key.to_str().expect("utf-8").to_owned();

    let (listen, port) = tcp_listen();
    let seed = format!("/ip4/127.0.0.1/tcp/{port}");
    let good = |k: &str, cluster: &str| {
        strings(&["--psk-file", k, "--cluster", cluster, "--bootstrap", &seed])
    };
    cluster.spawn_with(
        "a",
        &listen,
        port,
        &strings(&["--psk-file", &key, "--cluster", "prod"]),
    );
    let (l, p) = tcp_listen();
    cluster.spawn_with("b", &l, p, &good(&key, "prod"));
    let (l, p) = tcp_listen();
    cluster.spawn_with("wrong-key", &l, p, &good(&other_key, "prod"));
    let (l, p) = tcp_listen();
    cluster.spawn_with("wrong-cluster", &l, p, &good(&key, "staging"));

    let (a, b) = (cluster.agents[0].api.clone(), cluster.agents[1].api.clone());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ok = |api: &str| {
            members(api).is_some_and(|m| m.len() == 2 && m.iter().all(|(_, s)| s == "alive"))
        };
        if ok(&a) && ok(&b) {
            break;
        }
        assert!(Instant::now() < deadline, "a and b did not converge");
        std::thread::sleep(Duration::from_millis(300));
    }
    // The refused nodes retry their joins meanwhile; give them time.
    let log_a = cluster.agents[0].log.clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = std::fs::read_to_string(&log_a).unwrap_or_default();
        if log.contains("refused a message from cluster \"staging\"") {
            assert!(log.contains("\"prod\""), "the log line names both clusters");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a never logged the foreign cluster"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_secs(3));
    for api in [&a, &b] {
        let m = members(api).expect("members");
        let names: Vec<&str> = m.iter().map(|(n, _)| n.as_str()).collect();
        assert!(
            names.len() == 2 && names.contains(&"a") && names.contains(&"b"),
            "an outsider was admitted: {names:?}"
        );
    }
    for outsider in &cluster.agents[2..] {
        let m = members(&outsider.api).expect("members");
        assert_eq!(m.len(), 1, "{} joined: {m:?}", outsider.name);
    }
    let metrics = common::http_get(&a, "/metrics");
    let wrong: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("lifebuoy_wrong_cluster_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("wrong_cluster counter");
    assert!(wrong > 0, "foreign messages not counted");
    wait_all(
        &cluster,
        "every node still answers",
        Duration::from_secs(30),
        |m| !m.is_empty(),
    );
}

#[test]
fn a_pre_shared_key_with_a_quic_address_is_a_usage_error() {
    let dir = common::TempDir::new("psk-quic");
    let key = dir.0.join("k.psk");
    let key = key.to_str().expect("utf-8");
    assert!(cli(&["keygen", "--psk", "--out", key]).status.success());
    let (code, err) = run_expecting_exit(&[
        "--psk-file",
        key,
        "--listen",
        "/ip4/127.0.0.1/udp/0/quic-v1",
        "--api",
        &format!("127.0.0.1:{}", free_tcp_port()),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("quic-v1") && err.contains("TCP only"), "{err}");
    let (code, err) = run_expecting_exit(&["--psk-file", "/nonexistent/k.psk"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("/nonexistent/k.psk"), "{err}");
}

#[test]
fn the_api_off_loopback_needs_a_token_and_refuses_requests_without_it() {
    let (code, err) = run_expecting_exit(&["--api", &format!("0.0.0.0:{}", free_tcp_port())]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("not a loopback address") && err.contains("--api-token"),
        "{err}"
    );

    let token = "s3cret-token-0123456789";
    let mut cluster = Cluster::new("api-token");
    let port = common::free_udp_port();
    cluster.spawn_with(
        "solo",
        &format!("/ip4/127.0.0.1/udp/{port}/quic-v1"),
        port,
        &strings(&["--api-token", token, "--api-open", "health"]),
    );
    let api = cluster.agents[0].api.clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cli(&["members", "--api", &api, "--api-token", token])
        .status
        .success()
    {
        assert!(Instant::now() < deadline, "the node never answered");
        std::thread::sleep(Duration::from_millis(300));
    }
    let bearer = |t: &str| format!("Authorization: Bearer {t}\r\n");
    for (path, headers, want) in [
        ("/v1/members", String::new(), 401),
        ("/v1/members", bearer("wrong-token-0123456789"), 401),
        ("/v1/members", bearer(token), 200),
        ("/metrics", String::new(), 401),
        ("/metrics", bearer(token), 200),
        ("/healthz", String::new(), 200),
        (
            &format!("/v1/events?token={token}x") as &str,
            String::new(),
            401,
        ),
    ] {
        let (status, body) = http_with(&api, "GET", path, "", &headers);
        assert_eq!(status, want, "GET {path} with {headers:?}: {body}");
        if status == 401 {
            let v: serde_json::Value = serde_json::from_str(&body).expect("JSON error body");
            assert!(
                v["error"].as_str().is_some_and(|e| e.contains("token")),
                "{body}"
            );
        }
    }
    let out = cli(&["status", "--api", &api]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("401") && err.contains("--api-token"), "{err}");
    let out = cli(&["status", "--api", &api, "--api-token", token]);
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn client_commands_take_the_api_token_from_the_config_file_or_the_environment() {
    let token = "tok+en/0123456789==";
    let mut cluster = Cluster::new("api-token-file");
    let config = cluster.dir.0.join("node.toml");
    std::fs::write(&config, format!("api_token = \"{token}\"\n")).expect("config file");
    let port = common::free_udp_port();
    let config_arg = config.to_string_lossy().into_owned();
    cluster.spawn_with(
        "solo",
        &format!("/ip4/127.0.0.1/udp/{port}/quic-v1"),
        port,
        &strings(&["--config", &config_arg]),
    );
    let api = cluster.agents[0].api.clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cli(&["members", "--api", &api, "--config", &config_arg])
        .status
        .success()
    {
        assert!(Instant::now() < deadline, "the node never answered");
        std::thread::sleep(Duration::from_millis(300));
    }
    let status_with = |env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(common::BIN);
        cmd.args(["status", "--api", &api])
            .env_remove("LIFEBUOY_API_TOKEN")
            .env_remove("LIFEBUOY_CONFIG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run lifebuoy status")
    };
    assert_eq!(status_with(&[]).status.code(), Some(1), "no token: 401");
    let out = status_with(&[("LIFEBUOY_CONFIG", &config_arg)]);
    assert!(out.status.success(), "token from LIFEBUOY_CONFIG: {out:?}");
    let out = status_with(&[("LIFEBUOY_API_TOKEN", token)]);
    assert!(
        out.status.success(),
        "token from LIFEBUOY_API_TOKEN: {out:?}"
    );
    let out = status_with(&[
        ("LIFEBUOY_CONFIG", &config_arg),
        ("LIFEBUOY_API_TOKEN", "wrong-token-0123456789"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the variable wins over the file"
    );

    // A token in the query is URL-decoded ('+' is a space there).
    let (status, body) = http_with(
        &api,
        "GET",
        "/v1/members?token=tok%2Ben%2F0123456789%3D%3D",
        "",
        "",
    );
    assert_eq!(status, 200, "{body}");
    let (status, _) = http_with(&api, "GET", &format!("/v1/members?token={token}"), "", "");
    assert_eq!(status, 401, "an unencoded '+' is a space");
}
