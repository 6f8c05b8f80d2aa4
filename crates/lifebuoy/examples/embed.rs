//! A node in a few lines: prints every membership change.
//!
//! ```sh
//! # first node
//! cargo run -p lifebuoy --example embed
//! # others, joining through an address the first one printed
//! cargo run -p lifebuoy --example embed -- /ip4/127.0.0.1/udp/PORT/quic-v1
//! ```
//! Ctrl-C leaves the cluster gracefully. `LIFEBUOY_KEY` sets where the
//! identity is kept (default: a fresh identity each run).

use futures::StreamExt;
use lifebuoy::{MembershipUpdate, Node};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let mut builder = Node::builder()
        .name(format!("embed-{}", std::process::id()))
        .metadata("example", "embed")
        .profile(lifebuoy::core::Config::lan());
    if let Ok(path) = std::env::var("LIFEBUOY_KEY") {
        builder = builder.identity_file(path);
    }
    for seed in std::env::args().skip(1) {
        builder = builder.bootstrap(seed.parse()?);
    }
    let node = builder.start().await?;
    println!("peer id {}", node.peer_id());
    for a in node.listen_addrs() {
        println!("listening on {a}");
    }
    let mut updates = node.subscribe();
    loop {
        tokio::select! {
            u = updates.next() => match u {
                Some(MembershipUpdate::Snapshot(members)) => println!("view: {} members", members.len()),
                Some(MembershipUpdate::Event(e)) => {
                    let m = e.member();
                    println!("{:>9} {} {:?} incarnation {}", e.name(), m.id, m.name(), m.incarnation);
                }
                Some(MembershipUpdate::Lagged { missed }) => println!("missed {missed} changes; resyncing"),
                None => break,
            },
            _ = tokio::signal::ctrl_c() => {
                println!("leaving");
                node.leave().await?;
                break;
            }
        }
    }
    node.shutdown().await;
    Ok(())
}
