//! SCTP (RFC 9260) over DTLS (RFC 8261) for data channels: the packet codec (`packet`), typed
//! chunks (`chunk`), and the association (`assoc`) with its sending (`send`) and receiving
//! (`recv`) halves. Extensions: partial reliability (RFC 3758), stream reset (RFC 6525), I-DATA
//! (RFC 8260), zero checksum (RFC 9653).

mod assoc;
pub mod chunk;
mod packet;
mod recv;
mod send;

pub use assoc::{
    Association, AssociationState, CloseReason, SctpConfig, SctpDrops, SctpEvent, SctpStats,
};
pub use chunk::{Chunk, ChunkError};
pub use packet::{COMMON_HEADER_LEN, ChunkView, Packet, PacketError, UnknownChunkAction, checksum};
pub use recv::Message;
pub use send::{SendError, SendOptions, SendStats};

#[cfg(test)]
mod tests;
