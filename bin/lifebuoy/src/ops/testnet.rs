//! `lifebuoy run --testnet`: the public testnet's bootstrap list, built into
//! the binary from `testnet/bootstrap.txt`.

use anyhow::{anyhow, bail};
use lifebuoy::libp2p::Multiaddr;

/// `testnet/bootstrap.txt` as it was when this binary was built.
const BOOTSTRAP_TXT: &str = include_str!("../../../../testnet/bootstrap.txt");

/// The built-in bootstrap nodes, or an error pointing to docs/testnet.md
/// when there are none (a usage error: the user asked for something this
/// binary cannot do).
pub fn bootstrap_nodes() -> anyhow::Result<Vec<Multiaddr>> {
    let nodes = parse(BOOTSTRAP_TXT)?;
    if nodes.is_empty() {
        bail!(
            "--testnet: this binary's testnet bootstrap list (testnet/bootstrap.txt) is empty, \
             because no public bootstrap nodes exist yet; run one yourself and join it with \
             --bootstrap, as docs/testnet.md explains (\"Operating a bootstrap node\")"
        );
    }
    Ok(nodes)
}

/// One multiaddr per line; `#` starts a comment; blank lines are skipped.
fn parse(text: &str) -> anyhow::Result<Vec<Multiaddr>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let addr = line.parse::<Multiaddr>().map_err(|e| {
            anyhow!(
                "testnet/bootstrap.txt line {}: `{line}` is not a multiaddr: {e}",
                i + 1
            )
        })?;
        out.push(addr);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_not_bootstrap_nodes() {
        let text = "# header\n\n/ip4/192.0.2.1/udp/7946/quic-v1 # boot-1\n  \n/dns4/boot.example.org/tcp/7946\n";
        let nodes = parse(text).expect("parse");
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[0].to_string(), "/ip4/192.0.2.1/udp/7946/quic-v1");
    }

    #[test]
    fn a_bad_line_is_named_with_its_number() {
        let err = parse("# ok\nnot-an-addr\n").err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.starts_with("testnet/bootstrap.txt line 2: `not-an-addr`")),
            "{err:?}"
        );
    }

    #[test]
    fn the_shipped_list_parses() {
        assert!(parse(BOOTSTRAP_TXT).is_ok());
    }
}
