//! Encoding and bounded decoding.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::message::{Hello, Kind, Packet, Signed, Update, PROTOCOL_VERSION};

/// The two logical channels. The libp2p driver maps them to the stream
/// protocols `/lifebuoy/swim/1.0.0` and `/lifebuoy/sync/1.0.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Probes, acks, ping-req, nacks and gossip; bounded by `max_message_bytes`.
    Probe,
    /// Push-pull full-state exchange; bounded by `max_sync_bytes`.
    Sync,
}

/// Why bytes from a peer were refused. Every case is counted and dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Larger than the channel allows.
    #[error("message of {size} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Bytes received.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not a valid envelope.
    #[error("undecodable message: {0}")]
    Malformed(String),
    /// A protocol version this node does not speak.
    #[error("unsupported protocol version {0} (this node speaks {PROTOCOL_VERSION})")]
    UnsupportedVersion(u8),
    /// A message from another cluster.
    #[error("message from cluster {theirs:?}, this node is in cluster {ours:?}")]
    WrongCluster {
        /// The sender's cluster.
        theirs: String,
        /// Ours.
        ours: String,
    },
    /// A message that does not belong on the channel it arrived on.
    #[error("{0} message arrived on the wrong channel")]
    WrongChannel(&'static str),
    /// Encoding failed (only for our own messages).
    #[error("encoding failed: {0}")]
    Encode(String),
}

/// Largest [`Hello`] accepted: a version and a cluster name.
pub const MAX_HELLO_BYTES: usize = 1024;

/// Encodes the [`Hello`] a sender puts before its first packet on a stream.
pub fn encode_hello(cluster: &str) -> Result<Vec<u8>, WireError> {
    #[derive(Serialize)]
    struct HelloRef<'a> {
        #[serde(rename = "v")]
        version: u8,
        #[serde(rename = "c")]
        cluster: &'a str,
    }
    let h = HelloRef {
        version: PROTOCOL_VERSION,
        cluster,
    };
    cbor4ii::serde::to_vec(Vec::with_capacity(16 + cluster.len()), &h)
        .map_err(|e| WireError::Encode(e.to_string()))
}

/// Checks a peer's [`Hello`]: at most [`MAX_HELLO_BYTES`], our protocol
/// version, our cluster name. Any other map with a `v` field (a packet of
/// another protocol version, say) is reported as that version.
pub fn check_hello(bytes: &[u8], cluster: &str) -> Result<(), WireError> {
    if bytes.len() > MAX_HELLO_BYTES {
        return Err(WireError::TooLarge {
            size: bytes.len(),
            limit: MAX_HELLO_BYTES,
        });
    }
    #[derive(serde::Deserialize)]
    struct VersionOnly {
        #[serde(rename = "v")]
        version: u8,
    }
    let hello: Hello = match cbor4ii::serde::from_slice(bytes) {
        Ok(h) => h,
        Err(e) => {
            return Err(match cbor4ii::serde::from_slice::<VersionOnly>(bytes) {
                Ok(v) if v.version != PROTOCOL_VERSION => WireError::UnsupportedVersion(v.version),
                _ => WireError::Malformed(e.to_string()),
            });
        }
    };
    if hello.version != PROTOCOL_VERSION {
        return Err(WireError::UnsupportedVersion(hello.version));
    }
    if hello.cluster != cluster {
        return Err(WireError::WrongCluster {
            theirs: hello.cluster,
            ours: cluster.to_owned(),
        });
    }
    Ok(())
}

/// Encodes a packet (no version or cluster: those are in the stream's
/// [`Hello`]).
pub fn encode<I: Serialize>(packet: &Packet<I>) -> Result<Vec<u8>, WireError> {
    encode_parts(&packet.kind, &packet.gossip)
}

/// Decodes a packet, enforcing `limit` before looking at a single byte.
pub fn decode<I: DeserializeOwned>(bytes: &[u8], limit: usize) -> Result<Packet<I>, WireError> {
    if bytes.len() > limit {
        return Err(WireError::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    cbor4ii::serde::from_slice(bytes).map_err(|e| WireError::Malformed(e.to_string()))
}

/// Encodes a packet whose gossip entries are already-encoded updates,
/// borrowing them instead of copying (what a node sends on every probe).
pub fn encode_parts<I: Serialize>(
    kind: &Kind<I>,
    gossip: &[impl AsRef<[u8]>],
) -> Result<Vec<u8>, WireError> {
    #[derive(Serialize)]
    struct PacketRef<'a, I> {
        #[serde(rename = "k")]
        kind: &'a Kind<I>,
        #[serde(rename = "g", skip_serializing_if = "Vec::is_empty")]
        gossip: Vec<&'a serde_bytes::Bytes>,
    }
    let gossip = gossip
        .iter()
        .map(|g| serde_bytes::Bytes::new(g.as_ref()))
        .collect();
    let packet = PacketRef { kind, gossip };
    cbor4ii::serde::to_vec(Vec::with_capacity(256), &packet)
        .map_err(|e| WireError::Encode(e.to_string()))
}

/// Encodes one piggybacked update as an unsigned claim (a [`Signed`] with
/// no signature): what a cluster without signatures gossips.
pub fn encode_update<I: Serialize>(update: &Update<I>) -> Result<Vec<u8>, WireError> {
    encode_signed(&encode_body(update)?, &[])
}

/// Decodes one piggybacked claim's update, ignoring its signature.
pub fn decode_update<I: DeserializeOwned>(bytes: &[u8]) -> Result<Update<I>, WireError> {
    let (body, _) = decode_signed(bytes)?;
    decode_body(&body)
}

/// Encodes a claim's body: the bytes its signature covers (after the
/// domain prefix and cluster name).
pub fn encode_body<I: Serialize>(update: &Update<I>) -> Result<Vec<u8>, WireError> {
    cbor4ii::serde::to_vec(Vec::with_capacity(64), update)
        .map_err(|e| WireError::Encode(e.to_string()))
}

/// Decodes a claim's body.
pub fn decode_body<I: DeserializeOwned>(body: &[u8]) -> Result<Update<I>, WireError> {
    cbor4ii::serde::from_slice(body).map_err(|e| WireError::Malformed(e.to_string()))
}

/// Encodes a signed claim from its body and signature.
pub fn encode_signed(body: &[u8], sig: &[u8]) -> Result<Vec<u8>, WireError> {
    #[derive(Serialize)]
    struct SignedRef<'a> {
        #[serde(rename = "u")]
        body: &'a serde_bytes::Bytes,
        #[serde(rename = "s", skip_serializing_if = "<[u8]>::is_empty")]
        sig: &'a serde_bytes::Bytes,
    }
    let s = SignedRef {
        body: serde_bytes::Bytes::new(body),
        sig: serde_bytes::Bytes::new(sig),
    };
    cbor4ii::serde::to_vec(Vec::with_capacity(body.len() + sig.len() + 8), &s)
        .map_err(|e| WireError::Encode(e.to_string()))
}

