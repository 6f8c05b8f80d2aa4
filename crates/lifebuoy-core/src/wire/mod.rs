//! The wire format: serde structs encoded with CBOR (cbor4ii) inside a
//! versioned envelope with a maximum size. `docs/protocol.md` is the spec.

mod codec;
mod message;

pub use codec::{
    decode, decode_body, decode_signed, decode_update, encode, encode_body, encode_parts,
    encode_signed, encode_update, Channel, WireError,
};
pub use message::{Envelope, Kind, Packet, Signed, Update, PROTOCOL_VERSION};
