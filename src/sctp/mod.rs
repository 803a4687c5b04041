//! SCTP (RFC 9260) over DTLS (RFC 8261) for data channels: the packet codec (`packet`), typed
//! chunks (`chunk`), and the association (`assoc`) with its sending (`send`) and receiving
//! (`recv`) halves. Extensions: partial reliability (RFC 3758), stream reset (RFC 6525), I-DATA
//! (RFC 8260), zero checksum (RFC 9653).
//!
//! Used alone (SCTP over some other secure datagram transport): an [`Association`] takes the
//! packets the peer sent (`handle_packet`) and gives packets to send
//! (`poll_transmit(now)`), messages ([`SctpMessage`]) and events; [`Packet`] and [`Chunk`] parse
//! the wire format for tools and tests.

mod assoc;
pub mod chunk;
mod handshake;
mod heartbeat;
mod packet;
mod receive;
mod reconfig;
mod recv;
mod send;
mod shutdown;
mod transmit;

pub use assoc::{
    Association, AssociationState, CloseReason, SctpConfig, SctpDrops, SctpEvent, SctpStats,
};
pub use chunk::{Chunk, ChunkError};
pub use packet::{COMMON_HEADER_LEN, ChunkView, Packet, PacketError, UnknownChunkAction, checksum};
pub use recv::SctpMessage;
pub use send::{SctpSendError, SendOptions, SendStats};

#[cfg(test)]
mod tests;
