//! The wire format: serde structs encoded with CBOR (cbor4ii) inside a
//! size-bounded packet; version and cluster name travel once per stream in a
//! [`Hello`]. `docs/protocol.md` is the spec.

mod codec;
mod message;

pub use codec::{
    check_hello, decode, decode_body, decode_signed, decode_update, encode, encode_body,
    encode_hello, encode_parts, encode_signed, encode_update, Channel, WireError, MAX_HELLO_BYTES,
};
pub use message::{Hello, Kind, Packet, Signed, Update, PROTOCOL_VERSION};
/// The byte-string type of the messages' byte fields (gossip entries, ack proofs).
pub use serde_bytes::ByteBuf;
