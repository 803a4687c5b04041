//! SCTP (RFC 9260) over DTLS (RFC 8261) for data channels. This first part is the packet codec:
//! the common header, the CRC32c checksum, chunk framing with padding, and the handling of
//! unknown chunk types by their upper two bits. The association comes next (issue 6).

mod packet;

pub use packet::{COMMON_HEADER_LEN, ChunkView, Packet, PacketError, UnknownChunkAction, checksum};
