//! The live dashboard in a real browser: headless Chromium keeps `GET /` open,
//! a member is killed while the page is open, and the page must show it
//! failed (live, over SSE); the page title mirrors its view and is read through
//! Chromium's DevTools HTTP endpoint. Skips with a message when Chromium is missing;
//! CI installs Debian's `chromium` package.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn chromium() -> Option<String> {
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        let found = Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if found {
            return Some(name.to_owned());
        }
    }
    None
}

#[test]
fn the_dashboard_shows_a_killed_member_as_failed_while_it_is_open() {
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED: the_dashboard_shows_a_killed_member_as_failed_while_it_is_open needs Chromium \
             (Debian: apt-get install chromium); none found on PATH"
        );
        return;
    };
    let mut cluster = Cluster::new("dashboard");
    cluster.spawn("d0", None, false);
    let seed = format!("/ip4/127.0.0.1/udp/{}/quic-v1", cluster.agents[0].quic);
    for i in 1..4 {
        cluster.spawn(&format!("d{i}"), Some(seed.clone()), false);
    }
    wait_all(
        &cluster,
        "4 alive members everywhere",
        Duration::from_secs(60),
        |m| m.len() == 4 && m.iter().all(|(_, s)| s == "alive"),
    );
    let page = http_get(&cluster.agents[0].api, "/");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "the page must not load external assets"
    );

    // Keep the page open in headless Chromium and read its title, which the
    // page keeps in sync with its view, through the DevTools HTTP endpoint.
    let profile = cluster.dir.0.join("chromium-profile");
    let url = format!("http://{}/", cluster.agents[0].api);
    let devtools = format!("127.0.0.1:{}", free_tcp_port());
    let child = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!(
            "--remote-debugging-port={}",
            devtools.rsplit(':').next().unwrap_or("0")
        ))
        .arg("--remote-debugging-address=127.0.0.1")
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let _browser = KillOnDrop(child);
    let title = || -> Option<String> {
        let body = devtools_get(&devtools, "/json/list")?;
        let targets: serde_json::Value = serde_json::from_str(&body).ok()?;
        targets
            .as_array()?
            .iter()
            .find(|t| t["type"] == "page" && t["url"].as_str().is_some_and(|u| u.starts_with(&url)))
            .and_then(|t| t["title"].as_str().map(str::to_owned))
    };
    let wait_title = |what: &str, pred: &dyn Fn(&str) -> bool, timeout: Duration| {
        let deadline = Instant::now() + timeout;
        loop {
            let t = title();
            if t.as_deref().is_some_and(pred) {
                return t.unwrap_or_default();
            }
            assert!(
                Instant::now() < deadline,
                "the dashboard never showed {what}; its title: {t:?}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    };
    let t = wait_title(
        "4 alive members",
        &|t| t.ends_with("4 alive"),
        Duration::from_secs(30),
    );
    assert!(t.starts_with("lifebuoy d0"), "{t}");

    // Kill d3 while the page is open: the page must show it failed, live.
    if let Some(mut c) = cluster.agents[3].child.take() {
        c.kill().expect("SIGKILL d3");
        let _ = c.wait();
    }
    let t = wait_title(
        "d3 failed",
        &|t| t.contains("failed: d3"),
        Duration::from_secs(45),
    );
    assert!(t.contains("3 alive"), "{t}");
}

/// Kills a process when dropped (even on panic).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// GET from Chromium's DevTools HTTP endpoint, which keeps connections
/// alive: read exactly Content-Length bytes.
fn devtools_get(addr: &str, path: &str) -> Option<String> {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut r = BufReader::new(s);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        r.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    String::from_utf8(body).ok()
}
