//! lifebuoy beside identify and gossipsub in a Swarm the application owns.
//!
//! Membership drives gossipsub: members that join become explicit gossipsub
//! peers, members that fail or leave stop being ones.
//!
//! ```sh
//! cargo run -p lifebuoy --example compose
//! cargo run -p lifebuoy --example compose -- /ip4/127.0.0.1/tcp/PORT
//! ```

use std::time::Duration;

use futures::StreamExt;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{gossipsub, identify, noise, tcp, yamux, SwarmBuilder};

#[derive(NetworkBehaviour)]
struct App {
    identify: identify::Behaviour,
    gossipsub: gossipsub::Behaviour,
    membership: lifebuoy::Behaviour,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let mut swarm = SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )?
        .with_quic()
        .with_behaviour(|key| {
            let membership = lifebuoy::Behaviour::new(
                key,
                lifebuoy::Config::new(lifebuoy::core::Config::lan()).with_name("compose"),
            )?;
            let gossipsub = gossipsub::Behaviour::new(
                gossipsub::MessageAuthenticity::Signed(key.clone()),
                gossipsub::Config::default(),
            )?;
            let identify = identify::Behaviour::new(identify::Config::new(
                "/compose/1.0.0".into(),
                key.public(),
            ));
            Ok(App {
                identify,
                gossipsub,
                membership,
            })
        })?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(30)))
        .build();

    swarm.listen_on("/ip4/0.0.0.0/tcp/0".parse()?)?;
    swarm.listen_on("/ip4/0.0.0.0/udp/0/quic-v1".parse()?)?;
    let seeds: Vec<libp2p::Multiaddr> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if !seeds.is_empty() {
        swarm.behaviour_mut().membership.join(seeds);
    }
    let topic = gossipsub::IdentTopic::new("members");
    swarm.behaviour_mut().gossipsub.subscribe(&topic)?;
    println!("peer id {}", swarm.local_peer_id());

    loop {
        match swarm.select_next_some().await {
            SwarmEvent::NewListenAddr { address, .. } => println!("listening on {address}"),
            SwarmEvent::Behaviour(AppEvent::Membership(event)) => {
                let id = event.member().id;
                println!("membership: {} {id}", event.name());
                match event {
                    lifebuoy::Event::MemberJoined(_) | lifebuoy::Event::MemberAlive(_) => {
                        swarm.behaviour_mut().gossipsub.add_explicit_peer(&id);
                    }
                    lifebuoy::Event::MemberFailed(_) | lifebuoy::Event::MemberLeft(_) => {
                        swarm.behaviour_mut().gossipsub.remove_explicit_peer(&id);
                    }
                    _ => {}
                }
            }
            SwarmEvent::Behaviour(AppEvent::Gossipsub(gossipsub::Event::Message {
                message,
                ..
            })) => {
                println!("gossip: {}", String::from_utf8_lossy(&message.data));
            }
            _ => {}
        }
    }
}