/// Splits a signed claim into its body and signature.
pub fn decode_signed(bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>), WireError> {
    let s: Signed =
        cbor4ii::serde::from_slice(bytes).map_err(|e| WireError::Malformed(e.to_string()))?;
    Ok((s.body.into_vec(), s.sig.into_vec()))
}

#[cfg(test)]
mod tests {
    use super::super::message::Kind;
    use super::*;
    use serde_bytes::ByteBuf;

    fn ping() -> Packet<u32> {
        Packet {
            kind: Kind::Ping {
                seq: 7,
                target: None,
                nonce: None,
            },
            gossip: vec![],
        }
    }

    #[test]
    fn a_packet_round_trips() {
        let bytes = encode(&ping()).expect("encode");
        assert_eq!(decode::<u32>(&bytes, 1200).expect("decode"), ping());
    }

    #[test]
    fn a_ping_is_small() {
        let bytes = encode(&ping()).expect("encode");
        assert!(bytes.len() <= 10, "ping is {} bytes", bytes.len());
    }

    #[test]
    fn oversized_input_is_refused_before_decoding() {
        let err = decode::<u32>(&vec![0u8; 2000], 1200).unwrap_err();
        assert_eq!(
            err,
            WireError::TooLarge {
                size: 2000,
                limit: 1200
            }
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [&b""[..], b"\xff\xff", b"\xa1\x61v\x18", b"hello world"] {
            assert!(decode::<u32>(bytes, 1200).is_err());
            assert!(check_hello(bytes, "c").is_err());
        }
    }

    #[test]
    fn another_version_is_named_in_the_error() {
        #[derive(Serialize)]
        struct Future {
            v: u8,
        }
        let bytes = cbor4ii::serde::to_vec(Vec::new(), &Future { v: 9 }).expect("encode");
        assert_eq!(
            check_hello(&bytes, "c").unwrap_err(),
            WireError::UnsupportedVersion(9)
        );
    }

    #[test]
    fn a_version_2_message_where_a_hello_belongs_is_reported_as_version_2() {
        #[derive(Serialize)]
        struct V2<'a> {
            v: u8,
            c: &'a str,
            p: Packet<u32>,
        }
        let v2 = V2 {
            v: 2,
            c: "c",
            p: ping(),
        };
        let bytes = cbor4ii::serde::to_vec(Vec::new(), &v2).expect("encode");
        assert_eq!(
            check_hello(&bytes, "c").unwrap_err(),
            WireError::UnsupportedVersion(2)
        );
    }

    #[test]
    fn another_cluster_is_refused_naming_both() {
        let bytes = encode_hello("blue").expect("encode");
        assert_eq!(check_hello(&bytes, "blue"), Ok(()));
        let err = check_hello(&bytes, "green").unwrap_err();
        assert!(err.to_string().contains("blue") && err.to_string().contains("green"));
    }

    #[test]
    fn borrowed_gossip_encodes_exactly_like_owned_gossip() {
        let u = encode_update(&Update::Left {
            id: 3u32,
            incarnation: 2,
        })
        .expect("encode");
        let owned: Packet<u32> = Packet {
            kind: Kind::Ack {
                seq: 5,
                proof: ByteBuf::new(),
            },
            gossip: vec![ByteBuf::from(u.clone())],
        };
        let borrowed = encode_parts(
            &Kind::<u32>::Ack {
                seq: 5,
                proof: ByteBuf::new(),
            },
            &[u],
        )
        .expect("encode");
        assert_eq!(encode(&owned).expect("encode"), borrowed);
        let none: [&[u8]; 0] = [];
        let bare = Packet::<u32> {
            kind: Kind::Gossip,
            gossip: vec![],
        };
        assert_eq!(
            encode(&bare).expect("e"),
            encode_parts(&Kind::<u32>::Gossip, &none).expect("e")
        );
    }

    #[test]
    fn updates_round_trip_inside_gossip() {
        let u = Update::Suspect {
            id: 4u32,
            incarnation: 9,
            from: 1,
        };
        let enc = encode_update(&u).expect("encode");
        let p = Packet {
            kind: Kind::<u32>::Gossip,
            gossip: vec![ByteBuf::from(enc)],
        };
        let bytes = encode(&p).expect("encode");
        let back: Packet<u32> = decode(&bytes, 1200).expect("decode");
        assert_eq!(decode_update::<u32>(&back.gossip[0]).expect("update"), u);
    }
}
