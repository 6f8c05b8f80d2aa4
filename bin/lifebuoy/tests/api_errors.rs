//! Invalid admin API requests get a 4xx with a JSON error naming the
//! problem, and change nothing.

mod common;

use std::time::Duration;

use common::{http, wait_all, Cluster};

#[test]
fn invalid_api_requests_get_4xx_with_a_json_error_and_change_nothing() {
    let mut cluster = Cluster::new("api-errors");
    cluster.spawn("solo", None, false);
    wait_all(
        &cluster,
        "the node to answer",
        Duration::from_secs(60),
        |m| m.len() == 1,
    );
    let api = cluster.agents[0].api.clone();

    let cases: [(&str, &str, &str, &str); 5] = [
        ("POST", "/v1/join", "this is not json", ""),
        (
            "POST",
            "/v1/join",
            r#"{"addrs":["not-a-multiaddr"]}"#,
            "not-a-multiaddr",
        ),
        ("PUT", "/v1/meta", r#"["not","an","object"]"#, ""),
        (
            "PUT",
            "/v1/meta",
            &format!(r#"{{"k":"{}"}}"#, "v".repeat(600)),
            "512",
        ),
        ("GET", "/v1/no-such-endpoint", "", "no-such-endpoint"),
    ];
    for (method, path, body, mentions) in cases {
        let (status, reply) = http(&api, method, path, body);
        assert!(
            (400..500).contains(&status),
            "{method} {path}: status {status}, body {reply}"
        );
        let v: serde_json::Value = serde_json::from_str(&reply)
            .unwrap_or_else(|e| panic!("{method} {path}: body is not JSON ({e}): {reply}"));
        let msg = v["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error field: {reply}"));
        assert!(
            msg.contains(mentions),
            "{method} {path}: {msg:?} should mention {mentions:?}"
        );
    }

    // Nothing changed: metadata is still empty and the node is alive.
    let (status, me) = http(&api, "GET", "/v1/self", "");
    assert_eq!(status, 200, "{me}");
    let v: serde_json::Value = serde_json::from_str(&me).expect("json");
    assert_eq!(v["state"], "alive", "{me}");
    assert!(v["meta"].as_object().is_none_or(|m| m.is_empty()), "{me}");
}
